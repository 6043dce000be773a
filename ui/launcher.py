"""The `iopdesk` program: no command opens the desktop app, `print` writes a document
(reports.print_cli), `export` writes the billing spreadsheet or a client's record
(reports.export_cli), `--self-test` checks the installation on a temporary clinic (ui.self_test),
any other command runs the admin CLI (iopdesk.cli.main), which lists all of them in `iopdesk --help`:
they are handed to it as `ExtraCommand`s, because iopdesk/ never imports reports/ or ui/.

Lives in `ui/` because opening the app needs Qt, and `iopdesk/` never imports Qt; the CLI path
does not import PySide6 at all, so it runs on a server with no display libraries. Opening the app
on Linux with no display to open it on (neither DISPLAY nor WAYLAND_DISPLAY, and no Qt platform
chosen) says so in one line and exits 2, rather than starting a window no one can see.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence

from iopdesk.cli.common import ExtraCommand

EXIT_NO_DISPLAY = 2
NO_DISPLAY = ("iopdesk: no display to open the app on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
              "run it in a desktop session, or under xvfb-run")


def _print(words: list[str]) -> int:
    from reports.print_cli import main as print_main

    return print_main(words)


def _export(words: list[str]) -> int:
    from reports.export_cli import main as export_main

    return export_main(words)


def _self_test(_words: list[str]) -> int:
    from ui.self_test import main as self_test_main

    return self_test_main()


COMMANDS = (
    ExtraCommand("print", "write a client's document (plan, discharge, notes, measures) or a group's "
                          "sign-in sheet as a PDF", _print),
    ExtraCommand("export", "write the billing spreadsheet, or one client's full record", _export),
    ExtraCommand("--self-test", "check this installation on a temporary clinic (database, PDF, "
                                "spreadsheet, window), then exit", _self_test),
)


def display_problem(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str | None:
    """Why the app cannot open a window here, or None: on Linux, no DISPLAY nor WAYLAND_DISPLAY
    and no Qt platform chosen (QT_QPA_PLATFORM, e.g. offscreen or vnc, is taken as meant)."""
    if not platform.startswith("linux"):
        return None
    if any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return None
    return NO_DISPLAY


def _log_app_start(args: list[str]) -> None:
    """Configure logging for the desktop app and say which version starts on which kind of
    database (here, not in iopdesk.logs, so that logging imports nothing of the storage layer)."""
    from iopdesk.kernel.version import __version__
    from iopdesk.logs import configure_logging
    from iopdesk.paths import default_db_url
    from iopdesk.storage.db import is_postgres

    configure_logging()
    db = next((a.split("=", 1)[1] for a in args if a.startswith("--db=")), None)
    if db is None and "--db" in args and args.index("--db") + 1 < len(args):
        db = args[args.index("--db") + 1]
    try:
        kind = "postgresql" if is_postgres(db or default_db_url()) else "sqlite"
    except Exception:  # a wrong address is the app's to report, not the log's
        kind = "unknown"
    logging.getLogger(__name__).info("IOP Desk %s starting (database: %s)", __version__, kind)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    wants_app = not args or (args[0] == "--db" and len(args) == 2) or (len(args) == 1 and args[0].startswith("--db="))
    if not wants_app:
        from iopdesk.cli.main import main as cli_main

        return cli_main(args, COMMANDS)
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    _log_app_start(args)
    from ui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
