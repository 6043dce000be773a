"""ONC 170.315(d)(2) Auditable events and tamper-resistance: the trail cannot be quietly changed.

Someone holding the clinic's database file (not the audit key, which lives in the user's config
folder) edits, deletes, reorders or re-hashes audit events, or rewrites a signed note: the
database triggers refuse the plain UPDATE/DELETE, and with the triggers dropped `iopdesk check`
still exits 3 naming the first broken event or the altered note.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat

import peewee
import pytest

from iopdesk.audit import chain as audit
from iopdesk.audit import keys as audit_keys
from iopdesk.cli.main import EXIT_CHECK_FAILED, main
from iopdesk.clinical.note_rules import note_content_hash
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, AuditHead, ClinicSetting, Note, NoteAddendum
from iopdesk.storage.db import database
from tests.conftest import ADMIN_PASSWORD
from tests.security.tampering import drop_guards, row_id, sql

DAP = {"data": "Client described cravings after a family visit.",
       "assessment": "Cravings lower than at admission.", "plan": "Practise urge surfing."}


def _signed_note(clinic, client_id, *, by="clinician"):
    clinic.login(by, ADMIN_PASSWORD)
    note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                        service_date=clock.today() - dt.timedelta(days=1),
                                        starts_at="10:00", ends_at="10:50", sections=DAP)
    return clinic.notes.sign(note.id, note.version)[0]


def _check(clinic, capsys) -> tuple[int, str]:
    """Run `iopdesk check --db …` as an administrator would; the exit code and what it printed."""
    capsys.readouterr()
    code = main(["check", "--db", clinic.url])
    database.initialize(clinic.db)  # the command bound the models to its own connection
    return code, capsys.readouterr().out


def _event(seq: int) -> AuditEvent:
    return AuditEvent.get(AuditEvent.seq == seq)


def _refused(clinic, statement: str, *params) -> str:
    with pytest.raises(peewee.DatabaseError) as caught:
        sql(clinic.db, statement, *params)
    if not clinic.db.is_closed() and clinic.db.in_transaction():
        clinic.db.rollback()
    return str(caught.value)


def test_every_event_is_sealed_with_a_key_kept_outside_the_database(admitted_client):
    """Each event is an HMAC under the clinic's key, a 0600 file in the config folder; the
    database holds only the key's fingerprint."""
    clinic, _client, _episode = admitted_client
    clinic_id = clinic.setting("clinic_id")
    path = audit_keys.key_file(clinic_id)
    assert path.is_relative_to(os.environ["XDG_CONFIG_HOME"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = audit_keys.existing_key(clinic_id)
    assert {e.hash_kind for e in AuditEvent.select()} == {"hmac"}
    assert clinic.setting("audit_key_id") == audit_keys.fingerprint(key)
    assert key.hex() not in json.dumps([s.value for s in ClinicSetting.select()])
    assert clinic.audit.verify().ok


def test_the_database_refuses_to_change_or_delete_an_audit_event(admitted_client):
    """A plain UPDATE or DELETE of an audit event is refused by the database itself."""
    clinic, _client, _episode = admitted_client
    victim = AuditEvent.select().order_by(AuditEvent.seq).first()
    assert "sealed record" in _refused(clinic, "UPDATE audit_event SET actor = ? WHERE seq = ?", "mallory", victim.seq)
    assert "sealed record" in _refused(clinic, "DELETE FROM audit_event WHERE seq = ?", victim.seq)
    assert _event(victim.seq).actor == victim.actor
    assert clinic.audit.verify().ok


def test_the_database_refuses_to_rewrite_or_delete_a_signed_note_but_lets_it_be_cosigned(admitted_client):
    """A signed note's text and its addenda cannot be changed or deleted in the database; the
    co-signature (status and who co-signed) still can be written."""
    clinic, client, _episode = admitted_client
    note = _signed_note(clinic, client.id, by="intern")
    clinic.notes.add_addendum(note.id, "Late entry: client phoned afterwards.")
    assert "sealed record" in _refused(clinic, "UPDATE note SET sections = ? WHERE id = ?",
                                       json.dumps({"data": "rewritten"}), row_id(clinic.db, note.id))
    assert "sealed record" in _refused(clinic, "DELETE FROM note WHERE status = ?", "awaiting_cosign")
    assert "sealed record" in _refused(clinic, "UPDATE note_addendum SET text = ?", "rewritten")
    assert "sealed record" in _refused(clinic, "DELETE FROM note_addendum")
    clinic.login("supervisor", ADMIN_PASSWORD)
    cosigned, _ = clinic.notes.cosign(note.id, Note.get_by_id(note.id).version)
    assert cosigned.status == "cosigned" and Note.get_by_id(note.id).sections == DAP
    assert NoteAddendum.select().count() == 1
    assert clinic.audit.verify().ok


def test_check_passes_on_an_untouched_clinic(admitted_client, capsys):
    """On an honest clinic `iopdesk check` says the trail is ok and exits 0."""
    clinic, client, _episode = admitted_client
    _signed_note(clinic, client.id)
    code, out = _check(clinic, capsys)
    assert code == 0 and "audit trail: ok" in out


def test_editing_an_events_detail_is_caught_by_check(admitted_client, capsys):
    """With the triggers dropped, changing what an event says breaks the chain at that event."""
    clinic, _client, _episode = admitted_client
    drop_guards(clinic.db)
    victim = AuditEvent.select().where(AuditEvent.entity == "episode").order_by(AuditEvent.seq).first()
    sql(clinic.db, "UPDATE audit_event SET detail = ? WHERE id = ?", json.dumps({"level": "1.0"}),
        row_id(clinic.db, victim.id))
    code, out = _check(clinic, capsys)
    assert code == EXIT_CHECK_FAILED
    assert f"audit trail: BROKEN: audit event {victim.seq} was altered after it was written" in out


def test_deleting_an_event_is_caught_by_check(admitted_client, capsys):
    """An event removed from the middle leaves a gap that check names."""
    clinic, _client, _episode = admitted_client
    drop_guards(clinic.db)
    sql(clinic.db, "DELETE FROM audit_event WHERE seq = ?", 5)
    code, out = _check(clinic, capsys)
    assert code == EXIT_CHECK_FAILED and "audit event 5 is missing" in out


def test_swapping_two_events_is_caught_by_check(admitted_client, capsys):
    """Reordering (swapping the seq of two events) breaks the chain."""
    clinic, _client, _episode = admitted_client
    drop_guards(clinic.db)
    for old, new in ((4, -4), (5, 4), (-4, 5)):
        sql(clinic.db, "UPDATE audit_event SET seq = ? WHERE seq = ?", new, old)
    code, out = _check(clinic, capsys)
    assert code == EXIT_CHECK_FAILED and "audit event 4" in out


def _plain_hash(event: AuditEvent, prev_hash: str, **changes) -> str:
    values = {"seq": event.seq, "occurred_at": event.occurred_at, "actor_id": event.actor_id,
              "actor": event.actor, "action": event.action, "entity": event.entity,
              "entity_id": event.entity_id, "client_id": event.client_id, "detail": event.detail, **changes}
    return audit._event_hash(prev_hash, audit._fields(**values))


def test_an_edited_event_rehashed_with_plain_sha256_is_caught(admitted_client, capsys):
    """Recomputing the edited event's hash with SHA-256 does not help without the audit key."""
    clinic, _client, _episode = admitted_client
    drop_guards(clinic.db)
    victim = _event(3)
    forged = _plain_hash(victim, victim.prev_hash, actor="mallory")
    sql(clinic.db, "UPDATE audit_event SET actor = ?, event_hash = ? WHERE seq = ?", "mallory", forged, 3)
    code, out = _check(clinic, capsys)
    assert code == EXIT_CHECK_FAILED and "audit event 3 was altered" in out


def test_a_trail_rewritten_wholesale_as_plain_sha256_is_caught(admitted_client, capsys):
    """Re-hashing every event from the edited one to the end (and the head) as old-style SHA-256
    events is caught: new events must be keyed and the head's seal does not match."""
    clinic, _client, _episode = admitted_client
    drop_guards(clinic.db)
    events = list(AuditEvent.select().order_by(AuditEvent.seq))
    prev = audit.GENESIS
    for event in events:
        changes = {"actor": "mallory"} if event.seq == 3 else {}
        digest = _plain_hash(event, prev, **changes)
        sql(clinic.db, "UPDATE audit_event SET actor = ?, prev_hash = ?, event_hash = ?, hash_kind = ? "
            "WHERE seq = ?", changes.get("actor", event.actor), prev, digest, "sha256", event.seq)
        prev = digest
    sql(clinic.db, "UPDATE audit_head SET event_hash = ?, keyed_from = ?", prev, 10**9)
    code, out = _check(clinic, capsys)
    assert code == EXIT_CHECK_FAILED and "head record was altered" in out
    sql(clinic.db, "UPDATE audit_head SET mac = NULL")
    assert "head record was altered" in clinic.audit.verify().problem


def test_editing_a_signed_notes_text_in_the_database_is_caught(admitted_client, capsys):
    """An attacker drops the triggers and rewrites a signed note: check names the note."""
    clinic, client, _episode = admitted_client
    note = _signed_note(clinic, client.id)
    drop_guards(clinic.db)
    sql(clinic.db, "UPDATE note SET sections = ? WHERE id = ?", json.dumps({**DAP, "plan": "No follow-up."}),
        row_id(clinic.db, note.id))
    code, out = _check(clinic, capsys)
    assert code == EXIT_CHECK_FAILED and f"signed note {note.id}" in out and "changed after it was signed" in out


def test_a_rewritten_note_with_a_recomputed_content_hash_is_caught_by_its_keyed_sign_event(admitted_client):
    """Recomputing the note's own content hash is not enough: the keyed sign event recorded it."""
    clinic, client, _episode = admitted_client
    note = _signed_note(clinic, client.id)
    drop_guards(clinic.db)
    row = Note.get_by_id(note.id)
    sections = {**DAP, "plan": "No follow-up."}
    digest = note_content_hash(sections=sections, service_date=row.service_date, starts_at=row.starts_at,
                               ends_at=row.ends_at, minutes=row.minutes, objective_ids=[], author_id=row.author_id)
    Note.update(sections=sections, content_hash=digest).where(Note.id == row.id).execute()
    report = clinic.audit.verify()
    assert not report.ok and f"signed note {note.id}" in report.problem


def test_startup_check_is_incremental_and_still_catches_a_tampered_tail(admitted_client):
    """The start-up check reads only what is new since the last check, yet an edited recent
    event or a forged checkpoint is an alarm."""
    clinic, client, _episode = admitted_client
    assert clinic.audit.startup_check().ok
    head = AuditHead.get()
    assert head.checked_seq == head.seq
    clinic.clients.summary(client.id)
    clinic.clients.summary(client.id)
    report = clinic.audit.startup_check()
    assert report.ok and report.events == 2
    drop_guards(clinic.db)
    clinic.clients.summary(client.id)
    newest = AuditHead.get().seq
    sql(clinic.db, "UPDATE audit_event SET actor = ? WHERE seq = ?", "mallory", newest)
    report = clinic.audit.startup_check()
    assert not report.ok and f"audit event {newest} was altered" in report.problem
    checked = AuditHead.get().checked_seq
    sql(clinic.db, "UPDATE audit_event SET event_hash = ? WHERE seq = ?", "0" * 64, checked)
    assert f"audit event {checked} was altered or removed" in clinic.audit.startup_check().problem
    sql(clinic.db, "UPDATE audit_head SET checked_seq = 0")
    assert not clinic.audit.startup_check().ok


def test_a_workstation_without_the_key_cannot_write_and_is_told_how_to_import_it(admitted_client, tmp_path,
                                                                               monkeypatch):
    """Elsewhere, without the key file, writing is refused naming the remedy; importing the
    exported key makes the trail verify and writable again; a wrong key is refused."""
    clinic, client, _episode = admitted_client
    clinic.login("admin", ADMIN_PASSWORD)
    exported = clinic.audit.export_key(tmp_path / "clinic.key")
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    monkeypatch.setenv(audit_keys.KEY_ENV, str(tmp_path / "elsewhere" / "audit.key"))
    audit_keys.forget_cached_keys()
    with pytest.raises(audit_keys.AuditKeyMissing, match="--import"):
        clinic.clients.summary(client.id)
    assert "does not have the audit key" in clinic.audit.verify().problem
    wrong = tmp_path / "wrong.key"
    wrong.write_text(os.urandom(32).hex())
    with pytest.raises(audit_keys.AuditKeyMissing, match="not this clinic's audit key"):
        clinic.audit.import_key(wrong)
    clinic.audit.import_key(exported)
    clinic.clients.summary(client.id)
    assert clinic.audit.verify().ok
    audit_keys.forget_cached_keys()


def test_events_written_before_the_key_existed_still_verify_as_plain_sha256(admitted_client):
    """An upgraded clinic's old events (hash_kind sha256, before keyed_from) verify; a plain event
    after the first keyed one does not."""
    clinic, client, _episode = admitted_client
    drop_guards(clinic.db)
    key = audit_keys.existing_key(clinic.setting("clinic_id"))
    events = list(AuditEvent.select().order_by(AuditEvent.seq))
    prev = audit.GENESIS
    for event in events:
        digest = _plain_hash(event, prev)
        sql(clinic.db, "UPDATE audit_event SET prev_hash = ?, event_hash = ?, hash_kind = ? WHERE seq = ?",
            prev, digest, "sha256", event.seq)
        prev = digest
    last = events[-1].seq
    sql(clinic.db, "UPDATE audit_head SET event_hash = ?, keyed_from = ?, mac = ?", prev, last + 1,
        audit.head_mac(key, last, prev, last + 1))
    assert clinic.audit.verify().ok
    clinic.clients.summary(client.id)
    assert AuditEvent.get(AuditEvent.seq == last + 1).hash_kind == "hmac"
    assert clinic.audit.verify().ok
    sql(clinic.db, "UPDATE audit_event SET hash_kind = ?, event_hash = ? WHERE seq = ?", "sha256",
        hashlib.sha256(b"x").hexdigest(), last + 1)
    assert "was altered" in clinic.audit.verify().problem
