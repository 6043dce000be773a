"""The `iopdesk` program: no command opens the desktop app, `print` writes a document
(reports.print_cli), `export` writes the billing spreadsheet (reports.export_cli), `--self-test`
checks the installation on a temporary clinic (ui.self_test), any other command runs the admin CLI.

Lives in `ui/` because opening the app needs Qt, and `iopdesk/` never imports Qt; the CLI path
does not import PySide6 at all, so it runs on a server with no display libraries.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    wants_app = not args or (args[0] == "--db" and len(args) == 2) or args[0].startswith("--db=")
    if args and args[0] == "--self-test":
        from .self_test import main as self_test_main

        return self_test_main()
    if args and args[0] == "print":
        from reports.print_cli import main as print_main

        return print_main(args[1:])
    if args and args[0] == "export":
        from reports.export_cli import main as export_main

        return export_main(args[1:])
    if not wants_app:
        from iopdesk.cli import main as cli_main

        return cli_main(args)
    from iopdesk.logs import log_app_start

    log_app_start(args)
    from .app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
