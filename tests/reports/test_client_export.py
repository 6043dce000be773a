"""A client's full record leaves the clinic complete, checkable, and comes back the same (issue 8, item 6)."""

from __future__ import annotations

import json
import re
import shutil

import peewee
import pytest
from pypdf import PdfReader

import iopdesk
from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.interchange.client_export import client_record_tables, export_client_record
from iopdesk.interchange.client_import import import_client_record, read_export
from iopdesk.interchange.signing import clinic_signing_key
from iopdesk.models import ALL_MODELS, Disclosure
from reports.client_export import export_client_with_pdfs
from tests.security.forged_exports import signed_again, two_notes_of_one_day

DEMO_PASSWORD = "demo-pass-2026"
RECIPIENT = "Client (patient request)"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """A small demo clinic (8 clients, 6 weeks), made once; tests work on copies."""
    from iopdesk.demo import generate

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    with iopdesk.open_clinic(str(path)) as clinic:
        generate(clinic, clients=8, weeks=6, seed=3)
    return path


def _rich_mrn() -> str:
    from iopdesk.models import Client, Note

    counts = (Client.select(Client.mrn, peewee.fn.COUNT(Note.id).alias("n"))
              .join(Note, on=(Note.client == Client.id)).group_by(Client.mrn).order_by(peewee.SQL("n DESC")))
    return counts.first().mrn


@pytest.fixture
def demo_as_supervisor(tmp_path, demo_file):
    path = tmp_path / "source.sqlite"
    shutil.copyfile(demo_file, path)
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("supervisor", DEMO_PASSWORD)
    yield clinic, _rich_mrn()
    clinic.close()


def _linked_by_schema() -> set[str]:
    """Independently of the exporter: tables from which foreign keys lead to client, or naming it."""
    def reaches_client(model, seen=()):
        if model._meta.table_name == "client":
            return True
        return any(reaches_client(f.rel_model, (*seen, model)) for f in model._meta.sorted_fields
                   if isinstance(f, peewee.ForeignKeyField) and f.rel_model not in (*seen, model))
    linked = {m._meta.table_name for m in ALL_MODELS if reaches_client(m)}
    linked |= {m._meta.table_name for m in ALL_MODELS if isinstance(m._meta.fields.get("client_id"), peewee.UUIDField)}
    return linked


def _record_hashes(folder, *, without=("audit_event",)) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text())
    return {f["table"]: f["records"] for f in manifest["files"] if f["part"] == "record" and f["table"] not in without}


def test_every_table_linked_to_a_client_is_in_the_export(demo_as_supervisor, tmp_path):
    """Each table with a foreign-key path to client (found by walking the schema) has its file in the export."""
    clinic, mrn = demo_as_supervisor
    manifest = export_client_record(clinic, mrn, tmp_path / "out")
    missing = _linked_by_schema() - set(manifest.tables)
    assert not missing, f"client-linked tables missing from the export: {sorted(missing)}"
    assert set(client_record_tables()) == set(manifest.tables)
    for entry in manifest.files:
        assert (tmp_path / "out" / entry.file).is_file()
    assert (tmp_path / "out" / "FORMAT.md").read_text().startswith("# IOP Desk client record export")


def test_a_demo_client_round_trips_into_an_empty_clinic_with_the_same_record_hashes(demo_as_supervisor, tmp_path, sqlite_template):
    """Export with PDFs, import into a fresh clinic, re-export: every record hash is the same."""
    clinic, mrn = demo_as_supervisor
    first = export_client_with_pdfs(clinic, mrn, tmp_path / "first", recipient=RECIPIENT)
    assert first.manifest.record_hashes()["note"], "the demo client should have notes"
    clinic.close()
    target = tmp_path / "target.sqlite"
    shutil.copyfile(sqlite_template, target)
    with iopdesk.open_clinic(str(target)) as empty:
        report = import_client_record(empty, tmp_path / "first", trust=first.manifest.signer)
        assert report.inserted > 50
        again = export_client_record(empty, mrn, tmp_path / "again")
        assert empty.check().ok, empty.check().lines
    assert _record_hashes(tmp_path / "first") == _record_hashes(tmp_path / "again")
    for table, shared in first.manifest.record_hashes("shared").items():
        assert set(shared) <= set(again.record_hashes("shared")[table])
    staff = json.loads((tmp_path / "again" / "shared" / "staff.json").read_text())
    assert all(s["password_hash"] == "!" and s["active"] is False for s in staff)


def test_the_signed_documents_are_pdfs_listed_in_the_manifest_and_the_export_is_a_disclosure(demo_as_supervisor, tmp_path):
    """The PDFs open with pypdf and show the MRN; the export is logged once, to the recipient, without a consent."""
    clinic, mrn = demo_as_supervisor
    result = export_client_with_pdfs(clinic, mrn, tmp_path / "out", recipient=RECIPIENT)
    assert result.pdfs >= 3 and len(result.manifest.attachments) == result.pdfs
    kinds = {a["file"].split("/")[1].split("_")[0] for a in result.manifest.attachments}
    assert {"note", "group-note", "plan", "measures"} & kinds
    for attachment in result.manifest.attachments:
        reader = PdfReader(tmp_path / "out" / attachment["file"])
        assert mrn in reader.pages[0].extract_text()
    read_export(tmp_path / "out")  # every hash checks
    log = clinic.disclosures.log(result.manifest.client_id)
    assert [d.recipient for d in log] == [RECIPIENT] and log[0].consent_id is None
    assert "Full export" in log[0].description


def test_an_admitted_client_exports_on_each_backend_and_imports_into_sqlite(admitted_client, tmp_path, sqlite_template):
    """A chart on SQLite or PostgreSQL comes back into a SQLite clinic with the same hashes."""
    clinic, client, _ = admitted_client
    clinic.login("supervisor", "correct horse battery")
    first = export_client_record(clinic, client.mrn, tmp_path / "first")
    target = tmp_path / "target.sqlite"
    shutil.copyfile(sqlite_template, target)
    with iopdesk.open_clinic(str(target)) as empty:
        import_client_record(empty, tmp_path / "first", trust=first.signer)
        export_client_record(empty, client.mrn, tmp_path / "again")
    hashes = _record_hashes(tmp_path / "first")
    assert hashes["diagnosis"] and hashes == _record_hashes(tmp_path / "again")


def test_an_unknown_mrn_or_a_used_folder_is_refused_and_nothing_is_logged(demo_as_supervisor, tmp_path):
    """Unknown MRN names the mrn; a folder with files in it names out; no disclosure is written."""
    clinic, mrn = demo_as_supervisor
    before = Disclosure.select().count()
    with pytest.raises(ValidationError) as unknown:
        export_client_with_pdfs(clinic, "NOPE-999999", tmp_path / "a", recipient=RECIPIENT)
    assert unknown.value.field == "mrn" and "NOPE-999999" in str(unknown.value)
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    with pytest.raises(ValidationError) as busy:
        export_client_with_pdfs(clinic, mrn, used, recipient=RECIPIENT)
    assert busy.value.field == "out" and (used / "keep.txt").read_text() == "mine"
    assert Disclosure.select().count() == before and not (tmp_path / "a").exists()


def test_a_clinician_may_not_export_a_whole_record(demo_as_supervisor, tmp_path):
    """chart.export belongs to administrators and supervisors only."""
    clinic, mrn = demo_as_supervisor
    clinic.login("clinician", DEMO_PASSWORD)
    with pytest.raises(PermissionDenied):
        export_client_record(clinic, mrn, tmp_path / "out")


def test_an_edited_export_is_refused_naming_the_manifest_and_the_file(demo_as_supervisor, tmp_path, sqlite_template):
    """A changed row, or a changed manifest (even one signed again with the clinic's own key),
    stops the import before anything is written."""
    clinic, mrn = demo_as_supervisor
    exported = export_client_record(clinic, mrn, tmp_path / "out")
    key = clinic_signing_key(clinic)
    clinic.close()
    episode = tmp_path / "out" / "tables" / "episode.json"
    rows = json.loads(episode.read_text())
    rows[0]["level"] = "3.7"
    episode.write_text(json.dumps(rows))
    target = tmp_path / "target.sqlite"
    shutil.copyfile(sqlite_template, target)
    with iopdesk.open_clinic(str(target)) as empty:
        with pytest.raises(ValidationError) as edited:
            import_client_record(empty, tmp_path / "out", trust=exported.signer)
        assert edited.value.field == "manifest" and "tables/episode.json" in str(edited.value)
        manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
        manifest["format_version"] = 99
        (tmp_path / "out" / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(ValidationError) as unsigned:
            import_client_record(empty, tmp_path / "out", trust=exported.signer)
        assert unsigned.value.field == "manifest" and "manifest.json does not match its signature" in str(unsigned.value)
        signed_again(tmp_path / "out", key)
        with pytest.raises(ValidationError) as version:
            import_client_record(empty, tmp_path / "out", trust=exported.signer)
        assert version.value.field == "manifest" and "format_version" in str(version.value)
        assert empty.clients.count() == 0


def test_a_clinic_with_clients_refuses_an_import(demo_as_supervisor, tmp_path):
    """An import never merges into an existing chart: the clinic must have no clients."""
    clinic, mrn = demo_as_supervisor
    export_client_record(clinic, mrn, tmp_path / "out")
    clinic.login("admin", DEMO_PASSWORD)
    with pytest.raises(ValidationError) as refused:
        import_client_record(clinic, tmp_path / "out")
    assert refused.value.field == "db"


def test_the_command_line_exports_and_imports_a_client(demo_as_supervisor, tmp_path, sqlite_template, monkeypatch, capsys):
    """`iopdesk export client` then `iopdesk import client` into a fresh clinic, each in one line."""
    from iopdesk.cli.main import main as cli_main
    from reports.export_cli import main as export_main

    clinic, mrn = demo_as_supervisor
    source = clinic.url.removeprefix("sqlite:///")
    clinic.close()
    monkeypatch.setenv("IOPDESK_PASSWORD", DEMO_PASSWORD)
    out = tmp_path / "record"
    assert export_main(["client", mrn, "--out", str(out), "--recipient", RECIPIENT, "--db", source,
                        "--user", "supervisor"]) == 0
    said = capsys.readouterr().out
    assert f"Exported client {mrn}" in said
    fingerprint = re.search(r"export key ((?:[0-9A-F]{4} ){7}[0-9A-F]{4})", said).group(1)
    target = tmp_path / "target.sqlite"
    shutil.copyfile(sqlite_template, target)
    assert cli_main(["import", "client", str(out), "--db", str(target), "--trust", fingerprint]) == 0
    assert f"Imported client {mrn}" in capsys.readouterr().out


def test_two_notes_of_one_date_written_a_minute_apart_get_a_pdf_each_and_import(clinic_file, tmp_path):
    """Time-ordered ids of notes written within about a minute share their first 8 characters; each
    note's PDF is named by its whole id, so both are in the export, each listed once, and it imports."""
    manifest, _ = two_notes_of_one_day(clinic_file, tmp_path / "out", pdfs=True)
    notes = json.loads((tmp_path / "out" / "tables" / "note.json").read_text())
    assert len(notes) == 2 and notes[0]["id"][:8] == notes[1]["id"][:8]
    pdfs = sorted(a["file"] for a in manifest.attachments if a["file"].startswith("pdf/note_"))
    assert pdfs == sorted(f"pdf/note_{n['service_date']}_{n['id']}.pdf" for n in notes)
    assert len({a["sha256"] for a in manifest.attachments if a["file"] in pdfs}) == 2
    # A clinic of its own (a copy of the template would be the source's own clinic and site, a
    # trail this workstation's anchor says was cut).
    with iopdesk.open_clinic(str(tmp_path / "target.sqlite")) as empty:
        assert import_client_record(empty, tmp_path / "out", trust=manifest.signer).inserted > 0
        assert empty.check().ok, empty.check().lines
