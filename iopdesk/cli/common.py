"""What the admin commands share: exit codes, the terminal's password prompt, one-line error
reporting, table output, the check of an `--out` file (`check_out`), and `ExtraCommand` (a command the entry point hands down from reports/
or ui/). Every module of iopdesk/cli/ (and `iopdesk print`/`export` in reports/) imports it;
it imports none of them, so the command modules and `cli/main.py` do not import each other in a loop.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from iopdesk.errors import IopDeskError, ValidationError
from iopdesk.kernel.version import __version__

EXIT_ERROR = 2
EXIT_CHECK_FAILED = 3


@dataclass(frozen=True)
class ExtraCommand:
    """A command of the `iopdesk` program defined above this package: `name` is a command
    ("print") or an option ("--self-test"), `help` its line in `iopdesk --help`, `run(words)` runs
    it with the words after it (and `--db URL` when one was given before it) and returns the exit
    status. Its own `--help` is its own."""

    name: str
    help: str
    run: Callable[[list[str]], int]


def ask_password(env_name: str, prompt: str, *, confirm: bool) -> str:
    """The password from `env_name`, else asked on the terminal; ValidationError when neither works."""
    value = os.environ.get(env_name)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise ValidationError(f"Password: set {env_name} or run interactively.", field="password")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the password: ") != first:
        raise ValidationError("Password: the two entries differ.", field="password")
    return first


def check_out(out: Path, suffix: str, *, force: bool) -> Path:
    """`out` when a command may write its file there: the right suffix, an existing folder, and no
    file there already unless `force` (an earlier print or export is never replaced by accident).
    ValidationError (field "out") naming the path otherwise."""
    if out.suffix.lower() != suffix:
        raise ValidationError(f"Out: {out} should end in {suffix}.", field="out")
    if not out.parent.is_dir():
        raise ValidationError(f"Out: no folder {out.parent}.", field="out")
    if out.is_dir():
        raise ValidationError(f"Out: {out} is a folder; give a file name.", field="out")
    if out.exists() and not force:
        raise ValidationError(f"Out: {out} already exists; give --force to replace it.", field="out")
    return out


def print_rows(rows: list[list[str]], header: list[str], as_csv: bool) -> None:
    """Print a table to standard output: comma-separated values with a header row, or columns
    padded to their widest cell."""
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    widths[-1] = 0
    for line in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def run_subcommand(prog: str, parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], str],
                   argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run `run(args)` and print the one line it returns; errors as in
    `run_reporting_errors`. The shape of `iopdesk print` and `iopdesk export`."""
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    from iopdesk.logs import configure_logging

    configure_logging()
    logging.getLogger(__name__).info("IOP Desk %s: %s", __version__, prog)

    def command() -> int:
        print(run(args))
        return 0
    return run_reporting_errors(prog, command)


def run_reporting_errors(prog: str, command: Callable[[], int]) -> int:
    """Run a command for the terminal: a refusal or a failure is one line naming what to fix, with
    exit status 2 (1 for a bug, 130 when interrupted), never a traceback."""
    try:
        return command()
    except IopDeskError as exc:
        logging.getLogger(__name__).info("%s refused: %s", prog, type(exc).__name__)
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"{prog}: could not write the file: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a last resort: one line, never a traceback
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        logging.getLogger(__name__).error("%s failed: %s at %s", prog, type(exc).__name__,
                                          f"{os.path.basename(where.filename)}:{where.lineno}" if where else "?")
        print(f"{prog}: unexpected error ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 1
