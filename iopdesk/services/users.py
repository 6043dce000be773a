"""Staff accounts and sign-in: Argon2id passwords, roles, lockout after repeated failures.

Invariants: the first account of a clinic must be an admin and can be made without signing in;
every later account is made by a signed-in admin; passwords meet the policy in
resources/password_policy.toml; five wrong passwords in a row lock an account for 15 minutes
(both values from that file); every sign-in, failure, lockout, unlock and password change is
audited, and a failed sign-in's audit events are committed even though sign-in then raises.
A stored hash weaker than the policy's Argon2id cost is replaced at the next good sign-in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from iopdesk.audit import chain as audit
from iopdesk.clinical.staff import signed_in_staff
from iopdesk.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.validation import npi as valid_npi
from iopdesk.kernel.validation import required_text
from iopdesk.models import Site, Staff, StaffRole
from iopdesk.passwords import hash_password, hasher, needs_rehash, policy, verify_password
from iopdesk.permissions import Actor, check_roles
from iopdesk.services.base import Service
from iopdesk.services.emergency_access import has_emergency_access


def max_failures() -> int:
    """Consecutive wrong passwords that lock an account (policy file, default 5)."""
    return int(policy()["lockout"]["max_failures"])


def lockout_period() -> dt.timedelta:
    """How long a lockout lasts (policy file, default 15 minutes)."""
    return dt.timedelta(minutes=policy()["lockout"]["minutes"])


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
    return Actor(id=staff.id, username=staff.username, display_name=staff.display_name, roles=roles,
                 has_emergency_access=has_emergency_access)


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
        first = Staff.select().count() == 0
        if not first:
            self.actor.require("admin.users")
        username = required_text(username, "username", "User name", max_length=60).lower()
        display_name = required_text(display_name, "display_name", "Full name")
        roles = check_roles(roles)
        if first and "admin" not in roles:
            raise ValidationError("The first account of a clinic must be an administrator.", field="roles")
        password_hash = hash_password(password, username)
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
                locked_until = now + lockout_period() if failures >= max_failures() else None
                Staff.update(failed_logins=failures, locked_until=locked_until).where(
                    Staff.id == staff.id
                ).execute()
                self._audit_login(staff, "login_failed", {"reason": "wrong password", "failures": failures})
                if locked_until:
                    self._audit_login(staff, "account_locked", {"until": locked_until.isoformat()})
                    minutes = int(lockout_period().total_seconds() // 60)
                    failure = (f"Wrong password. The account is now locked for {minutes} minutes, "
                               f"until {locked_until:%H:%M} UTC.")
                else:
                    failure = "Wrong user name or password."
            else:
                previous_login = staff.last_login_at
                values = dict(failed_logins=0, locked_until=None, last_login_at=now)
                rehash = needs_rehash(staff.password_hash)
                if rehash:
                    values["password_hash"] = hasher().hash(password)
                Staff.update(**values).where(Staff.id == staff.id).execute()
                detail = {"previous_login": str(previous_login or "")}
                if rehash:
                    detail["rehashed"] = True
                self._audit_login(staff, "login", detail)
        if failure:
            raise AuthenticationFailed(failure, field="password")
        return _actor_for(staff)

    def get(self, username: str) -> StaffSummary:
        """One account (a user may always read their own; others' need "chart.read").
        Raises PermissionDenied, NotFound."""
        if (username or "").strip().lower() != self.actor.username or self.actor.id is None:
            self.actor.require("chart.read")
        staff = Staff.get_or_none(Staff.username == (username or "").strip().lower())
        if staff is None:
            raise NotFound(f"No user named {username!r}.", field="username")
        return self._summary(staff)

    def list(self) -> list[StaffSummary]:
        """Every account, by name (the staff directory; needs "chart.read")."""
        self.actor.require("chart.read")
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

    def change_password(self, old_password: str, new_password: str) -> Changes:
        """Change the signed-in user's own password (audited as "password_change").

        Raises PermissionDenied when nobody is signed in, AuthenticationFailed(field="old_password")
        when the current password is wrong, ValidationError(field="password") when the new one
        breaks the policy or equals the old one. A wrong current password is not counted
        towards lockout (the user is already signed in).
        """
        if self.actor.id is None:
            raise PermissionDenied("Sign in to change your password.")
        staff = signed_in_staff(self.actor)
        if staff is None or not staff.active:
            raise PermissionDenied("This account cannot change its password.")
        if not verify_password(staff.password_hash, old_password or ""):
            raise AuthenticationFailed("Current password: this is not your current password.",
                                       field="old_password")
        if (new_password or "") == (old_password or ""):
            raise ValidationError("Password: choose a password different from the current one.",
                                  field="password")
        new_hash = hash_password(new_password, staff.username)
        with self.db.atomic():
            Staff.update(password_hash=new_hash, version=Staff.version + 1,
                         updated_at=utcnow()).where(Staff.id == staff.id).execute()
            self._audit("password_change", "staff", staff.id)
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
