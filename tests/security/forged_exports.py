"""Client record exports to attack, and what a forger does to one: edit a table and recompute its
hashes in the manifest, then sign the manifest again with whatever Ed25519 key they hold (the
clinic's own, in tests that look past the signature; another one, in tests of trust)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import iopdesk
from iopdesk.interchange.client_export import ExportManifest, export_client_record
from iopdesk.interchange.signing import clinic_signing_key, signature_document, signer_of
from iopdesk.kernel import clock
from iopdesk.storage.records import content_hash
from tests.conftest import ADMIN_PASSWORD


def two_notes_of_one_day(source: Path, out: Path, *, pdfs: bool = False) -> tuple[ExportManifest, Ed25519PrivateKey]:
    """In the staffed clinic file `source`: Cleo Clinician admits Tomasz and signs two individual
    notes of yesterday, written a minute apart (their time-ordered ids share their first
    characters); the supervisor exports the record to `out` (with the PDFs when `pdfs`). Returns
    the manifest and the clinic's export key."""
    with iopdesk.open_clinic(str(source)) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        client, _ = clinic.clients.register(legal_first="Tomasz", legal_last="Wieczorek", dob="1979-11-02", sex="M")
        clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=10),
                              track_code="substance_use", level="2.1", primary_clinician="clinician")
        for starts, ends in (("10:00", "10:50"), ("11:00", "11:50")):
            note, _ = clinic.notes.create_draft(
                client.id, kind="individual", note_format="DAP", service_date=clock.today() - dt.timedelta(days=1),
                starts_at=starts, ends_at=ends,
                sections={"data": "Reports three days abstinent.", "assessment": "Engaged.", "plan": "Continue IOP."})
            clinic.notes.sign(note.id, note.version)
        clinic.login("supervisor", ADMIN_PASSWORD)
        if pdfs:
            from reports.client_export import export_client_with_pdfs

            manifest = export_client_with_pdfs(clinic, client.mrn, out).manifest
        else:
            manifest = export_client_record(clinic, client.mrn, out)
        return manifest, clinic_signing_key(clinic)


def rehashed_manifest(manifest: dict, name: str, data: bytes, rows: list) -> dict:
    """`manifest` with the entry of table file `name` recomputed for `data` holding `rows`."""
    for entry in manifest["files"]:
        if entry["file"] == name:
            entry.update(rows=len(rows), sha256=hashlib.sha256(data).hexdigest(),
                         records={str(r.get("id")) if isinstance(r, dict) else "?": content_hash(r) for r in rows})
    return manifest


def signed_bytes(manifest: dict, key: Ed25519PrivateKey) -> tuple[bytes, bytes]:
    """(manifest.json, signature.json) for `manifest` signed by `key`, which it names as signer."""
    signer = signer_of(key)
    manifest = dict(manifest, signer={"algorithm": "Ed25519", "public_key": signer.public_key,
                                      "fingerprint": signer.fingerprint})
    body = json.dumps(manifest).encode()
    return body, json.dumps(signature_document(key, body)).encode()


def signed_again(folder: Path, key: Ed25519PrivateKey) -> None:
    """Sign the manifest in `folder` as it now is with `key`."""
    body, signature = signed_bytes(json.loads((folder / "manifest.json").read_text()), key)
    (folder / "manifest.json").write_bytes(body)
    (folder / "signature.json").write_bytes(signature)


def forged(folder: Path, name: str, edit, key: Ed25519PrivateKey | None) -> None:
    """Edit the first row of table file `name` in `folder` with `edit`, recompute its hashes in the
    manifest, and sign the manifest with `key` (None: leave the old signature in place)."""
    path = folder / name
    rows = json.loads(path.read_text())
    edit(rows[0])
    data = (json.dumps(rows, sort_keys=True, indent=1) + "\n").encode()
    path.write_bytes(data)
    manifest = rehashed_manifest(json.loads((folder / "manifest.json").read_text()), name, data, rows)
    if key is None:
        (folder / "manifest.json").write_text(json.dumps(manifest))
    else:
        body, signature = signed_bytes(manifest, key)
        (folder / "manifest.json").write_bytes(body)
        (folder / "signature.json").write_bytes(signature)
