"""`iopdesk client duplicates|merge`: an administrator finds a client registered twice and merges
the two charts into one (iopdesk/services/client_merge.py).

    iopdesk client duplicates --as ADMIN
    iopdesk client merge --keep MRN --merge MRN --as ADMIN [--dry-run | --yes]

`merge` first prints both charts side by side and what will move, then merges when confirmed
(asked at a terminal; `--yes` when run from a script). `--dry-run` stops after the plan. What a
clinician must settle first (two active episodes, attendance in one session, two current MAT
medications) is named and nothing changes. Password from IOPDESK_ADMIN_PASSWORD or asked.
"""

from __future__ import annotations

import argparse
import sys

from iopdesk.cli.common import ask_password, print_rows
from iopdesk.errors import ValidationError
from iopdesk.kernel.formats import date_text


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    client = sub.add_parser("client", help="find and merge clients registered twice",
                            description="Clients registered twice (offline at two sites, or in a restored copy).")
    actions = client.add_subparsers(dest="client_command", metavar="ACTION", required=True)
    duplicates = actions.add_parser("duplicates", parents=[common], help="list clients registered twice",
                                    description="Pairs of charts with the same legal name and date of birth.")
    duplicates.add_argument("--as", dest="as_user", metavar="USER", help="administrator to act as")
    merge = actions.add_parser(
        "merge", parents=[common], help="merge a duplicate chart into the chart kept",
        description="Move every record of the chart --merge to the chart --keep. The merged MRN keeps "
                    "finding the chart; the merge is audited and syncs to every site.")
    merge.add_argument("--keep", required=True, metavar="MRN", help="the chart that stays")
    merge.add_argument("--merge", required=True, metavar="MRN", help="the duplicate chart merged into it")
    merge.add_argument("--as", dest="as_user", metavar="USER", help="administrator to act as")
    merge.add_argument("--dry-run", action="store_true", help="show what would move and stop")
    merge.add_argument("--yes", action="store_true", help="merge without asking (after showing the plan)")


def _login(clinic, args) -> None:
    if not args.as_user:
        raise ValidationError("Client: give --as USER (an administrator's user name).", field="as")
    clinic.login(args.as_user, ask_password("IOPDESK_ADMIN_PASSWORD", f"Password for {args.as_user}: ",
                                            confirm=False))


def _side_by_side(plan) -> list[list[str]]:
    keep, merge = plan.keep, plan.merge
    rows = [["MRN", keep.mrn, merge.mrn], ["name", keep.legal_name, merge.legal_name],
            ["date of birth", date_text(keep.dob), date_text(merge.dob)],
            ["site", keep.site_code, merge.site_code], ["notes", str(keep.note_count), str(merge.note_count)]]
    for number in range(max(len(keep.episodes), len(merge.episodes), 1)):
        rows.append(["episode" if number == 0 else "",
                     keep.episodes[number] if number < len(keep.episodes) else "",
                     merge.episodes[number] if number < len(merge.episodes) else ""])
    return rows


def run(args, open_clinic) -> int:
    """Run `iopdesk client …`; `open_clinic(args)` opens the clinic."""
    with open_clinic(args) as clinic:
        _login(clinic, args)
        if args.client_command == "duplicates":
            pairs = clinic.client_merge.candidates()
            if pairs:
                print_rows([[keep, merge] for keep, merge in pairs], ["older chart", "registered again"], False)
            print(f"{len(pairs)} client(s) registered twice.")
            return 0
        plan = clinic.client_merge.preview(args.keep, args.merge)
        print_rows(_side_by_side(plan), ["", "keep", "merge"], False)
        for line in plan.lines():
            print(line)
        if args.dry_run or not plan.can_merge:
            print("Nothing was changed." if args.dry_run else "Nothing was changed: settle the above first.")
            return 0 if args.dry_run else 1
        if not args.yes:
            if not sys.stdin.isatty():
                raise ValidationError("Merge: give --yes to merge without a terminal (after checking the plan).",
                                      field="yes")
            if input(f"Merge {plan.merge.mrn} into {plan.keep.mrn}? [y/N] ").strip().lower() not in ("y", "yes"):
                print("Nothing was changed.")
                return 1
        clinic.client_merge.merge(args.keep, args.merge)
        print(f"Merged {plan.merge.mrn} into {plan.keep.mrn}; {plan.merge.mrn} now finds {plan.keep.mrn}.")
        return 0
