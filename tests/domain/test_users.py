"""Staff accounts, sign-in and what each role may do, enforced in the domain layer."""

from __future__ import annotations

import pytest

from iopdesk.errors import AuthenticationFailed, PermissionDenied, ValidationError
from iopdesk.models import AuditEvent, Staff
from iopdesk.permissions import SYSTEM
from iopdesk.services.users import SIGN_IN_REFUSED, max_failures
from tests.conftest import ADMIN_PASSWORD


def test_first_account_must_be_an_admin(clinic):
    """A new clinic's first account is its administrator; a clinician cannot be first."""
    with pytest.raises(ValidationError) as err:
        clinic.users.add("cleo", ADMIN_PASSWORD, display_name="Cleo", roles=["clinician"])
    assert err.value.field == "roles"
    summary, changes = clinic.users.add("ada", ADMIN_PASSWORD, display_name="Ada Admin", roles=["admin"])
    assert summary.roles == ("admin",) and changes.touches("staff")


def test_passwords_are_stored_as_argon2id_at_owasp_cost(staffed_clinic):
    """The stored hash is Argon2id with at least 19 MiB of memory and 2 iterations."""
    stored = Staff.get(Staff.username == "clinician").password_hash
    assert stored.startswith("$argon2id$")
    fields = dict(part.split("=") for part in stored.split("$")[3].split(","))
    assert int(fields["m"]) >= 19 * 1024 and int(fields["t"]) >= 2
    assert ADMIN_PASSWORD not in stored


def test_wrong_password_is_refused_and_counted(staffed_clinic):
    """A mistyped password is refused, counted on the account and audited; the right one resets it."""
    with pytest.raises(AuthenticationFailed, match="Wrong user name or password"):
        staffed_clinic.login("clinician", "not the password")
    staff = Staff.get(Staff.username == "clinician")
    assert staff.failed_logins == 1
    failure = AuditEvent.select().where(AuditEvent.action == "login_failed").get()
    assert failure.actor == "clinician" and failure.detail["failures"] == 1
    assert staffed_clinic.actor is SYSTEM

    actor = staffed_clinic.login("clinician", ADMIN_PASSWORD)
    assert actor.username == "clinician"
    assert Staff.get(Staff.username == "clinician").failed_logins == 0


def test_five_wrong_passwords_lock_the_account(staffed_clinic):
    """After five failures even the right password is refused until an admin unlocks the account."""
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            staffed_clinic.login("clinician", "guess")
    with pytest.raises(AuthenticationFailed, match="locked"):
        staffed_clinic.login("clinician", ADMIN_PASSWORD)
    assert Staff.get(Staff.username == "clinician").failed_logins == max_failures()
    assert AuditEvent.select().where(AuditEvent.action == "account_locked").count() == 1

    staffed_clinic.login("admin", ADMIN_PASSWORD)
    staffed_clinic.users.unlock("clinician")
    assert staffed_clinic.login("clinician", ADMIN_PASSWORD).username == "clinician"


def test_every_refused_sign_in_reads_the_same_and_the_trail_says_why(staffed_clinic):
    """An unknown name, the wrong password that locks an account, a locked account (even with the
    right password) and a disabled one all get the same sentence, so a guesser cannot tell which
    accounts exist or that they just locked one; the audit trail records which it was."""
    def refusal(username: str, password: str) -> str:
        with pytest.raises(AuthenticationFailed) as refused:
            staffed_clinic.login(username, password)
        assert refused.value.field == "password"
        return str(refused.value)

    unknown = refusal("nobody", ADMIN_PASSWORD)
    for _ in range(max_failures() - 1):
        refusal("clinician", "guess")
    locking = refusal("clinician", "guess")
    locked = refusal("clinician", ADMIN_PASSWORD)
    Staff.update(active=False).where(Staff.username == "biller").execute()
    disabled = refusal("biller", ADMIN_PASSWORD)
    assert unknown == locking == locked == disabled == SIGN_IN_REFUSED

    failures = AuditEvent.select().where(AuditEvent.action == "login_failed").order_by(AuditEvent.seq)
    assert [(e.actor, e.detail["reason"]) for e in failures] == (
        [("nobody", "unknown user")] + [("clinician", "wrong password")] * max_failures()
        + [("clinician", "locked"), ("biller", "inactive")])
    locked_event = AuditEvent.select().where(AuditEvent.action == "account_locked").get()
    assert locked_event.actor == "clinician" and locked_event.detail["failures"] == max_failures()
    assert Staff.get(Staff.username == "clinician").failed_logins == max_failures()


def test_only_an_admin_adds_accounts(staffed_clinic):
    """A clinician cannot create accounts; the refusal names what they may not do."""
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied, match="manage user accounts"):
        staffed_clinic.users.add("x", ADMIN_PASSWORD, display_name="X", roles=["biller"])


def test_account_fields_are_checked_with_the_field_named(staffed_clinic):
    """Bad input names the field: short password, bad NPI, unknown role, intern without supervisor."""
    staffed_clinic.login("admin", ADMIN_PASSWORD)
    cases = [
        (dict(username="a1", password="short", display_name="A", roles=["clinician"]), "password"),
        (dict(username="a2", password=ADMIN_PASSWORD, display_name="A", roles=["clinician"], npi="1234567890"), "npi"),
        (dict(username="a3", password=ADMIN_PASSWORD, display_name="A", roles=["therapist"]), "roles"),
        (dict(username="a4", password=ADMIN_PASSWORD, display_name="A", roles=["clinician"], needs_cosign=True), "supervisor"),
        (dict(username="clinician", password=ADMIN_PASSWORD, display_name="A", roles=["clinician"]), "username"),
    ]
    before = Staff.select().count()
    for kwargs, field in cases:
        username = kwargs.pop("username")
        password = kwargs.pop("password")
        with pytest.raises(ValidationError) as err:
            staffed_clinic.users.add(username, password, **kwargs)
        assert err.value.field == field, (field, str(err.value))
    assert Staff.select().count() == before
