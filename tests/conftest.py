"""Fixtures every layer's tests share: a fresh clinic per test, on SQLite and (where a server can
run) on PostgreSQL, and the pinned clinic clock; and what tests in more than one folder start from
(a clinic in use and its backup, Marisol admitted, logging into a folder, an in-memory keyring). Nothing here loads Qt: the widget tests' setup is
in tests/ui/conftest.py, so the domain, reports, cli, sync and security tests run without PySide6.

`clinic` is parametrized over both backends; tests that only make sense on one backend use
`sqlite_clinic`. New clinics are copies of a template made once per session (a file copy for
SQLite, CREATE DATABASE … TEMPLATE for PostgreSQL), so a test pays no migration cost.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import urllib.parse
import uuid
from pathlib import Path

import pytest

import iopdesk
from iopdesk.kernel import clock
from tests.pg_server import LocalPostgres, PgServer, find_bindir

# No test may touch the real user's settings or data folder: point both at a throwaway place
# before Qt (QSettings, in tests/ui) or platformdirs read them.
_SANDBOX = tempfile.mkdtemp(prefix="iopdesk-tests-home-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SANDBOX, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_SANDBOX, "data")
os.environ["XDG_STATE_HOME"] = os.path.join(_SANDBOX, "state")
os.environ.pop("IOPDESK_DB", None)
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the developer's real keyring

ADMIN_PASSWORD = "correct horse battery"

# The clinic clock of the whole run: "today" is $IOPDESK_TEST_TODAY (YYYY-MM-DD), else the real
# date, pinned before any test or fixture reads it. CI runs the suite a second time a year ahead.
TEST_TODAY = (dt.date.fromisoformat(os.environ["IOPDESK_TEST_TODAY"]) if os.environ.get("IOPDESK_TEST_TODAY")
              else clock.today())
clock.pin(TEST_TODAY)
# xdist workers (and any child process that cares) inherit the same day, even across midnight.
os.environ["IOPDESK_TEST_TODAY"] = TEST_TODAY.isoformat()


@pytest.fixture(autouse=True)
def _clinic_clock_pinned():
    """Every test starts on the run's pinned date, whatever an earlier test did to the clock."""
    clock.pin(TEST_TODAY)
    yield
    clock.pin(TEST_TODAY)


@pytest.fixture(autouse=True)
def _own_workstation_anchors(tmp_path_factory, monkeypatch):
    """Each test is its own workstation as far as the audit anchor goes (iopdesk/audit/anchor.py):
    the clinics copied from one template share a clinic id and site, and one test's trail must
    not be another's anchor."""
    monkeypatch.setenv("IOPDESK_AUDIT_ANCHOR_DIR", str(tmp_path_factory.mktemp("anchors")))


@pytest.fixture
def today() -> dt.date:
    """The clinic's today for this test run: build every date a test compares with "today" from it."""
    return clock.today()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "clinic.sqlite"
    iopdesk.open_clinic(str(path)).close()
    return str(path)


@pytest.fixture(scope="session")
def pg_server():
    env = os.environ.get("IOPDESK_TEST_PG")
    if env:
        parts = urllib.parse.urlsplit(env)
        yield PgServer(parts.hostname or "127.0.0.1", parts.port or 5432,
                       parts.username or "postgres", parts.password)
        return
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests, but no PostgreSQL server binaries were found")
        pytest.skip("no PostgreSQL server binaries installed")
    server = LocalPostgres(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def restartable_pg_server():
    """(LocalPostgres, PgServer): a PostgreSQL server of its own that a test may pause, resume and
    restart (the reconnect tests); the shared `pg_server` keeps running meanwhile."""
    if os.environ.get("IOPDESK_TEST_PG"):
        pytest.skip("an existing server (IOPDESK_TEST_PG) is not restarted by the tests")
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests, but no PostgreSQL server binaries were found")
        pytest.skip("no PostgreSQL server binaries installed")
    server = LocalPostgres(bindir)
    try:
        yield server, server.start()
    finally:
        server.stop()


def clinic_on_restartable_server(restartable_pg_server):
    """Yield (server, clinic): a new clinic database on the restartable server, opened; dropped after."""
    from pytest_postgresql.janitor import DatabaseJanitor

    server, address = restartable_pg_server
    name = "reconnect_" + uuid.uuid4().hex[:8]
    janitor = DatabaseJanitor(user=address.user, host=address.host, port=address.port, dbname=name,
                              password=address.password)
    janitor.init()
    clinic = iopdesk.open_clinic(address.url(name))
    yield server, clinic
    clinic.close()
    janitor.drop()


@pytest.fixture(scope="session")
def pg_template(pg_server) -> str:
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"iopdesk_template_{uuid.uuid4().hex[:8]}"
    janitor = DatabaseJanitor(user=pg_server.user, host=pg_server.host, port=pg_server.port,
                              dbname=name, password=pg_server.password)
    janitor.init()
    iopdesk.open_clinic(pg_server.url(name)).close()
    return name


def _new_pg_database(pg_server, template: str | None):
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"iopdesk_test_{uuid.uuid4().hex[:10]}"
    return DatabaseJanitor(user=pg_server.user, host=pg_server.host, port=pg_server.port,
                           dbname=name, password=pg_server.password, template_dbname=template), name


@pytest.fixture
def empty_pg_url(pg_server):
    """The address of a new, empty PostgreSQL database (no schema yet)."""
    janitor, name = _new_pg_database(pg_server, None)
    janitor.init()
    yield pg_server.url(name)
    janitor.drop()


def _add_staff(clinic) -> None:
    """An admin, a supervisor, a clinician, a supervised intern, a prescriber and a biller."""
    add = clinic.users.add
    add("admin", ADMIN_PASSWORD, display_name="Ada Admin", roles=["admin"])
    clinic.login("admin", ADMIN_PASSWORD)
    add("supervisor", ADMIN_PASSWORD, display_name="Sam Supervisor", roles=["supervisor", "clinician"],
        credentials="LCSW")
    add("clinician", ADMIN_PASSWORD, display_name="Cleo Clinician", roles=["clinician"], credentials="LPC")
    add("intern", ADMIN_PASSWORD, display_name="Ira Intern", roles=["clinician"], needs_cosign=True,
        supervisor="supervisor")
    add("prescriber", ADMIN_PASSWORD, display_name="Priya Prescriber", roles=["prescriber"], credentials="MD")
    add("biller", ADMIN_PASSWORD, display_name="Bo Biller", roles=["biller"])


@pytest.fixture(scope="session")
def staffed_sqlite_template(tmp_path_factory, sqlite_template) -> str:
    path = tmp_path_factory.mktemp("staffed") / "clinic.sqlite"
    shutil.copyfile(sqlite_template, path)
    with iopdesk.open_clinic(str(path)) as clinic:
        _add_staff(clinic)
    return str(path)


@pytest.fixture(scope="session")
def staffed_pg_template(pg_server, pg_template) -> str:
    janitor, name = _new_pg_database(pg_server, pg_template)
    janitor.init()
    with iopdesk.open_clinic(pg_server.url(name)) as clinic:
        _add_staff(clinic)
    return name


def _clinic_from_template(request, tmp_path, sqlite_fixture: str, pg_fixture: str):
    """Open a fresh copy of a session template on the backend this test runs on."""
    if request.param == "sqlite":
        path = tmp_path / "clinic.sqlite"
        shutil.copyfile(request.getfixturevalue(sqlite_fixture), path)
        opened = iopdesk.open_clinic(str(path))
        yield opened
        opened.close()
        return
    pg_server = request.getfixturevalue("pg_server")
    janitor, name = _new_pg_database(pg_server, request.getfixturevalue(pg_fixture))
    janitor.init()
    opened = iopdesk.open_clinic(pg_server.url(name))
    yield opened
    opened.close()
    janitor.drop()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def sqlite_clinic(tmp_path, sqlite_template):
    path = tmp_path / "clinic.sqlite"
    shutil.copyfile(sqlite_template, path)
    clinic = iopdesk.open_clinic(str(path))
    yield clinic
    clinic.close()


@pytest.fixture(params=BACKENDS)
def clinic(request, tmp_path):
    """A fresh, empty clinic (one main site, no users) on each database backend."""
    yield from _clinic_from_template(request, tmp_path, "sqlite_template", "pg_template")


@pytest.fixture(params=BACKENDS)
def staffed_clinic(request, tmp_path):
    """A clinic with an admin, a clinician, a supervised intern, a supervisor, a prescriber and a
    biller (passwords ADMIN_PASSWORD), on each backend; the acting user is the system."""
    yield from _clinic_from_template(request, tmp_path, "staffed_sqlite_template", "staffed_pg_template")


@pytest.fixture
def clinic_file(tmp_path, staffed_sqlite_template) -> Path:
    """The staffed clinic as this test's own file, closed (tmp_path / "clinic.sqlite"): for a test
    that opens it itself, as the app, a command or a worker does."""
    path = tmp_path / "clinic.sqlite"
    shutil.copyfile(staffed_sqlite_template, path)
    return path


@pytest.fixture
def billing_clinic_file(clinic_file, monkeypatch) -> Path:
    """The clinic file, closed, with one billable group day and one hold (`add_billing_day`), and
    the admin password in the environment: what the billing export tests run on."""
    from tests.billing_fixtures import add_billing_day

    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    return add_billing_day(clinic_file)


@pytest.fixture
def clinician_sqlite(clinic_file):
    """The staffed clinic as this test's own file (tmp_path / "clinic.sqlite"), the clinician
    signed in: what the chart's widget tests start from."""
    clinic = iopdesk.open_clinic(str(clinic_file))
    clinic.login("clinician", ADMIN_PASSWORD)
    yield clinic
    clinic.close()


# -- a clinic in use, and its backup (the backup tests and the damaged-file tests, domain and ui) --
@pytest.fixture
def busy_clinic(tmp_path, clinic_file):
    """A SQLite clinic with an admitted client and one signed note; the clinician is signed in."""
    from tests.domain.test_backup import YESTERDAY, write_note

    path = clinic_file
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Dana", legal_last="Whitfield", dob="1985-02-03", sex="F")
    clinic.episodes.admit(client.id, admitted_on=YESTERDAY - dt.timedelta(days=7), track_code="substance_use",
                          level="2.1", primary_clinician="clinician")
    write_note(clinic, client.id)
    yield clinic, client
    clinic.close()


@pytest.fixture
def backed_up(busy_clinic, tmp_path, monkeypatch):
    """A clinic file with one signed note in its latest good backup and a second note after it,
    closed; the user data folder (and so the backup folder) is in tmp_path. (path, backup)"""
    from iopdesk.backup.copies import backup_to_folder
    from iopdesk.models import Note
    from tests.domain.test_backup import write_note

    clinic, client = busy_clinic
    monkeypatch.setattr("iopdesk.paths.data_dir", lambda: tmp_path / "userdata")
    from iopdesk.paths import backup_dir

    backup = backup_to_folder(clinic, backup_dir()).path
    write_note(clinic, client.id)
    assert Note.select().count() == 2
    clinic.close()
    return tmp_path / "clinic.sqlite", backup


def admit_marisol(clinic, days_ago: int = 14, last: str = "Quintana-Reyes"):
    """Register Marisol and admit her to IOP (2.1) `days_ago` days ago under the clinician;
    returns (client, episode)."""
    import datetime as dt

    client, _ = clinic.clients.register(legal_first="Marisol", legal_last=last, dob="1991-04-12")
    episode, _ = clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=days_ago),
                                       track_code="substance_use", level="2.1", primary_clinician="clinician")
    return client, episode


@pytest.fixture
def admitted_client(staffed_clinic):
    """Marisol, registered and admitted to IOP (2.1, Mon–Fri) two weeks ago under Cleo Clinician,
    with a primary opioid-use diagnosis. The clinician is signed in. Returns (clinic, client, episode)."""
    import datetime as dt

    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(
        legal_first="Marisol", legal_last="Quintana-Reyes", dob="1991-04-12", sex="F", pronouns="she/her"
    )
    episode, _ = clinic.episodes.admit(
        client.id, admitted_on=clock.today() - dt.timedelta(days=14), track_code="substance_use",
        level="2.1", primary_clinician="clinician",
    )
    clinic.episodes.add_diagnosis(episode.id, code="F11.20", description="Opioid dependence, uncomplicated",
                                  primary=True, noted_on=episode.admitted_on)
    return clinic, client, episode


# -- logging into a folder (the PHI-in-logs tests, security and domain) --
@pytest.fixture
def log_folder(tmp_path, monkeypatch):
    """Logging at DEBUG into a temp folder (the CLI's own configure_logging is pointed there too),
    with only this test's names registered as PHI: a name an earlier test registered in the same
    process ("One") would blank part of an ordinary word here ("ValidatiONError")."""
    from iopdesk.logs import configure_logging

    folder = tmp_path / "logs"
    monkeypatch.setattr("iopdesk.paths.log_dir", lambda: folder)
    monkeypatch.setattr("iopdesk.logs._registered", set())
    monkeypatch.setattr("iopdesk.logs._registered_pattern", [None])
    levels = {name: logging.getLogger(name).level for name in ("", "iopdesk", "reports", "ui")}
    configure_logging(logging.DEBUG, folder)
    yield folder
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for handler in list(logging.getLogger().handlers):
        if type(handler).__name__ == "_Handler":
            logging.getLogger().removeHandler(handler)
            handler.close()


# -- the OS keyring, never the real one (the passphrase store, domain, and the passphrase prompt, ui) --
@pytest.fixture
def use_keyring(monkeypatch):
    """use_keyring(backend) installs a keyring backend for the test and restores the previous one."""
    import keyring

    monkeypatch.delenv("IOPDESK_DB_PASSPHRASE", raising=False)
    previous = keyring.get_keyring()

    def install(backend):
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(use_keyring):
    """A keyring that keeps its secrets in a dict (MemoryKeyring), installed for this test."""
    from tests.domain.test_passphrase_store import MemoryKeyring

    return use_keyring(MemoryKeyring())


@pytest.fixture
def encrypted_clinic(tmp_path, staffed_sqlite_template) -> Path:
    """A staffed clinic file encrypted with PASSPHRASE (tests/domain/test_passphrase_store.py)."""
    pytest.importorskip("sqlcipher3")
    from iopdesk.storage.encryption import encrypt_clinic
    from tests.domain.test_passphrase_store import PASSPHRASE

    path = tmp_path / "laptop.sqlite"
    shutil.copyfile(staffed_sqlite_template, path)
    encrypt_clinic(path, PASSPHRASE)
    return path


def pytest_terminal_summary(terminalreporter):
    """Print what a test recorded with `record_property("report", text)` (the bundle size), so it
    shows in the run's output even when the test ran in an xdist worker."""
    lines = [value for kind in ("passed", "failed") for report in terminalreporter.stats.get(kind, [])
             for name, value in getattr(report, "user_properties", ()) if name == "report"]
    if lines:
        terminalreporter.section("reports")
        for line in lines:
            terminalreporter.write_line(line)
