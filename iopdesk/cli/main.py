"""The admin command line: `iopdesk demo|user|migrate|check|server|sync|backup|restore|audit|import|
notes|settings|client`, `--db URL` or `IOPDESK_DB`.

The `iopdesk` program has commands that live above this package too (`print` and `export` in
reports/, `--self-test` in ui/), which iopdesk/ may not import: the entry point hands them down as
`ExtraCommand`s, so `iopdesk --help` lists every command and `main` runs theirs with the words
after them. Errors print one line a person can act on and exit non-zero; no traceback reaches the
user.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from iopdesk.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_ERROR,
    ExtraCommand,
    ask_password,
    run_reporting_errors,
)
from iopdesk.errors import ValidationError
from iopdesk.kernel.version import __version__


def build_parser(extra: Sequence[ExtraCommand] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iopdesk",
        description="IOP Desk. With no command, opens the desktop app; the commands below print, export "
                    "and administer a clinic without opening it.",
        epilog="Each command has its own help: iopdesk COMMAND --help (e.g. iopdesk print --help).",
    )
    parser.add_argument("--version", action="version", version=f"IOP Desk {__version__}")
    for command in extra:
        if command.name.startswith("-"):
            parser.add_argument(command.name, action="store_true", help=command.help)
    db_help = ("clinic database: a file path, sqlite:///path or postgresql://user@host/db "
               "(default: $IOPDESK_DB or the user data folder)")
    parser.add_argument("--db", metavar="URL", help=db_help)
    # --db is accepted after the command too (`iopdesk check --db FILE`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=db_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="fill an empty clinic with synthetic demo data")
    demo.add_argument("--clients", type=int, default=120, help="number of clients (default 120)")
    demo.add_argument("--weeks", type=int, default=26, help="weeks of history (default 26)")
    demo.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same data")
    demo.add_argument("--if-missing", action="store_true",
                      help="do nothing if the clinic already has clients")

    user = sub.add_parser("user", help="manage staff accounts")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", parents=[common], help="create an account (the first one must be an admin)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="full name as it appears on notes")
    add.add_argument("--role", action="append", required=True, dest="roles",
                     help="clinician, supervisor, prescriber, biller or admin (repeatable)")
    add.add_argument("--credentials", default="", help="e.g. LCSW, LPC, CADC")
    add.add_argument("--npi", default=None)
    add.add_argument("--needs-cosign", action="store_true", help="notes need a supervisor's co-signature")
    add.add_argument("--supervisor", default=None, help="user name of the supervisor")
    add.add_argument("--as", dest="as_user", default=None,
                     help="an admin account to act as (needed once the clinic has users)")

    migrate = sub.add_parser("migrate", parents=[common], help="bring the database schema up to date")
    migrate.add_argument("--status", action="store_true", help="only show applied and pending migrations")

    sub.add_parser("check", parents=[common], help="check schema, storage integrity and the audit trail")

    server = sub.add_parser("server", help="set up a clinic server (PostgreSQL) for several workstations")
    server_sub = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    init = server_sub.add_parser(
        "init", parents=[common],
        help="prepare an empty database: schema, clinic name, site, first admin, then check",
        description="Prepare an empty database for a clinic: create the schema, name the clinic and "
                    "its main site, create the first administrator (password from $IOPDESK_PASSWORD "
                    "or asked twice) and run `check`. Meant for PostgreSQL "
                    "(--db postgresql://user@host/dbname); works on a SQLite file too. A database "
                    "that already holds a clinic is refused.")
    init.add_argument("--clinic-name", default=None, help="the clinic's name on documents")
    init.add_argument("--site-code", default=None,
                      help="code of the main site, prefixing its MRNs (default MAIN)")
    init.add_argument("--site-name", default=None, help="name of the main site (default: Main clinic)")
    init.add_argument("--admin", required=True, metavar="USERNAME", help="user name of the first administrator")
    init.add_argument("--admin-name", required=True, metavar="FULL_NAME",
                      help="the administrator's full name")
    sub.add_parser("encrypt", parents=[common],
                   help="encrypt a SQLite clinic file with a passphrase (SQLCipher), in place",
                   description="Encrypt the clinic file (close IOP Desk everywhere first). The passphrase "
                               "comes from $IOPDESK_DB_PASSPHRASE or is asked twice; afterwards IOP Desk "
                               "asks for it when it opens the clinic.")
    from iopdesk.cli.sync import add_parser as add_sync_parser

    add_sync_parser(sub, common)
    from iopdesk.cli.backup import add_parsers as add_backup_parsers

    add_backup_parsers(sub, common)
    from iopdesk.cli.audit import add_parser as add_audit_parser

    add_audit_parser(sub, common)
    from iopdesk.cli.client_import import add_parser as add_import_parser

    add_import_parser(sub, common)
    from iopdesk.cli.settings import add_parser as add_settings_parser

    add_settings_parser(sub, common)
    from iopdesk.cli.notes import add_parser as add_notes_parser

    add_notes_parser(sub, common)
    from iopdesk.cli.client import add_parser as add_client_parser

    add_client_parser(sub, common)
    for command in extra:
        if not command.name.startswith("-"):
            sub.add_parser(command.name, help=command.help, add_help=False)
    return parser


def _extra_command(argv: list[str], extra: Sequence[ExtraCommand]) -> tuple[ExtraCommand, list[str]] | None:
    """The extra command `argv` names first (after an optional `--db URL`), with the words to run
    it with: those after it, then the `--db` given before it."""
    db: list[str] = []
    words = list(argv)
    if words[:1] == ["--db"] and len(words) > 1:
        db, words = words[:2], words[2:]
    elif words and words[0].startswith("--db="):
        db, words = words[:1], words[1:]
    for command in extra:
        if words and words[0] == command.name:
            return command, words[1:] + (db if not command.name.startswith("-") else [])
    return None


def _cmd_encrypt(args) -> int:
    from iopdesk.paths import default_db_url
    from iopdesk.storage.db import (
        PASSPHRASE_ENV,
        normalise_url,
        refuse_unless_clinic_file,
        sqlite_path,
    )
    from iopdesk.storage.encryption import check_passphrase, encrypt_clinic

    path = sqlite_path(normalise_url(args.db or default_db_url()))
    if path is None:
        raise ValidationError("Clinic database: encryption is for a SQLite clinic file; protect a "
                              "PostgreSQL server's disk and connections on the server.", field="db")
    if path.is_file():
        refuse_unless_clinic_file(path)  # before asking for a passphrase it would never use
    passphrase = ask_password(PASSPHRASE_ENV, "New passphrase for the clinic file: ", confirm=True)
    check_passphrase(passphrase)
    counts = encrypt_clinic(path, passphrase)
    print(f"Encrypted {path} ({sum(counts.values()):,} rows). IOP Desk will ask for the passphrase "
          "when it opens this clinic; keep it safe: without it the clinic cannot be read. Older "
          "unencrypted backups of this clinic should be destroyed.")
    return 0


def _cmd_backup(args) -> int:
    from iopdesk.cli.backup import run_backup

    return run_backup(args)


def _cmd_restore(args) -> int:
    from iopdesk.cli.backup import run_restore

    return run_restore(args)


def _cmd_sync(args) -> int:
    from iopdesk.cli.sync import run

    return run(args, _open_existing)


def _cmd_demo(args) -> int:
    from iopdesk.demo import generate
    from iopdesk.paths import data_dir

    if not args.db and not os.environ.get("IOPDESK_DB"):
        data_dir().mkdir(parents=True, exist_ok=True)
    clinic = _open(args)
    with clinic:
        if clinic.clients.count() > 0 or clinic.users.count() > 0:
            if args.if_missing:
                print(f"Demo clinic already present at {clinic.info().database}")
                return 0
            raise ValidationError(
                "Demo data goes only into an empty clinic; this one has clients or staff. For a demo or "
                "training server, run `iopdesk --db URL demo` on a new, empty database instead of "
                "`server init` (demo makes the clinic, its sites and its staff).", field="db")
        report = generate(clinic, clients=args.clients, weeks=args.weeks, seed=args.seed,
                          progress=lambda text: print(text, file=sys.stderr))
        print(report.describe())
    return 0


def _cmd_user(args) -> int:
    with _open(args) as clinic:
        if clinic.users.count() > 0:
            if not args.as_user:
                raise ValidationError("The clinic has users: give --as ADMIN to act as an administrator.",
                                      field="as")
            clinic.login(args.as_user, ask_password("IOPDESK_ADMIN_PASSWORD",
                                                 f"Password for {args.as_user}: ", confirm=False))
        password = ask_password("IOPDESK_PASSWORD", f"New password for {args.username}: ", confirm=True)
        summary, _ = clinic.users.add(
            args.username, password, display_name=args.name, roles=args.roles,
            credentials=args.credentials, npi=args.npi, needs_cosign=args.needs_cosign,
            supervisor=args.supervisor,
        )
        print(f"Created {summary.username} ({', '.join(summary.roles)})")
    return 0


def _cmd_migrate(args) -> int:
    from iopdesk.backup.before_upgrade import backup_before_upgrade
    from iopdesk.paths import default_db_url
    from iopdesk.storage.db import (
        database,
        make_database,
        normalise_url,
        refuse_unless_clinic_file,
        sqlite_path,
    )
    from iopdesk.storage.schema import schema_status, upgrade

    url = normalise_url(args.db or default_db_url())
    path = sqlite_path(url)
    if path is not None and path.exists():
        refuse_unless_clinic_file(path)  # never migrate a schema into an empty or foreign file
    db = make_database(url)
    database.initialize(db)
    status = schema_status(db)
    if args.status:
        for name in status.applied:
            print(f"[x] {name}")
        for name in status.pending:
            print(f"[ ] {name}")
        for name in status.unknown:
            print(f"[?] {name} (from a newer IOP Desk)")
        return 0
    backup = backup_before_upgrade(db)
    if backup is not None:
        print(f"backup: {backup}")
    applied = upgrade(db)
    print("applied: " + ", ".join(applied) if applied else "schema is up to date")
    db.close()
    return 0


def _cmd_check(args) -> int:
    with _open(args, create=False) as clinic:
        report = clinic.check()
        for line in report.lines:
            print(line)
        return 0 if report.ok else EXIT_CHECK_FAILED


def _open(args, create: bool = True):
    from iopdesk.clinic import open_clinic

    return open_clinic(args.db, create=create)


def _open_existing(args):
    """Open a clinic that must already exist: a command that reads or changes a clinic's records
    never leaves a new empty clinic behind (only `demo`, `user add` for the first administrator,
    `server init` and the desktop app's first start create one)."""
    return _open(args, create=False)


def _cmd_server(args) -> int:
    from iopdesk.cli.server import ServerSetup, refuse_unless_empty

    setup = ServerSetup.checked(
        args.db, clinic_name=args.clinic_name, site_code=args.site_code, site_name=args.site_name,
        admin=args.admin, admin_name=args.admin_name,
    )
    refuse_unless_empty(setup.url)
    password = ask_password("IOPDESK_PASSWORD", f"Password for the administrator {setup.admin}: ",
                            confirm=True)
    report = setup.run(password, progress=print)
    return 0 if report.ok else EXIT_CHECK_FAILED


def _cmd_audit(args) -> int:
    from iopdesk.cli.audit import run

    return run(args, _open_existing)


def _cmd_import(args) -> int:
    from iopdesk.cli.client_import import run

    return run(args, _open)


def _cmd_settings(args) -> int:
    from iopdesk.cli.settings import run

    return run(args, _open_existing)


def _cmd_notes(args) -> int:
    from iopdesk.cli.notes import run

    return run(args, _open_existing)


def _cmd_client(args) -> int:
    from iopdesk.cli.client import run

    return run(args, _open_existing)


COMMANDS = {"demo": _cmd_demo, "user": _cmd_user, "migrate": _cmd_migrate, "check": _cmd_check,
            "server": _cmd_server, "sync": _cmd_sync, "encrypt": _cmd_encrypt,
            "backup": _cmd_backup, "restore": _cmd_restore, "audit": _cmd_audit,
            "import": _cmd_import, "settings": _cmd_settings, "notes": _cmd_notes,
            "client": _cmd_client}


def main(argv: Sequence[str] | None = None, extra: Sequence[ExtraCommand] = ()) -> int:
    """Run a command (an admin command, or one of `extra`); returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    found = _extra_command(words, extra)
    if found is not None:
        command, rest = found
        return command.run(rest)
    parser = build_parser(extra)
    args = parser.parse_args(words)
    if not args.command:
        parser.print_help()
        return EXIT_ERROR
    from iopdesk.logs import configure_logging

    configure_logging()
    logging.getLogger(__name__).info("IOP Desk %s: command %s", __version__, args.command)
    return run_reporting_errors("iopdesk", lambda: COMMANDS[args.command](args))


if __name__ == "__main__":
    sys.exit(main())
