"""Printing a document end to end, the same way from the app and from the command line.

`print_document(clinic, "plan", PrintRequest(client_id=…), out, recipient=None)`:
1. with a recipient outside the program, finds the consent that covers them (refused otherwise,
   naming the recipient, before anything is written), and refuses a note that names another
   client (it is kept out of releases);
2. reads the page frame (`clinic.disclosures.document_context`);
3. asks the document's writer to gather its read models through the clinic's services and lay them
   out (writers run no queries of their own);
4. with a recipient, logs the disclosure once the file is written.

Each document module registers itself in `DOCUMENTS` through `document_kind(...)`; a writer is
`write(clinic, request, context, out, release) -> str`, returning a description of what it printed
("Treatment plan, version 2, signed 11/20/2026") for the disclosure log and the print dialog.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from iopdesk import Clinic
from iopdesk.errors import ValidationError
from iopdesk.services.disclosures import DisclosureView, DocumentContext
from reports.release import Release

Writer = Callable[[Clinic, "PrintRequest", DocumentContext, "str | Path | BinaryIO", "Release | None"], str]

# Document code → the module that registers it (imported on first use, so `iopdesk print` stays quick).
MODULES = {
    "plan": "reports.plan_pdf",
    "discharge": "reports.discharge_pdf",
    "group-note": "reports.group_note_pdf",
    "progress-note": "reports.progress_note_pdf",
    "measures": "reports.measures_pdf",
    "sign-in": "reports.sign_in_pdf",
}

# Documents that are one note, and what their target id is: a note that names another client is
# never released outside the program (clinic.disclosures.check_note_releasable).
NOTE_TARGETS = {"progress-note": "note_id", "group-note": "group_session_id"}


@dataclass(frozen=True)
class PrintRequest:
    """What to print: the client, and when the document is one of several, which one (a plan
    version, a note, a group session). `target_id` None means the current or latest one.
    `staff_copy`: the program's own copy of a document that has one (the sign-in sheet with
    MRNs), instead of the copy its readers see."""

    client_id: str | None
    target_id: str | None = None
    staff_copy: bool = False


@dataclass(frozen=True)
class DocumentKind:
    code: str
    label: str
    write: Writer
    needs_client: bool = True
    staff_copy: str = ""  # what a staff copy adds ("with MRNs"); "" when the document has none


@dataclass(frozen=True)
class PrintResult:
    description: str
    disclosure: DisclosureView | None


DOCUMENTS: dict[str, DocumentKind] = {}


def document_kind(code: str, label: str, write: Writer, *, needs_client: bool = True,
                  staff_copy: str = "") -> DocumentKind:
    """Register a document writer under `code` (called by each document module at import)."""
    kind = DocumentKind(code, label, write, needs_client, staff_copy)
    DOCUMENTS[code] = kind
    return kind


def kind_of(code: str) -> DocumentKind:
    """The registered document `code`; ValidationError (document) for an unknown one."""
    if code not in DOCUMENTS and code in MODULES:
        importlib.import_module(MODULES[code])
    if code not in DOCUMENTS:
        raise ValidationError(f"Document: {code!r} is not one of {', '.join(MODULES)}.", field="document")
    return DOCUMENTS[code]


def print_document(clinic: Clinic, code: str, request: PrintRequest, out: str | Path | BinaryIO, *,
                   recipient: str | None = None, log_release: bool = True) -> PrintResult:
    """Write document `code` for `request` to `out`; see the module docstring for the steps.

    `log_release=False` writes a copy for preview only: consent checked and release pages included
    for a recipient, nothing logged or audited; the screen calls `log_released_copy` once the copy
    is printed or saved. Otherwise the print is audited, and a release logged as a disclosure.
    Raises the domain's errors: PermissionDenied without `print.chart`, ValidationError naming the
    recipient when no consent covers them, NotFound/ValidationError for a missing target.
    """
    kind = kind_of(code)
    if kind.needs_client and not request.client_id:
        raise ValidationError(f"Client: a {kind.label.lower()} is printed for one client.", field="client_id")
    if request.staff_copy and not kind.staff_copy:
        raise ValidationError(f"Staff copy: a {kind.label.lower()} has no staff copy; only the sign-in sheet "
                              "has one.", field="staff_copy")
    release = None
    if recipient and recipient.strip():
        if not request.client_id:
            raise ValidationError("Recipient: only a client's own document can be released outside the program.",
                                  field="recipient")
        release = Release(recipient.strip(), clinic.disclosures.release_consent(request.client_id, recipient))
        if code in NOTE_TARGETS and request.target_id:
            clinic.disclosures.check_note_releasable(request.client_id, **{NOTE_TARGETS[code]: request.target_id})
    context = clinic.disclosures.document_context(request.client_id)
    description = kind.write(clinic, request, context, out, release)
    disclosure = None
    if log_release:
        disclosure = log_released_copy(clinic, request, release.recipient if release else None, description)
    return PrintResult(description, disclosure)


def log_released_copy(clinic: Clinic, request: PrintRequest, recipient: str | None,
                      description: str) -> DisclosureView | None:
    """Record that a copy was printed or saved: audited as a print, and with a recipient outside
    the program logged as a disclosure (the consent is checked again: it may have been revoked
    since the preview)."""
    if not recipient:
        clinic.disclosures.record_print(request.client_id, description)
        return None
    disclosure, _changes = clinic.disclosures.record_release(request.client_id, recipient, f"{description} (PDF)")
    return disclosure
