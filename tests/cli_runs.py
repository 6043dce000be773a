"""Running the admin command line inside a test, against the test's own clinic.

`run_cli(clinic, capsys, *argv)` runs `iopdesk ARGV` in this process and returns (exit code, what it
printed). The command opens the clinic itself, as at a terminal, so afterwards the test's clinic is
bound again and the audit keys the command cached are forgotten.
"""

from __future__ import annotations

from iopdesk.audit import keys as audit_keys
from iopdesk.cli.main import main
from iopdesk.storage.db import database


def run_cli(clinic, capsys, *argv) -> tuple[int, str]:
    """Exit code and output (stdout and stderr) of `iopdesk ARGV` run against `clinic`."""
    capsys.readouterr()
    code = main(list(argv))
    database.initialize(clinic.db)
    audit_keys.forget_cached_keys()
    captured = capsys.readouterr()
    return code, captured.out + captured.err
