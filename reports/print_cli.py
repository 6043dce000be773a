"""`iopdesk print`: write one of a client's documents as a PDF from the command line.

`iopdesk print plan|discharge|group-note|progress-note|measures|sign-in --client MRN [--target ID]
[--out FILE.pdf [--force]] [--release-to NAME] [--staff-copy] [--db URL] --user USERNAME` signs in as USERNAME (password from
$IOPDESK_PASSWORD, else asked when interactive), finds the client by MRN and prints through
`reports.jobs.print_document`, the same path as the app's Print…: the consent check for a release,
the page frame, and one disclosure-log entry per released file. `--staff-copy` prints the sign-in
sheet's staff copy (with MRNs) instead of the members' copy. The file name defaults to
`reports.page.default_file_name` (MRN, document type, date: no name) in the current folder; an
existing file there is never replaced without `--force` (`iopdesk.cli.common.check_out`); the
file is written beside its target and moved into place only once complete, so a refusal leaves
nothing behind. Prints one line saying what was written where; an error prints one line naming the
problem and exits 2. No Qt is imported on this path.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from iopdesk.cli.common import ask_password, check_out, run_subcommand
from iopdesk.kernel.clock import today
from iopdesk.kernel.files import replacing
from reports.jobs import MODULES, PrintRequest, print_document
from reports.page import default_file_name

PROG = "iopdesk print"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iopdesk print",
        description="Write a client's document as a PDF, exactly as the app prints it.",
        epilog="The password is read from $IOPDESK_PASSWORD, or asked for when run interactively.",
    )
    parser.add_argument("document", choices=list(MODULES), help="the document to print")
    parser.add_argument("--client", metavar="MRN", help="the client's MRN (every document but sign-in)")
    parser.add_argument("--target", metavar="ID",
                        help="which one: the plan or discharge id, the note id (progress-note), the group "
                             "session id (group-note, sign-in) or a measure code (measures); default: the "
                             "current or latest")
    parser.add_argument("--out", metavar="FILE.pdf",
                        help="where to write (default: MRN_document_date.pdf in the current folder)")
    parser.add_argument("--force", action="store_true", help="replace the file at --out if there is one")
    parser.add_argument("--release-to", metavar="NAME", dest="recipient",
                        help="release the copy outside the program to NAME: needs the client's valid "
                             "consent naming NAME, and is recorded in the disclosure log")
    parser.add_argument("--staff-copy", action="store_true",
                        help="sign-in: the staff copy, with each member's MRN (the members' copy, passed around "
                             "the room, prints first names and last initials only)")
    parser.add_argument("--db", metavar="URL", help="clinic database (default: $IOPDESK_DB or the user data folder)")
    parser.add_argument("--user", required=True, metavar="USERNAME", help="the staff account printing")
    return parser


def run(args: argparse.Namespace) -> str:
    """Print as `args` say; returns the line to show. Raises the domain's errors."""
    from iopdesk.clinic import open_clinic

    with open_clinic(args.db, create=False) as clinic:
        clinic.login(args.user, ask_password("IOPDESK_PASSWORD", f"Password for {args.user}: ", confirm=False))
        client_id, mrn = None, ""
        if args.client:
            found = clinic.clients.by_mrn(args.client)
            client_id, mrn = found.id, found.mrn
        out = check_out(Path(args.out) if args.out else Path.cwd() / default_file_name(mrn, args.document, today()),
                        ".pdf", force=args.force)
        with replacing(out) as partial:
            result = print_document(clinic, args.document, PrintRequest(client_id, args.target, args.staff_copy),
                                    partial, recipient=args.recipient)
    line = f"Wrote {result.description} to {out}"
    if result.disclosure is not None:
        line += f"; released to {result.disclosure.recipient}, logged"
    return line + "."


def main(argv: Sequence[str] | None = None) -> int:
    """Run `iopdesk print …`; returns the exit code (0 written, 2 refused or wrong)."""
    return run_subcommand(PROG, build_parser(), run, argv)

if __name__ == "__main__":
    sys.exit(main())
