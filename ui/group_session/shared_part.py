"""The shared part of a group note: topic, modality and the narrative copied to every attendee's
chart, with the standing reminder that it must name no client, and (`findings_panel`, filled by
the window's live name check) what blocks the session when it does.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.name_findings import FindingsPanel


class SharedPartWidget(QWidget):
    """Topic, modality and shared note of one session; `edited` on every change the user makes."""

    edited = Signal()

    def __init__(self, topic: str, modality: str, shared_note: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sharedPart")
        self.topic_edit = QLineEdit(topic, objectName="topic")
        self.topic_edit.setAccessibleName(self.tr("Topic"))
        self.modality_edit = QLineEdit(modality, objectName="modality")
        self.modality_edit.setAccessibleName(self.tr("Modality"))
        self.modality_edit.setPlaceholderText(self.tr("e.g. process group, CBT skills"))
        self.shared_edit = QPlainTextEdit(shared_note, objectName="sharedNote")
        self.shared_edit.setAccessibleName(self.tr("Shared note"))
        self.shared_edit.setTabChangesFocus(True)
        self.shared_edit.setPlaceholderText(self.tr("What the group did today: topic, interventions, materials."))
        self.shared_edit.setMaximumHeight(self.shared_edit.fontMetrics().lineSpacing() * 4 + 14)
        self.shared_edit.document().clearUndoRedoStacks()
        for widget in (self.topic_edit, self.modality_edit):
            widget.textEdited.connect(lambda _t: self.edited.emit())
        self.shared_edit.textChanged.connect(self.edited.emit)
        self.reminder = QLabel(self.tr("No client names in the shared part: it is copied to every chart."),
                               objectName="sharedReminder")
        self.reminder.setWordWrap(True)
        self.reminder.setForegroundRole(QPalette.ColorRole.Link)
        top = QHBoxLayout()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        for text, widget in ((self.tr("&Topic:"), self.topic_edit), (self.tr("&Modality:"), self.modality_edit)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow(self.reminder)
        shared_label = QLabel(self.tr("S&hared note:"))
        shared_label.setBuddy(self.shared_edit)
        shared_box = QVBoxLayout()
        shared_box.addWidget(shared_label)
        shared_box.addWidget(self.shared_edit)
        top.addLayout(form, 2)
        top.addLayout(shared_box, 3)
        self.findings_panel = FindingsPanel("sharedFindings")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.findings_panel)
