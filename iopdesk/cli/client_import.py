"""`iopdesk import client DIR`: insert a client record export into a clinic with no clients.

The export is verified against its manifest first (every file's SHA-256 and every row's record
hash), then inserted in one transaction (iopdesk/interchange/client_import.py). A clinic with staff accounts
needs an administrator (`--as ADMIN`, password from $IOPDESK_ADMIN_PASSWORD or asked); a new,
empty clinic is filled by the system, like `iopdesk demo`.
"""

from __future__ import annotations

import argparse

from iopdesk.cli.common import ask_password


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    imp = sub.add_parser("import", help="import a client record export into an empty clinic")
    what = imp.add_subparsers(dest="import_what", metavar="WHAT", required=True)
    client = what.add_parser("client", parents=[common], help="a folder written by `iopdesk export client`")
    client.add_argument("folder", metavar="DIR")
    client.add_argument("--as", dest="as_user", metavar="ADMIN", help="administrator to act as")


def run(args, open_clinic) -> int:
    """Run `iopdesk import client DIR`; `open_clinic(args)` opens the target clinic."""
    from iopdesk.errors import ValidationError
    from iopdesk.interchange.client_import import import_client_record

    with open_clinic(args) as clinic:
        if clinic.users.count() > 0:
            if not args.as_user:
                raise ValidationError("As: the clinic has users; give --as ADMIN.", field="as")
            clinic.login(args.as_user, ask_password("IOPDESK_ADMIN_PASSWORD", f"Password for {args.as_user}: ",
                                                    confirm=False))
        report = import_client_record(clinic, args.folder)
        print(f"Imported {report.summary()}.")
    return 0
