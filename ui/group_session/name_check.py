"""The group-session composer's live name check: while the facilitator types, the sections and the
shared part on screen are checked with the domain's own rule (`iopdesk.clinical.name_checks`) about 400 ms
after the last keystroke, without saving.

Names come from the roster rows (each carries the member's names); the text of a client whose
section has not been opened in this window comes from the saved notes, read once off the GUI thread
(`clinic.groups.saved_sections`). The names are checked on the GUI thread (a few milliseconds for
a large group); near-identical text, which can take a few hundred milliseconds, is compared on a
worker through a cache of text pairs (typing in one section compares only that section again), and
its warnings join the list when they come back. Findings are listed under the roster,
highlighted in the section editors and the shared part, and each blocked section (or the shared
part) says why and offers "Override…", which asks for the reason; the overrides go with Sign all.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QListWidgetItem

from iopdesk.clinical.name_checks import session_findings, similar_findings
from iopdesk.clinical.name_rules import SIMILAR, Finding, NameOverride
from iopdesk.clinical.program_rules import rule
from ui.name_findings import ask_override_reason, highlight, mark_line_edit

DEBOUNCE_MS = 400


class SessionNameCheck(QObject):
    """Findings of the session as it is on screen; `checked` after each run."""

    checked = Signal()

    def __init__(self, window) -> None:
        super().__init__(window)
        self.overrides: list[NameOverride] = []
        self.findings: list[Finding] = []
        self.similar: list[Finding] = []
        self.saved: dict[str, dict[str, str]] = {}
        self._pairs: dict = {}
        self._asked = 0
        self._compared = 0
        self.threshold = float(rule("group_notes", "similarity_warning"))  # one quick read when opened
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.run)

    @property
    def window(self):
        """The window this check belongs to (its Qt parent: no reference cycle keeps it alive)."""
        return self.parent()

    def schedule(self) -> None:
        """Check again once typing pauses."""
        self.timer.start()

    def load_saved(self) -> None:
        """Read the saved sections off the GUI thread, then check; a newer read supersedes an older one."""
        self._asked += 1
        asked, groups, session_id = self._asked, self.window.clinic.groups, self.window.session_id
        self.window.ops.run(lambda: groups.saved_sections(session_id),
                            on_success=lambda saved: self._saved_read(asked, saved),
                            on_failure=lambda error: self._saved_read(asked, {}))

    def _saved_read(self, asked: int, saved: dict) -> None:
        if shiboken6.isValid(self) and asked == self._asked and not self.window._closed:
            self.saved = saved
            self.run()

    # -- the check ---------------------------------------------------------------------------------
    def sections(self) -> dict[str, dict[str, str]]:
        """Client id → the sections as on screen (the saved text for a section not opened here)."""
        editor = self.window.editor
        out = {}
        for row in self.window.model.rows():
            cid = row.client_id
            parts = editor.sections(cid) if editor.has(cid) else self.saved.get(cid, {})
            if any((v or "").strip() for v in parts.values()):
                out[cid] = parts
        return out

    def shared(self) -> dict[str, str]:
        w = self.window
        return {"topic": w.topic_edit.text(), "modality": w.modality_edit.text(),
                "shared_note": w.shared_edit.toPlainText()}

    def run(self) -> list[Finding]:
        """Check the names now (also what Sign all does first); compare the texts on a worker."""
        self.timer.stop()
        people = [r.person for r in self.window.model.rows() if r.person is not None]
        sections = self.sections()
        names = session_findings(people, sections, self.shared(), overrides=self.overrides)
        self.findings = names + [f for f in self.similar if f.client_id in sections]
        self.show()
        self.checked.emit()
        self._compare(people, sections)
        return self.findings

    def _compare(self, people, sections) -> None:
        if len(self._pairs) > 5000:
            self._pairs = {}
        self._compared += 1
        asked, pairs, threshold = self._compared, self._pairs, self.threshold
        by_id = {p.client_id: p for p in people}
        self.window.ops.run(lambda: similar_findings(by_id, sections, threshold, pairs),
                            on_success=lambda found: self._compared_texts(asked, found),
                            on_failure=lambda _error: None)

    def _compared_texts(self, asked: int, found: list[Finding]) -> None:
        if not shiboken6.isValid(self) or asked != self._compared or self.window._closed or found == self.similar:
            return
        self.similar = found
        self.findings = [f for f in self.findings if f.kind != SIMILAR] + found
        self.show()
        self.checked.emit()

    def of(self, client_id: str | None) -> list[Finding]:
        return [f for f in self.findings if f.client_id == client_id]

    # -- showing -----------------------------------------------------------------------------------
    def show(self) -> None:
        w = self.window
        names = {r.client_id: r.display_name for r in w.model.rows()}
        w.warnings.blockSignals(True)
        w.warnings.clear()
        for f in self.findings:
            who = names.get(f.client_id, w.tr("Shared part")) if f.client_id else w.tr("Shared part")
            state = w.tr("Blocked") if f.blocks else w.tr("Overridden") if f.blocking else w.tr("Check")
            item = QListWidgetItem(f"{state} · {who}: {f.message}", w.warnings)
            item.setData(Qt.ItemDataRole.UserRole, f.client_id)
            item.setToolTip(f.override_reason and w.tr("Overridden: {reason}").format(reason=f.override_reason)
                            or f.message)
        w.warnings.blockSignals(False)
        count, blocked = w.warnings.count(), sum(1 for f in self.findings if f.blocks)
        w.warnings_label.setText(
            w.tr("&Warnings ({n}, {b} blocking)").format(n=count, b=blocked) if blocked
            else w.tr("&Warnings ({n})").format(n=count) if count else w.tr("&Warnings"))
        self.show_current()
        shared = self.of(None)
        for field, edit in (("topic", w.topic_edit), ("modality", w.modality_edit)):
            mark_line_edit(edit, [f for f in shared if f.field == field])
        highlight(w.shared_edit, [f for f in shared if f.field == "shared_note"])
        w.shared_part.findings_panel.show_findings(
            shared, blocked_text=w.tr("Nothing in this session can be signed: the shared part names a client"))

    def show_current(self) -> None:
        """Highlight the current client's section and say why it is blocked."""
        editor = self.window.editor
        mine = self.of(editor.client_id) if editor.client_id else []
        for key, edit in editor.editors.items():
            highlight(edit, [f for f in mine if f.field == key])
        editor.findings_panel.show_findings(mine, blocked_text=self.window.tr(
            "This section cannot be signed: it names another member"))

    # -- overriding --------------------------------------------------------------------------------
    def override(self, client_id: str | None) -> bool:
        """Ask the reason for letting the blocking words of this section (None: the shared part)
        stand; True when the clinician gave one."""
        self.run()
        blocked = [f for f in self.of(client_id) if f.blocks]
        if not blocked:
            return False
        reason = ask_override_reason(self.window, blocked)
        if reason is None:
            return False
        for f in blocked:
            self.overrides += [NameOverride(f.words, named, reason, note_of=client_id) for named in f.named_ids]
        self.run()
        self.window.status_text.setText(self.window.tr("Override kept; it is recorded when the notes are signed."))
        return True
