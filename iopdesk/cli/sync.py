"""`iopdesk sync`: exchange changes between a satellite site and the main clinic.

    iopdesk sync --with postgresql://…            direct sync (receive, then send)
    iopdesk sync export --out FILE [--for SITE]   write a sync file, encrypted with a passphrase
                                                  (--plain: unencrypted, readable by anyone)
    iopdesk sync import FILE                      apply a sync file written for this site
    iopdesk sync join --main URL --site-code C --site-name N [--audit-key FILE] [--plain]
                                                  create this satellite's database: encrypted with
                                                  a passphrase (IOPDESK_DB_PASSPHRASE or asked),
                                                  readable by this account only (0600)
    iopdesk sync share --client MRN --site CODE [--reason TEXT]
    iopdesk sync unshare --client MRN --site CODE [--reason TEXT]
                                                  a satellite holds its own site's clients, those
                                                  of groups run there, and those shared with it
    iopdesk sync status                           last sync, pending changes, conflicts
    iopdesk sync reidentify                       after restoring a backup: peers re-send everything

Every command but `join` and `status` acts as an administrator (`--as`, password from
IOPDESK_ADMIN_PASSWORD or asked); the passphrase comes from IOPDESK_SYNC_PASSPHRASE or is asked.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iopdesk.cli.common import ask_password, check_out
from iopdesk.errors import ValidationError
from iopdesk.storage.db import PASSPHRASE_ENV as DB_PASSPHRASE_ENV

PASSPHRASE_ENV = "IOPDESK_SYNC_PASSPHRASE"


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    sync = sub.add_parser("sync", parents=[common], help="exchange changes between a satellite site and the main clinic")
    sync.add_argument("--with", dest="with_url", metavar="URL", help="the main clinic's database, for a direct sync")
    sync.add_argument("--as", dest="as_user", metavar="ADMIN", help="administrator to act as")
    actions = sync.add_subparsers(dest="sync_command", metavar="ACTION")
    export = actions.add_parser("export", parents=[common], help="write a sync file")
    export.add_argument("--out", required=True, metavar="FILE")
    export.add_argument("--force", action="store_true", help="replace the file at --out if there is one")
    export.add_argument("--for", dest="for_site", metavar="SITE", help="site code the file is for (at the main clinic)")
    encryption = export.add_mutually_exclusive_group()
    encryption.add_argument("--plain", action="store_true",
                            help="write the file unencrypted (client names and notes readable by anyone "
                                 "holding it); without this the file is encrypted with a passphrase")
    encryption.add_argument("--encrypt", action="store_true", help=argparse.SUPPRESS)  # the default now
    export.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    imp = actions.add_parser("import", parents=[common], help="apply a sync file written for this site")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    join = actions.add_parser("join", help="create this satellite site's database from the main clinic")
    join.add_argument("--main", required=True, metavar="URL")
    join.add_argument("--db", required=True, metavar="FILE", help="the new satellite database file")
    join.add_argument("--site-code", required=True)
    join.add_argument("--site-name", required=True)
    join.add_argument("--audit-key", metavar="FILE",
                      help="the clinic's audit key file (`iopdesk audit key --export FILE` at the main clinic), "
                           "when this computer does not hold it yet")
    join.add_argument("--plain", action="store_true",
                      help="leave the satellite file unencrypted (anyone with a copy of it reads every chart "
                           "it holds); without this it is encrypted with a passphrase")
    for name, what in (("share", "let a satellite site hold a client's chart"),
                       ("unshare", "end a client's share with a satellite site")):
        action = actions.add_parser(name, parents=[common], help=what)
        action.add_argument("--client", required=True, metavar="MRN")
        action.add_argument("--site", required=True, metavar="CODE")
        action.add_argument("--reason", default="", metavar="TEXT")
        action.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    actions.add_parser("status", parents=[common], help="last sync, pending changes and conflicts")
    renew = actions.add_parser("reidentify", parents=[common],
                               help="after restoring this database from a backup: make peers re-send")
    renew.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)


def _progress(stage: str, done: int, total: int) -> None:
    """A percentage on the terminal, redrawn in place (nothing when output goes to a file)."""
    if total and sys.stderr.isatty():
        end = "\n" if done >= total else ""
        print(f"\r{stage}: {min(100, round(100 * done / total))}%", end=end, file=sys.stderr, flush=True)


def _sign_in(clinic, args) -> None:
    user = getattr(args, "as_user", None)
    if not user:
        raise ValidationError("Sync needs an administrator: give --as ADMIN.", field="as")
    clinic.login(user, ask_password("IOPDESK_ADMIN_PASSWORD", f"Password for {user}: ", confirm=False))


def run(args, open_clinic) -> int:
    """Run `iopdesk sync …`; `open_clinic(args)` opens this site's clinic."""
    action = args.sync_command
    if action == "join":
        from iopdesk.services.sync import join_as_satellite

        passphrase = None
        if args.plain:
            print("Warning: the satellite file is not encrypted; anyone with a copy of it can read every "
                  "chart it holds.", file=sys.stderr)
        else:
            passphrase = ask_password(DB_PASSPHRASE_ENV, "Passphrase for the satellite file: ", confirm=True)
        report = join_as_satellite(args.main, args.db, site_code=args.site_code, site_name=args.site_name,
                                   progress=_progress, audit_key=args.audit_key, passphrase=passphrase)
        how = "unencrypted" if args.plain else "encrypted"
        print(f"Joined as site {args.site_code.upper()} ({how}, readable by this account only): {report.summary()}")
        return 0
    with open_clinic(args) as clinic:
        if action == "status":
            status = clinic.sync.status()
            last = status.last_sync_at.strftime("%Y-%m-%d %H:%M UTC") if status.last_sync_at else "never"
            print(f"last sync: {last}; pending changes: {status.pending_changes}; conflicts: {status.conflicts}")
            for peer in status.peers:
                print(f"  {peer.site_code} ({peer.site_name}): received up to {peer.received_upto}, "
                      f"confirmed up to {peer.acked_upto}")
            return 0
        _sign_in(clinic, args)
        if action == "reidentify":
            clinic.sync.renew_identity()
            print("This database has a new identity; its peers will exchange everything with it again.")
            return 0
        if action in ("share", "unshare"):
            change = clinic.sync.share if action == "share" else clinic.sync.unshare
            change(args.client, args.site, reason=args.reason)
            done = "now shared with" if action == "share" else "no longer shared with"
            print(f"{args.client.strip().upper()} is {done} site {args.site.strip().upper()}; "
                  "it takes effect at that site's next sync.")
            return 0
        if action == "export":
            check_out(Path(args.out), Path(args.out).suffix.lower(), force=args.force)
            passphrase = None if args.plain else ask_password(PASSPHRASE_ENV, "Sync passphrase: ", confirm=True)
            count, size = clinic.sync.export_file(args.out, for_site=args.for_site, passphrase=passphrase,
                                                  plain=args.plain, progress=_progress)
            how = "unencrypted" if args.plain else "encrypted"
            print(f"Wrote {count} change(s) to {args.out} ({size:,} bytes, {how})")
            return 0
        if action == "import":
            import os

            passphrase = os.environ.get(PASSPHRASE_ENV)
            try:
                report = clinic.sync.import_file(args.file, passphrase=passphrase, progress=_progress)
            except ValidationError as error:
                if error.field != "passphrase" or passphrase or not sys.stdin.isatty():
                    raise
                report = clinic.sync.import_file(args.file, progress=_progress,
                                                 passphrase=ask_password(PASSPHRASE_ENV, "Sync passphrase: ",
                                                                         confirm=False))
            print(f"Imported {args.file}: {report.summary()}")
            return 0
        if not args.with_url:
            raise ValidationError("Sync: give --with URL (direct) or an action: export, import, join, status.",
                                  field="with")
        report = clinic.sync.sync_with(args.with_url, progress=_progress)
        print(f"Synced: {report.summary()}")
        return 0
