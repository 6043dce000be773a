"""What every service shares: the clinic it belongs to and the acting user."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from iopdesk.audit import chain as audit
from iopdesk.clinical.attestation import attestation, permission, signing_permissions
from iopdesk.clinical.program_rules import rule
from iopdesk.clinical.staff import signed_in_staff
from iopdesk.kernel.clock import utcnow
from iopdesk.permissions import Actor

if TYPE_CHECKING:
    from iopdesk.clinic import Clinic


class Service:
    def __init__(self, clinic: Clinic) -> None:
        self._clinic = clinic

    @property
    def actor(self) -> Actor:
        return self._clinic.actor

    @property
    def db(self):
        return self._clinic.db

    def _audit(self, action: str, entity: str, entity_id=None, *, client_id=None, detail=None):
        return audit.record(self.actor, action, entity, entity_id, client_id=client_id, detail=detail)

    def attestation(self, kind: str, signed_at: dt.datetime | None = None) -> str:
        """What the acting user attests by signing a record of `kind`, with their name,
        credentials and the time (now, or `signed_at`): shown before signing, kept with the
        sign event. Raises PermissionDenied for a user who may not sign a record of that kind,
        ValidationError for an unknown kind."""
        if not any(self.actor.can(p) for p in signing_permissions()):
            self.actor.require(permission("note"))
        self.actor.require(permission(kind))
        staff = signed_in_staff(self.actor)
        name, credentials = (staff.display_name, staff.credentials) if staff else (self.actor.display_name, "")
        return attestation(kind, name, credentials, signed_at or utcnow(), rule("display", "time_format"))
