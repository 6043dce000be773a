"""Reading a client record export back: check its signature and manifest, then insert it into an empty clinic.

`read_export(folder)` verifies everything before anything is written, the signature first: the
file and row hashes alone prove nothing (anyone who edits a file can recompute them), so
signature.json must be an Ed25519 signature of manifest.json's exact bytes
(iopdesk/interchange/signing.py) before the manifest is even parsed. Then, against the signed
manifest: its format, every file's SHA-256 (tables, PDFs, FORMAT.md), row count and per-row record
hash, that every file is a known table inside the folder listed once, that no file was added that
the manifest does not list, that every row has exactly its table's columns with values of the
column's type (`iopdesk.sync.rows.from_json`, the check sync files get), and that the record holds
exactly the client the manifest names; the first file that fails is named. `import_client_record`
then requires a signer this clinic trusts (its own export key, one in its trusted list, or one the
administrator confirms by its fingerprint, which is then trusted and audited), checks that every
foreign key points at a row of the export or of this clinic and inserts the rows parents first in
one transaction (`_insert` is the one place a row is written), so a refusal (a ValidationError
whose message starts with what is wrong) leaves the clinic as it was, trust list included.

Invariants: the target holds no clients (an import never merges into an existing chart); shared
rows (staff, site, payer, group session…) already present with the same id are kept as they are;
a shared row clashing with a different one on a unique column (a site code, a user name) gets a
suffix on that column (`~1`) since the record points at it by id. The client's audit events are
verified (record hashes, column types) but not inserted: they are sealed with the source clinic's
audit key and would break this clinic's chain. Instead the ONE audit event recording the import,
in this clinic's chain, keeps their provenance: the source clinic's id, the number of source
events, the SHA-256 of their file, and the newest event (seq, hash) of each site's chain among
them, so the export folder's audit_event.json can later be shown to be the trail that came with
this record. Re-exporting an imported client gives the same record hashes, audit trail aside.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import peewee

from iopdesk.audit import chain as audit
from iopdesk.audit.sealing import seal_arrived
from iopdesk.errors import IopDeskError, ValidationError
from iopdesk.interchange.client_export import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    NOT_IMPORTED,
    sha256_file,
)
from iopdesk.interchange.signing import (
    SIGNATURE_FILE,
    Signer,
    confirmed,
    is_trusted,
    trust_key,
    verified_signer,
)
from iopdesk.models import ALL_MODELS, Client
from iopdesk.storage.records import content_hash
from iopdesk.sync.rows import columns, from_json, models_by_table


@dataclass(frozen=True)
class ExportFolder:
    """A verified export: the manifest and table → part → rows."""

    manifest: dict
    rows: dict[tuple[str, str], list[dict]]
    signer: Signer

    @property
    def client_id(self) -> str:
        return self.manifest["client"]["id"]


@dataclass(frozen=True)
class ImportReport:
    client_id: str
    mrn: str
    inserted: int
    kept: int
    signer: str = ""  # fingerprint of the key the export was signed with
    newly_trusted: bool = False  # the administrator confirmed that key with this import

    def summary(self) -> str:
        line = f"client {self.mrn}: {self.inserted} rows inserted, {self.kept} shared rows already present"
        trust = "now trusted by this clinic" if self.newly_trusted else "trusted"
        return line + f"; signed with the key {self.signer} ({trust})" if self.signer else line


# What file managers leave in a folder someone looked at; not part of an export, and ignored.
OS_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def _bad(message: str) -> ValidationError:
    return ValidationError(f"Manifest: {message}", field="manifest")


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _load_json(path: Path, what: str):
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise _bad(f"{what} is missing from the export folder.") from None
    except IsADirectoryError:
        raise _bad(f"{what} is a folder, not a file.") from None
    return _parsed_json(body, what)


def _parsed_json(body: bytes, what: str):
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(f"{what} is not valid JSON ({str(exc)[:120]}).") from None
    except RecursionError:
        raise _bad(f"{what} is not valid JSON (nested too deeply).") from None


def _inside(root: Path, name: object) -> Path:
    if not isinstance(name, str) or not name or "\x00" in name:
        raise _bad(f"file name {name!r} is not a file name.")
    try:
        os.fsencode(name)  # JSON may carry a lone surrogate ("\ud800") that no file name holds
    except UnicodeEncodeError:
        raise _bad(f"file name {name!r} is not a file name.") from None
    path = (root / name).resolve()
    if root.resolve() not in path.parents:
        raise _bad(f"file {name!r} lies outside the export folder.")
    return path


def _entries(manifest: dict, key: str) -> list[dict]:
    entries = manifest.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _bad(f"{key} is not a list of entries.")
    return entries


def read_export(folder: str | Path) -> ExportFolder:
    """The export in `folder`, fully verified. Raises ValidationError (field "in_dir" for a missing
    folder, else "manifest") naming the first file that fails: first the signature (signature.json
    must be a valid Ed25519 signature of manifest.json's bytes by the key the manifest names), then
    each file against the signed manifest, in its order: a file's hash, a row's record hash, an
    unknown table or column, a value of the wrong type for its column, a name listed twice, a file
    in the folder the manifest does not list. Who signed is for the caller to judge (`signer`)."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ValidationError(f"In dir: no folder {root}.", field="in_dir")
    if not (root / SIGNATURE_FILE).exists() and (root / MANIFEST).is_file():
        raise _bad(f"{SIGNATURE_FILE} is missing: the export is not signed (IOP Desk signs exports from "
                   f"format {FORMAT_VERSION} on); ask the clinic to export the record again.")
    signature = _load_json(root / SIGNATURE_FILE, SIGNATURE_FILE)
    try:
        body = (root / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise _bad(f"{MANIFEST} is missing from the export folder.") from None
    except IsADirectoryError:
        raise _bad(f"{MANIFEST} is a folder, not a file.") from None
    signer = verified_signer(signature, body)
    manifest = _parsed_json(body, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _bad(f"format is not {FORMAT!r}; this folder is not a client record export.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _bad(f"format_version {manifest.get('format_version')!r} is not {FORMAT_VERSION}; "
                   "it was written by another version of IOP Desk.")
    named = manifest.get("signer")
    if not isinstance(named, dict) or named.get("public_key") != signer.public_key:
        raise _bad(f"signer does not name the key {SIGNATURE_FILE} is signed with.")
    client = manifest.get("client") or {}
    if not isinstance(client, dict) or not isinstance(client.get("id"), str) or not isinstance(client.get("mrn"), str):
        raise _bad("client id and mrn are missing.")
    if not isinstance(manifest.get("clinic", {}), dict):
        raise _bad("clinic is not an entry with the exporting clinic's id.")
    listed = {MANIFEST, SIGNATURE_FILE}
    rows: dict[tuple[str, str], list[dict]] = {}
    for entry in _entries(manifest, "files"):
        table, part, name = entry.get("table"), entry.get("part"), entry.get("file")
        if not isinstance(table, str) or table not in models_by_table() or part not in ("record", "shared"):
            raise _bad(f"file entry {name!r}: table {table!r} or part {part!r} is unknown.")
        if (table, part) == ("client", "shared"):
            raise _bad(f"{name}: a record holds one client; another client cannot come as a shared row.")
        if (table, part) in rows:
            raise _bad(f"{name}: table {table} ({part}) is listed twice.")
        path = _listed(root, name, listed)
        if not path.is_file():
            raise _bad(f"{name} is missing from the export folder.")
        if sha256_file(path) != entry.get("sha256"):
            raise _bad(f"{name}: sha256 does not match the file (the file was changed after the export was signed).")
        data = _load_json(path, name)
        records = entry.get("records") or {}
        if not isinstance(data, list) or not isinstance(records, dict) or len(data) != entry.get("rows") \
                or len(records) != len(data):
            raise _bad(f"{name}: rows does not match the number of rows in the file.")
        for row in data:
            if not isinstance(row, dict) or records.get(str(row.get("id"))) != content_hash(row):
                raise _bad(f"{name}: records hash of row {row.get('id') if isinstance(row, dict) else '?'} "
                           "does not match the row.")
            _checked_values(table, row, name)
        rows[(table, part)] = data
    note = manifest.get("format_note")
    for attachment in [*_entries(manifest, "attachments"), *([note] if isinstance(note, dict) else [])]:
        path = _listed(root, attachment.get("file"), listed)
        if not path.is_file():
            raise _bad(f"{attachment.get('file')} is missing from the export folder.")
        if sha256_file(path) != attachment.get("sha256"):
            raise _bad(f"{attachment.get('file')}: sha256 does not match the file (the file was changed "
                       "after the export was signed).")
    _nothing_unlisted(root, listed)
    clients = rows.get(("client", "record"), [])
    if len(clients) != 1 or clients[0].get("id") != client["id"] or clients[0].get("mrn") != client["mrn"]:
        raise _bad("client: the record does not hold exactly the client the manifest names.")
    return ExportFolder(manifest, rows, signer)


def _listed(root: Path, name: object, listed: set[str]) -> Path:
    """The path of a file the manifest lists, which no other entry may list too."""
    path = _inside(root, name)
    key = path.relative_to(root.resolve()).as_posix()
    if key in listed:
        raise _bad(f"{name} is listed twice in the manifest.")
    listed.add(key)
    return path


def _nothing_unlisted(root: Path, listed: set[str]) -> None:
    """Refuse a file in the folder that the signed manifest does not list (put there afterwards,
    it would pass for part of the record), except what file managers leave behind."""
    base = root.resolve()
    extra = sorted(p.relative_to(base).as_posix() for p in base.rglob("*")
                   if p.is_file() and p.name not in OS_LITTER and not p.name.startswith("._"))
    extra = [name for name in extra if name not in listed]
    if extra:
        raise _bad(f"{extra[0]} is in the export folder but not in the signed manifest (it was added "
                   "after the export was signed).")


def _checked_values(table: str, row: dict, where: str) -> dict:
    """Field name → Python value of one exported row, each value checked against its column's type
    (`iopdesk.sync.rows.from_json`); ValidationError naming the file, the row and the column for an
    unknown or missing column or a value its column cannot hold."""
    fields = columns(table)
    what = f"{where}: row {str(row.get('id'))[:40]}"
    unknown = sorted(str(c)[:40] for c in set(row) - set(fields))
    if unknown:
        raise _bad(f"{what}: unknown column {', '.join(unknown[:3])}.")
    missing = sorted(c for c, f in fields.items() if c not in row and not f.null and f.default is None)
    if missing:
        raise _bad(f"{what}: column {', '.join(missing[:3])} is missing.")
    try:
        values = from_json(table, row)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise _bad(f"{what}: {str(exc)[:120]}.") from None
    if not isinstance(values.get("id"), uuid.UUID):
        raise _bad(f"{what}: id is not a UUID.")
    if any(isinstance(v, dt.datetime) and v.tzinfo is not None for v in values.values()):
        raise _bad(f"{what}: timestamps are UTC without an offset.")
    return values


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


def _short(value: object) -> str | None:
    """A manifest field (signed, but free text of the exporter's choosing) as short text for the audit event."""
    return None if value is None else str(value)[:80]


def _norm(value: object) -> str:
    return str(uuid.UUID(str(value)))


def _check_references(export: ExportFolder) -> None:
    """Every foreign key of a row to be inserted points at a row of the export or of this clinic;
    ValidationError naming the file, row and column otherwise (checked before anything is written)."""
    in_export: dict[str, set[str]] = {}
    for (table, _), rows in export.rows.items():
        if table not in NOT_IMPORTED:
            in_export.setdefault(table, set()).update(_norm(r["id"]) for r in rows)
    wanted: dict[str, dict[str, tuple[str, str, str]]] = {}
    for (table, part), rows in export.rows.items():
        if table in NOT_IMPORTED:
            continue
        fks = [f for f in models_by_table()[table]._meta.sorted_fields if isinstance(f, peewee.ForeignKeyField)]
        for row in rows:
            for fk in fks:
                value = row.get(fk.column_name)
                parent = fk.rel_model._meta.table_name
                if value is not None and _norm(value) not in in_export.get(parent, ()):
                    where = f"{'tables' if part == 'record' else 'shared'}/{table}.json"
                    wanted.setdefault(parent, {})[_norm(value)] = (where, str(row["id"]), fk.column_name)
    for parent, refs in wanted.items():
        model = models_by_table()[parent]
        here: set[str] = set()
        for chunk in peewee.chunked(sorted(refs), 500):
            here.update(str(v) for (v,) in model.select(model.id).where(
                model.id.in_([uuid.UUID(v) for v in chunk])).tuples())
        for missing in sorted(set(refs) - here)[:1]:
            where, row_id, column = refs[missing]
            raise _bad(f"{where}: row {row_id}: {column} points at a {parent} row that is neither in the "
                       "export nor in this clinic.")


def _source_audit(export: ExportFolder) -> dict:
    """What the import event keeps of the source clinic's audit trail for this client: how many
    events, the SHA-256 of their file, and the newest event (seq, hash) of each site's chain."""
    events = export.rows.get(("audit_event", "record"), [])
    entry = next((f for f in export.manifest.get("files", [])
                  if f.get("table") == "audit_event" and f.get("part") == "record"), {})
    heads: dict[str, dict] = {}
    for event in events:
        site = str(event.get("origin_site"))
        if site not in heads or event["seq"] > heads[site]["seq"]:
            heads[site] = {"seq": event["seq"], "event_hash": event["event_hash"]}
    return {"events": len(events), "file_sha256": entry.get("sha256"), "heads": heads}


def _insert(clinic, model, table: str, row: dict, values: dict) -> None:
    """Write one imported row: the one place an import inserts a record (whatever is done to every
    arriving record, such as sealing it with its provenance, belongs here)."""
    label = table.replace("_", " ").capitalize()
    try:
        with clinic.db.atomic():
            model.insert(values).execute()
    except IopDeskError:
        raise
    except peewee.IntegrityError as exc:
        reason = " ".join(str(exc).split())[:160]
        raise ValidationError(f"{label}: row {row['id']} clashes with this clinic's data ({reason}); "
                              "import into an empty clinic.", field=table) from None
    except (peewee.DataError, OverflowError, ValueError, TypeError, ArithmeticError) as exc:
        reason = " ".join(str(exc).split())[:160]
        raise ValidationError(f"{label}: row {row['id']} holds a value this clinic cannot store ({reason}); "
                              "nothing was imported.", field=table) from None


def source_clinic(export: ExportFolder) -> tuple[str | None, str | None]:
    """The exporting clinic's id and name as the (signed) manifest states them."""
    clinic = export.manifest.get("clinic", {})
    return _short(clinic.get("id")), _short(clinic.get("name"))


def claimed_source(export: ExportFolder) -> str:
    """"Clinic name (id)" as the export states it: whoever holds the key chose these words."""
    source_id, name = source_clinic(export)
    return f"{name or 'a clinic'} ({source_id or 'no id'})"


def check_signer(clinic, export: ExportFolder, trust: str | None) -> bool:
    """Refuse an export whose signer this clinic does not trust, unless `trust` (an administrator's
    confirmation, compared out of band) is the signer's fingerprint; True when the key is to be
    trusted from now on. ValidationError field "trust" (see signing.confirmed)."""
    trusted = is_trusted(clinic, export.signer)
    if trusted and trust is None:
        return False
    confirmed(export.signer, trust, claimed_by=claimed_source(export))
    return not trusted


def import_client_record(clinic, in_dir: str | Path, *, trust: str | None = None) -> ImportReport:
    """Insert the verified export in `in_dir` into this clinic, which must hold no clients.

    Needs `admin.settings` (the system may do it while setting up). The export must be signed with
    this clinic's own export key or one it trusts; `trust`, the signer's fingerprint as confirmed
    by the administrator with the exporting clinic, adds the key to the trusted ones (audited, in
    the import's transaction). Raises ValidationError naming `in_dir`/`manifest` (see
    `read_export`; also a foreign key pointing at a row neither in the export nor here), `trust`
    (an untrusted signer, or a `trust` that is not its fingerprint), `db` (the clinic already has
    clients) or the table whose row clashes with one already here or holds a value the database
    refuses; nothing is written then. The import is recorded by one audit event in this clinic's
    chain, carrying the source clinic's id, the signer's fingerprint and what identifies the
    source audit events (their number, file hash and newest hash per site).
    """
    clinic.actor.require("admin.settings")
    export = read_export(in_dir)
    if Client.select().exists():
        raise ValidationError("Clinic: a client record is imported only into a clinic with no clients.",
                              field="db")
    newly_trusted = check_signer(clinic, export, trust)
    inserted = kept = 0
    with clinic.db.atomic():
        _check_references(export)
        source_id, source_name = source_clinic(export)
        if newly_trusted:
            trust_key(clinic, export.signer, clinic_id=source_id, clinic_name=source_name)
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
                    rows = [r for r in rows if _norm(r["id"]) not in present]
                for row in _self_ordered(model, rows):
                    values = _checked_values(table, row, table)
                    if part == "shared":
                        values = _unclashed(model, values)
                    _insert(clinic, model, table, row, values)
                    inserted += 1
        cid = uuid.UUID(export.client_id)
        audit.record(clinic.actor, "import", "client", cid, client_id=cid,
                     detail={"rows": inserted, "source_clinic": source_id,
                             "exported_at": _short(export.manifest.get("generated_at")),
                             "signer": export.signer.fingerprint,
                             "source_audit": _source_audit(export)})
        seal_arrived(f"import from clinic {source_id} (export signed by {export.signer.fingerprint})",
                     actor=clinic.actor)
    return ImportReport(export.client_id, export.manifest["client"]["mrn"], inserted, kept,
                        export.signer.fingerprint, newly_trusted)
