"""SQLite's own kind of crash test: a clinician's process saving notes is killed (SIGKILL) at random
moments, 200 times, and after every kill whatever it reported as saved is there, whole.

The writer (tests/security/crash_writer.py) runs in a child process forked from a forkserver that
has already imported IOP Desk, so each of the 200 runs costs only opening the clinic and one
sign-in. After each kill: every note reported signed is present and signed with a content hash
that matches its text (none partial), every autosave reported is there (the draft at that version
or later, its text as saved), PRAGMA integrity_check is ok and the audit chain verifies.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import time
import uuid

import peewee
import pytest

import iopdesk
from iopdesk.audit import chain as audit
from iopdesk.audit.sealing import seal_findings
from iopdesk.clinical.note_rules import note_content_hash
from iopdesk.kernel import clock
from iopdesk.models import ClinicSetting, Note, NoteObjective, writing_as_site
from iopdesk.storage.db import SQLITE_PRAGMAS, database
from iopdesk.storage.records import content_hash
from tests.conftest import ADMIN_PASSWORD

KILLS = 200


@pytest.fixture
def admitted_clinic_file(tmp_path, clinic_file):
    """A clinic file with one admitted client; returns (path, client id)."""
    path = clinic_file
    with iopdesk.open_clinic(str(path)) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        client, _ = clinic.clients.register(legal_first="Ray", legal_last="Okafor", dob="1988-09-14", sex="M")
        clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=10),
                              track_code="substance_use", level="2.1", primary_clinician="clinician")
    return path, str(client.id)


def _drain(reader) -> list[str]:
    messages = []
    while True:
        try:
            if not reader.poll(0):
                return messages
            messages.append(reader.recv_bytes().decode())
        except (EOFError, OSError):
            return messages


def _check(db, signed: set[str], new: set[str], drafts: dict[str, tuple[int, str]]) -> None:
    """Everything reported is there, the `new` signed notes and the drafts whole; storage and
    audit chain sound. (Notes checked whole in earlier rounds are checked for presence; storage
    damage to them would fail integrity_check, and the last round checks them all again.)"""
    assert [r[0] for r in db.execute_sql("PRAGMA integrity_check").fetchall()] == ["ok"]
    with database.bound_to(db):
        site = uuid.UUID(str(ClinicSetting.get(ClinicSetting.key == "this_site").value))
        with writing_as_site(site):
            chain = audit.verify_chain()
        assert chain.ok, chain.problem
        present = {str(i) for (i,) in Note.select(Note.id).where(Note.status != "draft").tuples()}
        missing = signed - present
        assert not missing, f"reported signed but missing: {sorted(missing)[:3]}"
        wanted = [uuid.UUID(i) for i in new | set(drafts)]
        stored = {str(n.id): n for n in Note.select().where(Note.id.in_(wanted))}
        objectives: dict[str, list[str]] = {}
        for note_id, objective_id in NoteObjective.select(NoteObjective.note, NoteObjective.objective).where(
                NoteObjective.note.in_(wanted)).tuples():
            objectives.setdefault(str(note_id), []).append(str(objective_id))
        for note_id in new:
            note = stored[note_id]
            assert note.status in ("signed", "awaiting_cosign") and note.signed_at is not None
            assert note.content_hash == note_content_hash(
                sections=note.sections, service_date=note.service_date, starts_at=note.starts_at,
                ends_at=note.ends_at, minutes=note.minutes, objective_ids=objectives.get(note_id, []),
                author_id=note.author_id), f"note {note_id} does not match its signature"
        for note_id, (version, digest) in drafts.items():
            note = stored.get(note_id)
            assert note is not None, f"autosaved draft {note_id} lost"
            assert note.version >= version and content_hash(note.sections) == digest
        if new == signed:  # the last round: every signed note matches the seal its signing wrote
            with writing_as_site(site):
                assert seal_findings() == []


@pytest.mark.slow
def test_notes_reported_saved_survive_200_kills_whole(admitted_clinic_file):
    """Killing the writer at random moments 200 times loses no reported note and leaves none partial."""
    from tests.security import crash_writer

    path, client_id = admitted_clinic_file
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.security.crash_writer"])
    rng = random.Random(8)
    signed: set[str] = set()
    drafts: dict[str, tuple[int, str]] = {}
    db = peewee.SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS)
    started = time.monotonic()
    killed_writing = 0
    try:
        for run in range(KILLS):
            reader, writer = context.Pipe(duplex=False)
            child = context.Process(target=crash_writer.write_notes, args=(str(path), client_id, writer),
                                    daemon=True)
            child.start()
            writer.close()
            if run % 10 == 9:  # now and then, while it opens the clinic or signs in
                time.sleep(rng.uniform(0.0, 0.08))
            else:
                assert reader.poll(15), "the writer did not start"
                time.sleep(rng.uniform(0.0, 0.18))  # a sign also checks names, attests and seals: ~45 ms a note
            child.kill()
            child.join(10)
            messages = _drain(reader)
            reader.close()
            killed_writing += len(messages) > 1
            new: set[str] = set()
            for message in messages:
                kind, *rest = message.split()
                if kind == "signed":
                    new.add(rest[0])
                    drafts.pop(rest[0], None)
                elif kind == "draft":
                    drafts[rest[0]] = (int(rest[1]), rest[2])
            signed |= new
            _check(db, signed, signed if run == KILLS - 1 else new, drafts)
            db.close()
    finally:
        db.close()
    assert killed_writing > KILLS // 2 and len(signed) > KILLS
    assert time.monotonic() - started < 120, "keep the crash test about a minute"
