"""Staff accounts and sign-in: Argon2id passwords, roles, lockout after repeated failures.

Invariants: the first account of a clinic must be an admin and can be made without signing in;
every later account is made by a signed-in admin; five wrong passwords in a row lock an account
for 15 minutes; every sign-in, failure and lockout is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import audit
from ..changes import Changes
from ..clock import utcnow
from ..errors import AuthenticationFailed, NotFound, ValidationError
from ..models import Site, Staff, StaffRole
from ..passwords import hash_password, verify_password
from ..permissions import Actor, check_roles
from ..validation import npi as valid_npi
from ..validation import required_text
from .base import Service

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class StaffSummary:
    id: str
    username: str
    display_name: str
    credentials: str
    roles: tuple[str, ...]
    npi: str | None
    needs_cosign: bool
    supervisor_id: str | None
    active: bool
    last_login_at: dt.datetime | None


def _actor_for(staff: Staff) -> Actor:
    roles = frozenset(r.role for r in StaffRole.select().where(StaffRole.staff == staff))
    return Actor(id=staff.id, username=staff.username, display_name=staff.display_name, roles=roles)


class UserService(Service):
    def count(self) -> int:
        return Staff.select().count()

    def add(
        self,
        username: str,
        password: str,
        *,
        display_name: str,
        roles: list[str] | tuple[str, ...],
        credentials: str = "",
        npi: str | None = None,
        needs_cosign: bool = False,
        supervisor: str | None = None,
        site_code: str | None = None,
    ) -> tuple[StaffSummary, Changes]:
        """Create a staff account. The clinic's first account must hold the admin role.

        Raises ValidationError (naming the field) or PermissionDenied.
        """
        username = required_text(username, "username", "User name", max_length=60).lower()
        display_name = required_text(display_name, "display_name", "Full name")
        roles = check_roles(roles)
        first = Staff.select().count() == 0
        if first:
            if "admin" not in roles:
                raise ValidationError("The first account of a clinic must be an administrator.", field="roles")
        else:
            self.actor.require("admin.users")
        password_hash = hash_password(password)
        npi_value = valid_npi(npi)
        with self.db.atomic():
            if Staff.select().where(Staff.username == username).exists():
                raise ValidationError(f"User name: {username!r} is already taken.", field="username")
            supervisor_row = None
            if supervisor:
                supervisor_row = Staff.get_or_none(Staff.username == supervisor.lower())
                if supervisor_row is None:
                    raise ValidationError(f"Supervisor: no user named {supervisor!r}.", field="supervisor")
            elif needs_cosign:
                raise ValidationError(
                    "Supervisor: staff whose notes need co-signature must have a supervisor.",
                    field="supervisor",
                )
            site = Site.get_or_none(Site.code == site_code) if site_code else None
            staff = Staff.create(
                username=username, display_name=display_name, credentials=credentials.strip(),
                npi=npi_value, is_licensed=not needs_cosign, needs_cosign=needs_cosign,
                supervisor=supervisor_row, site=site, password_hash=password_hash,
            )
            for role in roles:
                StaffRole.create(staff=staff, role=role)
            self._audit("create", "staff", staff.id, detail={"username": username, "roles": list(roles)})
        return self._summary(staff), Changes.of("staff")

    def login(self, username: str, password: str) -> Actor:
        """Check the password and return the signed-in actor.

        Raises AuthenticationFailed for a wrong name or password (counted; five in a row lock
        the account) and for a locked or inactive account.
        """
        name = (username or "").strip().lower()
        staff = Staff.get_or_none(Staff.username == name)
        ok = verify_password(staff.password_hash if staff else None, password or "")
        now = utcnow()
        failure: str | None = None
        with self.db.atomic():
            if staff is None:
                failure = "Wrong user name or password."
                self._audit_as_unknown(name, "login_failed", {"reason": "unknown user"})
            elif not staff.active:
                failure = "This account is disabled; ask an administrator."
                self._audit_login(staff, "login_failed", {"reason": "inactive"})
            elif staff.locked_until and staff.locked_until > now:
                failure = (
                    "This account is locked after repeated wrong passwords until "
                    f"{staff.locked_until:%H:%M} UTC; ask an administrator to unlock it sooner."
                )
                self._audit_login(staff, "login_failed", {"reason": "locked"})
            elif not ok:
                failures = staff.failed_logins + 1
                locked_until = now + LOCKOUT if failures >= MAX_FAILURES else None
                Staff.update(failed_logins=failures, locked_until=locked_until).where(
                    Staff.id == staff.id
                ).execute()
                self._audit_login(staff, "login_failed", {"reason": "wrong password", "failures": failures})
                if locked_until:
                    self._audit_login(staff, "account_locked", {"until": locked_until.isoformat()})
                    failure = "Wrong password. The account is now locked for 15 minutes."
                else:
                    failure = "Wrong user name or password."
            else:
                previous_login = staff.last_login_at
                Staff.update(failed_logins=0, locked_until=None, last_login_at=now).where(
                    Staff.id == staff.id
                ).execute()
                self._audit_login(staff, "login", {"previous_login": str(previous_login or "")})
        if failure:
            raise AuthenticationFailed(failure, field="password")
        return _actor_for(staff)

    def get(self, username: str) -> StaffSummary:
        staff = Staff.get_or_none(Staff.username == (username or "").lower())
        if staff is None:
            raise NotFound(f"No user named {username!r}.", field="username")
        return self._summary(staff)

    def list(self) -> list[StaffSummary]:
        return [self._summary(s) for s in Staff.select().order_by(Staff.display_name)]

    def unlock(self, username: str) -> Changes:
        """Clear a lockout (admin only)."""
        self.actor.require("admin.users")
        with self.db.atomic():
            staff = Staff.get_or_none(Staff.username == username.lower())
            if staff is None:
                raise NotFound(f"No user named {username!r}.", field="username")
            Staff.update(failed_logins=0, locked_until=None).where(Staff.id == staff.id).execute()
            self._audit("unlock", "staff", staff.id)
        return Changes.of("staff")

    def _summary(self, staff: Staff) -> StaffSummary:
        roles = tuple(sorted(r.role for r in StaffRole.select().where(StaffRole.staff == staff)))
        return StaffSummary(
            id=str(staff.id), username=staff.username, display_name=staff.display_name,
            credentials=staff.credentials, roles=roles, npi=staff.npi,
            needs_cosign=staff.needs_cosign,
            supervisor_id=str(staff.supervisor_id) if staff.supervisor_id else None,
            active=staff.active, last_login_at=staff.last_login_at,
        )

    def _audit_login(self, staff: Staff, action: str, detail: dict) -> None:
        audit.record(_actor_for(staff), action, "staff", staff.id, detail=detail)

    def _audit_as_unknown(self, username: str, action: str, detail: dict) -> None:
        who = Actor(id=None, username=username or "(blank)", display_name=username, roles=frozenset())
        audit.record(who, action, "staff", None, detail=detail)
