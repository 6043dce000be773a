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
    iopdesk sync status                           per site: last sync, changes pending both ways,
                                                  open conflicts, days since last contact
    iopdesk sync conflicts [--all]                the conflicts to resolve (--all: resolved ones too)
    iopdesk sync conflicts --resolve ID --keep mine|theirs
                                                  settle one: mine = the value this site's record
                                                  holds now, theirs = the other site's value
    iopdesk sync reidentify                       after a restore outside IOP Desk (pg_restore): new incarnation
    iopdesk sync retire --site CODE               (main clinic) retire a satellite: its records stay,
                                                  its syncs and files are refused from then on
    iopdesk sync rekey --site CODE                (main clinic) renew one satellite's sync key; it
                                                  takes the new key at its next direct sync

An interrupted `join` is finished by running the same `join` again (same --db and --site-code).

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
    actions.add_parser("status", parents=[common],
                       help="per site: last sync, changes pending both ways, open conflicts, days since contact")
    conflicts = actions.add_parser("conflicts", parents=[common], help="list sync conflicts, or resolve one")
    conflicts.add_argument("--all", action="store_true", help="resolved conflicts too")
    conflicts.add_argument("--resolve", metavar="ID", help="the conflict's id as the list prints it")
    conflicts.add_argument("--keep", choices=("mine", "theirs"),
                           help="mine: the value this site's record holds now; theirs: the other value")
    conflicts.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    renew = actions.add_parser("reidentify", parents=[common],
                               help="after restoring this database outside IOP Desk (pg_restore): start a new incarnation")
    renew.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    retire = actions.add_parser("retire", parents=[common],
                                help="(main clinic) retire a satellite site: its records stay, it can no longer sync")
    retire.add_argument("--site", required=True, metavar="CODE")
    retire.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)
    rekey = actions.add_parser("rekey", parents=[common],
                               help="(main clinic) give one satellite a new sync key, refusing files signed with the old one")
    rekey.add_argument("--site", required=True, metavar="CODE")
    rekey.add_argument("--as", dest="as_user", metavar="ADMIN", default=argparse.SUPPRESS)


def _progress(stage: str, done: int, total: int) -> None:
    """A percentage on the terminal, redrawn in place (nothing when output goes to a file)."""
    if total and sys.stderr.isatty():
        end = "\n" if done >= total else ""
        print(f"\r{stage}: {min(100, round(100 * done / total))}%", end=end, file=sys.stderr, flush=True)


def _stamp(when) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else "never"


def print_status(status) -> None:
    """`sync status`: this site's pending changes, then one line per other site."""
    state = "idle" if status.idle else "changes waiting"
    print(f"last sync: {_stamp(status.last_sync_at)}; {state}; pending changes: {status.pending_changes}; "
          f"open conflicts: {status.conflicts}")
    for peer in status.peers:
        days = "never synced" if peer.days_since_contact is None else (
            f"{peer.days_since_contact} day(s) since last contact")
        warning = f"  NOT SYNCED FOR {status.warn_after_days}+ DAYS" if peer.stale else ""
        role = "main clinic" if peer.is_main else "satellite"
        state = (f" (retired {peer.retired_at:%Y-%m-%d}, not counted)" if peer.retired_at
                 else " (join not finished)" if peer.joining else "")
        print(f"  {peer.site_code} ({peer.site_name}, {role}){state}: last sync {_stamp(peer.last_sync_at)}, "
              f"{days}; to send {peer.pending_out}, to receive {peer.pending_in}; open conflicts "
              f"{peer.open_conflicts}{warning}")


def print_conflicts(conflicts) -> None:
    """`sync conflicts`: each conflict in the clinic's words, with the short id to resolve it by."""
    waiting = sum(1 for c in conflicts if c.status == "pending")
    print(f"{waiting} conflict(s) to resolve" + ("" if waiting == len(conflicts) else f", {len(conflicts) - waiting} resolved"))
    for c in conflicts:
        done = "" if c.status == "pending" else f"  [resolved: {c.settled_as} by {c.resolved_by}]"
        print(f"{c.short_id}  {c.about} · {c.field_label}{done}")
        print(f"    mine   (held here now): {c.mine_text} — {c.mine_by}, {c.kept_site}, {_stamp(c.mine_at or c.detected_at)}")
        print(f"    theirs (set aside):     {c.theirs_text} — {c.theirs_by}, {c.other_site}, "
              f"{_stamp(c.theirs_at or c.detected_at)}")
    if waiting:
        print("Resolve one with: iopdesk sync conflicts --resolve ID --keep mine|theirs --as ADMIN")


def _administrator(args) -> tuple[str, str]:
    """The administrator named by --as and their password."""
    user = getattr(args, "as_user", None)
    if not user:
        raise ValidationError("Sync needs an administrator: give --as ADMIN.", field="as")
    return user, ask_password("IOPDESK_ADMIN_PASSWORD", f"Password for {user}: ", confirm=False)


def _sign_in(clinic, args) -> None:
    clinic.login(*_administrator(args))


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
            print_status(clinic.sync.status())
            return 0
        if action == "conflicts":
            if bool(args.resolve) != bool(args.keep):
                raise ValidationError("Conflicts: give --resolve ID together with --keep mine or --keep theirs.",
                                      field="keep")
            _sign_in(clinic, args)
            if args.resolve:
                settled = clinic.sync.resolve(args.resolve, keep=args.keep)
                print(f"Resolved {settled.short_id}: {settled.about}, {settled.field_label}: "
                      f"{settled.settled_as} ({settled.mine_text if args.keep == 'mine' else settled.theirs_text}).")
                print("The choice reaches every site with the next sync.")
                return 0
            print_conflicts(clinic.sync.conflicts(include_resolved=args.all))
            return 0
        if action == "reidentify":  # signs in itself: nothing may be written before it
            prefix = clinic.sync.renew_identity(*_administrator(args))
            print("This database now writes as a new writer of its site: its peers will send it everything "
                  f"it lacks at the next sync, and its new clients get MRNs {prefix}000001 onwards.")
            return 0
        _sign_in(clinic, args)
        if action == "retire":
            site = clinic.sync.retire_site(args.site)
            print(f"Retired site {site.code} ({site.name}): its records stay; its syncs and sync files "
                  "are refused from now on.")
            return 0
        if action == "rekey":
            clinic.sync.renew_site_key(args.site)
            print(f"Site {args.site.upper()} has a new sync key: files signed with the old one are refused. "
                  "The satellite takes the new key at its next direct sync (iopdesk sync --with URL).")
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
            raise ValidationError("Sync: give --with URL (direct) or an action: export, import, join, status, "
                                  "conflicts.",
                                  field="with")
        report = clinic.sync.sync_with(args.with_url, progress=_progress)
        print(f"Synced: {report.summary()}")
        return 0
