"""The command line says what it can do: `iopdesk --help` lists every command, `print`, `export`
and `--self-test` included, each command keeps its own `--help`, and opening the app (or `make
run`) on Linux with no display says so in one line and exits non-zero instead of waiting with
nothing on screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from iopdesk.cli.main import COMMANDS as ADMIN_COMMANDS
from tests.conftest import ADMIN_PASSWORD
from ui.launcher import COMMANDS, NO_DISPLAY, display_problem, main

ROOT = Path(__file__).resolve().parents[2]
DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux")


def without_display(**extra: str) -> dict[str, str]:
    """This environment with no display and no Qt platform chosen (and no outer make's flags)."""
    env = {k: v for k, v in os.environ.items()
           if k not in DISPLAY_VARIABLES and k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return env | extra


def test_top_level_help_lists_every_command(capsys):
    """`iopdesk --help` names each admin command, print, export, --self-test and --version, and
    points to each command's own help."""
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("    ") and line.split()}
    assert set(ADMIN_COMMANDS) | {"print", "export"} <= listed
    assert "--self-test  check this installation" in out and "--version" in out
    assert [c.name for c in COMMANDS] == ["print", "export", "--self-test"]
    assert "iopdesk COMMAND --help" in out


@pytest.mark.parametrize("command", ["print", "export", "check", "user", "backup", "audit", "sync", "demo"])
def test_each_command_keeps_its_own_help(command, capsys):
    """`iopdesk COMMAND --help` is that command's usage, as before."""
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: iopdesk {command}")


def test_a_command_after_db_gets_the_clinic_named_before_it(clinic_file, monkeypatch, capsys):
    """`iopdesk --db FILE print plan --client MRN --user U` prints from FILE: here it finds no such
    client there, and says so in one line."""
    db = clinic_file
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    assert main(["--db", str(db), "print", "plan", "--client", "MAIN-999999", "--user", "clinician"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No client with MRN 'MAIN-999999'" in err


def test_no_display_is_a_reason_only_on_linux_without_a_chosen_platform():
    assert display_problem({}, "linux") == NO_DISPLAY
    assert "xvfb-run" in NO_DISPLAY and "\n" not in NO_DISPLAY
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "vnc"}, "linux") is None
    assert display_problem({}, "darwin") is None and display_problem({}, "win32") is None


@linux_only
def test_opening_the_app_with_no_display_says_so_in_one_line(tmp_path):
    """`iopdesk --db FILE` with neither DISPLAY nor WAYLAND_DISPLAY: one line on stderr, status 2,
    nothing on stdout, Qt never loaded, no clinic file created."""
    db = tmp_path / "clinic.sqlite"
    snippet = textwrap.dedent(f"""
        import sys
        import ui.launcher
        status = ui.launcher.main(["--db", {str(db)!r}])
        assert "PySide6" not in sys.modules, "Qt was loaded"
        sys.exit(status)
    """)
    result = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60,
                            cwd=ROOT, env=without_display())
    assert result.returncode == 2, result.stderr
    assert result.stderr == NO_DISPLAY + "\n" and result.stdout == ""
    assert not db.exists()


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env=env)


@linux_only
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_with_no_display_stops_in_one_line_before_doing_anything():
    """`make run` (dry run: what it would do) with no display: one line naming the way out, a
    non-zero status and nothing it would have run; with a display it would make the demo clinic
    and open the app; `make test` still runs offscreen without a display."""
    refused = make("-n", "run", env=without_display())
    assert refused.returncode != 0 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert "make run: no display" in refused.stderr and "xvfb-run make run" in refused.stderr

    shown = make("-n", "run", env=without_display(DISPLAY=":0"))
    assert shown.returncode == 0, shown.stderr
    assert "iopdesk demo --if-missing" in shown.stdout and shown.stdout.rstrip().endswith("iopdesk")
    assert "offscreen" not in shown.stdout

    tests = make("-n", "test", env=without_display())
    assert tests.returncode == 0, tests.stderr
    assert "QT_QPA_PLATFORM=offscreen" in tests.stdout and "pytest" in tests.stdout
