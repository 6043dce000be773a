"""A client record export cannot be forged (issue 19, item 3): its manifest is signed with the
exporting clinic's Ed25519 key, so an export edited with its hashes recomputed is refused naming
the file that fails, and one signed again with another key is refused until an administrator
confirms that key's fingerprint (compared out of band), which is then trusted and audited. A
refusal at any point leaves the importing clinic as it was, its trusted keys included."""

from __future__ import annotations

import shutil

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import iopdesk
from iopdesk.errors import ValidationError
from iopdesk.interchange import client_import
from iopdesk.interchange.client_import import import_client_record
from iopdesk.interchange.signing import is_trusted, signer_of, trusted_keys
from iopdesk.models import AuditEvent, Note
from tests.security.forged_exports import forged, two_notes_of_one_day
from tests.security.tampering import row_counts_in

FORGED_TEXT = "Client denies any use; no concerns."


@pytest.fixture
def exported_day(clinic_file, tmp_path):
    """Tomasz's record with two signed notes of one day, exported; (folder, manifest, clinic key)."""
    manifest, key = two_notes_of_one_day(clinic_file, tmp_path / "export")
    return tmp_path / "export", manifest, key


@pytest.fixture
def other_clinic(tmp_path):
    """A new, empty clinic of its own (its own id and audit key), where the import goes; its path."""
    path = tmp_path / "other.sqlite"
    iopdesk.open_clinic(str(path)).close()
    return path


def _rewrite_note(row: dict) -> None:
    row["sections"] = {**row["sections"], "data": FORGED_TEXT}


def test_an_honest_export_imports_and_the_clinic_trusts_the_key_once_confirmed(exported_day, other_clinic):
    """The clinic's fingerprint, read to the other clinic's administrator, lets the record in; the
    key is then on its list, the trust and the import are both in its audit trail."""
    folder, manifest, key = exported_day
    assert manifest.signer == signer_of(key).fingerprint
    with iopdesk.open_clinic(str(other_clinic)) as clinic:
        report = import_client_record(clinic, folder, trust=manifest.signer.lower().replace(" ", ":"))
        assert report.newly_trusted and report.signer == manifest.signer
        assert Note.select().count() == 2
        assert [k["fingerprint"] for k in trusted_keys(clinic)] == [manifest.signer]
        events = {e.action: e.detail for e in AuditEvent.select().where(AuditEvent.action.in_(["trust", "import"]))}
        assert events["trust"]["fingerprint"] == manifest.signer
        assert events["import"]["signer"] == manifest.signer
        assert clinic.check().ok, clinic.check().lines


def test_an_edited_note_with_its_hashes_recomputed_is_refused_at_the_signature(exported_day, other_clinic):
    """The attack that used to pass: the note's text changed, its file and row hashes recomputed.
    The manifest no longer matches its signature, so the import names manifest.json; nothing is written."""
    folder, manifest, _ = exported_day
    forged(folder, "tables/note.json", _rewrite_note, key=None)
    before = row_counts_in(other_clinic)
    with iopdesk.open_clinic(str(other_clinic)) as clinic:
        with pytest.raises(ValidationError) as refused:
            import_client_record(clinic, folder, trust=manifest.signer)
    assert refused.value.field == "manifest"
    assert str(refused.value).startswith("Manifest: manifest.json does not match its signature")
    assert row_counts_in(other_clinic) == before


def test_an_edited_file_under_the_untouched_signature_is_refused_naming_the_file(exported_day, other_clinic):
    """A file changed without touching the manifest: the signature holds, the file's hash does not."""
    folder, manifest, _ = exported_day
    path = folder / "tables" / "note.json"
    path.write_text(path.read_text().replace("Reports three days abstinent.", FORGED_TEXT, 1))
    with iopdesk.open_clinic(str(other_clinic)) as clinic:
        with pytest.raises(ValidationError) as refused:
            import_client_record(clinic, folder, trust=manifest.signer)
    assert str(refused.value).startswith("Manifest: tables/note.json: sha256 does not match the file")


def test_a_file_slipped_into_the_folder_after_signing_is_refused_by_name(exported_day, other_clinic):
    """A PDF the manifest does not list would pass for part of the record; what a file manager
    leaves behind (.DS_Store) is not held against the export."""
    folder, manifest, _ = exported_day
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (folder / "pdf").mkdir()
    (folder / "pdf" / "note_extra.pdf").write_bytes(b"%PDF-1.4 forged")
    with iopdesk.open_clinic(str(other_clinic)) as clinic:
        with pytest.raises(ValidationError) as refused:
            import_client_record(clinic, folder, trust=manifest.signer)
        assert "pdf/note_extra.pdf is in the export folder but not in the signed manifest" in str(refused.value)
        (folder / "pdf" / "note_extra.pdf").unlink()
        assert import_client_record(clinic, folder, trust=manifest.signer).inserted > 0


def test_an_export_signed_again_with_another_key_is_refused_until_that_key_is_confirmed(exported_day, other_clinic):
    """Forged and signed with the forger's own Ed25519 key: refused showing the forger's
    fingerprint; confirming the real clinic's fingerprint (what the administrator was told on the
    phone) is refused too; only the forger's own fingerprint, confirmed, lets it in."""
    folder, manifest, _ = exported_day
    forger = Ed25519PrivateKey.generate()
    forged(folder, "tables/note.json", _rewrite_note, key=forger)
    theirs = signer_of(forger).fingerprint
    before = row_counts_in(other_clinic)
    with iopdesk.open_clinic(str(other_clinic)) as clinic:
        with pytest.raises(ValidationError) as untrusted:
            import_client_record(clinic, folder)
        assert untrusted.value.field == "trust" and str(untrusted.value).startswith("Signer: ")
        assert theirs in str(untrusted.value) and manifest.signer not in str(untrusted.value)
        with pytest.raises(ValidationError) as wrong:
            import_client_record(clinic, folder, trust=manifest.signer)
        assert wrong.value.field == "trust"
        assert f"{manifest.signer} is not the fingerprint of the key this export is signed with ({theirs})" \
            in str(wrong.value)
        with pytest.raises(ValidationError) as junk:
            import_client_record(clinic, folder, trust="yes")
        assert junk.value.field == "trust"
        assert not is_trusted(clinic, signer_of(forger)) and trusted_keys(clinic) == []
    assert row_counts_in(other_clinic) == before
    with iopdesk.open_clinic(str(other_clinic)) as clinic:
        report = import_client_record(clinic, folder, trust=theirs)
        assert report.newly_trusted and is_trusted(clinic, signer_of(forger))


def test_a_refusal_half_way_through_the_rows_leaves_no_rows_and_no_trust(exported_day, other_clinic, monkeypatch):
    """The database refusing the fifth row, after the key was trusted in the same transaction:
    no row, no trusted key, no audit event remain."""
    folder, manifest, _ = exported_day
    real_insert, written = client_import._insert, []

    def failing_insert(clinic, model, table, row, values):
        if len(written) == 4:
            raise ValidationError(f"{table}: row {row['id']} holds a value this clinic cannot store.", field=table)
        real_insert(clinic, model, table, row, values)
        written.append(row["id"])

    monkeypatch.setattr(client_import, "_insert", failing_insert)
    before = row_counts_in(other_clinic)
    with iopdesk.open_clinic(str(other_clinic)) as clinic:
        with pytest.raises(ValidationError):
            import_client_record(clinic, folder, trust=manifest.signer)
        assert trusted_keys(clinic) == []
    assert len(written) == 4 and row_counts_in(other_clinic) == before


def test_the_exporting_clinic_trusts_its_own_key_without_being_asked(exported_day, clinic_file, tmp_path, sqlite_template):
    """A clinic file of the same clinic (same id and audit key) takes the record without --trust."""
    folder, _, _ = exported_day
    same = tmp_path / "same.sqlite"
    shutil.copyfile(sqlite_template, same)
    with iopdesk.open_clinic(str(same)) as clinic:
        report = import_client_record(clinic, folder)
    assert not report.newly_trusted and report.inserted > 0
