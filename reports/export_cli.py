"""`iopdesk export billing|client`: the billing spreadsheet for a date range, or one client's record.

`iopdesk export client MRN --out DIR --recipient TEXT --user USERNAME` writes the client's full
record (reports.client_export) and logs it as a disclosure to TEXT. The rest of this docstring is
about billing.

`iopdesk export billing --from DATE --to DATE [--site S] [--payer P] [--new-only] [--out FILE.xlsx]
[--force] [--db URL] --user USERNAME` signs in as USERNAME (password from $IOPDESK_PASSWORD, else asked when
interactive), runs `clinic.billing.run`, then writes the workbook, records the export (a batch
and an audit event) and puts the file in place together (`reports.billing_export`, as the Billing
screen does), so a refusal or a failure leaves neither a half-written nor an unrecorded file
behind. The file name defaults to `default_billing_file_name`
(dates and codes, never a client) in the current folder; an existing file is replaced only with
`--force` (`iopdesk.cli.common.check_out`, as for `iopdesk print`). Prints one line (lines, holds, total
charge, file); an error prints one line naming the problem and exits 2. No Qt is imported here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from iopdesk.cli.common import ask_password, check_out, run_subcommand
from iopdesk.kernel.formats import money_text
from reports.billing_export import export_billing_workbook
from reports.billing_xlsx import default_billing_file_name

PROG = "iopdesk export"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Export the billing spreadsheet, or one client's full record.",
        epilog="The password is read from $IOPDESK_PASSWORD, or asked for when run interactively.",
    )
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    billing = sub.add_parser("billing", help="the billing spreadsheet (claim lines and holds) for a date range",
                             description="Export the billing spreadsheet (claim lines and holds) for a "
                                         "range of service dates.")
    billing.add_argument("--from", dest="range_from", required=True, metavar="DATE",
                         help="first date of service, YYYY-MM-DD")
    billing.add_argument("--to", dest="range_to", required=True, metavar="DATE",
                         help="last date of service, YYYY-MM-DD (inclusive)")
    billing.add_argument("--site", metavar="CODE", help="only this site (default: all sites)")
    billing.add_argument("--payer", metavar="CODE", help="only this payer (default: all payers)")
    billing.add_argument("--new-only", action="store_true",
                         help="only lines never exported, or changed since they were exported")
    billing.add_argument("--out", metavar="FILE.xlsx",
                         help="where to write (default: billing_FROM_TO[_SITE][_PAYER].xlsx in the current folder)")
    billing.add_argument("--force", action="store_true", help="replace the file at --out if there is one")
    client = sub.add_parser(
        "client", help="one client's full record: JSON per table, manifest, PDFs",
        description="Export one client's full record into a new folder: one JSON file per table, a "
                    "manifest with SHA-256 hashes, FORMAT.md and the signed documents as PDFs. The "
                    "export is logged as a disclosure to the recipient (accounting of disclosures).")
    client.add_argument("mrn", metavar="MRN", help="the client's MRN")
    client.add_argument("--out", required=True, metavar="DIR",
                        help="a new (or empty) folder: a folder with anything in it is never replaced")
    client.add_argument("--recipient", required=True, metavar="TEXT",
                        help='who receives it, e.g. "Client (patient request)"')
    for each in (billing, client):
        each.add_argument("--db", metavar="URL",
                          help="clinic database (default: $IOPDESK_DB or the user data folder)")
        each.add_argument("--user", required=True, metavar="USERNAME", help="the staff account exporting")
    return parser


def run(args: argparse.Namespace) -> str:
    """Export as `args` say; returns the line to show. Raises the domain's errors and OSError."""
    from iopdesk.clinic import open_clinic

    if args.what == "client":
        return run_client(args)
    requested = check_out(Path(args.out), ".xlsx", force=args.force) if args.out else None
    with open_clinic(args.db, create=False) as clinic:
        clinic.login(args.user, ask_password("IOPDESK_PASSWORD", f"Password for {args.user}: ", confirm=False))
        clinic.actor.require("billing.export")
        billing_run = clinic.billing.run(args.range_from, args.range_to, site=args.site, payer=args.payer,
                                         new_only=args.new_only)
        out = requested or check_out(Path.cwd() / default_billing_file_name(billing_run), ".xlsx", force=args.force)
        export = export_billing_workbook(clinic, billing_run, out)
    summary, batch = export.summary, export.batch
    holds = f"{summary.holds:,} hold" + ("" if summary.holds == 1 else "s")
    lines = f"{summary.lines:,} line" + ("" if summary.lines == 1 else "s")
    return (f"Exported {lines} ({holds}), total charge {money_text(summary.charge_cents)}, to {out}; "
            f"batch {batch.id}.")


def run_client(args: argparse.Namespace) -> str:
    """`iopdesk export client MRN --out DIR --recipient TEXT` (see reports.client_export)."""
    from iopdesk.clinic import open_clinic
    from reports.client_export import export_client_with_pdfs

    with open_clinic(args.db, create=False) as clinic:
        clinic.login(args.user, ask_password("IOPDESK_PASSWORD", f"Password for {args.user}: ", confirm=False))
        result = export_client_with_pdfs(clinic, args.mrn, args.out, recipient=args.recipient)
    return result.summary() + f" Logged as a disclosure to {args.recipient.strip()}."


def main(argv: Sequence[str] | None = None) -> int:
    """Run `iopdesk export …`; returns the exit code (0 written, 2 refused or wrong)."""
    return run_subcommand(PROG, build_parser(), run, argv)

if __name__ == "__main__":
    sys.exit(main())
