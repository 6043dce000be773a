"""`iopdesk import client DIR [--trust FINGERPRINT]`: insert a client record export into a clinic with no clients.

The export's signature is verified first, then every file against the signed manifest (every
file's SHA-256 and every row's record hash), then the signer: its key must be this clinic's own or
one it trusts; otherwise the refusal shows the key's fingerprint, which the administrator compares
with the exporting clinic out of band (phone, in person; never from the export itself) and
confirms with `--trust FINGERPRINT`, which must be that fingerprint (the key is then trusted, and
the audit trail says so). The rows are inserted in one transaction
(iopdesk/interchange/client_import.py). A clinic with staff accounts needs an administrator
(`--as ADMIN`, password from $IOPDESK_ADMIN_PASSWORD or asked); a new, empty clinic is filled by
the system, like `iopdesk demo`. A new clinic file is built under a temporary name beside `--db`
and moved into place only once the import succeeded: a refused import leaves no file at `--db`
(and no audit key made for it), an existing clinic is left as it was.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from iopdesk.cli.common import ask_password


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    imp = sub.add_parser("import", help="import a client record export into an empty clinic")
    what = imp.add_subparsers(dest="import_what", metavar="WHAT", required=True)
    client = what.add_parser("client", parents=[common], help="a folder written by `iopdesk export client`")
    client.add_argument("folder", metavar="DIR")
    client.add_argument("--as", dest="as_user", metavar="ADMIN", help="administrator to act as")
    client.add_argument("--trust", metavar="FINGERPRINT",
                        help="trust the key the export is signed with: its fingerprint as the exporting clinic "
                             "read it to you (shown when an import is refused for an unknown signer)")


def _import(clinic, args):
    from iopdesk.errors import ValidationError
    from iopdesk.interchange.client_import import import_client_record

    if clinic.users.count() > 0:
        if not args.as_user:
            raise ValidationError("As: the clinic has users; give --as ADMIN.", field="as")
        clinic.login(args.as_user, ask_password("IOPDESK_ADMIN_PASSWORD", f"Password for {args.as_user}: ",
                                                confirm=False))
    return import_client_record(clinic, args.folder, trust=args.trust)


def _new_clinic_file(db: str | None) -> Path | None:
    """The SQLite file `--db` names when there is none there yet (the import creates it), else None."""
    from iopdesk.paths import default_db_url
    from iopdesk.storage.db import normalise_url, sqlite_path

    path = sqlite_path(normalise_url(db or default_db_url()))
    return path if path is not None and not path.exists() and not path.is_symlink() else None


def _into_new_file(path: Path, args):
    """Import into a new clinic built at a temporary beside `path`, moved to `path` on success;
    on a refusal the temporary and the audit key made for the new clinic are removed."""
    from iopdesk.audit import keys
    from iopdesk.clinic import open_clinic
    from iopdesk.interchange.client_import import claimed_source, read_export
    from iopdesk.interchange.signing import confirmed
    from iopdesk.kernel.files import replacing

    export = read_export(args.folder)  # refused before anything is created
    confirmed(export.signer, args.trust, claimed_by=claimed_source(export))  # a new clinic trusts no key yet
    path.parent.mkdir(parents=True, exist_ok=True)
    override = os.environ.get(keys.KEY_ENV)
    key_was_there = bool(override) and Path(override).expanduser().exists()
    clinic_id = None
    try:
        with replacing(path) as temporary:
            with open_clinic(str(temporary)) as clinic:
                clinic_id = clinic.setting("clinic_id")
                return _import(clinic, args)
    except BaseException:
        if clinic_id is not None and not key_was_there:
            keys.key_file(str(clinic_id)).unlink(missing_ok=True)
        raise


def run(args, open_clinic) -> int:
    """Run `iopdesk import client DIR`; `open_clinic(args)` opens the target clinic."""
    new_file = _new_clinic_file(getattr(args, "db", None))
    if new_file is not None:
        report = _into_new_file(new_file, args)
    else:
        with open_clinic(args) as clinic:
            report = _import(clinic, args)
    print(f"Imported {report.summary()}.")
    return 0
