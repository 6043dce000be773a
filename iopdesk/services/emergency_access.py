"""Break-the-glass: time-limited, audited, reviewed emergency access to one client's chart.

The rule. Access to a client's chart is by role (resources/roles.toml): "chart.read" opens the
chart, "chart.read_narrative" reads its clinical narrative (notes, plan, medications, alerts,
measures, screenings); IOP Desk has no per-caseload restriction, so every clinician, supervisor
and prescriber reads every chart, and a role without "chart.read_narrative" (administrator,
biller) reads no narrative at all. A user who lacks a read permission for a client's chart and
holds "emergency.request" (administrators; never billers: minimum necessary) may break the
glass for ONE client with `request(client_id, reason)`:
- the reason is required, at least `min_reason_length` characters (policy file, default 10);
- the grant is for that user and that client only, lasts `hours` (default 4) from the request
  and adds only reading ("chart.read", "chart.read_narrative"), never any write;
- the request is audited in the same transaction (action "break_glass", with the client, the
  reason and the expiry) and the grant stays in `review_queue()` until a user holding
  "emergency.review" (supervisor, administrator) other than the requester calls
  `mark_reviewed(grant_id, note)`, itself audited ("break_glass_reviewed"); `grants(show)`
  lists them for the review screen and `pending_count()` counts those awaiting review;
- a user who already has the access is refused (nothing to break), and grants are never deleted.
Enforcement is in the domain: chart read services call `Actor.require_for_client`, which asks
`has_emergency_access` here (the users service hands it to every signed-in Actor) before refusing
with ChartAccessDenied.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import peewee

from iopdesk.errors import NotFound, PermissionDenied, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.text_limits import STATEMENT
from iopdesk.kernel.validation import bounded_text, check_length
from iopdesk.models import Client, EmergencyAccess, Episode, Staff
from iopdesk.passwords import policy
from iopdesk.permissions import EMERGENCY_PERMISSIONS
from iopdesk.services.base import Service
from iopdesk.services.work_items import display_name
from iopdesk.storage.records import as_uuid

GRANT_FILTERS = ("pending", "reviewed", "all")


@dataclass(frozen=True)
class EmergencyGrantView:
    id: str
    staff_id: str
    staff_name: str
    client_id: str
    client_mrn: str
    client_name: str
    reason: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_note: str

    @property
    def active(self) -> bool:
        return self.expires_at > utcnow()

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None


def grant_period() -> dt.timedelta:
    """How long an emergency grant lasts (policy file, default 4 hours)."""
    return dt.timedelta(hours=policy()["emergency_access"]["hours"])


def min_reason_length() -> int:
    return int(policy()["emergency_access"]["min_reason_length"])


def has_emergency_access(staff_id, client_id) -> bool:
    """True while `staff_id` holds an unexpired emergency grant for `client_id`."""
    try:
        staff_uuid, client_uuid = uuid.UUID(str(staff_id)), uuid.UUID(str(client_id))
    except ValueError:
        return False
    return EmergencyAccess.select().where(
        (EmergencyAccess.staff == staff_uuid) & (EmergencyAccess.client == client_uuid)
        & (EmergencyAccess.expires_at > utcnow())
    ).exists()


def client_of_episode(episode_id) -> uuid.UUID | None:
    """The client an episode belongs to (None if there is no such episode)."""
    try:
        episode_uuid = uuid.UUID(str(episode_id))
    except ValueError:
        return None
    return Episode.select(Episode.client).where(Episode.id == episode_uuid).scalar()


class EmergencyAccessService(Service):
    def request(self, client_id, reason: str) -> tuple[EmergencyGrantView, Changes]:
        """Break the glass: grant the signed-in user read access to one client's chart for a
        few hours, audited ("break_glass") and queued for review.

        Raises PermissionDenied (no "emergency.request", or nobody signed in), NotFound (no such
        client), ValidationError(field="reason") for a missing or short reason, and
        ValidationError(field="client_id") when the user already has access to the chart.
        """
        if self.actor.id is None:
            raise PermissionDenied("Emergency access is for a signed-in user.")
        if EMERGENCY_PERMISSIONS <= self.actor.permissions:
            raise ValidationError("Client: you already have access to this chart; emergency access "
                                  "is not needed.", field="client_id")
        self.actor.require("emergency.request")
        text = (reason or "").strip()
        shortest = min_reason_length()
        if len(text) < shortest:
            raise ValidationError(f"Reason: say why you need emergency access (at least {shortest} "
                                  "characters).", field="reason")
        check_length(text, "reason", "Reason", STATEMENT)
        client_uuid = as_uuid(client_id, "client")
        now = utcnow()
        with self.db.atomic():
            client = Client.get_or_none(Client.id == client_uuid)
            if client is None:
                raise NotFound(f"No client with id {client_id!r}.", field="client_id")
            grant = EmergencyAccess.create(staff=self.actor.id, client=client_uuid, reason=text,
                                           granted_at=now, expires_at=now + grant_period())
            self._audit("break_glass", "emergency_access", grant.id, client_id=client_uuid,
                        detail={"reason": text, "expires_at": grant.expires_at.isoformat()})
        return self._view(grant.id), Changes.of("emergency_access", client_id=client_uuid)

    def active_for(self, client_id) -> EmergencyGrantView | None:
        """The signed-in user's live grant for this client (the latest to expire), or None."""
        if self.actor.id is None:
            return None
        client_uuid = as_uuid(client_id, "client")
        row = (EmergencyAccess.select(EmergencyAccess.id)
               .where((EmergencyAccess.staff == self.actor.id) & (EmergencyAccess.client == client_uuid)
                      & (EmergencyAccess.expires_at > utcnow()))
               .order_by(EmergencyAccess.expires_at.desc()).first())
        return self._view(row.id) if row else None

    def review_queue(self) -> list[EmergencyGrantView]:
        """Every grant not yet reviewed, oldest first. Raises PermissionDenied without
        "emergency.review"."""
        self.actor.require("emergency.review")
        return [self._to_view(row) for row in self._query()
                .where(EmergencyAccess.reviewed_at.is_null())
                .order_by(EmergencyAccess.granted_at, EmergencyAccess.id)]

    def grants(self, show: str = "pending", *, limit: int = 500) -> list[EmergencyGrantView]:
        """Grants for the review screen: "pending" (awaiting review, oldest first), "reviewed" or
        "all" (newest first), at most `limit`. Raises PermissionDenied without "emergency.review",
        ValidationError(field="show") for another filter."""
        self.actor.require("emergency.review")
        if show not in GRANT_FILTERS:
            raise ValidationError(f"Show: one of {', '.join(GRANT_FILTERS)}.", field="show")
        query = self._query()
        if show == "pending":
            query = query.where(EmergencyAccess.reviewed_at.is_null()).order_by(
                EmergencyAccess.granted_at, EmergencyAccess.id)
        else:
            if show == "reviewed":
                query = query.where(EmergencyAccess.reviewed_at.is_null(False))
            query = query.order_by(EmergencyAccess.granted_at.desc(), EmergencyAccess.id.desc())
        return [self._to_view(row) for row in query.limit(max(1, int(limit)))]

    def pending_count(self) -> int:
        """How many grants await review (the review screen's badge). Raises PermissionDenied
        without "emergency.review"."""
        self.actor.require("emergency.review")
        return EmergencyAccess.select().where(EmergencyAccess.reviewed_at.is_null()).count()

    def mark_reviewed(self, grant_id, note: str = "") -> Changes:
        """Record that a reviewer looked at this grant (audited "break_glass_reviewed").

        Raises PermissionDenied (no "emergency.review", or reviewing one's own grant), NotFound,
        ValidationError(field="grant_id") when it was reviewed already, ValidationError(field="note")
        for a note over `text_limits.STATEMENT` characters.
        """
        self.actor.require("emergency.review")
        bounded_text(note, "note", "Review note", STATEMENT)
        grant_uuid = as_uuid(grant_id, "emergency access")
        with self.db.atomic():
            grant = EmergencyAccess.get_or_none(EmergencyAccess.id == grant_uuid)
            if grant is None:
                raise NotFound(f"No emergency access with id {grant_id!r}.", field="grant_id")
            if self.actor.id is not None and grant.staff_id == self.actor.id:
                raise PermissionDenied("Another reviewer must review your own emergency access.")
            if grant.reviewed_at is not None:
                raise ValidationError("Emergency access: this was reviewed already.", field="grant_id")
            EmergencyAccess.update(
                reviewed_at=utcnow(), reviewed_by=self.actor.id, review_note=(note or "").strip(),
                version=EmergencyAccess.version + 1, updated_at=utcnow(),
            ).where(EmergencyAccess.id == grant_uuid).execute()
            self._audit("break_glass_reviewed", "emergency_access", grant_uuid,
                        client_id=grant.client_id, detail={"note": (note or "").strip()})
        return Changes.of("emergency_access", client_id=grant.client_id)

    @staticmethod
    def _query():
        reviewer = Staff.alias()
        return (EmergencyAccess
                .select(EmergencyAccess, Staff.display_name.alias("staff_name"),
                        Client.mrn.alias("client_mrn"), Client.preferred_name.alias("client_preferred"),
                        Client.legal_first.alias("client_first"), Client.legal_last.alias("client_last"),
                        reviewer.display_name.alias("reviewer_name"))
                .join(Staff, on=(EmergencyAccess.staff == Staff.id))
                .switch(EmergencyAccess).join(Client, on=(EmergencyAccess.client == Client.id))
                .switch(EmergencyAccess)
                .join(reviewer, peewee.JOIN.LEFT_OUTER, on=(EmergencyAccess.reviewed_by == reviewer.id))
                .objects())

    def _view(self, grant_id) -> EmergencyGrantView:
        return self._to_view(self._query().where(EmergencyAccess.id == grant_id).get())

    @staticmethod
    def _to_view(row: EmergencyAccess) -> EmergencyGrantView:
        return EmergencyGrantView(
            id=str(row.id), staff_id=str(row.staff_id), staff_name=row.staff_name,
            client_id=str(row.client_id), client_mrn=row.client_mrn,
            client_name=display_name(row.client_preferred, row.client_first, row.client_last), reason=row.reason,
            granted_at=row.granted_at, expires_at=row.expires_at, reviewed_at=row.reviewed_at,
            reviewed_by=row.reviewer_name, review_note=row.review_note,
        )
