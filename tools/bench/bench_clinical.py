"""A clinician's day on the scale clinic: the Today (caseload) view and saving a full group session.

Today is timed through the widgets as a person experiences it: from asking the page to refresh to
its section models holding the rows, the caseload read off the GUI thread by `Operations` like in
the app. The clinician is `clinician3` (ten open episodes, two group sessions, unsigned notes,
alerts…) on the day the scale clinic is generated as of, 2026-11-20 (the clinic's `today()` is
pinned to it). Its floor reads the same lists with hand-written SQL on a raw read-only connection.

The group session save is `clinic.groups.save_session`, the call the session window makes: shared
part, 15 attendees' attendance (13 present, a late arrival, an early departure) and each one's
individualized note with an objective of their plan, with the session's version for the
concurrent-edit check. Each repeat saves a different session of that day, prepared untimed
(enrolment topped up to 15); one traced save asserts the whole save is one transaction. Its
floor writes the same rows (shared part, attendance, notes, note objectives, the audit events
chained with the clinic's key, the head) with raw sqlite3 in one transaction on other sessions.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import statistics
import time
import uuid
from pathlib import Path

from tools.bench.bench_startup import AS_OF, USER, clinic_copy
from tools.bench.harness import Figure, plan_note, recorded_statements

TODAY_TARGET = 0.100
SAVE_TARGET = 0.050
TODAY_REPEAT = 20
SAVE_REPEAT = 8  # plus one traced and one warm-up save; the floor takes as many sessions again
ATTENDEES = 15
DAY = dt.date.fromisoformat(AS_OF)
PASSWORD = "demo-pass-2026"
SAVE_USER = "clinician4"  # writes the group notes, so USER's Today (and a later start-up) stays the same


def _settle(app, still_busy) -> None:
    """Turn the event loop until `still_busy()` is false, sleeping between events as the app's own
    loop does (a spinning loop would starve the worker thread of the GIL)."""
    from PySide6.QtCore import QEventLoop

    app.processEvents()
    while still_busy():
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)


# -- Today -------------------------------------------------------------------------------------
def time_today(clinic, app) -> tuple[tuple[float, ...], int]:
    from ui.operations import Operations
    from ui.today_page import TodayPage

    ops = Operations()
    page = TodayPage(clinic, ops)
    page.resize(1100, 700)
    page.show()
    _settle(app, lambda: page.is_loading() or ops.busy)
    samples = []
    for round_ in range(TODAY_REPEAT + 2):
        began = time.perf_counter()
        page.refresh()
        _settle(app, lambda: page.is_loading() or ops.busy)
        if round_ >= 2:
            samples.append(time.perf_counter() - began)
    plans = plan_note(clinic.db.database, recorded_statements(clinic.db, lambda: (
        page.refresh(), _settle(app, lambda: page.is_loading() or ops.busy))))
    caseload = page.caseload
    shown = sum(section.model.rowCount() for section in page.sections.values())
    assert caseload is not None and shown == caseload.work_count + len(caseload.sessions), "Today lost rows"
    page.close()
    page.deleteLater()
    app.processEvents()
    return tuple(samples), shown, plans


TODAY_SQL = {
    "sessions": """
        SELECT gs.id, g.name, gs.session_date, gs.starts_at, gs.ends_at, gs.status, gs.lead_facilitator_id
        FROM group_session gs JOIN therapy_group g ON g.id = gs.group_id
        WHERE gs.session_date = :day AND (gs.lead_facilitator_id = :staff
              OR gs.id IN (SELECT session_id FROM session_facilitator WHERE staff_id = :staff))
        ORDER BY gs.starts_at, g.name""",
    "unsigned": """
        SELECT c.id, c.mrn, c.preferred_name, c.legal_first, c.legal_last, n.id, n.kind, n.service_date
        FROM note n JOIN client c ON c.id = n.client_id
        WHERE n.author_id = :staff AND n.status = 'draft' ORDER BY n.service_date, n.created_at""",
    "supervisor": "SELECT 1 FROM staff_role WHERE staff_id = :staff AND role = 'supervisor'",
    "initial_plans": """
        SELECT e.id, c.id, c.mrn, c.preferred_name, c.legal_first, c.legal_last, e.admitted_on, d.id
        FROM episode e JOIN client c ON c.id = e.client_id
        LEFT JOIN treatment_plan d ON d.episode_id = e.id AND d.status = 'draft'
        WHERE e.primary_clinician_id = :staff AND e.status = 'active' AND e.admitted_on <= :initial_cutoff
          AND NOT EXISTS (SELECT 1 FROM treatment_plan t WHERE t.episode_id = e.id
                          AND t.status IN ('signed', 'superseded'))""",
    "plan_reviews": """
        SELECT p.id, p.episode_id, c.id, c.mrn, c.preferred_name, c.legal_first, c.legal_last, p.review_due_on,
               MAX(r.next_review_on)
        FROM treatment_plan p JOIN episode e ON e.id = p.episode_id JOIN client c ON c.id = p.client_id
        LEFT JOIN plan_review r ON r.plan_id = p.id AND r.signed_at IS NOT NULL
        WHERE p.status = 'signed' AND e.status = 'active' AND e.primary_clinician_id = :staff
          AND p.review_due_on <= :day
        GROUP BY p.id HAVING MAX(r.next_review_on) IS NULL OR MAX(r.next_review_on) <= :day""",
    "measures": """
        SELECT c.id, c.mrn, c.preferred_name, c.legal_first, c.legal_last, m.measure, m.next_due_on
        FROM measure_schedule m JOIN client c ON c.id = m.client_id JOIN episode e ON e.client_id = c.id
        WHERE e.status = 'active' AND e.primary_clinician_id = :staff AND m.next_due_on <= :day
        ORDER BY m.next_due_on""",
    "consents": """
        SELECT c.id, c.mrn, c.preferred_name, c.legal_first, c.legal_last, k.id, k.recipient, k.expires_on
        FROM consent k JOIN client c ON c.id = k.client_id JOIN episode e ON e.client_id = c.id
        WHERE e.status = 'active' AND e.primary_clinician_id = :staff AND k.revoked_on IS NULL
          AND k.expires_on BETWEEN :day AND :consent_until ORDER BY k.expires_on""",
    "alerts": """
        SELECT c.id, c.mrn, c.preferred_name, c.legal_first, c.legal_last, a.id, a.kind, a.message, a.raised_at
        FROM alert a JOIN client c ON c.id = a.client_id JOIN episode e ON e.client_id = c.id
        WHERE e.status = 'active' AND e.primary_clinician_id = :staff AND a.resolved_at IS NULL
          AND a.kind IN ('safety', 'unexpected_positive') ORDER BY a.raised_at""",
    "under_minimum": """
        SELECT e.id, c.id, c.mrn, c.preferred_name, c.legal_first, c.legal_last, c.dob, e.level_of_care,
               (SELECT SUM(a.minutes) FROM attendance a JOIN group_session s ON s.id = a.session_id
                WHERE a.client_id = c.id AND s.session_date BETWEEN :week_start AND :week_end
                  AND a.status IN ('present', 'late_arrival', 'left_early'))
        FROM episode e JOIN client c ON c.id = e.client_id
        WHERE e.status = 'active' AND e.primary_clinician_id = :staff AND e.admitted_on <= :week_start""",
    "level_changes": """
        SELECT l.episode_id, l.from_level FROM level_of_care_change l JOIN episode e ON e.id = l.episode_id
        WHERE e.primary_clinician_id = :staff AND e.status = 'active' AND l.effective_on > :week_end
        ORDER BY l.effective_on DESC, l.created_at DESC""",
    "discharges": """
        SELECT d.id, d.episode_id, d.discharged_on, c.id, c.mrn, c.preferred_name, c.legal_first, c.legal_last
        FROM discharge d JOIN episode e ON e.id = d.episode_id JOIN client c ON c.id = e.client_id
        WHERE d.status = 'draft' AND e.primary_clinician_id = :staff""",
}


def today_floor(path: Path) -> tuple[tuple[float, ...], int]:
    """The caseload's lists with hand-written SQL on a raw read-only connection (rows fetched)."""
    from iopdesk.clinical.program_rules import default_rules

    rules = default_rules()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    week_start = DAY - dt.timedelta(days=DAY.weekday() + 7)

    def read() -> int:
        staff = conn.execute("SELECT id FROM staff WHERE username = ?", (USER,)).fetchone()[0]
        params = {"staff": staff, "day": DAY.isoformat(),
                  "initial_cutoff": (DAY - dt.timedelta(days=rules["plans"]["initial_plan_due_days"])).isoformat(),
                  "consent_until": (DAY + dt.timedelta(days=rules["consents"]["expiring_within_days"])).isoformat(),
                  "week_start": week_start.isoformat(), "week_end": (week_start + dt.timedelta(days=6)).isoformat()}
        return sum(len(conn.execute(sql, params).fetchall()) for sql in TODAY_SQL.values())

    samples = []
    for round_ in range(TODAY_REPEAT + 2):
        began = time.perf_counter()
        rows = read()
        if round_ >= 2:
            samples.append(time.perf_counter() - began)
    conn.close()
    return tuple(samples), rows


# -- the group session save --------------------------------------------------------------------
def _sections(i: int) -> dict[str, str]:
    return {
        "participation": f"Member {i} shared a recent trigger at work and named two people to call; engaged throughout.",
        "response": f"Responded to the chain analysis with {i % 4 + 2} specific examples; asked for feedback.",
        "progress": f"Progress on objective {i % 3 + 1}: used urge surfing twice this week (self-report).",
        "risk": "Denies SI/HI; no new use reported since last session." if i % 5 else "Reports one lapse; safety plan reviewed.",
        "plan": f"Continue IOP; practise the skill daily and log urges; review log on day {i % 5 + 1}.",
    }


def _scheduled_sessions(path: Path) -> list[tuple[str, str, str, str]]:
    """(session id, group id, starts, ends) of the day's scheduled sessions without attendance, the
    largest rosters first."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("""
            SELECT s.id, s.group_id, s.starts_at, s.ends_at FROM group_session s
            WHERE s.session_date = ? AND s.status = 'scheduled'
              AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id)
            ORDER BY (SELECT COUNT(*) FROM group_enrollment e WHERE e.group_id = s.group_id
                      AND e.enrolled_on <= s.session_date
                      AND (e.ended_on IS NULL OR e.ended_on >= s.session_date)) DESC, s.id""",
                            (DAY.isoformat(),)).fetchall()


def _active_clients(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return [str(uuid.UUID(cid)) for (cid,) in conn.execute(
            "SELECT client_id FROM episode WHERE status = 'active' AND admitted_on <= ? ORDER BY client_id",
            (DAY.isoformat(),))]


def prepare_session(clinic, session_id: str, group_id: str, spare: list[str]) -> dict:
    """The keyword arguments of the session window's save for 15 attendees of `session_id`,
    enrolling clients from `spare` (untimed) until the roster has 15."""
    from iopdesk.errors import ValidationError
    from iopdesk.services.groups.service import AttendanceEntry, ClientSection

    roster = clinic.groups.roster(session_id)
    on_roster = {row.client_id for row in roster}
    while len(roster) < ATTENDEES and spare:
        candidate = spare.pop()
        if candidate in on_roster:
            continue
        try:
            clinic.groups.enroll(group_id, candidate, DAY)
        except ValidationError:
            continue
        roster = clinic.groups.roster(session_id)
        on_roster = {row.client_id for row in roster}
    rows = roster[:ATTENDEES]
    assert len(rows) == ATTENDEES, f"bench: only {len(rows)} clients for session {session_id}"
    view = clinic.groups.session(session_id)
    late = (dt.datetime.combine(DAY, view.starts_at) + dt.timedelta(minutes=20)).time()
    early = (dt.datetime.combine(DAY, view.ends_at) - dt.timedelta(minutes=30)).time()
    attendance = [AttendanceEntry(row.client_id, "present") for row in rows[:-2]]
    attendance += [AttendanceEntry(rows[-2].client_id, "late_arrival", arrived_at=late),
                   AttendanceEntry(rows[-1].client_id, "left_early", left_at=early)]
    sections = [ClientSection(row.client_id, _sections(i), tuple(o for o, _ in row.objectives[:1]))
                for i, row in enumerate(rows)]
    return {"topic": "Relapse prevention: high-risk situations", "modality": "CBT skills group",
            "shared_note": "The group reviewed high-risk situations and practised urge surfing and refusal skills.",
            "attendance": attendance, "sections": sections, "expected_version": view.version}


class StatementTrace:
    """Counts the SQL statements of the clinic's connection on this thread (sqlite3 trace hook)."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.statements: list[str] = []

    def __enter__(self):
        self.connection.set_trace_callback(self.statements.append)
        return self

    def __exit__(self, *exc) -> None:
        self.connection.set_trace_callback(None)

    def count(self, verb: str) -> int:
        return sum(1 for s in self.statements if s.lstrip().upper().startswith(verb))


def time_group_saves(clinic, sessions: list, spare: list[str]) -> tuple[tuple[float, ...], str]:
    prepared = [(sid, prepare_session(clinic, sid, gid, spare)) for sid, gid, *_ in sessions]
    (traced_id, traced), *rest = prepared
    with StatementTrace(clinic.db.connection()) as trace:
        _, changes = clinic.groups.save_session(traced_id, **traced)
    begins, commits = trace.count("BEGIN"), trace.count("COMMIT")
    assert begins == 1 and commits == 1, f"bench: the save took {begins} transactions ({commits} commits)"
    assert len(changes.client_ids) == ATTENDEES
    note = f"one transaction ({len(trace.statements)} statements, 1 BEGIN, 1 COMMIT); a different session each save"
    samples = []
    for round_, (session_id, kwargs) in enumerate(rest):
        began = time.perf_counter()
        clinic.groups.save_session(session_id, **kwargs)
        if round_ >= 1:
            samples.append(time.perf_counter() - began)
    return tuple(samples), note


def _floor_rows(conn, session: tuple, clients: list[str], staff: str, now: dt.datetime, key: bytes,
                site: str) -> None:
    from iopdesk.audit.chain import _event_hash as event_hash
    from iopdesk.audit.chain import _fields as audit_fields
    from iopdesk.audit.chain import head_mac

    session_id, _group, starts, ends = session
    late = (dt.datetime.combine(DAY, dt.time.fromisoformat(starts)) + dt.timedelta(minutes=20)).time().isoformat()
    early = (dt.datetime.combine(DAY, dt.time.fromisoformat(ends)) - dt.timedelta(minutes=30)).time().isoformat()
    length = (dt.datetime.combine(DAY, dt.time.fromisoformat(ends))
              - dt.datetime.combine(DAY, dt.time.fromisoformat(starts))).seconds // 60
    spans = [(starts, ends, length)] * (len(clients) - 2) + [(late, ends, length - 20), (starts, early, length - 30)]
    conn.execute("UPDATE group_session SET topic = ?, modality = ?, shared_note = ?, status = 'held', "
                 "version = version + 2, updated_at = ? WHERE id = ?",
                 ("Relapse prevention: high-risk situations", "CBT skills group",
                  "The group reviewed high-risk situations and practised urge surfing and refusal skills.",
                  str(now), session_id))
    conn.executemany(
        "INSERT INTO attendance (id, created_at, updated_at, origin_site, version, session_id, client_id, status, "
        "arrived_at, left_at, minutes) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
        [(uuid.uuid4().hex, str(now), str(now), site, session_id, cid, status, a, b, m)
         for cid, status, (a, b, m) in zip(clients, ["present"] * (len(clients) - 2) + ["late_arrival", "left_early"],
                                           spans, strict=True)])
    marks = ",".join("?" * len(clients))
    episodes = dict(conn.execute(f"SELECT client_id, id FROM episode WHERE status = 'active' AND client_id IN ({marks})",
                                 clients).fetchall())
    objectives = dict(conn.execute(
        f"SELECT p.client_id, MIN(o.id) FROM treatment_plan p JOIN plan_problem pp ON pp.plan_id = p.id "
        f"JOIN plan_goal g ON g.problem_id = pp.id JOIN plan_objective o ON o.goal_id = g.id "
        f"WHERE p.client_id IN ({marks}) AND p.status = 'signed' GROUP BY p.client_id", clients).fetchall())
    notes = [(uuid.uuid4().hex, cid) for cid in clients]
    conn.executemany(
        "INSERT INTO note (id, created_at, updated_at, origin_site, version, client_id, episode_id, kind, note_format, service_date, "
        "starts_at, ends_at, minutes, place_of_service, participants, author_id, sections, status, cosign_required, "
        "group_session_id) VALUES (?, ?, ?, ?, 1, ?, ?, 'group', 'GROUP', ?, ?, ?, ?, '57', ?, ?, ?, 'draft', 0, ?)",
        [(nid, str(now), str(now), site, cid, episodes.get(cid), DAY.isoformat(), a, b, m,
          "Group members (not named in this chart); facilitators: A, B", staff, json.dumps(_sections(i)), session_id)
         for i, ((nid, cid), (a, b, m)) in enumerate(zip(notes, spans, strict=True))])
    conn.executemany("INSERT INTO note_objective (id, created_at, updated_at, origin_site, version, note_id, objective_id) "
                     "VALUES (?, ?, ?, ?, 1, ?, ?)",
                     [(uuid.uuid4().hex, str(now), str(now), site, nid, objectives[cid]) for nid, cid in notes if cid in objectives])
    seq, prev, keyed_from = conn.execute(
        "SELECT seq, event_hash, keyed_from FROM audit_head WHERE name = 'main'").fetchone()
    actor = uuid.UUID(staff)
    events = [("update", "group_session", session_id, None, {"topic": "Relapse prevention"})]
    events += [("attendance", "group_session", session_id, cid, {"status": "present"}) for cid in clients]
    events += [("create", "note", nid, cid, {"session": str(uuid.UUID(session_id))}) for nid, cid in notes]
    rows = []
    for action, entity, entity_id, client_id, detail in events:  # the chain `iopdesk check` verifies
        seq += 1
        client = uuid.UUID(client_id) if client_id else None
        fields = audit_fields(seq, now, actor, SAVE_USER, action, entity, uuid.UUID(entity_id), client, detail)
        digest = event_hash(prev, fields, key)
        rows.append((uuid.uuid4().hex, str(now), str(now), site, seq, str(now), staff, SAVE_USER, action, entity,
                     fields["entity_id"], client.hex if client else None, json.dumps(detail), prev, digest))
        prev = digest
    conn.executemany(
        "INSERT INTO audit_event (id, created_at, updated_at, origin_site, version, seq, occurred_at, actor_id, actor, action, "
        "entity, entity_id, client_id, detail, prev_hash, event_hash, hash_kind) "
        "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'hmac')", rows)
    conn.execute("UPDATE audit_head SET seq = ?, event_hash = ?, mac = ?, updated_at = ? WHERE name = 'main'",
                 (seq, prev, head_mac(key, seq, prev, keyed_from), str(now)))


def save_floor(path: Path, sessions: list, clients: list[str], key: bytes) -> tuple[float, ...]:
    """The same rows written with raw sqlite3 in one IMMEDIATE transaction per session (WAL,
    synchronous=FULL, foreign keys on, as the app's connections)."""
    from iopdesk.kernel import clock

    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = wal", "synchronous = full", "foreign_keys = 1", "busy_timeout = 5000"):
        conn.execute(f"PRAGMA {pragma}")
    staff = conn.execute("SELECT id FROM staff WHERE username = ?", (SAVE_USER,)).fetchone()[0]
    site = uuid.UUID(json.loads(conn.execute(
        "SELECT value FROM clinic_setting WHERE key = 'this_site'").fetchone()[0])).hex
    hexes = [uuid.UUID(c).hex for c in clients]
    samples = []
    for round_, session in enumerate(sessions):
        chosen = hexes[round_ * ATTENDEES:(round_ + 1) * ATTENDEES]
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        _floor_rows(conn, session, chosen, staff, clock.utcnow(), key, site)
        conn.execute("COMMIT")
        if round_ >= 1:
            samples.append(time.perf_counter() - began)
    conn.close()
    return tuple(samples)


# -- the run ---------------------------------------------------------------------------------------
def run(scale_path: Path, work_dir: Path) -> list[Figure]:
    """Today and the group save on a working copy of the scale clinic in `work_dir` (shared with
    `bench_startup` when given the same folder)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    import iopdesk
    from iopdesk.audit import keys as audit_keys
    from iopdesk.kernel import clock
    from iopdesk.storage.db import set_interactive_thread
    from tools.offscreen import quiet_offscreen_notes

    path = clinic_copy(scale_path, work_dir)
    quiet_offscreen_notes()
    app = QApplication.instance() or QApplication([])
    clinic = iopdesk.open_clinic(str(path), create=False)
    clock.pin(DAY)
    set_interactive_thread()
    clinic.login(USER, PASSWORD)
    today_samples, shown, today_plans = time_today(clinic, app)
    today_floor_samples, floor_rows = today_floor(path)

    sessions = _scheduled_sessions(path)
    needed = 2 + SAVE_REPEAT
    assert len(sessions) >= 2 * needed - 1, f"bench: only {len(sessions)} sessions to save on {DAY}"
    spare = _active_clients(path)
    clinic.login(SAVE_USER, PASSWORD)
    save_samples, save_note = time_group_saves(clinic, sessions[:needed], spare)
    key = audit_keys.database_key(create=False)
    clinic.close()
    floor_clients = _active_clients(path)[-ATTENDEES * (needed - 1):]
    save_floor_samples = save_floor(path, sessions[needed:2 * needed - 1], floor_clients, key)
    return [
        Figure(f"Today for a clinician through the widgets ({shown} rows)", today_samples, TODAY_TARGET,
               note=f"{USER} on {AS_OF}; refresh to models filled, read off the GUI thread; floor: "
                    f"{len(TODAY_SQL) + 1} hand-written queries, {floor_rows} rows; {today_plans}",
               floor=statistics.median(today_floor_samples)),
        Figure(f"save a {ATTENDEES}-attendee group session with notes", save_samples, SAVE_TARGET, note=save_note,
               floor=statistics.median(save_floor_samples)),
    ]
