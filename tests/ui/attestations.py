"""Answering the attestation in widget tests: every signature waits on a modal `AttestationDialog`.

`answer_attestations(monkeypatch, sign=True)` is for tests about something else: the real dialog is
built as the screen built it, recorded (title, statement, signature line, what it lists) and
answered Sign, or Cancel, without waiting for a click. `press_in_attestation(qtbot, "sign")` is for
tests about the attestation itself: once the screen opens the real dialog, modally, it records it
(and a screenshot, when asked) and clicks its Sign or Cancel button as a person would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from ui.attestation_dialog import AttestationDialog


@dataclass(frozen=True)
class ShownAttestation:
    title: str
    statement: str
    signature: str
    signing: str
    left_out: str
    signing_lines: tuple[str, ...]
    left_out_lines: tuple[str, ...]


def _record(dialog: AttestationDialog) -> ShownAttestation:
    return ShownAttestation(
        dialog.windowTitle(), dialog.statement.text(), dialog.signature.text(),
        dialog.signing_label.text() if dialog.signing_label is not None else "",
        dialog.left_out_label.text() if dialog.left_out_label is not None else "",
        dialog.signing, dialog.left_out)


def answer_attestations(monkeypatch, *, sign: bool = True) -> list[ShownAttestation]:
    """Answer every attestation Sign (or Cancel) at once; returns the list of those shown."""
    shown: list[ShownAttestation] = []

    def answered(dialog: AttestationDialog) -> int:
        shown.append(_record(dialog))
        return QDialog.DialogCode.Accepted if sign else QDialog.DialogCode.Rejected

    monkeypatch.setattr(AttestationDialog, "exec", answered)
    return shown


def press_in_attestation(qtbot, button: str, *, screenshot: str | None = None,
                         tries: int = 200) -> list[ShownAttestation]:
    """Click `button` ("sign" or "cancel") of the next attestation dialog the screen opens; the
    returned list gets what it showed. Call it just before the action that opens the dialog."""
    shown: list[ShownAttestation] = []

    def answer(left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, AttestationDialog):
            if left:
                QTimer.singleShot(10, lambda: answer(left - 1))
            return
        shown.append(_record(dialog))
        if screenshot:
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            dialog.grab().save(screenshot)
        qtbot.mouseClick(getattr(dialog, f"{button}_button"), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, lambda: answer(tries))
    return shown
