"""`iopdesk server init`: an empty database becomes a clinic server with a name, a site and an admin."""

from __future__ import annotations

import pytest

import iopdesk
from iopdesk.cli.main import main
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request, tmp_path) -> str:
    """An empty database on each backend: a SQLite file not made yet, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "server.sqlite")
    return request.getfixturevalue("empty_pg_url")


def _init(db: str, *extra: str) -> int:
    return main(["server", "init", "--db", db, "--admin", "ada", "--admin-name", "Ada Admin", *extra])


def test_it_prepares_an_empty_database_as_the_clinic_server(empty_db, monkeypatch, capsys):
    """IT names the clinic and its site and makes the first admin; each step is one line and check passes."""
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    assert _init(empty_db, "--clinic-name", "Harbor Light Recovery", "--site-code", "rvs",
                 "--site-name", "Riverside") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("schema: created (version ")
    assert "clinic: Harbor Light Recovery" in out and "site: RVS (Riverside)" in out
    assert "admin: created ada (Ada Admin)" in out
    assert "check: schema: ok" in " ".join(out) and "check: audit trail: ok" in " ".join(out)
    assert out[-1].startswith("ready:")

    with iopdesk.open_clinic(empty_db, create=False) as clinic:
        info = clinic.info()
        assert (info.clinic_name, info.site_code, info.site_name) == ("Harbor Light Recovery", "RVS", "Riverside")
        actor = clinic.login("ada", ADMIN_PASSWORD)
        assert "admin" in actor.roles and clinic.users.count() == 1
        assert clinic.check().ok
        client, _ = clinic.clients.register(legal_first="Dana", legal_last="Ortiz", dob="1988-02-03", sex="F")
        assert client.mrn.startswith("RVS-")


def test_a_database_that_already_holds_a_clinic_is_refused_by_name(empty_db, monkeypatch, capsys):
    """Running server init twice refuses the second time, naming the clinic, and changes nothing."""
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    assert _init(empty_db, "--clinic-name", "Harbor Light Recovery") == 0
    capsys.readouterr()
    assert main(["server", "init", "--db", empty_db, "--admin", "bob", "--admin-name", "Bob"]) == 2
    err = capsys.readouterr().err
    assert "already holds the clinic 'Harbor Light Recovery' (1 staff account)" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    with iopdesk.open_clinic(empty_db, create=False) as clinic:
        assert clinic.users.count() == 1


def test_defaults_keep_the_main_site_and_clinic_name(tmp_path, monkeypatch, capsys):
    """Without --clinic-name or --site options the clinic keeps its default name and the MAIN site."""
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    db = str(tmp_path / "server.sqlite")
    assert _init(db) == 0
    out = capsys.readouterr().out
    assert "clinic: IOP Desk clinic" in out and "site: MAIN (Main clinic)" in out


@pytest.mark.parametrize("extra, password, message", [
    (["--site-code", "9-bad"], ADMIN_PASSWORD, "Site code: 1 to 8 letters or digits"),
    (["--clinic-name", "  "], ADMIN_PASSWORD, "Clinic name: this field is required."),
    ([], "short", "Password: use at least 12 characters."),
])
def test_bad_answers_are_refused_before_anything_is_written(tmp_path, monkeypatch, capsys, extra,
                                                             password, message):
    """A bad site code, an empty clinic name or a weak password: one line, exit 2, no database file."""
    monkeypatch.setenv("IOPDESK_PASSWORD", password)
    db = tmp_path / "server.sqlite"
    assert _init(str(db), *extra) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not db.exists()


def test_password_typed_twice_must_match(tmp_path, monkeypatch, capsys):
    """At the terminal the admin password is asked twice; two different entries create nothing."""
    monkeypatch.delenv("IOPDESK_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter([ADMIN_PASSWORD, "something else"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    db = tmp_path / "server.sqlite"
    assert _init(str(db)) == 2
    assert "the two entries differ" in capsys.readouterr().err
    assert not db.exists()


def test_a_database_of_another_program_is_refused(tmp_path, monkeypatch, capsys):
    """A SQLite file holding someone else's tables is not turned into a clinic."""
    import sqlite3

    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    assert _init(str(db)) == 2
    assert "1 tables of another program (invoices)" in capsys.readouterr().err


def test_server_init_help_says_it_is_meant_for_postgresql(capsys):
    """The help names PostgreSQL and says a SQLite file works too."""
    with pytest.raises(SystemExit):
        main(["server", "init", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "PostgreSQL" in out and "works on a SQLite file too" in out


@pytest.mark.parametrize("failing", ["admin", "check"])
def test_a_failure_after_the_schema_is_created_leaves_the_database_empty(empty_db, monkeypatch, failing):
    """Creating the first admin (or the final check) fails: init removes what it created, the
    database is as empty as before, and running init again succeeds."""
    from iopdesk.cli.server import ServerSetup, existing_clinic
    from iopdesk.services.users import UserService

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    target = (UserService, "add") if failing == "admin" else (iopdesk.Clinic, "check")
    setup = ServerSetup.checked(empty_db, clinic_name="Harbor Light Recovery", site_code="RVS",
                                site_name="Riverside", admin="ada", admin_name="Ada Admin")
    with monkeypatch.context() as patch:
        patch.setattr(*target, fail)
        with pytest.raises(RuntimeError, match="disk full"):
            setup.run(ADMIN_PASSWORD)
    assert existing_clinic(empty_db) is None

    assert setup.run(ADMIN_PASSWORD).ok
    with iopdesk.open_clinic(empty_db, create=False) as clinic:
        assert clinic.info().clinic_name == "Harbor Light Recovery"
        assert clinic.users.count() == 1



def test_a_demo_server_is_an_empty_database_filled_by_demo(empty_db, capsys):
    """A training server gets its synthetic clinic (sites, staff, clients) from `iopdesk demo` on the
    empty database, on either backend; `server init` is not needed first."""
    assert main(["--db", empty_db, "demo", "--clients", "3", "--weeks", "2"]) == 0
    with iopdesk.open_clinic(empty_db, create=False) as clinic:
        assert clinic.clients.count() == 3 and clinic.users.count() > 1


def test_demo_data_is_refused_in_a_clinic_prepared_for_real_work(tmp_path, monkeypatch, capsys):
    """A clinic made by `server init` holds real staff: demo data never mixes in, and the message
    names the way to a demo server."""
    real = str(tmp_path / "real.sqlite")
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    assert _init(real) == 0
    capsys.readouterr()
    assert main(["--db", real, "demo", "--clients", "3"]) == 2
    message = capsys.readouterr().err
    assert "empty clinic" in message and "instead of `server init`" in message
    with iopdesk.open_clinic(real, create=False) as clinic:
        assert clinic.clients.count() == 0 and clinic.users.count() == 1
