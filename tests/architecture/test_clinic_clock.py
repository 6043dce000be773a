"""Only `iopdesk/kernel/clock.py` reads the calendar: a test or a screen that asks the computer for the
date would pass today and fail on the first of next month, or a year ahead in CI.

Every .py file of the product and its tests is parsed (with the Python snippets tests hand to a
child process) and each read of the real date or time is named by file and line: the standard
library's `date.today()`, `datetime.now()` …, epoch seconds (`time.time()`), `time.localtime()`
and friends without a time, a time-based `uuid1()`, Qt's `QDate.currentDate()` …, the way back to
the real calendar (`clock.unpin()`), and SQL that asks the database for its time
(`CURRENT_TIMESTAMP`, `now()`, `'now'`); in the product also `clock.pin()`, which only a test may
call. Durations (`time.monotonic()`, `perf_counter()`) are fine. The few exemptions below say why
each one is not the clinic's "today".
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("iopdesk", "reports", "ui", "tests", "tools", "installer", "resources")

QT = "PySide6.QtCore."
READS = {
    "datetime.date.today": "the calendar date",
    "datetime.datetime.today": "the calendar date and time",
    "datetime.datetime.now": "the calendar date and time",
    "datetime.datetime.utcnow": "the calendar date and time",
    "time.time": "the calendar as seconds since 1970",
    "time.time_ns": "the calendar as nanoseconds since 1970",
    "uuid.uuid1": "a UUID stamped with the calendar time",
    QT + "QDate.currentDate": "Qt's calendar date",
    QT + "QDateTime.currentDateTime": "Qt's calendar date and time",
    QT + "QDateTime.currentDateTimeUtc": "Qt's calendar date and time",
    QT + "QDateTime.currentMSecsSinceEpoch": "Qt's calendar as milliseconds since 1970",
    QT + "QDateTime.currentSecsSinceEpoch": "Qt's calendar as seconds since 1970",
    QT + "QTime.currentTime": "Qt's time of day",
    "iopdesk.kernel.clock.unpin": "the real calendar instead of the pinned clinic clock",
}
# The product never moves the clinic's date (a pinned clock would date signatures wrongly): tests only.
MOVES_THE_CLOCK = {"iopdesk.kernel.clock.pin": "moves the clinic's date, which only a test may do"}
PRODUCT = ("iopdesk", "reports", "ui", "installer", "resources")
# These read the calendar only when called without a time: how many arguments they then have.
READS_WITHOUT_A_TIME = {"time.localtime": 0, "time.gmtime": 0, "time.ctime": 0, "time.asctime": 0,
                        "time.strftime": 1, "email.utils.formatdate": 0, "email.utils.localtime": 0}
# The database's clock in SQL text: CURRENT_TIMESTAMP anywhere, now() and friends in a statement.
SQL_CLOCK = re.compile(r"\bCURRENT_(?:TIMESTAMP|DATE|TIME)\b|\bLOCALTIMESTAMP\b")
SQL_CLOCK_CALL = re.compile(r"(?<![.\w])now\(\)|\b(?:clock|statement|transaction)_timestamp\(|'now'",
                            re.IGNORECASE)
SQL_STATEMENT = re.compile(r"\b(?:SELECT|INSERT|UPDATE|DELETE|CREATE|DEFAULT|VALUES)\b")

EXEMPT = {
    ("iopdesk/kernel/clock.py", "*"): "the clinic clock itself: the one place that reads the calendar",
    ("iopdesk/kernel/ids.py", "time.time_ns"):
        "UUIDv7 row ids carry the real time only so that new rows append to B-tree indexes; no date "
        "is ever read back from an id, and they must keep increasing when a test moves the clinic "
        "clock back",
    ("iopdesk/storage/sync_triggers.py", "SQL"):
        "sync_change.recorded_at is the database's own receipt stamp of a change (the server's clock "
        "on PostgreSQL), kept for forensics; it is never compared with a clinic date (edits are "
        "ordered by row version, see iopdesk/sync/session.py)",
    ("tests/ui/test_clock_canary.py", "datetime.date.today"):
        "the canary must compare the pinned clinic date with the computer's real date to prove a "
        "shifted pass really ran shifted",
}


def _module_parts(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _aliases(tree: ast.AST, package: list[str]) -> dict[str, str]:
    """Local name → the dotted name it was imported as (relative imports resolved)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    names[root] = root
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                base = ".".join([*kept, *([node.module] if node.module else [])])
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}"
    return names


def _dotted(node: ast.AST, names: dict[str, str]) -> str | None:
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([names.get(node.id, node.id), *reversed(attrs)])


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def calendar_reads(source: str, package: list[str], first_line: int = 1) -> Iterator[tuple[int, str, str]]:
    """(line, what, why) for every read of the real calendar in `source`, a module of `package`
    (and, in the product, every move of the clinic clock)."""
    reads = {**READS, **MOVES_THE_CLOCK} if package[:1] and package[0] in PRODUCT else READS
    tree = ast.parse(source)
    names = _aliases(tree, package)
    docstrings = _docstrings(tree)
    called = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    seen_inside: set[int] = set()
    for node in ast.walk(tree):
        line = first_line + getattr(node, "lineno", 1) - 1
        if isinstance(node, ast.Attribute | ast.Name) and id(node) not in seen_inside:
            if isinstance(node, ast.Attribute):
                inner = node.value
                while isinstance(inner, ast.Attribute):
                    seen_inside.add(id(inner))
                    inner = inner.value
            what = _dotted(node, names)
            call = called.get(id(node))
            if what in reads:
                yield line, what, reads[what]
            elif what in READS_WITHOUT_A_TIME and call is not None:
                if len(call.args) + len(call.keywords) <= READS_WITHOUT_A_TIME[what]:
                    yield line, what, "the calendar, when no time is given"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            sql = SQL_CLOCK.search(node.value) or (SQL_STATEMENT.search(node.value)
                                                   and SQL_CLOCK_CALL.search(node.value))
            if sql:
                yield line, "SQL", f"the database's clock ({sql.group(0)})"
            if "\n" in node.value and "import " in node.value:
                try:
                    yield from calendar_reads(node.value, package, line)
                except SyntaxError:
                    pass


def _python_files() -> Iterator[Path]:
    for folder in FOLDERS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_nothing_but_the_clinic_clock_reads_the_calendar():
    """Every read of the real date or time outside iopdesk/kernel/clock.py is named by file and line."""
    found = []
    for path in _python_files():
        where = path.relative_to(ROOT).as_posix()
        if (where, "*") in EXEMPT:
            continue
        package = _module_parts(path)
        package = package if path.name == "__init__.py" else package[:-1]
        for line, what, why in calendar_reads(path.read_text(encoding="utf-8"), package):
            if (where, what) not in EXEMPT:
                found.append(f"{where}:{line}: {what} reads {why}; use iopdesk.kernel.clock "
                             f"(tests: the `today` fixture, clock.today(), clock.now(), clock.utcnow(), clock.pin)")
    assert not found, "\n".join(found)


def test_every_exemption_still_names_a_read_that_is_there():
    """An exemption whose read was removed is dropped too, so the list stays the few that need it."""
    for (where, what), _why in EXEMPT.items():
        path = ROOT / where
        assert path.exists(), where
        if what != "*":
            package = _module_parts(path)[:-1]
            assert any(w == what for _, w, _ in calendar_reads(path.read_text(encoding="utf-8"), package)), \
                f"{where} no longer reads {what}: remove its exemption"




def test_the_guard_sees_each_way_of_reading_the_calendar():
    """The checker itself: each read in tests/architecture/calendar_reads.sample is found on its line, and
    nothing in the last statement (durations, a given time, clock.today(), a literal date)."""
    sample = (ROOT / "tests" / "architecture" / "calendar_reads.sample").read_text(encoding="utf-8")
    found = sorted((line, what) for line, what, _ in calendar_reads(sample, ["tests"]))
    assert found == [
        (13, "datetime.date.today"), (14, "datetime.datetime.now"), (15, "datetime.datetime.utcnow"),
        (16, "datetime.date.today"), (17, "time.time"), (18, "time.localtime"), (19, "time.strftime"),
        (20, QT + "QDate.currentDate"), (21, QT + "QDateTime.currentMSecsSinceEpoch"),
        (22, QT + "QTime.currentTime"), (23, "uuid.uuid1"), (24, "datetime.datetime.now"),
        (25, "iopdesk.kernel.clock.unpin"), (26, "SQL"), (29, "datetime.datetime.today"),
    ]


def test_only_a_test_may_pin_the_clinic_clock():
    """clock.pin in a screen or a service would date every signature wrongly; in a test it is the tool."""
    source = "from iopdesk.kernel import clock\nclock.pin(day)\n"
    assert [what for _, what, _ in calendar_reads(source, ["ui", "chart"])] == ["iopdesk.kernel.clock.pin"]
    assert list(calendar_reads(source, ["tests"])) == []
