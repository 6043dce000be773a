"""Reading a client record export back: check it against its manifest, then insert it into an empty clinic.

`read_export(folder)` verifies everything before anything is written: the manifest's format, every
file's SHA-256, row count and per-row record hash, that every file is a known table inside the
folder, and that the record holds exactly the client the manifest names. `import_client_record`
then inserts the rows parents first in one transaction, so a refusal leaves the clinic as it was.

Invariants: the target holds no clients (an import never merges into an existing chart); shared
rows (staff, site, payer, group session…) already present with the same id are kept as they are;
a shared row clashing with a different one on a unique column (a site code, a user name) gets a
suffix on that column (`~1`) since the record points at it by id; the client's audit events are verified but not inserted (they are
sealed with the source clinic's audit key and would break this clinic's chain); one audit event
records the import. Re-exporting an imported client gives the same record hashes, audit trail aside.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import peewee

from . import audit
from .client_export import FORMAT, FORMAT_VERSION, MANIFEST, NOT_IMPORTED, sha256_file
from .errors import ValidationError
from .models import ALL_MODELS, Client
from .records import content_hash
from .sync.rows import from_json, models_by_table


@dataclass(frozen=True)
class ExportFolder:
    """A verified export: the manifest and table → part → rows."""

    manifest: dict
    rows: dict[tuple[str, str], list[dict]]

    @property
    def client_id(self) -> str:
        return self.manifest["client"]["id"]


@dataclass(frozen=True)
class ImportReport:
    client_id: str
    mrn: str
    inserted: int
    kept: int

    def summary(self) -> str:
        return f"client {self.mrn}: {self.inserted} rows inserted, {self.kept} shared rows already present"


def _bad(message: str) -> ValidationError:
    return ValidationError(f"Manifest: {message}", field="manifest")


def _load_json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad(f"{what} is missing from the export folder.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(f"{what} is not valid JSON ({exc}).") from None


def read_export(folder: str | Path) -> ExportFolder:
    """The export in `folder`, fully verified. Raises ValidationError (field "in_dir" for a missing
    folder, else "manifest") naming the file and what does not match."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ValidationError(f"In dir: no folder {root}.", field="in_dir")
    manifest = _load_json(root / MANIFEST, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _bad(f"format is not {FORMAT!r}; this folder is not a client record export.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _bad(f"format_version {manifest.get('format_version')!r} is not {FORMAT_VERSION}; "
                   "it was written by another version of IOP Desk.")
    client = manifest.get("client") or {}
    if not isinstance(client, dict) or not client.get("id") or not client.get("mrn"):
        raise _bad("client id and mrn are missing.")
    rows: dict[tuple[str, str], list[dict]] = {}
    for entry in manifest.get("files") or []:
        table, part, name = entry.get("table"), entry.get("part"), str(entry.get("file", ""))
        if table not in models_by_table() or part not in ("record", "shared"):
            raise _bad(f"file entry {name!r}: table {table!r} or part {part!r} is unknown.")
        path = (root / name).resolve()
        if root.resolve() not in path.parents:
            raise _bad(f"file {name!r} lies outside the export folder.")
        if not path.is_file():
            raise _bad(f"{name} is missing from the export folder.")
        if sha256_file(path) != entry.get("sha256"):
            raise _bad(f"{name}: sha256 does not match the file (the file or the manifest was changed).")
        data = _load_json(path, name)
        records = entry.get("records") or {}
        if not isinstance(data, list) or len(data) != entry.get("rows") or len(records) != len(data):
            raise _bad(f"{name}: rows does not match the number of rows in the file.")
        for row in data:
            if not isinstance(row, dict) or records.get(str(row.get("id"))) != content_hash(row):
                raise _bad(f"{name}: records hash of row {row.get('id') if isinstance(row, dict) else '?'} "
                           "does not match the row.")
        rows[(table, part)] = data
    for attachment in manifest.get("attachments") or []:
        path = (root / str(attachment.get("file", ""))).resolve()
        if root.resolve() not in path.parents or not path.is_file() or sha256_file(path) != attachment.get("sha256"):
            raise _bad(f"attachment {attachment.get('file')!r}: sha256 does not match the file.")
    clients = rows.get(("client", "record"), [])
    if len(clients) != 1 or clients[0].get("id") != client["id"] or clients[0].get("mrn") != client["mrn"]:
        raise _bad("client: the record does not hold exactly the client the manifest names.")
    return ExportFolder(manifest, rows)


def _self_ordered(model, rows: list[dict]) -> list[dict]:
    """Rows of a table whose rows point at each other (a plan's previous version): referenced first."""
    selfs = [f.column_name for f in model._meta.sorted_fields
             if isinstance(f, peewee.ForeignKeyField) and f.rel_model is model]
    if not selfs:
        return rows
    pending, done, ordered = list(rows), set(), []
    ids = {r["id"] for r in rows}
    while pending:
        ready = [r for r in pending if all(r.get(c) in (None, *done) or r.get(c) not in ids for c in selfs)]
        if not ready:  # a cycle cannot be inserted row by row; let the database say so
            ready = pending
        ordered += ready
        done.update(r["id"] for r in ready)
        pending = [r for r in pending if r["id"] not in done]
    return ordered


def _values(table: str, row: dict) -> dict:
    try:
        return from_json(table, row)
    except (ValueError, TypeError) as exc:
        raise _bad(f"{table} row {row.get('id')}: {exc}.") from None


def _unclashed(model, values: dict) -> dict:
    """A shared row whose unique text (a site code, a user name) is already another row's here gets
    a suffix (`~1`, `~2`…): the record's rows point at it by id, so nothing else changes."""
    for f in model._meta.sorted_fields:
        if not (f.unique and isinstance(f, peewee.CharField)) or values.get(f.name) is None:
            continue
        base, n = str(values[f.name]), 0
        while model.select().where(f == values[f.name]).exists():
            n += 1
            values[f.name] = f"{base[:(f.max_length or 255) - 1 - len(str(n))]}~{n}"
    return values


def import_client_record(clinic, in_dir: str | Path) -> ImportReport:
    """Insert the verified export in `in_dir` into this clinic, which must hold no clients.

    Needs `admin.settings` (the system may do it while setting up). Raises ValidationError naming
    `in_dir`/`manifest` (see `read_export`), `db` (the clinic already has clients) or the table
    whose row clashes with one already here; nothing is written then.
    """
    clinic.actor.require("admin.settings")
    export = read_export(in_dir)
    if Client.select().exists():
        raise ValidationError("Clinic: a client record is imported only into a clinic with no clients.",
                              field="db")
    inserted = kept = 0
    with clinic.db.atomic():
        for model in ALL_MODELS:
            table = model._meta.table_name
            if table in NOT_IMPORTED:
                continue
            for part in ("shared", "record"):
                rows = export.rows.get((table, part), [])
                if not rows:
                    continue
                if part == "shared":
                    present = {str(v) for (v,) in model.select(model.id).where(
                        model.id.in_([uuid.UUID(r["id"]) for r in rows])).tuples()}
                    kept += len(present)
                    rows = [r for r in rows if r["id"] not in present]
                for row in _self_ordered(model, rows):
                    values = _values(table, row)
                    if part == "shared":
                        values = _unclashed(model, values)
                    try:
                        with clinic.db.atomic():
                            model.insert(values).execute()
                    except peewee.IntegrityError as exc:
                        reason = " ".join(str(exc).split())[:160]
                        raise ValidationError(
                            f"{table.replace('_', ' ').capitalize()}: row {row['id']} clashes with this clinic's "
                            f"data ({reason}); import into an empty clinic.", field=table) from None
                    inserted += 1
        cid = uuid.UUID(export.client_id)
        audit.record(clinic.actor, "import", "client", cid, client_id=cid,
                     detail={"rows": inserted, "source_clinic": export.manifest.get("clinic", {}).get("id"),
                             "exported_at": export.manifest.get("generated_at")})
    return ImportReport(export.client_id, export.manifest["client"]["mrn"], inserted, kept)
