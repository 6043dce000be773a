"""When another workstation saved a group session first: both versions of its shared part.

The session window's save names the session version it read; a refusal opens the both-versions
dialog. "Keep theirs" reloads the stored session and drops what was typed here; "Copy mine"
keeps the form and takes the new version, so the next save replaces theirs knowingly. Autosave
waits while the dialog is open, so it cannot retry the refused save behind the user's back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

from iopdesk.errors import ConcurrentEdit
from ui.concurrent_edit_dialog import ConcurrentEditDialog, resolve_concurrent_edit, with_versions
from ui.operations import user_message

if TYPE_CHECKING:
    from ui.group_session.session_window import GroupSessionWindow


def _tr(text: str) -> str:
    return QCoreApplication.translate("GroupSessionWindow", text)


def show_session_conflict(window: GroupSessionWindow, error: ConcurrentEdit, *,
                          unsaved_rows: bool) -> ConcurrentEditDialog:
    """Open the dialog over `window` for a refused save; returns it (also kept on the window)."""
    window._conflict_open = True
    window.autosave.stop()
    window.status_text.setText(user_message(error))
    stored = window.clinic.groups.session(window.session_id)
    theirs = {"topic": stored.topic, "modality": stored.modality, "shared_note": stored.shared_note}
    mine = {"topic": window.topic_edit.text().strip(), "modality": window.modality_edit.text().strip(),
            "shared_note": window.shared_edit.toPlainText().strip()}
    if unsaved_rows:
        theirs["rows"], mine["rows"] = _tr("as saved there"), _tr("unsaved here")
    labels = {"topic": _tr("Topic"), "modality": _tr("Modality"), "shared_note": _tr("Shared note"),
              "rows": _tr("Attendance and individual notes")}

    def keep_theirs() -> None:
        window.session = window.clinic.groups.session(window.session_id)
        window.topic_edit.setText(window.session.topic)
        window.modality_edit.setText(window.session.modality)
        window.shared_edit.setPlainText(window.session.shared_note)
        window.model.pending.clear()
        window.editor.mark_saved(list(window.editor.dirty))
        window.autosave.stop()
        window.setWindowModified(False)
        window._conflict_open = False
        window.reload()

    def keep_mine() -> None:
        window.session = window.clinic.groups.session(window.session_id)
        window._conflict_open = False
        window.status_text.setText(_tr("Your changes are still here; save to replace theirs."))

    dialog = resolve_concurrent_edit(window, with_versions(error, theirs, mine), labels,
                                     keep_theirs=keep_theirs, keep_mine=keep_mine)
    dialog.finished.connect(lambda _result: setattr(window, "_conflict_open", False))
    window.conflict_dialog = dialog
    return dialog
