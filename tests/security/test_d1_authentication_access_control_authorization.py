"""ONC 170.315(d)(1) authentication, access control, authorization: a unique user signs in with
a password that meets the clinic's policy; five wrong passwords in a row lock the account for
15 minutes, each failure and the lock audited (and committed although sign-in fails); an admin
can unlock; a user changes their own password; each role reaches only what it may."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import AuthenticationFailed, PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Staff
from iopdesk.passwords import check_policy, policy
from iopdesk.services.users import SIGN_IN_REFUSED, lockout_period, max_failures
from tests.conftest import ADMIN_PASSWORD

NEW_PASSWORD = "lantern orchard 7 quill"


def _events(action: str, username: str) -> int:
    return AuditEvent.select().where((AuditEvent.action == action) & (AuditEvent.actor == username)).count()


def test_lockout_values_come_from_the_policy_file():
    """Five failures and fifteen minutes are the shipped defaults, read from resources."""
    assert max_failures() == policy()["lockout"]["max_failures"] == 5
    assert lockout_period() == dt.timedelta(minutes=15)


def test_five_wrong_passwords_lock_cleo_and_each_is_audited(staffed_clinic):
    """Each wrong password writes login_failed; the fifth also writes account_locked with the time
    the lock ends; the right password is then refused in the same words as a wrong one (the
    person signing in is not told the account exists); an admin unlocks and she signs in."""
    clinic = staffed_clinic
    for attempt in range(1, 6):
        with pytest.raises(AuthenticationFailed) as err:
            clinic.login("clinician", f"wrong password number {attempt}")
        assert err.value.field == "password"
    assert str(err.value) == SIGN_IN_REFUSED
    staff = Staff.get(Staff.username == "clinician")
    assert staff.failed_logins == 5 and staff.locked_until > clock.utcnow() + dt.timedelta(minutes=14)
    assert _events("login_failed", "clinician") == 5
    assert _events("account_locked", "clinician") == 1
    locked = AuditEvent.get((AuditEvent.action == "account_locked") & (AuditEvent.actor == "clinician"))
    assert locked.detail["until"] == staff.locked_until.isoformat()

    with pytest.raises(AuthenticationFailed) as err:
        clinic.login("clinician", ADMIN_PASSWORD)
    assert str(err.value) == SIGN_IN_REFUSED
    assert clinic.actor.is_system
    assert _events("login_failed", "clinician") == 6

    clinic.login("admin", ADMIN_PASSWORD)
    clinic.users.unlock("clinician")
    assert _events("unlock", "admin") == 1
    clinic.logout()
    assert clinic.login("clinician", ADMIN_PASSWORD).username == "clinician"
    assert Staff.get(Staff.username == "clinician").failed_logins == 0


def test_failure_audit_events_survive_the_refused_sign_in(staffed_clinic):
    """The audit events of a refused sign-in are committed: a second connection sees them."""
    import peewee

    clinic = staffed_clinic
    with pytest.raises(AuthenticationFailed):
        clinic.login("prescriber", "not the password at all")
    assert not clinic.db.in_transaction()
    if isinstance(clinic.db, peewee.SqliteDatabase):
        import sqlite3

        other = sqlite3.connect(clinic.db.database)
        try:
            count = other.execute("SELECT count(*) FROM audit_event WHERE action = 'login_failed' "
                                  "AND actor = 'prescriber'").fetchone()[0]
        finally:
            other.close()
        assert count == 1
    else:
        assert _events("login_failed", "prescriber") == 1


def test_a_lock_expires_after_fifteen_minutes(staffed_clinic, monkeypatch):
    """When the lock's time has passed, the right password signs in again."""
    clinic = staffed_clinic
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            clinic.login("biller", "still the wrong one")
    later = clock.utcnow() + dt.timedelta(minutes=16)
    monkeypatch.setattr("iopdesk.services.users.utcnow", lambda: later)
    assert clinic.login("biller", ADMIN_PASSWORD).username == "biller"


def test_only_an_admin_unlocks_an_account(staffed_clinic):
    """A clinician cannot clear someone's lockout."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.users.unlock("biller")


@pytest.mark.parametrize("password, reason", [
    ("short pass", "at least 12"),
    ("newhire-2026-newhire", "user name"),
    ("Password1234", "commonly used"),
    ("goooood password", "in a row"),
    (" padded password ", "leading or trailing"),
])
def test_the_password_policy_refuses_weak_passwords(password, reason):
    """Too short, containing the user name, common, or with long runs: refused naming the field."""
    with pytest.raises(ValidationError, match=reason) as err:
        check_policy(password, "newhire")
    assert err.value.field == "password"
    assert str(err.value).startswith("Password:")


def test_admin_cannot_create_an_account_with_a_weak_password(staffed_clinic):
    """users.add applies the policy with the new user's name; nothing is written."""
    clinic = staffed_clinic
    clinic.login("admin", ADMIN_PASSWORD)
    before = Staff.select().count()
    with pytest.raises(ValidationError, match="user name") as err:
        clinic.users.add("dana", "dana-the-counselor", display_name="Dana", roles=["clinician"])
    assert err.value.field == "password"
    assert Staff.select().count() == before


def test_cleo_changes_her_own_password(staffed_clinic):
    """With her current password she sets a new one (audited); the old one stops working."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(AuthenticationFailed) as err:
        clinic.users.change_password("not my password", NEW_PASSWORD)
    assert err.value.field == "old_password"
    with pytest.raises(ValidationError) as err:
        clinic.users.change_password(ADMIN_PASSWORD, "tiny")
    assert err.value.field == "password"
    clinic.users.change_password(ADMIN_PASSWORD, NEW_PASSWORD)
    assert _events("password_change", "clinician") == 1
    clinic.logout()
    with pytest.raises(AuthenticationFailed):
        clinic.login("clinician", ADMIN_PASSWORD)
    assert clinic.login("clinician", NEW_PASSWORD).username == "clinician"


def test_nobody_signed_in_cannot_change_a_password(staffed_clinic):
    """The system actor has no password of its own to change."""
    with pytest.raises(PermissionDenied):
        staffed_clinic.users.change_password(ADMIN_PASSWORD, NEW_PASSWORD)


def test_a_biller_cannot_read_therapy_notes_but_the_clinician_can(admitted_client):
    """Role-based authorization: narrative reads are refused to a biller in the domain."""
    clinic, client, _ = admitted_client
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), minutes=50,
                                        sections={"data": "Talked about cravings.", "assessment": "", "plan": ""})
    assert "cravings" in clinic.notes.get(note.id).sections["data"]
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied, match="read therapy notes"):
        clinic.notes.get(note.id)
