"""Tampering with signed records as an insider with a copy of the clinic file and plain sqlite3
would (issue 19): for every table of the registry of signed tables (iopdesk/audit/registry.py),
a status downgrade, a content edit, a signer or co-signer edit, a delete and a re-hash (the stored,
unkeyed content hash recomputed) with the guard triggers dropped, and the whole trail wiped. Each
is caught by `iopdesk check` (exit 3), which names the record. With the triggers in place, each
edit is refused by the database.

One clinic is built once for the module through the services, with one record of each kind
signed by the app (so each carries the seal its signing act wrote); every test tampers with its
own copy of the file.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import iopdesk
from iopdesk.audit import keys as audit_keys
from iopdesk.audit.registry import BY_TABLE, SIGNED_TABLES, covered_children
from iopdesk.cli.main import main
from iopdesk.clinical.note_rules import note_content_hash
from iopdesk.kernel import clock
from iopdesk.storage.records import content_hash
from tests.billing_fixtures import DAP, attend_group, define_group
from tests.conftest import ADMIN_PASSWORD, admit_marisol
from tests.domain.test_consents import consent_fields
from tests.domain.test_plans import signed_plan

ROOT = Path(__file__).resolve().parents[2]
TODAY = clock.today()

# table → (a column of its canonical content, a value an insider writes there)
CONTENT_EDITS = {
    "note": ("sections", json.dumps({"data": "Rewritten after signing.", "assessment": "x", "plan": "y"})),
    "note_addendum": ("text", "A different addendum."),
    "treatment_plan": ("strengths", "Rewritten strengths."),
    "plan_review": ("summary", "Rewritten summary."),
    "discharge": ("reason_detail", "Rewritten reason."),
    "consent": ("recipient", "Someone Else Entirely"),
    "drug_screen": ("specimen", "saliva"),
    "mat_administration": ("amount", 80),
    "group_session": ("shared_note", "Rewritten shared part."),
    "export_batch": ("line_count", 999),
    "disclosure": ("recipient", "A Reporter"),
}


@pytest.fixture(scope="module")
def signed_file(tmp_path_factory, staffed_sqlite_template) -> tuple[Path, dict[str, str]]:
    """A clinic file with one record of every signed kind, each signed through the app, and its
    ids by table (the note is an intern's, co-signed; the consent is revoked; the plan revised so
    version 1 is superseded)."""
    path = tmp_path_factory.mktemp("sealed") / "clinic.sqlite"
    shutil.copyfile(staffed_sqlite_template, path)
    ids: dict[str, str] = {}
    # A workstation of its own (the per-test one of tests/conftest.py is not set up yet for a
    # module's fixture): other fixtures of this worker copy the same template, clinic and site.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("IOPDESK_AUDIT_ANCHOR_DIR", str(tmp_path_factory.mktemp("anchors")))
        with iopdesk.open_clinic(str(path)) as clinic:
            clinic.login("clinician", ADMIN_PASSWORD)
            client, episode = admit_marisol(clinic)
            clinic.episodes.add_diagnosis(episode.id, code="F11.20", description="Opioid dependence",
                                          primary=True, noted_on=episode.admitted_on)
            plan = signed_plan(clinic, episode)
            ids["treatment_plan"] = plan.id
            review, _ = clinic.plans.record_review(
                plan.id, reviewed_on=TODAY, summary="Attending; mood improving.", expected_version=plan.version,
                progress={o.id: ("some_progress", "steady") for o in plan.objectives})
            ids["plan_review"] = review.id
            revision, _ = clinic.plans.revise(plan.id)
            clinic.plans.sign(revision.id, expected_version=revision.version,
                              client_signature_name="Marisol Quintana-Reyes", client_signed_on=TODAY)
            clinic.login("intern", ADMIN_PASSWORD)
            note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=TODAY,
                                                starts_at="10:00", minutes=45, sections=DAP,
                                                objective_ids=[plan.objectives[0].id])
            note, _ = clinic.notes.sign(note.id, note.version)
            clinic.login("supervisor", ADMIN_PASSWORD)
            note, _ = clinic.notes.cosign(note.id, note.version)
            ids["note"] = note.id
            addendum, _ = clinic.notes.add_addendum(note.id, "Client called afterwards: safe, plans to attend.")
            ids["note_addendum"] = addendum.id
            clinic.login("clinician", ADMIN_PASSWORD)
            consent, _ = clinic.consents.record(client.id, **consent_fields())
            ids["disclosure"] = clinic.disclosures.record_release(client.id, "Harbor County Drug Court",
                                                                  "Treatment plan v1")[0].id
            clinic.consents.revoke(consent.id, TODAY)
            ids["consent"] = consent.id
            clinic.login("prescriber", ADMIN_PASSWORD)
            med, _ = clinic.meds.add_medication(client.id, drug="buprenorphine/naloxone", amount="8", unit="mg",
                                                route="sublingual", frequency="once daily", reason="OUD", is_mat=True,
                                                started_on=TODAY - dt.timedelta(days=7))
            clinic.login("clinician", ADMIN_PASSWORD)
            ids["mat_administration"] = clinic.meds.record_mat_dose(
                client.id, med.id, given_at=clock.now().replace(microsecond=0), amount="8", unit="mg")[0].id
            ids["drug_screen"] = clinic.meds.record_drug_screen(
                client.id, collected_on=TODAY, observed=True,
                results={"buprenorphine": True, "fentanyl": False})[0].id
            ids["group_session"] = attend_group(clinic, define_group(clinic), [(client, episode)], day=TODAY)
            clinic.login("biller", ADMIN_PASSWORD)
            ids["export_batch"] = clinic.billing.record_export(clinic.billing.run(TODAY, TODAY),
                                                               file_name="billing.xlsx")[0].id
            clinic.login("clinician", ADMIN_PASSWORD)
            draft, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed",
                                              aftercare="Weekly outpatient counseling.")
            draft, _ = clinic.discharge.add_referral(draft.id, expected_version=draft.version, provider="Lakeside",
                                                     service="Outpatient", contact="555-0100")
            ids["discharge"] = clinic.discharge.sign(draft.id, expected_version=draft.version)[0].id
            assert clinic.check().ok, clinic.check().lines
    audit_keys.forget_cached_keys()
    return path, {table: str(uuid.UUID(str(value))) for table, value in ids.items()}


def _copy(signed_file, tmp_path) -> tuple[Path, dict[str, str]]:
    path, ids = signed_file
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(path, copy)
    return copy, ids


def _hex(record_id: str) -> str:
    return uuid.UUID(record_id).hex


def _drop_triggers(db: sqlite3.Connection) -> None:
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        if name.startswith(("seal_guard_", "audit_guard_")):
            db.execute(f'DROP TRIGGER "{name}"')


def _tamper(path: Path, *statements: tuple[str, tuple]) -> None:
    """Refused with the triggers in place; done once they are dropped, as an insider would."""
    db = sqlite3.connect(path)
    for statement, params in statements:
        with pytest.raises(sqlite3.DatabaseError, match="sealed record"):
            db.execute(statement, params)
    db.rollback()
    _drop_triggers(db)
    for statement, params in statements:
        db.execute(statement, params)
    db.commit()
    db.close()


def _check(path: Path, capsys) -> tuple[int, str]:
    """`iopdesk check --db PATH`, run as the command line runs it (in this process, for speed)."""
    capsys.readouterr()
    code = main(["check", "--db", str(path)])
    audit_keys.forget_cached_keys()
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _named(output: str, table: str, record_id: str) -> list[str]:
    return [line for line in output.splitlines()
            if line.startswith("seal: ") and f"{BY_TABLE[table].words} {record_id}:" in line]


TABLES = [spec.table for spec in SIGNED_TABLES]
WITH_STATUS = [spec.table for spec in SIGNED_TABLES if spec.status]
WITH_HASH = ["note", "note_addendum", "treatment_plan", "plan_review", "discharge"]


def test_the_suite_covers_every_signed_table():
    assert set(CONTENT_EDITS) == set(TABLES)


@pytest.mark.parametrize("table", TABLES)
def test_a_content_edit_is_refused_then_caught_and_named(table, signed_file, tmp_path, capsys):
    path, ids = _copy(signed_file, tmp_path)
    column, value = CONTENT_EDITS[table]
    _tamper(path, (f'UPDATE "{table}" SET "{column}" = ? WHERE id = ?', (value, _hex(ids[table]))))
    code, out = _check(path, capsys)
    assert code == 3
    (line,) = _named(out, table, ids[table])
    assert "differs from what was sealed" in line


@pytest.mark.parametrize("table", WITH_STATUS)
def test_a_status_set_back_to_draft_is_refused_then_caught_and_named(table, signed_file, tmp_path, capsys):
    path, ids = _copy(signed_file, tmp_path)
    spec = BY_TABLE[table]
    _tamper(path, (f'UPDATE "{table}" SET "{spec.status}" = \'draft\' WHERE id = ?', (_hex(ids[table]),)))
    code, out = _check(path, capsys)
    assert code == 3
    (line,) = _named(out, table, ids[table])
    assert "its status is now 'draft'" in line


def test_a_revocation_undone_is_refused_then_caught(signed_file, tmp_path, capsys):
    path, ids = _copy(signed_file, tmp_path)
    _tamper(path, ('UPDATE consent SET revoked_on = NULL WHERE id = ?', (_hex(ids["consent"]),)))
    code, out = _check(path, capsys)
    assert code == 3 and _named(out, "consent", ids["consent"])


def test_a_group_session_whose_notes_are_set_back_to_draft_is_caught(signed_file, tmp_path, capsys):
    """The session's sign-off is undone by setting its notes back to draft: the notes and the
    session are each named."""
    path, ids = _copy(signed_file, tmp_path)
    session = _hex(ids["group_session"])
    _tamper(path, ("UPDATE note SET status = 'draft' WHERE group_session_id = ?", (session,)))
    code, out = _check(path, capsys)
    assert code == 3
    (line,) = _named(out, "group_session", ids["group_session"])
    assert "no longer signed" in line


@pytest.mark.parametrize("table", TABLES)
def test_a_signer_edit_is_refused_then_caught_and_named(table, signed_file, tmp_path, capsys):
    path, ids = _copy(signed_file, tmp_path)
    signer = BY_TABLE[table].signers[0]
    db = sqlite3.connect(path)
    (other,) = db.execute("SELECT id FROM staff WHERE username = 'admin'").fetchone()
    db.close()
    value = "Someone Else" if signer == "signed_by" else other
    _tamper(path, (f'UPDATE "{table}" SET "{signer}" = ? WHERE id = ?', (value, _hex(ids[table]))))
    code, out = _check(path, capsys)
    assert code == 3
    (line,) = _named(out, table, ids[table])
    assert "signing facts" in line or "differs from what was sealed" in line


def test_a_forged_co_signature_is_refused_then_caught_and_named(signed_file, tmp_path, capsys):
    """The co-signer of a co-signed note changed to someone who never co-signed it."""
    path, ids = _copy(signed_file, tmp_path)
    db = sqlite3.connect(path)
    (other,) = db.execute("SELECT id FROM staff WHERE username = 'clinician'").fetchone()
    db.close()
    _tamper(path, ("UPDATE note SET cosigned_by_id = ? WHERE id = ?", (other, _hex(ids["note"]))))
    code, out = _check(path, capsys)
    assert code == 3
    (line,) = _named(out, "note", ids["note"])
    assert "signing facts (status, signer, co-signer or signing time)" in line


@pytest.mark.parametrize("table", TABLES)
def test_a_delete_is_refused_then_caught_and_named(table, signed_file, tmp_path, capsys):
    path, ids = _copy(signed_file, tmp_path)
    _tamper(path, (f'DELETE FROM "{table}" WHERE id = ?', (_hex(ids[table]),)))
    code, out = _check(path, capsys)
    assert code == 3
    (line,) = _named(out, table, ids[table])
    assert "was deleted after it was sealed" in line


@pytest.mark.parametrize("table", WITH_HASH)
def test_a_re_hashed_edit_is_caught_and_named(table, signed_file, tmp_path, capsys):
    """The content edited and its stored, unkeyed content hash recomputed (for a note exactly as
    signing computes it): the seal in the keyed chain still differs."""
    path, ids = _copy(signed_file, tmp_path)
    column, value = CONTENT_EDITS[table]
    rid = _hex(ids[table])
    if table == "note":
        db = sqlite3.connect(path)
        date, starts, ends, minutes, author = db.execute(
            "SELECT service_date, starts_at, ends_at, minutes, author_id FROM note WHERE id = ?", (rid,)).fetchone()
        objectives = [str(uuid.UUID(o)) for (o,) in db.execute(
            "SELECT objective_id FROM note_objective WHERE note_id = ?", (rid,)).fetchall()]
        db.close()
        digest = note_content_hash(sections=json.loads(value), service_date=dt.date.fromisoformat(date),
                                   starts_at=dt.time.fromisoformat(starts) if starts else None,
                                   ends_at=dt.time.fromisoformat(ends) if ends else None, minutes=minutes,
                                   objective_ids=sorted(objectives), author_id=uuid.UUID(author))
    else:
        digest = content_hash({"rewritten": value})
    _tamper(path, (f'UPDATE "{table}" SET "{column}" = ?, content_hash = ? WHERE id = ?', (value, digest, rid)))
    code, out = _check(path, capsys)
    assert code == 3
    (line,) = _named(out, table, ids[table])
    assert "re-hashed" in line


CHILDREN = sorted({(spec.table, child.table) for spec in SIGNED_TABLES for child, _ in covered_children(spec)})


@pytest.mark.parametrize(("table", "child"), CHILDREN)
def test_a_covered_child_row_deleted_is_refused_then_caught(table, child, signed_file, tmp_path, capsys):
    """A row the seal covers (a plan's problem … intervention, a note's objective, a review's
    progress, a discharge's referral, a screen's result) deleted under its signed record."""
    path, ids = _copy(signed_file, tmp_path)
    db = sqlite3.connect(path)
    owned = {table: [_hex(ids[table])]}
    for spec_child, path_ in covered_children(BY_TABLE[table]):
        parent = path_[-1].table if path_ else table
        rows = [r for (r,) in db.execute(
            f'SELECT id FROM "{spec_child.table}" WHERE "{spec_child.parent_column}" IN '
            f'({",".join("?" * len(owned[parent]))})', owned[parent]).fetchall()]
        owned[spec_child.table] = rows
    db.close()
    assert owned[child], f"the module's clinic has no {child} row under its {table}"
    _tamper(path, (f'DELETE FROM "{child}" WHERE id = ?', (owned[child][0],)))
    code, out = _check(path, capsys)
    assert code == 3 and _named(out, table, ids[table])


def test_a_wiped_trail_with_the_triggers_dropped_is_caught_naming_every_signed_record(signed_file, tmp_path):
    """DROP TRIGGER, then DELETE FROM audit_event; DELETE FROM audit_head: the command line (a
    real process) exits 3 and names every signed record as having no seal."""
    path, ids = _copy(signed_file, tmp_path)
    db = sqlite3.connect(path)
    _drop_triggers(db)
    db.execute("DELETE FROM audit_event")
    db.execute("DELETE FROM audit_head")
    db.commit()
    db.close()
    result = subprocess.run([sys.executable, "-m", "iopdesk.cli.main", "check", "--db", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stdout + result.stderr
    for table, record_id in ids.items():
        (line,) = _named(result.stdout, table, record_id)
        assert "has no seal" in line


def test_the_untouched_copy_checks_clean_and_its_guards_are_in_place(signed_file, tmp_path, capsys):
    path, _ = _copy(signed_file, tmp_path)
    code, out = _check(path, capsys)
    assert code == 0, out
    assert "seals: ok" in out


def test_a_dropped_guard_trigger_alone_is_named(signed_file, tmp_path, capsys):
    path, _ = _copy(signed_file, tmp_path)
    db = sqlite3.connect(path)
    db.execute('DROP TRIGGER "seal_guard_discharge_upd"')
    db.commit()
    db.close()
    code, out = _check(path, capsys)
    assert code == 3
    assert "guard: guard trigger seal_guard_discharge_upd: it is missing" in out.splitlines()


def test_on_either_backend_the_guards_refuse_a_downgrade_as_a_locked_record_and_check_names_a_dropped_one(
        admitted_client):
    """SQLite and PostgreSQL: the guards generated from the registry are installed and unchanged;
    a signed plan set back to draft is refused and reads as RecordLocked; after dropping the
    guards the downgrade is named by the seal check, and the missing guards by the guard check."""
    from iopdesk.audit.guards import guard_findings
    from iopdesk.audit.sealing import seal_findings
    from iopdesk.audit.seals import refusals_as_record_locked
    from iopdesk.errors import RecordLocked
    from iopdesk.models import PlanProblem, TreatmentPlan
    from tests.security.tampering import drop_guards

    clinic, _client, episode = admitted_client
    plan = signed_plan(clinic, episode)
    assert guard_findings(clinic.db) == [] and seal_findings() == []
    with pytest.raises(RecordLocked, match="never changed"), refusals_as_record_locked(), clinic.db.atomic():
        TreatmentPlan.update(status="draft").where(TreatmentPlan.id == plan.id).execute()
    with pytest.raises(RecordLocked), refusals_as_record_locked(), clinic.db.atomic():
        PlanProblem.update(statement="Rewritten.").where(PlanProblem.plan == plan.id).execute()
    drop_guards(clinic.db)
    TreatmentPlan.update(status="draft").where(TreatmentPlan.id == plan.id).execute()
    assert [f.record for f in seal_findings()] == [f"signed treatment plan {plan.id}"]
    assert any(f.record.startswith("guard trigger seal_guard_treatment_plan") for f in guard_findings(clinic.db))


def test_the_start_up_check_recomputes_the_records_sealed_since_the_checkpoint(signed_file, tmp_path):
    """`recent_seal_findings` reads only records sealed after the checkpoint: from the start of
    the trail it names the edited dose; from the checkpoint the last full check left, nothing."""
    from iopdesk.audit.sealing import recent_seal_findings

    path, ids = _copy(signed_file, tmp_path)
    _tamper(path, ('UPDATE mat_administration SET amount = 80 WHERE id = ?', (_hex(ids["mat_administration"]),)))
    with iopdesk.open_clinic(str(path)):
        assert [f.record for f in recent_seal_findings(after_seq=0)] == [f"MAT dose {ids['mat_administration']}"]
        assert recent_seal_findings() == []
    audit_keys.forget_cached_keys()
