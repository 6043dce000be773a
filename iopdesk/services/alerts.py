"""Alerts: what a clinician must see about a client (a safety flag on a measure, an unexpected
positive drug screen, a concern raised by hand) until someone resolves it in writing.

What a chart counts as the client's active alerts is one read, `for_chart`: the stored alerts not
yet resolved and the attendance flags the rules compute now for the open episode (under the
minimum, absences in a row, a long gap, past the expected length). The header and the overview
show that one read, so they count and name the same things. An attendance flag is not stored and
is never resolved by hand: it goes when the record no longer shows it (`clears_when`).

Invariants: an alert is raised inside the transaction of the record that caused it (the measure,
the drug screen), through the one function `raise_alert`, so both commit or neither does; an
alert is never deleted; resolving it needs a written resolution and keeps who and when; a
resolved alert stays resolved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from iopdesk.audit import chain as audit
from iopdesk.clinical.staff import staff_for
from iopdesk.errors import NotFound, PermissionDenied, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.text_limits import NARRATIVE, STATEMENT
from iopdesk.kernel.validation import required_text
from iopdesk.models import Alert, Client, Episode, Staff
from iopdesk.permissions import Actor
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.services.episodes import OPEN_STATUSES
from iopdesk.storage.records import as_uuid, fetch, update_versioned

ALERT_KINDS = {
    "safety": "Safety",
    "unexpected_positive": "Unexpected positive drug screen",
    "clinical": "Clinical concern",
}
ATTENDANCE = "attendance"
# How a count names each kind ("3 active alerts: 1 safety, 2 attendance"), in the order counted.
COUNT_WORDS = {"safety": "safety", "unexpected_positive": "unexpected drug screen", "clinical": "clinical",
               ATTENDANCE: "attendance"}


@dataclass(frozen=True)
class AlertView:
    id: str
    client_id: str
    client_name: str
    mrn: str
    kind: str
    message: str
    raised_at: dt.datetime
    raised_by: str
    source_id: str | None
    resolved_at: dt.datetime | None
    resolved_by: str
    resolution: str
    version: int

    @property
    def active(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class ActiveAlert:
    """One of a chart's active alerts: a stored alert (`alert` set, resolved in writing) or an
    attendance flag computed now (`alert` None, `since` its first day, `clears_when` what makes
    it go)."""

    kind: str
    label: str
    message: str
    raised_at: dt.datetime | None
    since: dt.date | None
    raised_by: str
    alert: AlertView | None = None
    clears_when: str = ""

    @property
    def resolvable(self) -> bool:
        return self.alert is not None


@dataclass(frozen=True)
class ChartAlerts:
    """What a chart counts as its client's active alerts, stored ones first (oldest first), then
    the attendance flags. `stored_hidden`: the reader's role may not see stored alerts (they are
    clinical narrative), so only the attendance flags are here."""

    rows: tuple[ActiveAlert, ...]
    stored_hidden: bool = False

    @property
    def count(self) -> int:
        return len(self.rows)

    def count_of(self, kind: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind)

    def counts(self) -> tuple[tuple[str, int], ...]:
        """(word, how many) for each kind present, in `COUNT_WORDS` order: (("safety", 1), ("attendance", 2))."""
        return tuple((word, n) for kind, word in COUNT_WORDS.items() if (n := self.count_of(kind)))

    @property
    def stored(self) -> tuple[AlertView, ...]:
        return tuple(row.alert for row in self.rows if row.alert is not None)


def caseload_of(query: peewee.ModelSelect, clinician) -> peewee.ModelSelect:
    """Narrow a query already joined to Client to clients with an open episode, optionally
    under one primary clinician (user name or id)."""
    query = query.join(Episode, on=(Episode.client == Client.id)).where(Episode.status == "active")
    if clinician is not None:
        query = query.where(Episode.primary_clinician == staff_for(clinician, "Clinician", "clinician").id)
    return query


def raise_alert(actor: Actor, client_id, kind: str, message: str, *, source_id=None) -> Alert:
    """Raise an alert on a client and audit it. Call it inside the caller's transaction: the
    alert then commits with the record that caused it, or not at all.

    Raises ValidationError for an unknown kind or a blank message.
    """
    if kind not in ALERT_KINDS:
        raise ValidationError(f"Alert kind: {kind!r} is not one of {', '.join(ALERT_KINDS)}.", field="kind")
    text = required_text(message, "message", "Alert message", max_length=STATEMENT)
    cid = client_uuid(client_id)
    alert = Alert.create(
        client=cid, kind=kind, message=text, raised_at=utcnow(), raised_by=actor.id,
        source_id=as_uuid(source_id, "record") if source_id else None,
    )
    audit.record(actor, "create", "alert", alert.id, client_id=cid, detail={"kind": kind})
    return alert


class AlertService(Service):
    def raise_alert(self, client_id, *, kind: str = "clinical", message: str, source_id=None
                    ) -> tuple[AlertView, Changes]:
        """Raise an alert by hand (clinical staff, "note.write"). Measures and drug screens raise
        theirs themselves. Raises ValidationError for an unknown kind or a blank message."""
        self.actor.require("note.write")
        cid = client_uuid(client_id)
        with self.db.atomic():
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            alert = raise_alert(self.actor, cid, kind, message, source_id=source_id)
        return self.get(alert.id), Changes.of("alert", client_id=cid)

    def resolve(self, alert_id, resolution: str) -> tuple[AlertView, Changes]:
        """Close an alert with what was done about it (clinical staff, "note.write").

        Raises ValidationError for a blank resolution or an alert already resolved; ConcurrentEdit
        if someone resolved it at the same moment.
        """
        self.actor.require("note.write")
        text = required_text(resolution, "resolution", "Resolution", max_length=NARRATIVE)
        with self.db.atomic():
            alert = fetch(Alert, alert_id, "alert")
            if alert.resolved_at is not None:
                raise ValidationError(
                    f"Resolution: this alert was already resolved on {alert.resolved_at:%Y-%m-%d}.",
                    field="resolution",
                )
            update_versioned(alert, alert.version, resolved_at=utcnow(), resolved_by=self.actor.id,
                             resolution=text)
            self._audit("resolve", "alert", alert.id, client_id=alert.client_id)
        return self.get(alert.id), Changes.of("alert", client_id=alert.client_id)

    def get(self, alert_id) -> AlertView:
        self.actor.require_for_client("chart.read_narrative", lambda: fetch(Alert, alert_id, "alert").client_id)
        rows = self._views(Alert.id == as_uuid(alert_id, "alert"))
        if not rows:
            raise NotFound(f"No alert with id {alert_id}.")
        return rows[0]

    def active_for(self, client_id) -> list[AlertView]:
        """A client's unresolved alerts, oldest first."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        return self._views((Alert.client == client_uuid(client_id)) & Alert.resolved_at.is_null())

    def for_chart(self, client_id, episode_id=None, *, episode_read: bool = False) -> ChartAlerts:
        """The client's active alerts as a chart counts them: unresolved stored alerts and the
        attendance flags of the open episode, in one read for the header and the overview. The
        open episode is read here unless the caller just read it (`episode_read=True`, with its
        id in `episode_id`, None when there is none). A role without narrative access gets the
        flags only, with `stored_hidden`. Needs `chart.read`."""
        self.actor.require("chart.read")
        try:
            stored = self.active_for(client_id)
        except PermissionDenied:
            stored = None
        if not episode_read:
            episode_id = (Episode.select(Episode.id).where((Episode.client == client_uuid(client_id))
                                                           & Episode.status.in_(OPEN_STATUSES)).scalar())
        flags = self._clinic.attendance.flags(episode_id) if episode_id is not None else []
        rows = [ActiveAlert(a.kind, ALERT_KINDS.get(a.kind, a.kind), a.message, a.raised_at, None, a.raised_by, a)
                for a in stored or ()]
        rows += [ActiveAlert(ATTENDANCE, "Attendance", flag.reason, None, flag.since, "Attendance rules",
                             clears_when=flag.clears_when) for flag in flags]
        return ChartAlerts(tuple(rows), stored_hidden=stored is None)

    def history(self, client_id) -> list[AlertView]:
        """Every alert of a client, resolved or not, oldest first."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        return self._views(Alert.client == client_uuid(client_id))

    def active_safety_alerts(self, clinician=None) -> list[AlertView]:
        """Unresolved safety alerts of clients in treatment (optionally one clinician's caseload),
        oldest first. Raises ValidationError for an unknown clinician."""
        self.actor.require("chart.read_narrative")
        where = (Alert.kind == "safety") & Alert.resolved_at.is_null()
        return self._views(where, caseload=True, clinician=clinician)

    def _views(self, where, *, caseload: bool = False, clinician=None) -> list[AlertView]:
        raiser = Staff.alias()
        resolver = Staff.alias()
        query = (
            Alert.select(
                Alert.id, Alert.client, Client.legal_first, Client.legal_last, Client.mrn, Alert.kind,
                Alert.message, Alert.raised_at, raiser.display_name, Alert.source_id,
                Alert.resolved_at, resolver.display_name, Alert.resolution, Alert.version,
            )
            .join(Client, on=(Alert.client == Client.id))
            .switch(Alert)
            .join(raiser, peewee.JOIN.LEFT_OUTER, on=(Alert.raised_by == raiser.id))
            .switch(Alert)
            .join(resolver, peewee.JOIN.LEFT_OUTER, on=(Alert.resolved_by == resolver.id))
            .switch(Client)
        )
        if caseload:
            query = caseload_of(query, clinician)
        query = query.where(where).order_by(Alert.raised_at, Alert.id).tuples()
        return [
            AlertView(
                id=str(i), client_id=str(c), client_name=f"{first} {last}", mrn=mrn, kind=kind,
                message=msg, raised_at=raised, raised_by=by or "IOP Desk",
                source_id=str(src) if src else None,
                resolved_at=resolved, resolved_by=res_by or "", resolution=resolution, version=version,
            )
            for i, c, first, last, mrn, kind, msg, raised, by, src, resolved, res_by, resolution, version
            in query
        ]
