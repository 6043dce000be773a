"""Showing the name rule's findings where the clinician types, shared by the group-session composer
and the note editor: the words highlighted in a text field (extra selections: a blocking name on a
red background with a wavy underline, a warning on yellow, an overridden name underlined in grey),
a panel that says why a section cannot be signed with an "Override…" action, the dialog that asks
for the override's reason, and the one-line excerpts the attestation lists.

The findings come from the domain's pure functions (`iopdesk.clinical.name_checks`) run on what is on
screen; nothing here decides what blocks. Colour is never the only cue: the panel says it in words.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from iopdesk.clinical.name_rules import Finding, excerpt

BLOCK_BACKGROUND = "#ffc9c9"
WARN_BACKGROUND = "#fff0b3"
MARK_STYLE = f"background-color:{BLOCK_BACKGROUND}; font-weight:600"


def _format(finding: Finding) -> QTextCharFormat:
    fmt = QTextCharFormat()
    if finding.blocks:
        fmt.setBackground(QColor(BLOCK_BACKGROUND))
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(QColor("#b00020"))
    elif finding.blocking:  # overridden
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
        fmt.setUnderlineColor(QColor("#808080"))
    else:
        fmt.setBackground(QColor(WARN_BACKGROUND))
    fmt.setToolTip(finding.override_reason and f"Overridden: {finding.override_reason}" or finding.message)
    return fmt


def highlight(edit: QPlainTextEdit, findings: Sequence[Finding]) -> None:
    """Mark each finding's words in `edit` (its offsets are in the edit's text); clears the rest."""
    selections = []
    length = len(edit.toPlainText())
    for finding in findings:
        if finding.end <= finding.start or finding.end > length:
            continue
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(edit.document())
        cursor.setPosition(finding.start)
        cursor.setPosition(finding.end, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        selection.format = _format(finding)
        selections.append(selection)
    edit.setExtraSelections(selections)


def mark_line_edit(edit: QLineEdit, findings: Sequence[Finding]) -> None:
    """A one-line field cannot carry extra selections: a red frame and the words in the tooltip."""
    blocked = [f for f in findings if f.blocks]
    edit.setProperty("nameBlocked", bool(blocked))
    edit.setStyleSheet(f"QLineEdit {{ border: 2px solid #b00020; background: {BLOCK_BACKGROUND}; }}"
                       if blocked else "")
    edit.setToolTip("\n".join(f.message for f in blocked))


def excerpt_html(text: str, finding: Finding, width: int = 32) -> str:
    """The words in context on one line, escaped, the words highlighted (rich text)."""
    before, words, after = excerpt(text, finding.start, finding.end, width)
    return (f"{html.escape(before)}<span style=\"{MARK_STYLE}\">{html.escape(words)}</span>"
            f"{html.escape(after)}")


def words_text(findings: Sequence[Finding]) -> str:
    """"“Okafor” (A.O.), “Jordan Smith” (J.S.)"."""
    return ", ".join(f"“{f.words}” ({', '.join(i for _, i in f.named)})" for f in findings)


class FindingsPanel(QFrame):
    """Why this text cannot be signed as it is, what is overridden and what to check; "Override…"
    while a finding blocks. Hidden when there is nothing to say."""

    override_requested = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(objectName="findingsText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAccessibleName(self.tr("Names found"))
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.override_button = QPushButton(self.tr("O&verride…"), objectName="overrideButton")
        self.override_button.setAccessibleName(self.tr("Override"))
        self.override_button.setToolTip(self.tr("Let these words stay, with the reason (kept in the audit trail)"))
        self.override_button.setAutoDefault(False)
        self.override_button.clicked.connect(self.override_requested.emit)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.override_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_findings(self, findings: Sequence[Finding], *, blocked_text: str = "") -> None:
        blocked = [f for f in findings if f.blocks]
        overridden = [f for f in findings if f.blocking and not f.blocks]
        warned = [f for f in findings if not f.blocking]
        lines = []
        if blocked:
            lines.append(f"<b>{html.escape(blocked_text or self.tr('Cannot be signed: names another client'))}"
                         f"</b> — {html.escape(words_text(blocked))}. "
                         + html.escape(self.tr("Write initials instead, or override with the reason the words "
                                               "may stay.")))
        for f in overridden:
            lines.append(html.escape(self.tr("Overridden: {words} — {reason}").format(
                words=words_text([f]), reason=f.override_reason)))
        for f in warned:
            lines.append(html.escape(self.tr("Check: {message}").format(message=f.message)))
        self.label.setText("<br>".join(lines))
        self.override_button.setVisible(bool(blocked))
        self.setVisible(bool(lines))
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ background: {BLOCK_BACKGROUND}; "
                           "border: 1px solid #b00020; border-radius: 4px; }" if blocked else "")


class OverrideDialog(QDialog):
    """Asks why the words may stay; "Override" is enabled once a reason is typed."""

    def __init__(self, findings: Sequence[Finding], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overrideDialog")
        self.setWindowTitle(self.tr("Override the name check"))
        intro = QLabel(self.tr(
            "These words name another client: {words}. They may stay only when they mean something "
            "else — an ordinary word, a relative who shares the name. Say why; the reason is kept "
            "in the audit trail with your signature.").format(words=words_text(findings)))
        intro.setWordWrap(True)
        self.reason_edit = QLineEdit(objectName="overrideReason")
        self.reason_edit.setAccessibleName(self.tr("Reason"))
        self.reason_edit.setPlaceholderText(self.tr("e.g. “Hope” is an ordinary word here"))
        self.reason_edit.setMaxLength(500)
        reason_label = QLabel(self.tr("&Reason:"))
        reason_label.setBuddy(self.reason_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton(self.tr("&Override"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("overrideConfirm")
        self.ok_button.setEnabled(False)
        self.reason_edit.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason_edit)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def reason(self) -> str:
        return " ".join(self.reason_edit.text().split())


def ask_override_reason(parent: QWidget, findings: Sequence[Finding]) -> str | None:
    """The reason typed, or None when the clinician cancels."""
    dialog = OverrideDialog(findings, parent)
    try:
        return dialog.reason() if dialog.exec() == QDialog.DialogCode.Accepted and dialog.reason() else None
    finally:
        dialog.deleteLater()
