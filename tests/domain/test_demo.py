"""The demo generator fills an empty clinic with a believable, repeatable synthetic history."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

import iopdesk
from iopdesk.cli.main import main as cli_main
from iopdesk.clinical.measures import score
from iopdesk.clinical.name_rules import blocking
from iopdesk.clinical.note_formats import lookup_format
from iopdesk.clinical.note_rules import note_content_hash
from iopdesk.demo import generate
from iopdesk.demo.names import client_names
from iopdesk.errors import ValidationError
from iopdesk.models import (
    ALL_MODELS,
    AftercareReferral,
    AsamAssessment,
    Attendance,
    AuditEvent,
    Client,
    Diagnosis,
    Discharge,
    Episode,
    GroupSession,
    LevelOfCareChange,
    MeasureResult,
    Note,
    NoteObjective,
    Site,
    Staff,
    TreatmentPlan,
)
from iopdesk.services.notes.name_review import scan_signed_notes
from iopdesk.services.notes.names import findings_for

AS_OF = dt.date(2026, 3, 18)
ATTENDED = {"present", "late_arrival", "left_early"}


def _open_demo(path, *, seed: int = 1, clients: int = 30, weeks: int = 8):
    clinic = iopdesk.open_clinic(str(path))
    report = generate(clinic, clients=clients, weeks=weeks, seed=seed, as_of=AS_OF)
    return clinic, report


@pytest.fixture
def seeded_demo(tmp_path):
    clinic, _report = _open_demo(tmp_path / "c.sqlite")
    yield clinic
    clinic.close()


def _dump(clinic) -> dict[str, list[tuple]]:
    """Every table except the audit trail and the sync bookkeeping (which records when), with the
    main site's own id (random) masked."""
    main = clinic.site.id
    masks = ((main.hex, "<main>"), (str(main), "<main>"))

    def mask(value):
        if isinstance(value, str):
            for text, placeholder in masks:
                value = value.replace(text, placeholder)
        return value

    out = {}
    for model in ALL_MODELS:
        table = model._meta.table_name
        if table in ("audit_event", "audit_head", "sync_change", "sync_applying", "sync_peer", "sync_site_key",
                     "sync_scope"):
            continue
        cursor = clinic.db.execute_sql(f'SELECT * FROM "{table}" ORDER BY id')
        columns = [c[0] for c in cursor.description]
        rows = []
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            if table == "staff":
                del row["password_hash"]
            if table == "clinic_setting":
                if row["key"] in ("clinic_id", "audit_key_id"):  # per clinic: random
                    continue
                row = {"key": row["key"], "value": row["value"]}
            rows.append(tuple(mask(v) for v in row.values()))
        out[table] = sorted(rows, key=repr)
    return out


def test_same_seed_gives_the_same_clinic(tmp_path):
    """Two clinics made with the same seed and date hold identical rows; another seed differs."""
    first, _ = _open_demo(tmp_path / "a.sqlite")
    one = _dump(first)
    first.close()
    second, _ = _open_demo(tmp_path / "b.sqlite")
    two = _dump(second)
    second.close()
    assert one.keys() == two.keys()
    for table in one:
        assert one[table] == two[table], table
    assert sum(len(rows) for rows in one.values()) > 2000
    other, _ = _open_demo(tmp_path / "c.sqlite", seed=2)
    three = _dump(other)
    other.close()
    assert three["client"] != one["client"]
    assert three["note"] != one["note"]


def test_demo_clinic_has_clients_at_every_stage(seeded_demo):
    """Intake (waiting or just admitted), active, stepped-down and discharged clients all appear."""
    with_episode = {row.client_id for row in Episode.select(Episode.client)}
    unadmitted = [c.id for c in Client.select() if c.id not in with_episode]
    assert unadmitted
    assert AsamAssessment.select().where(
        AsamAssessment.client.in_(unadmitted), AsamAssessment.episode.is_null()).exists()
    signed = TreatmentPlan.select().where(TreatmentPlan.status == "signed")
    signed_plans = {p.episode_id for p in signed}
    recent = Episode.select().where(Episode.status == "active",
                                    Episode.admitted_on >= AS_OF - dt.timedelta(days=7))
    assert [e for e in recent if e.id not in signed_plans]
    assert Episode.select().where(Episode.status == "active").count() >= 3
    assert LevelOfCareChange.select().where(
        LevelOfCareChange.to_days_per_week < LevelOfCareChange.from_days_per_week).exists()
    discharged = list(Episode.select().where(Episode.status == "discharged"))
    assert discharged
    assert all(e.discharged_on and e.discharged_on >= e.admitted_on for e in discharged)
    reasons = {d.reason for d in Discharge.select()}
    assert reasons <= {"completed", "transferred", "left_against_advice", "terminated_by_program",
                       "incarcerated", "death", "other"}
    assert Discharge.select().count() == len(discharged)
    assert AftercareReferral.select().exists()


def test_group_attendance_minutes_never_exceed_session_length(seeded_demo):
    """Minutes attended fit the session, match arrival and departure, and are 0 when absent."""
    rows = Attendance.select(Attendance, GroupSession).join(GroupSession)
    checked = 0
    for row in rows:
        session = row.session
        start = dt.datetime.combine(session.session_date, session.starts_at)
        length = (dt.datetime.combine(session.session_date, session.ends_at) - start).seconds // 60
        assert 0 <= row.minutes <= length
        if row.status in ATTENDED:
            assert session.starts_at <= row.arrived_at < row.left_at <= session.ends_at
            stayed = dt.datetime.combine(session.session_date, row.left_at) - dt.datetime.combine(
                session.session_date, row.arrived_at)
            assert row.minutes == stayed.seconds // 60
        else:
            assert row.minutes == 0 and row.arrived_at is None and row.left_at is None
        checked += 1
    assert checked > 500


def test_every_episode_has_exactly_one_primary_diagnosis(seeded_demo):
    """Each episode carries exactly one primary diagnosis among its ICD-10-CM codes."""
    primary = Diagnosis.select().where(Diagnosis.is_primary == True)  # noqa: E712
    primaries = Counter(d.episode_id for d in primary)
    episodes = [e.id for e in Episode.select(Episode.id)]
    assert episodes
    assert all(primaries[e] == 1 for e in episodes)
    assert all(re.fullmatch(r"[A-Z]\d{2}\.\d{1,4}", d.code) for d in Diagnosis.select())


def test_demo_staff_can_sign_in(seeded_demo):
    """Every demo account signs in with the shared demo password and holds the expected roles."""
    expected = {
        "admin": {"admin"}, "clinician": {"clinician"}, "supervisor": {"clinician", "supervisor"},
        "prescriber": {"prescriber"}, "biller": {"biller"}, "intern": {"clinician"},
    }
    for username, roles in expected.items():
        actor = seeded_demo.login(username, "demo-pass-2026")
        assert set(actor.roles) == roles, username
        seeded_demo.logout()
    row = Staff.get(Staff.username == "intern")
    assert row.needs_cosign and not row.is_licensed and row.supervisor.username == "supervisor"


def test_shared_group_note_names_no_client(seeded_demo):
    """The shared part of a group session, copied to every chart, names no client."""
    names = {name for c in Client.select() for name in (c.legal_first, c.legal_last)}
    alternatives = "|".join(re.escape(n) for n in sorted(names))
    pattern = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
    held = list(GroupSession.select().where(GroupSession.status == "held"))
    assert held
    for session in held:
        assert session.shared_note
        assert not pattern.search(session.shared_note), session.shared_note


def test_no_demo_note_trips_the_name_rule(seeded_demo):
    """No signed demo note names another client (a group member, or any client in full), and no
    draft would be refused at signing for it: the demo's text says "Client", never a name."""
    assert scan_signed_notes().notes == []
    drafts = list(Note.select().where(Note.status == "draft"))
    assert drafts
    for note in drafts:
        assert blocking(findings_for(note)) == [], note.sections


def test_name_lists_do_not_collide_with_shared_note_words():
    """No possible client name is an ordinary word a shared note could use."""
    words = {"group", "topic", "members", "present", "late", "facilitators", "minutes", "session"}
    assert not words & {n.lower() for n in client_names()}


def test_mrns_are_unique_and_site_prefixed(seeded_demo):
    """Each MRN is its site's code plus six digits, and no two clients share one."""
    codes = {s.id: s.code for s in Site.select()}
    mrns = [(c.mrn, codes[c.site_id]) for c in Client.select()]
    assert len({m for m, _ in mrns}) == len(mrns) == 30
    for mrn, code in mrns:
        assert re.fullmatch(rf"{code}-\d{{6}}", mrn)


def test_group_notes_differ_between_clients_of_a_session(seeded_demo):
    """No two clients of one session get the same note text (a payer audit trigger)."""
    seen = Counter((n.group_session_id, repr(sorted(n.sections.items())))
                   for n in Note.select().where(Note.kind == "group"))
    assert seen and max(seen.values()) == 1


def test_signed_note_hash_matches_what_was_signed(seeded_demo):
    """A signed demo note carries the content hash the note rules compute when signing it."""
    notes = Note.select().where(Note.status.in_(("signed", "cosigned"))).limit(200)
    for note in notes:
        links = NoteObjective.select().where(NoteObjective.note == note)
        objectives = [row.objective_id for row in links]
        assert note.content_hash == note_content_hash(
            sections=note.sections, service_date=note.service_date, starts_at=note.starts_at,
            ends_at=note.ends_at, minutes=note.minutes, objective_ids=objectives,
            author_id=note.author_id)


def test_group_notes_use_the_group_format_and_attendance_minutes(seeded_demo):
    """Each attendee's group note is in GROUP format with their own minutes and times."""
    rows = (Note.select(Note, Attendance).join(Attendance, on=(
        (Attendance.session == Note.group_session) & (Attendance.client == Note.client)))
        .where(Note.kind == "group"))
    checked = 0
    for note in rows:
        attended = note.attendance
        assert note.note_format == "GROUP"
        assert set(note.sections) == {s.key for s in lookup_format("GROUP").sections}
        assert attended.status in ATTENDED
        assert (note.minutes, note.starts_at, note.ends_at) == (
            attended.minutes, attended.arrived_at, attended.left_at)
        checked += 1
    assert checked == Note.select().where(Note.kind == "group").count() > 100


def test_measure_results_agree_with_the_scorer(seeded_demo):
    """Every stored total, band and safety flag is what `iopdesk.clinical.measures` makes of the answers."""
    results = list(MeasureResult.select())
    assert {r.measure for r in results} >= {"PHQ-9", "GAD-7", "AUDIT", "DAST-10"}
    for result in results:
        scored = score(result.measure, result.answers)
        assert (result.total, result.band, result.safety_flag) == (
            scored.total, scored.band, scored.needs_safety_follow_up)


def test_demo_clinic_passes_the_health_check(seeded_demo):
    """Schema, storage and audit trail are sound after generation, with one demo audit event."""
    assert seeded_demo.check().ok
    events = AuditEvent.select().where(AuditEvent.action == "generate", AuditEvent.entity == "demo")
    assert events.count() == 1


def test_demo_refuses_a_clinic_that_has_clients(seeded_demo):
    """Generating twice into the same clinic is refused instead of mixing data."""
    with pytest.raises(ValidationError):
        generate(seeded_demo, clients=5, weeks=2, as_of=AS_OF)


def test_cli_demo_prints_a_summary(tmp_path, capsys):
    """`iopdesk demo` fills a new clinic file and prints how to sign in."""
    args = ["--db", str(tmp_path / "cli.sqlite"), "demo", "--clients", "12", "--weeks", "3"]
    assert cli_main(args) == 0
    out = capsys.readouterr()
    assert "demo-pass-2026" in out.out and "clients" in out.out
    assert "demo:" in out.err


def test_demo_fills_a_clinic_on_every_backend(clinic):
    """The generator writes the same kind of clinic on SQLite and on PostgreSQL."""
    report = generate(clinic, clients=15, weeks=4, seed=5, as_of=AS_OF)
    assert report.counts["client"] == Client.select().count() == 15
    assert report.counts["attendance"] == Attendance.select().count() > 0
    assert report.counts["note"] == Note.select().count() > 0
    assert clinic.check().ok
    assert clinic.login("supervisor", "demo-pass-2026").username == "supervisor"


def test_discharge_summaries_assembled_by_helper_processes_match_the_ones_made_in_process(seeded_demo):
    """A big demo clinic has its summaries assembled by helper processes; they must be the same
    summaries (and signature hashes) the discharge service's builder gives in this process."""
    from iopdesk.audit.guards import drop_guards, install_guards
    from iopdesk.demo.closing import finish_summaries

    made_here = {row.id: (row.summary, row.content_hash, row.status) for row in Discharge.select()}
    assert len(made_here) >= 4 and any(hash_ for _summary, hash_, _status in made_here.values())
    drop_guards(seeded_demo.db)  # back to the summaries as the demo writer leaves them, unsigned
    Discharge.update(summary={}, content_hash=None, status="draft").execute()
    install_guards(seeded_demo.db)
    assert finish_summaries(seeded_demo.db, batch=1, workers=2) == len(made_here)
    assert {row.id: (row.summary, row.content_hash, row.status) for row in Discharge.select()} == made_here
