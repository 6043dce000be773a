"""`iopdesk notes naming-others`: signed notes that name another client, from the command line.

    iopdesk notes naming-others --as USER [--csv]

Lists, like the Admin page's "Notes naming clients" tab, every signed note whose text names another
client of the program (`clinic.notes.naming_other_clients`): the client's MRN, the date of
service, the type of note, the author, the name found with the initials of the client it names,
where in the note, the addenda already written and the note id, so each can get an addendum;
such notes are already left out of every release. Acts as an administrator or a supervisor (`--as`,
password from IOPDESK_ADMIN_PASSWORD or asked); the read is audited. Progress goes to standard
error; `--csv` writes comma-separated values with a header row.
"""

from __future__ import annotations

import argparse
import sys

from iopdesk.cli.common import ask_password, print_rows
from iopdesk.errors import ValidationError

HEADER = ["client", "date", "type", "author", "name found", "where", "addenda", "note id"]


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    notes = sub.add_parser("notes", help="signed notes that name another client",
                           description="Reports on clinical notes for administrators and supervisors.")
    actions = notes.add_subparsers(dest="notes_command", metavar="ACTION", required=True)
    named = actions.add_parser(
        "naming-others", parents=[common], help="signed notes whose text names another client",
        description="Every signed note that names another client of the program (another member of "
                    "its group session, any member in the session's shared part, or any client in "
                    "full), so each can get an addendum. Words overridden at signing are left out.")
    named.add_argument("--as", dest="as_user", metavar="USER", help="administrator or supervisor to act as")
    named.add_argument("--csv", action="store_true", help="comma-separated values with a header row")


def run(args, open_clinic) -> int:
    """Run `iopdesk notes …`; `open_clinic(args)` opens the clinic."""
    if not args.as_user:
        raise ValidationError("Notes: give --as USER (an administrator's or supervisor's user name).", field="as")
    with open_clinic(args) as clinic:
        clinic.login(args.as_user, ask_password("IOPDESK_ADMIN_PASSWORD", f"Password for {args.as_user}: ",
                                                confirm=False))

        def progress(done: int, total: int) -> None:
            print(f"\rread {done:,} of {total:,} signed notes", end="", file=sys.stderr, flush=True)

        review = clinic.notes.naming_other_clients(progress=progress)
        if review.total:
            print(file=sys.stderr)
        rows = [[n.mrn, n.service_date.isoformat(), n.kind, n.author, n.names_text,
                 ", ".join(dict.fromkeys(f for *_, f in n.names)), str(n.addenda), n.note_id]
                for n in review.notes]
        if rows or args.csv:
            print_rows(rows, HEADER, args.csv)
        if not args.csv:
            print(f"{len(rows)} signed note(s) name another client ({review.scanned:,} read).")
        return 0
