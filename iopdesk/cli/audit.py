"""`iopdesk audit`: the audit report, a client's accounting of disclosures, and the audit key.

    iopdesk audit [--client MRN] [--user NAME] [--from DATE] [--to DATE] [--sort FIELD] [--desc] [--csv]
    iopdesk audit disclosures --client MRN        date, time, client, user, recipient, description
    iopdesk audit key --export FILE               carry the clinic's audit key to another workstation
    iopdesk audit key --import FILE               install it here (no sign-in: only this clinic's key fits)
    iopdesk audit acknowledge-rollback --reason TEXT   accept a trail older than this workstation's anchor
                                                  (a restore made outside IOP Desk); audited

The report and disclosures act as an administrator (`--as`, password from IOPDESK_ADMIN_PASSWORD
or asked); reading them is audited. Times are local. `--csv` writes comma-separated values to
standard output (with a header row) for a spreadsheet.
"""

from __future__ import annotations

import argparse

from iopdesk.cli.common import ask_password, print_rows
from iopdesk.errors import ValidationError

SORT_CHOICES = ("when", "user", "action", "what", "client", "detail")


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    audit = sub.add_parser("audit", parents=[common], help="the audit report, disclosures and the audit key",
                           description="Who saw or changed what, when, for which client (times are local).")
    audit.add_argument("--as", dest="as_user", metavar="ADMIN", help="administrator to act as")
    audit.add_argument("--client", metavar="MRN", help="only events about this client")
    audit.add_argument("--user", metavar="NAME", help="only events by this user name")
    audit.add_argument("--from", dest="date_from", metavar="DATE", help="first day (YYYY-MM-DD), local time")
    audit.add_argument("--to", dest="date_to", metavar="DATE", help="last day (YYYY-MM-DD), inclusive")
    audit.add_argument("--sort", choices=SORT_CHOICES, default="when", help="column to sort by (default when)")
    audit.add_argument("--desc", action="store_true", help="sort descending")
    audit.add_argument("--limit", type=int, default=5000, help="at most this many events (default 5000)")
    audit.add_argument("--csv", action="store_true", help="comma-separated values with a header row")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    disclosures = actions.add_parser("disclosures", parents=[common],
                                     help="accounting of disclosures of one client's records")
    disclosures.add_argument("--client", required=True, metavar="MRN")
    disclosures.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    disclosures.add_argument("--csv", action="store_true")
    key = actions.add_parser("key", parents=[common], help="export or import the clinic's audit key")
    which = key.add_mutually_exclusive_group(required=True)
    which.add_argument("--export", dest="export_file", metavar="FILE", help="write the key to FILE (0600)")
    which.add_argument("--import", dest="import_file", metavar="FILE", help="install the key in FILE here")
    key.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    export_keys = actions.add_parser(
        "export-keys", parents=[common], help="this clinic's export key fingerprint and the exporters it trusts",
        description="Read this clinic's export key fingerprint to a clinic that imports your exports (by phone "
                    "or in person), and see which other clinics' export keys this clinic trusts: who confirmed "
                    "each, and when.")
    export_keys.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    export_keys.add_argument("--csv", action="store_true")
    rollback = actions.add_parser(
        "acknowledge-rollback", parents=[common],
        help="accept an audit trail older than this workstation's anchor (audited)",
        description="After a restore made outside IOP Desk (pg_restore, an old file copied back), `iopdesk "
                    "check` reports the trail as older than this workstation's anchor. Once you know why, "
                    "acknowledge it: the reason is kept in the audit trail and the anchor follows the trail again.")
    rollback.add_argument("--reason", required=True, metavar="TEXT", help="why the trail is older (which backup, who)")
    rollback.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)


def _sign_in(clinic, args) -> None:
    user = getattr(args, "as_user", None)
    if not user:
        raise ValidationError("Audit: give --as ADMIN (an administrator's user name).", field="as")
    clinic.login(user, ask_password("IOPDESK_ADMIN_PASSWORD", f"Password for {user}: ", confirm=False))


def run(args, open_clinic) -> int:
    """Run `iopdesk audit …`; `open_clinic(args)` opens the clinic."""
    with open_clinic(args) as clinic:
        if args.audit_command == "key":
            if args.import_file:
                path = clinic.audit.import_key(args.import_file)
                print(f"Installed the clinic's audit key at {path}")
                return 0
            _sign_in(clinic, args)
            path = clinic.audit.export_key(args.export_file)
            print(f"Wrote the clinic's audit key to {path}; keep it as secret as a password.")
            return 0
        _sign_in(clinic, args)
        if args.audit_command == "acknowledge-rollback":
            anchor = clinic.audit.acknowledge_rollback(args.reason)
            print(f"Acknowledged: the audit trail no longer holds event {anchor.seq} this workstation saw; "
                  "the acknowledgement is in the audit trail and the anchor follows the trail again.")
            return 0
        if args.audit_command == "export-keys":
            return _export_keys(clinic, args.csv)
        if args.audit_command == "disclosures":
            client = clinic.clients.by_mrn(args.client)
            rows = [[d.disclosed_at.strftime("%Y-%m-%d"), d.disclosed_at.strftime("%H:%M"), client.mrn,
                     d.disclosed_by, d.recipient, d.description]
                    for d in (_local(view) for view in clinic.disclosures.log(client.id))]
            print_rows(rows, ["date", "time", "client", "user", "recipient", "description"], args.csv)
            if not rows and not args.csv:
                print(f"No disclosures of {client.mrn}'s records.")
            return 0
        events = clinic.audit.report(args.client, args.user, args.date_from, args.date_to, order_by=args.sort,
                                     descending=args.desc, limit=args.limit)
        rows = [[e.when.strftime("%Y-%m-%d %H:%M:%S"), e.user, e.action, e.what, e.client_mrn, e.detail]
                for e in events]
        print_rows(rows, ["when", "user", "action", "what", "client", "detail"], args.csv)
        return 0


def _export_keys(clinic, csv: bool) -> int:
    """Print this clinic's export key fingerprint and the exporters' keys it trusts (admin only)."""
    from iopdesk.interchange.signing import own_signer, trusted_keys

    clinic.actor.require("admin.settings")
    own = own_signer(clinic)
    rows = [["this clinic", str(clinic.setting("clinic_name", "") or ""), own.fingerprint if own else "", "", ""]]
    rows += [["trusted", str(entry.get("clinic_name") or entry.get("clinic_id") or ""), str(entry.get("fingerprint")),
              str(entry.get("trusted_at") or ""), str(entry.get("trusted_by") or "")]
             for entry in trusted_keys(clinic)]
    print_rows(rows, ["key", "clinic", "fingerprint", "trusted at (UTC)", "trusted by"], csv)
    return 0


def _local(view):
    """A disclosure with its UTC time shown in local time."""
    import dataclasses
    import datetime as dt

    return dataclasses.replace(view, disclosed_at=view.disclosed_at.replace(tzinfo=dt.UTC).astimezone())
