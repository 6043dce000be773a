"""The note editor's live name check: the note's text on screen checked with the domain's rule
(`iopdesk.clinical.name_checks.note_findings`) about 400 ms after the last keystroke, without saving.

The names of the clients in care are read once, off the GUI thread, when the editor opens
(`clinic.notes.name_people`, one query) and indexed; each check then tokenises the sections and
participants and looks the words up. Another client's full name is highlighted and the panel under
the note says the note cannot be signed as it is, with "Override…" asking for the reason; the
overrides go with the signature. Signing checks again in the domain, against the names as saved
then, so a name added to the program after the editor opened is still caught.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from iopdesk.clinical.name_checks import note_findings
from iopdesk.clinical.name_rules import Finding, NameIndex, NameOverride, Person, blocking
from ui.name_findings import FindingsPanel, ask_override_reason, highlight

DEBOUNCE_MS = 400


class NoteNameCheck(QObject):
    """Findings of one note as it is on screen; `checked` after each run."""

    checked = Signal()

    def __init__(self, editor) -> None:
        super().__init__(editor)
        self.own: Person | None = None
        self.index: NameIndex | None = None
        self.overrides: list[NameOverride] = []
        self.findings: list[Finding] = []
        self.panel = FindingsPanel("noteFindings")
        self.panel.override_requested.connect(self.override)
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.run)

    @property
    def editor(self):
        """The editor this check belongs to (its Qt parent: no reference cycle keeps it alive)."""
        return self.parent()

    @property
    def ready(self) -> bool:
        return self.index is not None

    def load(self) -> None:
        """Read the names of the clients in care off the GUI thread, then check."""
        notes, client_id = self.editor.clinic.notes, self.editor.client_id
        self.editor.ops.run(lambda: notes.name_people(client_id), on_success=self._loaded,
                            on_failure=lambda _error: None)  # the domain still checks at signing

    def _loaded(self, found) -> None:
        if not shiboken6.isValid(self):  # the editor closed meanwhile
            return
        self.own, people = found
        self.index = NameIndex(people, full_only=True)
        self.run()

    def schedule(self) -> None:
        self.timer.start()

    def fields(self) -> dict[str, str]:
        fields = dict(self.editor.sections())
        if self.editor.kind != "group":
            fields["participants"] = self.editor.participants_edit.text()
        return fields

    def run(self) -> list[Finding]:
        """Check now (also what Sign does first)."""
        self.timer.stop()
        if self.index is None or self.own is None:
            return self.findings
        self.findings = note_findings(self.own, self.index, self.fields(), self.overrides)
        signed = self.editor.signed
        for key, edit in self.editor.section_edits.items():
            highlight(edit, [] if signed else [f for f in self.findings if f.field == key])
        self.panel.show_findings([] if signed else self.findings, blocked_text=self.editor.tr(
            "This note cannot be signed: it names another client of the program"))
        self.checked.emit()
        return self.findings

    def blocking(self) -> list[Finding]:
        return blocking(self.findings)

    def override(self) -> bool:
        """Ask the reason for letting the blocking words stand; True when one was given."""
        found = blocking(self.run())
        if not found:
            return False
        reason = ask_override_reason(self.editor, found)
        if reason is None:
            return False
        for f in found:
            self.overrides += [NameOverride(f.words, named, reason) for named in f.named_ids]
        self.run()
        return True
