"""A full, computable export of one client's record: one JSON file per table, a manifest, a format note.

Which rows belong to a client is computed from the schema, never listed by hand: a table is part of
the record when a chain of foreign keys leads from it to `client` (directly, or through an episode,
a note, a plan, a discharge, a family member…), or when it names the client in a `client_id` column
without a foreign key (the audit trail). A new table linked to a client is therefore exported
without any change here (tests/reports/test_client_export.py checks it). Rows the record points at but that
belong to no one client (staff who signed, the site, the payer, the group session and its shared
note, the therapy group, an export batch) go in whole as *shared* rows, except the staff's sign-in
secrets, which are replaced by fixed values (`REDACTED`): an imported account cannot sign in.

Invariants: files hold rows as sync carries them (`iopdesk.sync.rows.to_json`), sorted by id, as
UTF-8 JSON with sorted keys, so the same rows always give the same bytes; each row's record hash
is `iopdesk.storage.records.content_hash` of that JSON; the manifest carries every file's SHA-256
(tables, PDFs, FORMAT.md) and every row's hash, and is itself signed: signature.json holds an
Ed25519 signature over manifest.json's exact bytes by the clinic's export key, whose public key
and fingerprint the manifest also names (iopdesk/interchange/signing.py), so an edited export
cannot be re-hashed into one that imports, and every file has a name of its own. An export for a recipient (a release) leaves out every signed note that names
another client (`clinic.disclosures.withheld_notes`), with the rows that belong to it, the audit events about
it and the name-override events, blanks a session's shared part that names another client, and
lists all of it under "withheld" in the manifest and in the disclosure log; an export without a
recipient stays inside the program and keeps everything. Writing goes to a hidden sibling folder
moved into place when complete, and the export is logged (a disclosure when there is a recipient, else an audit event) only once it is
in place; a failure leaves no folder and no log entry. The format is described in FORMAT.md
(resources/client_record_format.md), copied into every export.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import peewee

import resources
from iopdesk.audit import chain as audit
from iopdesk.audit.sealing import seal
from iopdesk.clinical.name_rules import OVERRIDE_ACTION, SHARED_FIELDS
from iopdesk.clinical.staff import signed_in_staff
from iopdesk.errors import ValidationError
from iopdesk.interchange.signing import (
    ALGORITHM,
    SIGNATURE_FILE,
    Signer,
    clinic_signing_key,
    signature_document,
    signer_of,
)
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.files import replacing
from iopdesk.kernel.version import __version__
from iopdesk.models import ALL_MODELS, Client, Disclosure, Staff
from iopdesk.storage.records import content_hash
from iopdesk.sync.rows import models_by_table, to_json

FORMAT = "iopdesk-client-record"
FORMAT_VERSION = 2  # 2: signed (signature.json), FORMAT.md hashed, the signer named in the manifest
MANIFEST = "manifest.json"
FORMAT_NOTE = "FORMAT.md"
# Columns of shared rows replaced by fixed values in the export (and so in an import).
REDACTED = {"staff": {"password_hash": "!", "failed_logins": 0, "locked_until": None,
                      "last_login_at": None, "active": False}}
# Exported but not inserted by an import: sealed with the source clinic's audit key.
NOT_IMPORTED = frozenset({"audit_event"})
SOFT_LINK = "client_id"
WITHHELD_REASON = "names another client, so it is kept out of releases (42 CFR Part 2)"
REDACTED_TEXT = "(withheld: names another client)"


@dataclass(frozen=True)
class ManifestFile:
    table: str
    part: str  # "record": the client's own rows; "shared": rows the record points at
    file: str
    rows: int
    sha256: str
    records: dict[str, str] = field(default_factory=dict)  # row id → record hash


@dataclass(frozen=True)
class ExportManifest:
    folder: Path
    client_id: str
    mrn: str
    clinic_id: str
    generated_at: str
    files: tuple[ManifestFile, ...]
    attachments: tuple[dict, ...] = ()
    withheld: tuple[dict, ...] = ()  # rows left out of a release (notes naming another client)
    signer: str = ""  # fingerprint of the clinic's export key that signed the manifest

    @property
    def tables(self) -> list[str]:
        """The record's tables (one file each, empty ones included)."""
        return [f.table for f in self.files if f.part == "record"]

    @property
    def notes_withheld(self) -> int:
        return sum(1 for entry in self.withheld if entry["table"] == "note")

    def record_hashes(self, part: str = "record") -> dict[str, dict[str, str]]:
        """Table → row id → record hash, for the client's own rows (or the shared ones)."""
        return {f.table: dict(f.records) for f in self.files if f.part == part}


# -- the schema's answer: which tables are a client's ------------------------------------------
def _foreign_keys(model: type[peewee.Model]) -> list[peewee.ForeignKeyField]:
    return [f for f in model._meta.sorted_fields if isinstance(f, peewee.ForeignKeyField)]


def _soft_linked(model: type[peewee.Model]) -> bool:
    found = model._meta.fields.get(SOFT_LINK)
    return isinstance(found, peewee.UUIDField) and not isinstance(found, peewee.ForeignKeyField)


@cache
def client_record_tables() -> tuple[str, ...]:
    """Every table with a foreign-key path to `client` (and `client` itself, and tables naming the
    client in a plain `client_id` column), parents first."""
    linked = {Client._meta.table_name}
    changed = True
    while changed:
        changed = False
        for model in ALL_MODELS:
            name = model._meta.table_name
            if name in linked:
                continue
            if _soft_linked(model) or any(f.rel_model._meta.table_name in linked for f in _foreign_keys(model)):
                linked.add(name)
                changed = True
    return tuple(m._meta.table_name for m in ALL_MODELS if m._meta.table_name in linked)


# -- gathering rows ------------------------------------------------------------------------------
def _rows(model, condition) -> list[dict]:
    return list(model.select().where(condition).dicts())


def gather(client_id: uuid.UUID, held: Sequence = ()) -> tuple[
        dict[str, dict[str, dict]], dict[str, dict[str, dict]], list[dict]]:
    """The client's rows and the shared rows they need: (table → id → JSON row) twice, and what
    was withheld: the notes in `held` (signed notes naming another client) with every row that
    belongs to them, the audit events about them and every name override (they carry another
    client's name), and a session's shared part where it names another client."""
    record: dict[str, dict[str, dict]] = {}
    ids: dict[str, set] = {}
    for name in client_record_tables():
        model = models_by_table()[name]
        if model is Client:
            condition = Client.id == client_id
        else:
            parts = [f.in_(list(ids[f.rel_model._meta.table_name])) for f in _foreign_keys(model)
                     if f.rel_model is not model and ids.get(f.rel_model._meta.table_name)]
            if _soft_linked(model):
                parts.append(model._meta.fields[SOFT_LINK] == client_id)
            if not parts:
                record[name], ids[name] = {}, set()
                continue
            condition = parts[0]
            for part in parts[1:]:
                condition |= part
        rows = _rows(model, condition)
        ids[name] = {row["id"] for row in rows}
        record[name] = {str(row["id"]): to_json(name, row) for row in rows}
    withheld = _withhold(record, held) if held else []
    shared = _shared(record)
    if held:
        withheld += _redact_shared_parts(shared, held)
    return record, shared, withheld


def _withhold(record: dict[str, dict[str, dict]], held: Sequence) -> list[dict]:
    """Drop the held notes and every row that belongs to them (parents first), the audit events
    about them and every name override event, from `record`; list what was dropped."""
    notes = {n.note_id: n for n in held}
    gone: dict[str, set[str]] = {}
    out = []
    for table in client_record_tables():
        model = models_by_table()[table]
        links = [(f.column_name, f.rel_model._meta.table_name) for f in _foreign_keys(model)]
        for row_id, row in list(record.get(table, {}).items()):
            if table == "note" and row_id in notes:
                note = notes[row_id]
                reason = f"{WITHHELD_REASON}: it names {', '.join(i for _, _, i, _ in note.names)}"
            elif any(row.get(column) in gone.get(parent, ()) for column, parent in links):
                reason = "belongs to a withheld note"
            elif table == "audit_event" and row.get("action") == OVERRIDE_ACTION:
                reason = "an override of the name rule: it names another client"
            elif table == "audit_event" and row.get("entity_id") in notes:
                reason = "an event of a withheld note"
            else:
                continue
            del record[table][row_id]
            gone.setdefault(table, set()).add(row_id)
            entry = {"table": table, "id": row_id, "reason": reason}
            if table == "note":
                entry["service_date"] = row.get("service_date")
            out.append(entry)
    return out


def _redact_shared_parts(shared: dict[str, dict[str, dict]], held: Sequence) -> list[dict]:
    """Blank the fields of a session's shared part that name another client (the shared row goes
    out with the client's attendance)."""
    out = []
    for note in held:
        fields = sorted({field for _, _, _, field in note.names if field in SHARED_FIELDS})
        row = shared.get("group_session", {}).get(note.group_session_id or "")
        if not fields or row is None:
            continue
        row.update(dict.fromkeys(fields, REDACTED_TEXT))
        out.append({"table": "group_session", "id": note.group_session_id, "fields": fields,
                    "reason": f"{WITHHELD_REASON}: the shared part names another client"})
    return out


def _shared(record: dict[str, dict[str, dict]]) -> dict[str, dict[str, dict]]:
    """Every row a record row (or a shared row, transitively) points at that is not itself in the record."""
    shared: dict[str, dict[str, dict]] = {}
    todo = list(record.items())
    while todo:
        wanted: dict[str, set[str]] = {}
        for name, rows in todo:
            model = models_by_table()[name]
            for fk in _foreign_keys(model):
                parent = fk.rel_model._meta.table_name
                for row in rows.values():
                    value = row.get(fk.column_name)
                    if value is not None and value not in record.get(parent, {}) \
                            and value not in shared.get(parent, {}):
                        wanted.setdefault(parent, set()).add(value)
        todo = []
        for parent, want in wanted.items():
            model = models_by_table()[parent]
            found = {}
            for chunk in peewee.chunked(sorted(want), 500):
                for row in _rows(model, model.id.in_([uuid.UUID(v) for v in chunk])):
                    found[str(row["id"])] = {**to_json(parent, row), **REDACTED.get(parent, {})}
            shared.setdefault(parent, {}).update(found)
            todo.append((parent, found))
    return shared


# -- writing -----------------------------------------------------------------------------------
def _dump(value) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_table(folder: Path, part: str, table: str, rows: dict[str, dict]) -> ManifestFile:
    name = f"{'tables' if part == 'record' else 'shared'}/{table}.json"
    ordered = [rows[key] for key in sorted(rows)]
    (folder / name).write_bytes(_dump(ordered))
    return ManifestFile(table, part, name, len(ordered), sha256_file(folder / name),
                        {row["id"]: content_hash(row) for row in ordered})


def manifest_json(manifest: ExportManifest, clinic_name: str, schema_version: int, signer: Signer,
                  format_note_sha256: str) -> dict:
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "program": f"IOP Desk {__version__}",
        "schema_version": schema_version,
        "clinic": {"id": manifest.clinic_id, "name": clinic_name},
        "client": {"id": manifest.client_id, "mrn": manifest.mrn},
        "generated_at": manifest.generated_at,
        "files": [{"table": f.table, "part": f.part, "file": f.file, "rows": f.rows, "sha256": f.sha256,
                   "imported": f.table not in NOT_IMPORTED, "records": f.records} for f in manifest.files],
        "attachments": list(manifest.attachments),
        "withheld": list(manifest.withheld),
        "format_note": {"file": FORMAT_NOTE, "sha256": format_note_sha256},
        "signer": {"algorithm": ALGORITHM, "public_key": signer.public_key, "fingerprint": signer.fingerprint},
    }


def checked_out_dir(out_dir: str | Path) -> Path:
    """The folder to export into: new, or existing and empty, in an existing folder."""
    out = Path(out_dir).expanduser().absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationError(f"Out: {out} is not an empty folder; choose a new folder for the export.",
                              field="out")
    if not out.parent.is_dir():
        raise ValidationError(f"Out: no folder {out.parent}.", field="out")
    return out


def find_client(mrn: str) -> Client:
    row = Client.get_or_none(Client.mrn == (mrn or "").strip().upper())
    if row is None:
        raise ValidationError(f"MRN: no client with MRN {mrn!r}.", field="mrn")
    return row


Attach = Callable[[Path, ExportManifest], Sequence[dict]]


def export_client_record(clinic, mrn: str, out_dir: str | Path, *, recipient: str | None = None,
                         attach: Attach | None = None) -> ExportManifest:
    """Write client `mrn`'s full record into the new or empty folder `out_dir`.

    `attach(folder, manifest)` may add files (the PDFs) and returns their manifest entries
    ({"file", "sha256", "document"}). With `recipient` the export is logged as a disclosure
    (accounting of disclosures), else audited as an export. Needs `chart.export`. Raises
    ValidationError naming `mrn` (unknown client), `out` (not an empty folder) or `recipient`.
    """
    clinic.actor.require("chart.export")
    out = checked_out_dir(out_dir)
    client = find_client(mrn)
    who = None
    if recipient is not None:
        recipient = " ".join(str(recipient).split())
        if not recipient or len(recipient) > 200:
            raise ValidationError("Recipient: say who receives the export (up to 200 characters).",
                                  field="recipient")
        who = signed_in_staff(clinic.actor)
        if who is None:
            raise ValidationError("Recipient: a disclosure is made by a signed-in staff member.", field="recipient")
    key = clinic_signing_key(clinic)
    with replacing(out, folder=True) as work:
        with clinic.db.atomic():  # one consistent snapshot of the record
            held = clinic.disclosures.withheld_notes(client.id) if recipient is not None else []
            record, shared, withheld = gather(client.id, held)
        (work / "tables").mkdir()
        (work / "shared").mkdir()
        files = [_write_table(work, "record", t, record[t]) for t in client_record_tables()]
        files += [_write_table(work, "shared", t, shared[t])
                  for t in (m._meta.table_name for m in ALL_MODELS) if t in shared]
        manifest = ExportManifest(out, str(client.id), client.mrn, clinic.setting("clinic_id", ""),
                                  utcnow().replace(microsecond=0).isoformat(), tuple(files),
                                  withheld=tuple(withheld), signer=signer_of(key).fingerprint)
        shutil.copyfile(resources.path("client_record_format.md"), work / FORMAT_NOTE)
        if attach is not None:
            manifest = replace(manifest, attachments=tuple(attach(work, manifest)))
        _unique_names(manifest)
        body = _dump(manifest_json(manifest, clinic.setting("clinic_name", ""), clinic.schema().version,
                                   signer_of(key), sha256_file(work / FORMAT_NOTE)))
        (work / MANIFEST).write_bytes(body)
        (work / SIGNATURE_FILE).write_bytes(_dump(signature_document(key, body)))
    try:
        _log_export(clinic, client.id, manifest, recipient, who)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return manifest


def _unique_names(manifest: ExportManifest) -> None:
    """Every file of the export is listed once: two records written to one name would leave one
    of them out, with two checksums for the file that is left (a bug, never the user's doing)."""
    names = [f.file for f in manifest.files] + [str(a.get("file")) for a in manifest.attachments]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RuntimeError(f"client export: {repeated[0]} would hold two records")


def _log_export(clinic, client_id: uuid.UUID, manifest: ExportManifest, recipient: str | None,
                who: Staff | None) -> None:
    rows = sum(f.rows for f in manifest.files if f.part == "record")
    detail = {"tables": len(manifest.tables), "rows": rows, "attachments": len(manifest.attachments),
              "notes_withheld": manifest.notes_withheld, "signer": manifest.signer}
    with clinic.db.atomic():
        if recipient is None:
            audit.record(clinic.actor, "export", "client", client_id, client_id=client_id, detail=detail)
            return
        what = (f"Full export of the client's record ({rows} rows in {len(manifest.tables)} tables, "
                f"{len(manifest.attachments)} PDF documents), at the client's request")
        if manifest.notes_withheld:
            what += f"; {manifest.notes_withheld} note(s) withheld because they name another client"
        row = Disclosure.create(client=client_id, consent=None, disclosed_at=utcnow().replace(microsecond=0),
                                disclosed_by=who.id, recipient=recipient, description=what)
        audit.record(clinic.actor, "disclose", "disclosure", row.id, client_id=client_id,
                     detail={**detail, "recipient": recipient, "consent": None, "what": "client record export"})
        seal(row, provenance="disclosure", actor=clinic.actor)
