"""The Family tab of a client's chart: family members as contacts, and family therapy sessions.

The contacts table (name, relationship, phone, whether a consent covers them today) comes from
`clinic.family.contacts`; "Add contact…" records a family member (optionally linked to one of the
client's unrevoked consents). The sessions table (date, kind, time, minutes, clinician,
participants, note started) comes from `clinic.family.sessions`; "Record session…" records a
family session with its participants, which starts its draft family note in the Notes tab.
Buttons follow "family.write"; the domain refuses anyway.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.kernel import clock
from iopdesk.services.family import SESSION_KINDS
from ui.chart import ChartFormDialog, RowsTableModel, date_text, make_table_view
from ui.date_fields import DateField, TimeField
from ui.dates import time_text
from ui.operations import Operations


class FamilyTab(QWidget):
    """Family contacts and family sessions of one client."""

    KINDS = ("family", "consent", "note")

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.setObjectName("familyTab")
        self.contacts_model = RowsTableModel((
            (self.tr("Name"), lambda m: m.name),
            (self.tr("Relationship"), lambda m: m.relationship),
            (self.tr("Phone"), lambda m: m.phone),
            (self.tr("Consent"), lambda m: self.tr("covers today") if m.consent_covers else
             (self.tr("not covering") if m.consent_id else self.tr("none"))),
            (self.tr("Comments"), lambda m: m.comments),
        ), self)
        self.contacts_view = make_table_view(self.contacts_model, self.tr("Family contacts"))
        self.sessions_model = RowsTableModel((
            (self.tr("Date"), lambda s: date_text(s.session_date)),
            (self.tr("Session"), lambda s: SESSION_KINDS.get(s.kind, s.kind)),
            (self.tr("Time"), lambda s: f"{time_text(s.starts_at)}–{time_text(s.ends_at)}"),
            (self.tr("Minutes"), lambda s: s.minutes),
            (self.tr("Clinician"), lambda s: s.clinician),
            (self.tr("Participants"), lambda s: ", ".join(s.participants)),
        ), self)
        self.sessions_view = make_table_view(self.sessions_model, self.tr("Family sessions"))
        self.add_contact_button = QPushButton(self.tr("&Add contact…"), objectName="addContact")
        self.add_contact_button.clicked.connect(self.add_contact)
        self.record_session_button = QPushButton(self.tr("&Record session…"), objectName="recordSession")
        self.record_session_button.clicked.connect(self.record_session)

        contacts_label = QLabel(self.tr("Family contacts"))
        contacts_label.setBuddy(self.contacts_view)
        sessions_label = QLabel(self.tr("Family sessions"))
        sessions_label.setBuddy(self.sessions_view)
        contact_row = QHBoxLayout()
        contact_row.addWidget(contacts_label)
        contact_row.addStretch(1)
        contact_row.addWidget(self.add_contact_button)
        session_row = QHBoxLayout()
        session_row.addWidget(sessions_label)
        session_row.addStretch(1)
        session_row.addWidget(self.record_session_button)
        layout = QVBoxLayout(self)
        layout.addLayout(contact_row)
        layout.addWidget(self.contacts_view, 1)
        layout.addLayout(session_row)
        layout.addWidget(self.sessions_view, 1)
        can_write = clinic.actor.can("family.write")
        self.add_contact_button.setEnabled(can_write)
        self.record_session_button.setEnabled(can_write)
        ops.changes_applied.connect(self._changes_applied)
        self.refresh()

    def refresh(self) -> None:
        self.contacts_model.set_rows(self.clinic.family.contacts(self.client_id))
        self.sessions_model.set_rows(self.clinic.family.sessions(self.client_id))

    def _changes_applied(self, changes) -> None:
        if (not changes.client_ids or self.client_id in changes.client_ids) and changes.touches(*self.KINDS):
            self.refresh()

    def add_contact(self):
        """Open the add-contact form; Save records the family member."""
        name, relationship, phone, comments = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        relationship.setPlaceholderText(self.tr("e.g. mother, partner, son"))
        consent = QComboBox()
        consent.addItem(self.tr("No consent"), None)
        today = clock.today()
        for row in self.clinic.consents.list_for_client(self.client_id):
            if row.covers_on(today):
                consent.addItem(self.tr("{recipient} (signed {signed})").format(
                    recipient=row.recipient, signed=date_text(row.signed_on)), row.id)

        def submit() -> None:
            _view, changes = self.clinic.family.add_member(
                self.client_id, name=name.text(), relationship=relationship.text(), phone=phone.text(),
                consent_id=consent.currentData(), comments=comments.text())
            self.ops.announce(changes)

        dialog = ChartFormDialog.build(self, self.tr("Add family contact"), [
            ("name", self.tr("&Name:"), name),
            ("relationship", self.tr("&Relationship:"), relationship),
            ("phone", self.tr("&Phone:"), phone),
            ("consent", self.tr("&Consent:"), consent),
            ("comments", self.tr("Co&mments:"), comments),
        ], submit)
        dialog.setObjectName("addContactDialog")
        dialog.open()
        self.dialog = dialog
        return dialog

    def record_session(self):
        """Open the record-session form; Save records the session and starts its family note."""
        kind = QComboBox()
        for code, label in SESSION_KINDS.items():
            kind.addItem(self.tr(label), code)
        session_date = DateField(self.tr("Session date"), clock.today())
        starts_at = TimeField(self.tr("Start time"), dt.time(17, 0))
        ends_at = TimeField(self.tr("End time"), dt.time(18, 0))
        participants = QListWidget()
        participants.setObjectName("participants")
        for member in self.contacts_model.rows():
            item = QListWidgetItem(f"{member.name} ({member.relationship})", participants)
            item.setData(Qt.ItemDataRole.UserRole, member.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)

        def submit() -> None:
            chosen = [participants.item(i).data(Qt.ItemDataRole.UserRole) for i in range(participants.count())
                      if participants.item(i).checkState() == Qt.CheckState.Checked]
            _view, changes = self.clinic.family.record_session(
                self.client_id, kind=kind.currentData(), session_date=session_date.value(),
                starts_at=starts_at.value(), ends_at=ends_at.value(),
                participants=chosen)
            self.ops.announce(changes)

        dialog = ChartFormDialog.build(self, self.tr("Record family session"), [
            ("kind", self.tr("&Session:"), kind),
            ("session_date", self.tr("&Date:"), session_date),
            ("starts_at", self.tr("S&tarts:"), starts_at),
            ("ends_at", self.tr("&Ends:"), ends_at),
            ("participants", self.tr("&Participants:"), participants),
        ], submit)
        dialog.setObjectName("recordSessionDialog")
        dialog.open()
        self.dialog = dialog
        return dialog
