"""`iopdesk export billing`: the billing spreadsheet for a date range, from the command line.

`iopdesk export billing --from DATE --to DATE [--site S] [--payer P] [--new-only] [--out FILE.xlsx]
[--db URL] --user USERNAME` signs in as USERNAME (password from $IOPDESK_PASSWORD, else asked when
interactive), runs `clinic.billing.run`, writes the workbook (`reports.billing_xlsx`) under a
temporary name beside the target, records the export (`clinic.billing.record_export`: a batch and
an audit event) once the file is complete, and only then moves it into place, so a refusal or a
failure leaves no unrecorded file behind. The file name defaults to `default_billing_file_name`
(dates and codes, never a client) in the current folder. Prints one line (lines, holds, total
charge, file); an error prints one line naming the problem and exits 2. No Qt is imported here.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from iopdesk.cli import ask_password, run_subcommand
from iopdesk.errors import ValidationError

from .billing_xlsx import default_billing_file_name, write_billing_workbook

PROG = "iopdesk export"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Export the billing spreadsheet (claim lines and holds) for a range of service dates.",
        epilog="The password is read from $IOPDESK_PASSWORD, or asked for when run interactively.",
    )
    parser.add_argument("what", choices=["billing"], help="what to export")
    parser.add_argument("--from", dest="range_from", required=True, metavar="DATE",
                        help="first date of service, YYYY-MM-DD")
    parser.add_argument("--to", dest="range_to", required=True, metavar="DATE",
                        help="last date of service, YYYY-MM-DD (inclusive)")
    parser.add_argument("--site", metavar="CODE", help="only this site (default: all sites)")
    parser.add_argument("--payer", metavar="CODE", help="only this payer (default: all payers)")
    parser.add_argument("--new-only", action="store_true",
                        help="only lines never exported, or changed since they were exported")
    parser.add_argument("--out", metavar="FILE.xlsx",
                        help="where to write (default: billing_FROM_TO[_SITE][_PAYER].xlsx in the current folder)")
    parser.add_argument("--db", metavar="URL", help="clinic database (default: $IOPDESK_DB or the user data folder)")
    parser.add_argument("--user", required=True, metavar="USERNAME", help="the staff account exporting")
    return parser


def _checked_out(out: Path) -> Path:
    if out.suffix.lower() != ".xlsx":
        raise ValidationError(f"Out: {out} should end in .xlsx.", field="out")
    if not out.parent.is_dir():
        raise ValidationError(f"Out: no folder {out.parent}.", field="out")
    return out


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def run(args: argparse.Namespace) -> str:
    """Export as `args` say; returns the line to show. Raises the domain's errors and OSError."""
    from iopdesk.clinic import open_clinic

    requested = _checked_out(Path(args.out)) if args.out else None
    with open_clinic(args.db, create=False) as clinic:
        clinic.login(args.user, ask_password("IOPDESK_PASSWORD", f"Password for {args.user}: ", confirm=False))
        clinic.actor.require("billing.export")
        billing_run = clinic.billing.run(args.range_from, args.range_to, site=args.site, payer=args.payer,
                                         new_only=args.new_only)
        out = requested or _checked_out(Path.cwd() / default_billing_file_name(billing_run))
        handle, partial = tempfile.mkstemp(prefix=".billing-", suffix=".xlsx.part", dir=out.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                summary = write_billing_workbook(billing_run, stream)
            batch, _ = clinic.billing.record_export(billing_run, file_name=out.name)
            os.replace(partial, out)
        finally:
            Path(partial).unlink(missing_ok=True)
    holds = f"{summary.holds:,} hold" + ("" if summary.holds == 1 else "s")
    lines = f"{summary.lines:,} line" + ("" if summary.lines == 1 else "s")
    return (f"Exported {lines} ({holds}), total charge {_dollars(summary.charge_cents)}, to {out}; "
            f"batch {batch.id}.")


def main(argv: Sequence[str] | None = None) -> int:
    """Run `iopdesk export …`; returns the exit code (0 written, 2 refused or wrong)."""
    return run_subcommand(PROG, build_parser(), run, argv)

if __name__ == "__main__":
    sys.exit(main())
