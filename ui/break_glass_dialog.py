"""`BreakGlassDialog`: ask for emergency ("break the glass") access to one client's chart.

Shown when a chart section is refused for lack of access and the user may break the glass. It
says plainly what happens (time-limited read-only access, recorded in the audit trail with the
reason, reviewed by a supervisor or administrator), takes the reason (required; the domain
enforces its minimum length) and calls `clinic.emergency.request`. `grant` holds the result.
`refused_access_widget` is what a chart tab shows in place of a section it may not read: the
domain's refusal and, when the user may break the glass, a button that opens this dialog.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import IopDeskError
from iopdesk.passwords import policy
from iopdesk.permissions import ChartAccessDenied
from ui.operations import user_message


class BreakGlassDialog(QDialog):
    """Request time-limited emergency access to `client_id` (named `client_label` on screen)."""

    def __init__(self, clinic: Clinic, client_id: str, client_label: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.client_id = str(client_id)
        self.grant = None
        rules = policy()["emergency_access"]
        self.min_reason = int(rules["min_reason_length"])
        self.setObjectName("breakGlassDialog")
        self.setWindowTitle(self.tr("Emergency Access"))
        self.setModal(True)

        heading = QLabel(self.tr("Emergency access to {client}").format(client=client_label),
                         objectName="panelTitle")
        heading.setWordWrap(True)
        explanation = QLabel(self.tr(
            "Your role does not give you access to this client's clinical record. In an emergency "
            "you may open it to read for the next {hours} hours.\n\n"
            "This is recorded in the audit trail with your name, the time, the client and your "
            "reason, and a supervisor or administrator will review it. Substance use treatment "
            "records are protected by 42 CFR Part 2: use this only when the client's care needs it "
            "now.").format(hours=rules["hours"]), objectName="breakGlassExplanation")
        explanation.setWordWrap(True)
        reason_label = QLabel(self.tr("&Reason (required):"))
        self.reason_edit = QPlainTextEdit(objectName="breakGlassReason")
        self.reason_edit.setAccessibleName(self.tr("Reason for emergency access"))
        self.reason_edit.setPlaceholderText(self.tr("e.g. Client in crisis at the front desk; the "
                                                    "treating clinician cannot be reached."))
        self.reason_edit.setTabChangesFocus(True)
        reason_label.setBuddy(self.reason_edit)
        self.reason_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        self.count_label = QLabel(objectName="hint")
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.error_label = QLabel(objectName="fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Emergency access problem"))
        self.error_label.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.request_button = self.buttons.addButton(self.tr("Open chart in an emergency"),
                                                     QDialogButtonBox.ButtonRole.AcceptRole)
        self.request_button.setObjectName("requestEmergencyAccess")
        self.buttons.accepted.connect(self.request)
        self.buttons.rejected.connect(self.reject)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.count_label)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)
        self.reason_edit.textChanged.connect(self._reason_changed)
        self._reason_changed()
        self.reason_edit.setFocus()

    def _reason_changed(self) -> None:
        length = len(self.reason_edit.toPlainText().strip())
        self.request_button.setEnabled(length >= self.min_reason)
        self.count_label.setText(self.tr("{n} of at least {m} characters").format(n=length, m=self.min_reason))

    def request(self) -> None:
        """Ask the domain for the grant; accept on success, else show why and stay open."""
        try:
            self.grant, _changes = self.clinic.emergency.request(self.client_id,
                                                                 self.reason_edit.toPlainText())
        except IopDeskError as error:
            self.error_label.setText(user_message(error))
            self.error_label.show()
            return
        self.accept()


def refused_access_widget(clinic: Clinic, error: IopDeskError, client_label: str,
                          granted: Callable[[], None], parent: QWidget | None = None) -> QWidget:
    """The refusal, centred; with "Request emergency access…" when the domain says this user may
    break the glass for the client. `granted` runs after a grant (rebuild the refused sections)."""
    label = QLabel(user_message(error), objectName="accessRefusedText")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    if not (isinstance(error, ChartAccessDenied) and error.emergency_possible and error.client_id):
        return label
    panel = QWidget(parent, objectName="accessRefused")
    button = QPushButton(panel.tr("Request emergency access…"), objectName="breakGlassButton")
    button.setAccessibleName(panel.tr("Request emergency access"))

    def ask() -> None:
        dialog = BreakGlassDialog(clinic, error.client_id, client_label, panel.window())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            granted()

    button.clicked.connect(ask)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(button)
    row.addStretch(1)
    layout = QVBoxLayout(panel)
    layout.addStretch(1)
    layout.addWidget(label)
    layout.addLayout(row)
    layout.addStretch(2)
    return panel
