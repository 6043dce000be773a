"""The service-level benchmarks again on PostgreSQL: search, chart, group session, caseload, billing.

`make bench` runs these when a server is available: `$IOPDESK_BENCH_PG` (a postgresql:// URL of a
server where the bench may create databases), or else a throwaway local server started from the
installed PostgreSQL binaries (tests/pg_server.py). Loading the 1.8 GB SQLite scale clinic into
PostgreSQL would eat the whole bench budget, so a smaller clinic (`CLIENTS` over `WEEKS`) is
generated straight into PostgreSQL with the same demo generator, once: a local server's data
directory is kept in the bench cache (the next run starts a copy of it and skips generation); on
`$IOPDESK_BENCH_PG` the database named by size and seed is kept and each run works on a copy made
with CREATE DATABASE … TEMPLATE, so timed writes never change the cache. The timed server runs
with PostgreSQL's default durability (fsync and synchronous commit on), as SQLite runs with
synchronous=FULL. Everything is timed through `clinic.<service>` calls, without widgets, so the
figures compare with the SQLite service-level ones; the floor is the same read with psycopg and
hand-written SQL on one connection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.pg_server import LocalPostgres, PgServer, find_bindir
from tools.bench.bench_ui import PREFIXES
from tools.bench.harness import CACHE, Figure, time_calls

CLIENTS, WEEKS, SEED = 2_000, 260, 7
AS_OF = dt.date(2026, 11, 20)  # the scale clinic's "today" (harness.scale_clinic)
MONTH = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
PASSWORD = "demo-pass-2026"
ENV = "IOPDESK_BENCH_PG"
LOCAL = "local:"
SEARCH_TARGET, CHART_TARGET, SESSION_TARGET, CASELOAD_TARGET, BILLING_TARGET = 0.020, 0.100, 0.050, 0.100, 8.0
ATTENDEES = 15


def available() -> str | None:
    """Where the PostgreSQL benchmarks run: `$IOPDESK_BENCH_PG`, or "local:<bindir>" (a server
    the bench starts from those binaries), or None when there is no server to use."""
    url = os.environ.get(ENV)
    if url:
        return url
    bindir = find_bindir()
    if bindir is None or (os.geteuid() == 0 and not _has_postgres_user()):
        return None
    return LOCAL + str(bindir)


def _has_postgres_user() -> bool:
    """As root the server runs as the postgres system user (PostgreSQL refuses root)."""
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return shutil.which("runuser") is not None


def run(work_dir: Path, where: str | None = None) -> list[Figure]:
    """Every PostgreSQL figure (an empty list when no server is available)."""
    where = where or available()
    if where is None:
        return []
    work_dir.mkdir(parents=True, exist_ok=True)
    opened = _local_clinic(Path(where[len(LOCAL):])) if where.startswith(LOCAL) else _server_clinic(where)
    with opened as url:
        return measure(url)


# -- the clinic database ----------------------------------------------------------------------
def _size() -> str:
    return f"{CLIENTS}c-{WEEKS}w-seed{SEED}"


def _generate(url: str) -> None:
    import iopdesk
    from iopdesk.demo import generate

    print(f"bench: generating the PostgreSQL clinic ({CLIENTS:,} clients, {WEEKS} weeks); cached for next time",
          file=sys.stderr)
    began = time.perf_counter()
    with iopdesk.open_clinic(url) as clinic:
        generate(clinic, clients=CLIENTS, weeks=WEEKS, seed=SEED, as_of=AS_OF,
                 progress=lambda text: print(text, file=sys.stderr))
    print(f"bench: PostgreSQL clinic ready in {time.perf_counter() - began:.0f} s", file=sys.stderr)


def _has_demo(url: str) -> bool:
    """True when the database holds a finished demo clinic (the generator writes the "demo"
    setting in its last transaction)."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT 1 FROM clinic_setting WHERE key = 'demo'").fetchone() is not None
    except psycopg.Error:
        return False


def _behind(url: str) -> bool:
    """True when the cached clinic was built by an older schema (migrations pending)."""
    from iopdesk.storage.db import make_database
    from iopdesk.storage.schema import schema_status

    db = make_database(url)
    try:
        return bool(schema_status(db).pending)
    finally:
        db.close()
        db.close_all()  # a pooled connection left open would block CREATE DATABASE … TEMPLATE


def _upgrade(url: str) -> None:
    """Open once untimed: a cached clinic built by an older schema is migrated, before any timing."""
    import iopdesk

    iopdesk.open_clinic(url, create=False).close()


class _CachedPostgres(LocalPostgres):
    """A local server whose data directory comes from (and, once generated, goes to) the cache.

    The server runs on a copy in a temporary folder: the postgres user may not reach the cache
    (under /root when run as root), and the timed writes must not change what is cached.
    """

    def launch(self, *, durable: bool = True) -> PgServer:
        if self.as_root:
            subprocess.run(["chown", "-R", "postgres:postgres", str(self.root)], check=True)
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "-t", "60", "start")
        return PgServer("127.0.0.1", self.port, "postgres")

    def halt(self) -> None:
        """A clean shutdown (checkpointed), so the data directory can be copied."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")


def _major(bindir: Path) -> str:
    out = subprocess.run([str(bindir / "pg_ctl"), "--version"], check=True, capture_output=True, text=True).stdout
    return out.split()[-1].split(".")[0]


@contextlib.contextmanager
def _local_clinic(bindir: Path) -> Iterator[str]:
    """The URL of the cached clinic on a local server started for this run; stopped on exit."""
    cached = CACHE / f"pg-{_size()}"
    server = _CachedPostgres(bindir)
    name = "iopdesk_bench"
    try:
        ready = (cached / "PG_VERSION").is_file() and (cached / "PG_VERSION").read_text().strip() == _major(bindir)
        if ready:
            subprocess.run(["cp", "-a", str(cached), str(server.data)], check=True)
            url = server.launch().url(name)
            ready = _has_demo(url)
            if not ready:
                server.halt()
                shutil.rmtree(server.data)
        if not ready:
            pg = server.start()  # initdb; fsync off while generating
            url = pg.url(name)
            _create_database(pg.url("postgres"), name)
            _generate(url)
            server.halt()
            _store(server.data, cached)
            url = server.launch().url(name)
        if _behind(url):  # upgrade the cache once, so no later run repeats (or times) a migration
            _upgrade(url)
            server.halt()
            _store(server.data, cached)
            url = server.launch().url(name)
        yield url
    finally:
        server.stop()


def _store(data: Path, cached: Path) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(cached.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(["cp", "-a", str(data), str(partial)], check=True)
    shutil.rmtree(cached, ignore_errors=True)
    os.replace(partial, cached)


def _with_db(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def _create_database(admin_url: str, name: str, template: str | None = None) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(statement)


def _drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def _server_clinic(server_url: str) -> Iterator[str]:
    """The URL of a throwaway copy of the cached clinic database on `$IOPDESK_BENCH_PG`."""
    import psycopg

    cached = "iopdesk_bench_" + _size().replace("-", "_")
    admin = _with_db(server_url, "postgres")
    with psycopg.connect(admin) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (cached,)).fetchone()
    if not (exists and _has_demo(_with_db(server_url, cached))):
        _create_database(admin, cached)
        _generate(_with_db(server_url, cached))
    if _behind(_with_db(server_url, cached)):
        _upgrade(_with_db(server_url, cached))
    copy = f"iopdesk_bench_run_{uuid.uuid4().hex[:8]}"
    _create_database(admin, copy, template=cached)
    try:
        yield _with_db(server_url, copy)
    finally:
        _drop_database(admin, copy)  # WITH (FORCE): also ends connections left open by an error


# -- the figures --------------------------------------------------------------------------------
def measure(url: str) -> list[Figure]:
    """Time the service calls on the clinic at `url` (which the group-session saves and the billing
    runs write to)."""
    import iopdesk

    clinic = iopdesk.open_clinic(url, create=False)
    try:
        size = _clinic_size(clinic)
        clinic.login("clinician", PASSWORD)
        rows = _clinic_rows(clinic)
        figures = _search(clinic, url, size, rows) + _chart(clinic, url, size) + [_caseload(clinic, size)]
        figures.append(_group_sessions(clinic, size))
        clinic.login("biller", PASSWORD)
        figures.append(_billing(clinic, size))
    finally:
        clinic.close()
    return figures


def _count(clinic, table: str) -> int:
    return clinic.db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]


def _clinic_size(clinic) -> str:
    return f"PG clinic: {_count(clinic, 'client'):,} clients, {WEEKS // 52} years"


def _clinic_rows(clinic) -> str:
    return (f"{_count(clinic, 'attendance') / 1000:.0f}k attendance rows, {_count(clinic, 'note') / 1000:.0f}k notes "
            f"(the SQLite scale clinic: 10,000 clients)")


def _keystrokes() -> list[str]:
    return [prefix[:n] for prefix in PREFIXES * 2 for n in range(1, len(prefix) + 1)]


SEARCH_SQL = """
SELECT id, mrn, legal_first, legal_last, preferred_name, dob FROM client
WHERE lower(legal_last) LIKE %(p)s OR lower(legal_first) LIKE %(p)s OR lower(preferred_name) LIKE %(p)s
ORDER BY legal_last, legal_first, mrn LIMIT 50"""


def _search(clinic, url: str, size: str, rows: str) -> list[Figure]:
    import psycopg

    typed = _keystrokes()
    ours = _each(typed, clinic.clients.search)
    with psycopg.connect(url, autocommit=True) as conn:
        floor = _each(typed, lambda text: conn.execute(SEARCH_SQL, {"p": text.lower() + "%"}).fetchall())
    return [Figure(f"PostgreSQL: client search per keystroke, clinic.clients.search ({size})", ours,
                   SEARCH_TARGET, floor=_median(floor),
                   note=f"{len(typed)} keystrokes, {len(PREFIXES)} prefixes typed twice; floor: the same "
                        f"SELECT with psycopg; {rows}")]


def _each(items, call, warmup: int = 2) -> tuple[float, ...]:
    """Seconds of `call(item)` for each item, after `warmup` unmeasured calls on the first items."""
    for item in items[:warmup]:
        call(item)
    samples = []
    for item in items:
        began = time.perf_counter()
        call(item)
        samples.append(time.perf_counter() - began)
    return tuple(samples)


def _median(samples) -> float:
    import statistics

    return statistics.median(samples)


def open_chart(clinic, client_id: str) -> None:
    """What the chart window reads on open (header, Overview), plus the Notes list and the
    Treatment plan tab: the same service calls in the same order as ui/chart."""
    clinic.clients.summary(client_id)  # chart_window: the audited read
    episode = clinic.episodes.current(client_id)
    clinic.alerts.for_chart(client_id, episode.id if episode else None, episode_read=True)  # header → overview
    if episode is not None:  # overview_tab.refresh
        clinic.episodes.level_history(episode.id)
        clinic.episodes.diagnoses(episode.id)
        clinic.attendance.hours_by_week(episode.id, 4)
    clinic.notes.list_for_client(client_id)  # note_list_model.reload
    latest = clinic.episodes.latest(client_id)  # plan_tab.reload
    versions = clinic.plans.versions(latest.id) if latest else []
    reviews = clinic.plans.reviews(latest.id) if versions else []
    plan = clinic.plans.get(versions[-1][0]) if versions else None
    if plan is not None:  # plan_tab._last_ratings
        for plan_id in {r.plan_id for r in reviews} - {plan.id}:
            clinic.plans.get(plan_id)


CHART_SQL = (
    "SELECT c.*, p.name FROM client c LEFT JOIN payer p ON p.id = c.payer_id WHERE c.id = %(c)s",
    "SELECT * FROM episode WHERE client_id = %(c)s ORDER BY admitted_on DESC",
    "SELECT * FROM alert WHERE client_id = %(c)s AND resolved_at IS NULL ORDER BY raised_at",
    "SELECT n.id, n.kind, n.status, n.service_date, n.minutes, n.signed_at, s.display_name FROM note n "
    "JOIN staff s ON s.id = n.author_id WHERE n.client_id = %(c)s ORDER BY n.service_date DESC, n.created_at DESC",
)
EPISODE_SQL = (
    "SELECT * FROM diagnosis WHERE episode_id = %(e)s ORDER BY noted_on",
    "SELECT * FROM level_of_care_change WHERE episode_id = %(e)s ORDER BY effective_on",
    "SELECT s.session_date, a.status, a.minutes FROM attendance a JOIN group_session s ON s.id = a.session_id "
    "WHERE a.client_id = %(c)s AND s.session_date >= %(since)s",
)
PLAN_SQL = (
    "SELECT r.*, o.objective_id, o.rating FROM plan_review r LEFT JOIN objective_progress o ON o.review_id = r.id "
    "WHERE r.plan_id IN (SELECT id FROM treatment_plan WHERE episode_id = %(e)s)",
    "SELECT * FROM treatment_plan WHERE id = %(p)s",
    "SELECT * FROM plan_problem WHERE plan_id = %(p)s ORDER BY position",
    "SELECT g.* FROM plan_goal g JOIN plan_problem p ON p.id = g.problem_id WHERE p.plan_id = %(p)s "
    "ORDER BY g.position",
    "SELECT o.* FROM plan_objective o JOIN plan_goal g ON g.id = o.goal_id JOIN plan_problem p ON p.id = g.problem_id "
    "WHERE p.plan_id = %(p)s ORDER BY o.position",
    "SELECT i.* FROM plan_intervention i JOIN plan_objective o ON o.id = i.objective_id "
    "JOIN plan_goal g ON g.id = o.goal_id JOIN plan_problem p ON p.id = g.problem_id WHERE p.plan_id = %(p)s "
    "ORDER BY i.position",
)


def raw_chart(conn, client_id: str) -> None:
    """The floor: the same rows read with psycopg and hand-written SQL."""
    args = {"c": uuid.UUID(client_id), "since": AS_OF - dt.timedelta(weeks=4)}
    results = [conn.execute(sql, args).fetchall() for sql in CHART_SQL]
    episodes = results[1]
    if episodes:
        args["e"] = episodes[0][0]
        for sql in EPISODE_SQL:
            conn.execute(sql, args).fetchall()
        plans = conn.execute("SELECT id FROM treatment_plan WHERE episode_id = %(e)s ORDER BY plan_version",
                             args).fetchall()
        if plans:
            args["p"] = plans[-1][0]
            for sql in PLAN_SQL:
                conn.execute(sql, args).fetchall()


def _chart_clients(clinic) -> list[str]:
    rng = random.Random(11)  # the same draw as bench_ui
    ids = [row.id for prefix in PREFIXES for row in clinic.clients.search(prefix, limit=5)]
    return rng.sample(ids, min(25, len(ids)))


def _chart(clinic, url: str, size: str) -> list[Figure]:
    import psycopg

    chosen = _chart_clients(clinic)
    ours = _each(chosen, lambda cid: open_chart(clinic, cid))
    with psycopg.connect(url, autocommit=True) as conn:
        floor = _each(chosen, lambda cid: raw_chart(conn, cid))
    return [Figure(f"PostgreSQL: open a client chart, overview + notes list + plan ({size})", ours, CHART_TARGET,
                   floor=_median(floor), note=f"{len(chosen)} clients; service calls as ui/chart makes them, the "
                                              "audited read included; floor: the same rows with psycopg")]


def _caseload(clinic, size: str) -> Figure:
    samples = time_calls(lambda: clinic.caseload.today(on=AS_OF), repeat=15)
    day = clinic.caseload.today(on=AS_OF)
    return Figure(f"PostgreSQL: today/caseload for a clinician, clinic.caseload.today ({size})", samples,
                  CASELOAD_TARGET, note=f"{day.clinician} on {AS_OF}: sessions {len(day.sessions)}, "
                                        f"work items {day.work_count}")


SECTIONS = ("participation", "response", "progress", "risk", "plan")


def _session_saves(clinic) -> tuple[list, list]:
    """(sessions to time, sessions to warm up with): the scheduled sessions from the scale clinic's
    day up to the clinic clock's today (a session in the future takes no attendance); those with at
    least `ATTENDEES` on the roster are timed, smaller ones warm up."""
    from iopdesk.kernel import clock

    last = min(clock.today(), AS_OF + dt.timedelta(days=6))
    days = [AS_OF + dt.timedelta(days=n) for n in range((last - AS_OF).days + 1)]
    timed, warm = [], []
    for day in days:
        for item in clinic.groups.day_sessions(day):
            if item.session.status == "scheduled" and item.enrolled:
                (timed if item.enrolled >= ATTENDEES else warm).append(item.session.id)
    return timed, warm


def _save(clinic, session_id: str, number: int) -> tuple[float, int]:
    """Open the session as the window does (untimed), then time one save of attendance, the shared
    part and every attendee's section; returns (seconds, attendees)."""
    from iopdesk.services.groups.service import AttendanceEntry, ClientSection

    session = clinic.groups.session(session_id)
    roster = clinic.groups.roster(session_id)[:ATTENDEES]
    attendance = [AttendanceEntry(row.client_id, "present") for row in roster]
    sections = [ClientSection(row.client_id, {
        key: f"{row.addressed_as or row.display_name}: {key} in session {number}, attendee {i + 1}." for key in SECTIONS},
        tuple(oid for oid, _label in row.objectives[:1])) for i, row in enumerate(roster)]
    began = time.perf_counter()
    clinic.groups.save_session(session_id, topic=f"Coping skills, part {number}", modality="CBT",
                               shared_note="Members practised urge surfing and named high-risk situations.",
                               attendance=attendance, sections=sections, expected_version=session.version)
    return time.perf_counter() - began, len(roster)


def _group_sessions(clinic, size: str) -> Figure:
    timed, warm = _session_saves(clinic)
    if not timed:
        raise RuntimeError(f"bench_postgres: no scheduled session with {ATTENDEES} enrolled from {AS_OF} to today "
                           "(is this computer's clock before the clinic's?)")
    for number, session_id in enumerate(warm[:2]):
        _save(clinic, session_id, number)
    commits, commit = [], clinic.db.commit
    clinic.db.commit = lambda: commits.append(1) or commit()  # count the transactions of the timed saves
    try:
        samples = [_save(clinic, session_id, number)[0] for number, session_id in enumerate(timed, start=10)]
    finally:
        del clinic.db.commit
    return Figure(f"PostgreSQL: save a {ATTENDEES}-attendee group session with notes, one transaction ({size})",
                  tuple(samples), SESSION_TARGET,
                  note=f"clinic.groups.save_session on {len(samples)} different sessions ({AS_OF} to today), "
                       f"commits per save {len(commits) / len(samples):g}")


def _billing(clinic, size: str) -> Figure:
    result = clinic.billing.run(*MONTH)  # the first run stores the month's lines, as on SQLite
    samples = time_calls(lambda: clinic.billing.run(*MONTH), repeat=3, warmup=0)
    return Figure(f"PostgreSQL: billing run for {MONTH[0]:%B %Y}, clinic.billing.run without the xlsx ({size})",
                  samples, BILLING_TARGET, unit="s",
                  note=f"{len(result.lines):,} lines, {len(result.holds):,} holds; the first (storing) run untimed")


if __name__ == "__main__":  # python -m tools.bench.bench_postgres: this group alone
    import tempfile

    from tools.bench.harness import report

    if available() is None:
        print("PostgreSQL: no server, skipped")
        sys.exit(0)
    with tempfile.TemporaryDirectory(prefix="iopdesk-bench-pg-") as tmp:
        sys.exit(report(run(Path(tmp))))
