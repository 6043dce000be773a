"""Staff accounts and sign-in: Argon2id passwords, roles, lockout after repeated failures.

Invariants: the first account of a clinic must be an admin and can be made without signing in;
every later account is made by a signed-in admin; passwords meet the policy in
resources/password_policy.toml; five wrong passwords in a row lock an account for 15 minutes
(both values from that file); every sign-in, failure, lockout, unlock and password change is
audited, and a failed sign-in's audit events are committed even though sign-in then raises.
Failures are counted in the database by one conditional UPDATE, so parallel guesses cannot
overwrite each other's count; every refusal reads the same to the person signing in.
A stored hash weaker than the policy's Argon2id cost is replaced at the next good sign-in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee
from peewee import Case

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

# The one answer to every refused sign-in: it must not tell a guesser whether the name exists or
# that the guesses just locked the account (OWASP Authentication Cheat Sheet, "Authentication
# and error messages"); the audit trail records which it was.
SIGN_IN_REFUSED = ("Wrong user name or password, or the account is locked or disabled; "
                   "ask an administrator if this keeps happening.")


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


def _not_locked(update: peewee.ModelUpdate, staff: Staff, now: dt.datetime) -> bool:
    """Run `update` on the account unless it is locked at `now`, judged in the same statement
    (another workstation may have locked it since it was read); whether it ran."""
    unlocked = Staff.locked_until.is_null() | (Staff.locked_until <= now)
    return update.where((Staff.id == staff.id) & unlocked).execute() == 1


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

        Raises AuthenticationFailed with the one SIGN_IN_REFUSED sentence for every refusal (an
        unknown name, a wrong password, the failure that locks the account, a locked or disabled
        account), so the answer never tells whether an account exists; the audit event's
        "reason" tells them apart. A wrong password is counted by one conditional UPDATE
        (`_count_failure`), so guesses made at the same moment from many workstations lock the
        account at exactly the policy's count.
        """
        name = (username or "").strip().lower()
        staff = Staff.get_or_none(Staff.username == name)
        ok = verify_password(staff.password_hash if staff else None, password or "")
        now = utcnow()
        refused = True
        with self.db.atomic():
            if staff is None:
                self._audit_as_unknown(name, "login_failed", {"reason": "unknown user"})
            elif not staff.active:
                self._audit_login(staff, "login_failed", {"reason": "inactive"})
            elif not ok:
                self._count_failure(staff, now)
            elif not _not_locked(Staff.update(failed_logins=0, locked_until=None, last_login_at=now),
                                 staff, now):
                self._audit_login(staff, "login_failed", {"reason": "locked"})
            else:
                refused = False
                detail = {"previous_login": str(staff.last_login_at or "")}
                if needs_rehash(staff.password_hash):
                    Staff.update(password_hash=hasher().hash(password)).where(Staff.id == staff.id).execute()
                    detail["rehashed"] = True
                self._audit_login(staff, "login", detail)
        if refused:
            raise AuthenticationFailed(SIGN_IN_REFUSED, field="password")
        return _actor_for(staff)

    def _count_failure(self, staff: Staff, now: dt.datetime) -> None:
        """Count one wrong password in a single UPDATE that reads and writes `failed_logins` in
        the database (never a value read earlier), locking the account in the same statement when
        the count reaches the policy's; an account already locked is not counted further. Audits
        "login_failed" (reason "wrong password" with the count, or "locked") and "account_locked"."""
        limit = max_failures()
        until = now + lockout_period()
        reaches_limit = Staff.failed_logins + 1 >= limit
        counted = _not_locked(Staff.update(
            failed_logins=Staff.failed_logins + 1,
            locked_until=Case(None, [(reaches_limit, until)], None),
        ), staff, now)
        if not counted:
            self._audit_login(staff, "login_failed", {"reason": "locked"})
            return
        failures, locked_until = (Staff.select(Staff.failed_logins, Staff.locked_until)
                                  .where(Staff.id == staff.id).tuples().get())
        self._audit_login(staff, "login_failed", {"reason": "wrong password", "failures": failures})
        if locked_until is not None:
            self._audit_login(staff, "account_locked", {"until": locked_until.isoformat(),
                                                        "failures": failures})

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
