"""ONC 170.315(d)(12) encrypt authentication credentials: passwords are stored only as Argon2id
hashes at OWASP's minimum cost or better (m >= 19456 KiB, t >= 2), read from the PHC string in
the database, and a weaker stored hash is replaced at the next good sign-in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from iopdesk.models import AuditEvent, Staff
from iopdesk.passwords import OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME_COST, parse_hash, policy
from tests.conftest import ADMIN_PASSWORD


def _stored(username: str) -> str:
    return Staff.get(Staff.username == username).password_hash


def test_every_stored_password_is_argon2id_at_owasp_cost_or_better(staffed_clinic):
    """Each account's stored credential parses as $argon2id$ with m >= 19 MiB and t >= 2."""
    hashes = [row.password_hash for row in Staff.select()]
    assert len(hashes) == 6
    for stored in hashes:
        params = parse_hash(stored)
        assert params.variant == "argon2id"
        assert params.version == 19
        assert params.memory_kib >= 19456 == OWASP_MIN_MEMORY_KIB
        assert params.time_cost >= 2 == OWASP_MIN_TIME_COST
        assert ADMIN_PASSWORD not in stored


def test_no_password_text_reaches_the_database_or_the_audit_trail(staffed_clinic):
    """The password never appears in any staff row or audit event, even after a failed sign-in."""
    from iopdesk.errors import AuthenticationFailed

    with pytest.raises(AuthenticationFailed):
        staffed_clinic.login("clinician", "wrong but long password")
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    rows = [str(r) for r in Staff.select().tuples()] + [str(r) for r in AuditEvent.select().tuples()]
    assert not any(ADMIN_PASSWORD in row or "wrong but long password" in row for row in rows)


def test_a_weak_hash_is_upgraded_at_the_next_good_sign_in(staffed_clinic):
    """A hash left over from weaker settings (argon2i, 8 MiB, t=1) is re-hashed to the policy cost
    when Cleo next signs in, and the sign-in audit event says so."""
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.I).hash(ADMIN_PASSWORD)
    Staff.update(password_hash=weak).where(Staff.username == "clinician").execute()
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    params = parse_hash(_stored("clinician"))
    cost = policy()["hash"]
    assert (params.variant, params.memory_kib, params.time_cost) == ("argon2id", cost["memory_kib"],
                                                                      cost["time_cost"])
    event = AuditEvent.select().where(AuditEvent.action == "login").order_by(AuditEvent.seq.desc()).first()
    assert event.detail.get("rehashed") is True
    staffed_clinic.logout()
    assert staffed_clinic.login("clinician", ADMIN_PASSWORD).username == "clinician"


def test_a_stronger_hash_is_kept_as_it_is(staffed_clinic):
    """A hash made with more memory than the policy asks is not downgraded at sign-in."""
    strong = PasswordHasher(time_cost=3, memory_cost=32768, parallelism=1, type=Type.ID).hash(ADMIN_PASSWORD)
    Staff.update(password_hash=strong).where(Staff.username == "clinician").execute()
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    assert _stored("clinician") == strong


def test_parse_hash_refuses_what_is_not_argon2():
    """A bcrypt or plain string is not mistaken for an Argon2 PHC string."""
    for text in ("$2b$12$abcdefghijklmnopqrstuu", "plaintext", ""):
        with pytest.raises(ValueError):
            parse_hash(text)
