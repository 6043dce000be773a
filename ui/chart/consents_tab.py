"""The Consents tab of a client's chart: Part 2 consents to disclose, with add and revoke.

A table of every consent (recipient, purpose, signed, expires, status: active, expired or
revoked), newest signed first, from `clinic.consents.list_for_client`. "Add consent…" opens a
form with the elements 42 CFR Part 2 requires (who may disclose, the information, the recipient,
the purpose, the right to revoke acknowledged, who signed and when, an expiration date or event);
the domain names any missing element under its field. "Revoke…" records today's (or a chosen)
revocation date for the selected consent. Buttons follow "consent.write"; the domain refuses anyway.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.kernel import clock
from ui.chart import ChartFormDialog, RowsTableModel, date_text, make_table_view
from ui.date_fields import DateField
from ui.operations import Operations


def consent_status(consent, day: dt.date) -> str:
    if consent.revoked_on is not None and consent.revoked_on <= day:
        return "revoked"
    if consent.expires_on is not None and consent.expires_on < day:
        return "expired"
    return "active"


class ConsentsTab(QWidget):
    """Consents of one client: table, add, revoke."""

    KINDS = ("consent",)

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.setObjectName("consentsTab")
        statuses = {"active": self.tr("Active"), "expired": self.tr("Expired"), "revoked": self.tr("Revoked")}
        self.model = RowsTableModel((
            (self.tr("Recipient"), lambda c: c.recipient),
            (self.tr("Purpose"), lambda c: c.purpose),
            (self.tr("Signed"), lambda c: date_text(c.signed_on)),
            (self.tr("Expires"), lambda c: date_text(c.expires_on) or c.expiration_event),
            (self.tr("Status"), lambda c: statuses[consent_status(c, clock.today())]
             + (f" {date_text(c.revoked_on)}" if c.revoked_on else "")),
        ), self)
        self.view = make_table_view(self.model, self.tr("Consents"))
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        label = QLabel(self.tr("Consents to disclose (42 CFR Part 2)"))
        label.setBuddy(self.view)
        self.add_button = QPushButton(self.tr("&Add consent…"), objectName="addConsent")
        self.add_button.clicked.connect(self.add_consent)
        self.revoke_button = QPushButton(self.tr("&Revoke…"), objectName="revokeConsent")
        self.revoke_button.clicked.connect(self.revoke_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.revoke_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.can_write = clinic.actor.can("consent.write")
        self.add_button.setEnabled(self.can_write)
        ops.changes_applied.connect(self._changes_applied)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(self.clinic.consents.list_for_client(self.client_id))
        if self.model.rowCount():
            self.view.selectRow(0)
        self._update_buttons()

    def _update_buttons(self) -> None:
        consent = self.selected()
        self.revoke_button.setEnabled(self.can_write and consent is not None and consent.revoked_on is None)

    def selected(self):
        return self.model.row_value(self.view.currentIndex().row())

    def _changes_applied(self, changes) -> None:
        if (not changes.client_ids or self.client_id in changes.client_ids) and changes.touches(*self.KINDS):
            self.refresh()

    def add_consent(self):
        """Open the add-consent form; Save records it through clinic.consents.record."""
        discloser = QLineEdit(self.clinic.info().clinic_name)
        information = QPlainTextEdit()
        information.setTabChangesFocus(True)
        recipient = QLineEdit()
        purpose = QPlainTextEdit()
        purpose.setTabChangesFocus(True)
        acknowledged = QCheckBox(self.tr("The client was told the consent can be revoked"))
        signed_by = QLineEdit()
        signed_on = DateField(self.tr("Date signed"), clock.today())
        expires_on = DateField(self.tr("Expires on"), optional=True)
        expiration_event = QLineEdit()
        expiration_event.setPlaceholderText(self.tr("e.g. discharge from the program"))

        def submit() -> None:
            _view, changes = self.clinic.consents.record(
                self.client_id, discloser=discloser.text(), information=information.toPlainText(),
                recipient=recipient.text(), purpose=purpose.toPlainText(),
                revocation_acknowledged=acknowledged.isChecked(), signed_by=signed_by.text(),
                signed_on=signed_on.value(), expires_on=expires_on.value(),
                expiration_event=expiration_event.text())
            self.ops.announce(changes)

        dialog = ChartFormDialog.build(self, self.tr("Add consent"), [
            ("recipient", self.tr("&Recipient:"), recipient),
            ("purpose", self.tr("&Purpose:"), purpose),
            ("information", self.tr("&Information to disclose:"), information),
            ("discloser", self.tr("&Who may disclose:"), discloser),
            ("signed_by", self.tr("Si&gned by:"), signed_by),
            ("signed_on", self.tr("&Date signed:"), signed_on),
            ("expires_on", self.tr("E&xpires on:"), expires_on),
            ("expiration_event", self.tr("…or expires &upon:"), expiration_event),
            ("revocation_acknowledged", self.tr("Right to re&voke:"), acknowledged),
        ], submit)
        dialog.setObjectName("addConsentDialog")
        dialog.open()
        self.dialog = dialog
        return dialog

    def revoke_selected(self):
        """Ask the revocation date of the selected consent and record it."""
        consent = self.selected()
        if consent is None:
            return None
        revoked_on = DateField(self.tr("Revoked on"), clock.today())

        def submit() -> None:
            _view, changes = self.clinic.consents.revoke(consent.id, revoked_on.value())
            self.ops.announce(changes)

        dialog = ChartFormDialog.build(
            self, self.tr("Revoke consent to {recipient}").format(recipient=consent.recipient),
            [("revoked_on", self.tr("&Revoked on:"), revoked_on)], submit)
        dialog.setObjectName("revokeConsentDialog")
        dialog.open()
        self.dialog = dialog
        return dialog
