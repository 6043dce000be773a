"""A client's full record export with its signed documents as PDFs beside the JSON.

`export_client_with_pdfs(clinic, mrn, out_dir, recipient=...)` runs
`iopdesk.interchange.client_export.export_client_record` and, before the export is moved into place and logged,
prints into `pdf/` every signed document the record holds, found in the exported tables themselves
(no queries here): each signed progress, family or individual note, each group note (the client's
copy of the session), each signed treatment plan version, each signed discharge summary, and the
measure report when the client has measure results. Every PDF goes through
`reports.jobs.print_document` like the app's Print…, as a copy inside the program (nothing logged
per file): the whole export is one disclosure, logged once by the export with the PDFs listed and
hashed in the manifest. An account that may export but not print charts (an administrator) gets
the JSON record only, and the result says so. File names carry the document type, date and the
record's whole id (never a name): two notes of one client on one date written within a minute
share the first characters of their time-ordered ids, so nothing shorter keeps their files apart. An export for a recipient leaves out the notes that name another client
(with their PDFs) and says so in its summary and manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from iopdesk import Clinic
from iopdesk.interchange.client_export import ExportManifest, export_client_record, sha256_file
from reports.jobs import PrintRequest, print_document

SIGNED_NOTES = ("signed", "awaiting_cosign", "cosigned")
SIGNED_PLANS = ("signed", "superseded")


@dataclass(frozen=True)
class ClientExport:
    manifest: ExportManifest
    pdfs: int
    pdfs_skipped: str  # why no PDFs were written (blank when they were)

    def summary(self) -> str:
        rows = sum(f.rows for f in self.manifest.files if f.part == "record")
        line = (f"Exported client {self.manifest.mrn}: {rows} rows in {len(self.manifest.tables)} tables"
                f" and {self.pdfs} PDF document(s) to {self.manifest.folder}")
        line += f" ({self.pdfs_skipped})" if self.pdfs_skipped else ""
        held = self.manifest.notes_withheld
        if held:
            line += (f"; {held} note(s) withheld because they name another client (listed under "
                     "\"withheld\" in manifest.json)")
        return line + (f". Signed with this clinic's export key {self.manifest.signer}: a clinic importing it "
                       "confirms that fingerprint with you by phone or in person.")


def _table(folder: Path, manifest: ExportManifest, table: str) -> list[dict]:
    for entry in manifest.files:
        if entry.table == table and entry.part == "record":
            return json.loads((folder / entry.file).read_text(encoding="utf-8"))
    return []


def documents(folder: Path, manifest: ExportManifest) -> list[tuple[str, str | None, str]]:
    """(document code, target id, file name) for every signed document of the exported record."""
    found: list[tuple[str, str | None, str]] = []
    for note in _table(folder, manifest, "note"):
        if note["status"] not in SIGNED_NOTES:
            continue
        if note["kind"] == "group" and note.get("group_session_id"):
            found.append(("group-note", note["group_session_id"], f"group-note_{note['service_date']}_{note['id']}"))
        elif note["kind"] != "group":
            found.append(("progress-note", note["id"], f"note_{note['service_date']}_{note['id']}"))
    for plan in _table(folder, manifest, "treatment_plan"):
        if plan["status"] in SIGNED_PLANS:
            found.append(("plan", plan["id"], f"plan_v{plan['plan_version']}_{plan['id']}"))
    for discharge in _table(folder, manifest, "discharge"):
        if discharge["status"] == "signed":
            found.append(("discharge", discharge["id"], f"discharge_{discharge['id']}"))
    if _table(folder, manifest, "measure_result"):
        found.append(("measures", None, "measures"))
    return found


def export_client_with_pdfs(clinic: Clinic, mrn: str, out_dir: str | Path, *,
                            recipient: str | None = None) -> ClientExport:
    """Export client `mrn`'s record and signed documents into `out_dir` (new or empty).

    Raises the errors of `export_client_record` (ValidationError naming mrn, out, recipient;
    PermissionDenied without chart.export) and of the document writers; nothing is left behind
    and nothing is logged then.
    """
    can_print = clinic.actor.can("print.chart") and clinic.actor.can("chart.read_narrative")
    written: list[int] = []

    def attach(folder: Path, manifest: ExportManifest) -> list[dict]:
        if not can_print:
            return []
        (folder / "pdf").mkdir()
        entries = []
        for code, target, stem in documents(folder, manifest):
            path = folder / "pdf" / f"{stem}.pdf"
            result = print_document(clinic, code, PrintRequest(manifest.client_id, target), path,
                                    log_release=False)
            entries.append({"file": f"pdf/{path.name}", "sha256": sha256_file(path),
                            "document": result.description})
        written.append(len(entries))
        return entries

    manifest = export_client_record(clinic, mrn, out_dir, recipient=recipient, attach=attach)
    skipped = "" if can_print else f"no PDFs: {clinic.actor.display_name} may not print charts"
    return ClientExport(manifest, sum(written), skipped)
