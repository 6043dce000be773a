"""`ClientSharePanel`: the Admin page's "Clients held at satellites" section.

A satellite site's file holds its own site's clients, the clients of groups run there, and the
clients an administrator shares with it (iopdesk/sync/scope.py). Here an administrator types a
client's MRN, chooses a satellite site and a reason, and shares the chart or ends its share; the
line below says what was done and that it takes effect at that site's next sync. The calls go
through `Operations` off the GUI thread; refusals (an unknown MRN, a share that exists already)
are shown in the result line in the domain's words.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.operations import Operations, user_message


class ClientSharePanel(QGroupBox):
    """Share a client's chart with a satellite site, or end the share."""

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Clients held at satellites"))
        self.setObjectName("clientSharePanel")
        self.clinic = clinic
        self.ops = ops
        layout = QVBoxLayout(self)
        explanation = QLabel(self.tr(
            "A satellite holds its own clients and those of its groups. Share another client's chart "
            "with it here; ending the share removes the chart from that site's file at its next sync "
            "(never from the main clinic)."))
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        form = QFormLayout()
        self.mrn_edit = QLineEdit(objectName="shareMrn")
        self.mrn_edit.setAccessibleName(self.tr("Client MRN"))
        self.mrn_edit.setPlaceholderText(self.tr("e.g. MAIN-000012"))
        self.site_combo = QComboBox(objectName="shareSite")
        self.site_combo.setAccessibleName(self.tr("Satellite site"))
        for site in clinic.sync.sites():
            if not site.is_main:
                self.site_combo.addItem(f"{site.name} ({site.code})", site.code)
        self.reason_edit = QLineEdit(objectName="shareReason")
        self.reason_edit.setAccessibleName(self.tr("Reason"))
        self.reason_edit.setPlaceholderText(self.tr("e.g. joins the evening group there"))
        for text, field in ((self.tr("Client &MRN:"), self.mrn_edit), (self.tr("Satellite s&ite:"), self.site_combo),
                            (self.tr("&Reason:"), self.reason_edit)):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.share_button = QPushButton(self.tr("&Share with site"), objectName="shareClient")
        self.unshare_button = QPushButton(self.tr("E&nd share"), objectName="unshareClient")
        for button in (self.share_button, self.unshare_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result_label = QLabel(objectName="shareResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAccessibleName(self.tr("Share result"))
        layout.addWidget(self.result_label)
        if not self.site_combo.count():
            self.result_label.setText(self.tr("No satellite site has joined this clinic yet."))
            for button in (self.share_button, self.unshare_button):
                button.setEnabled(False)
        self.share_button.clicked.connect(lambda: self._change(share=True))
        self.unshare_button.clicked.connect(lambda: self._change(share=False))

    def _change(self, *, share: bool) -> None:
        mrn, code, reason = self.mrn_edit.text().strip(), self.site_combo.currentData(), self.reason_edit.text()
        if not mrn:
            self.result_label.setText(self.tr("Client MRN: type the MRN printed on the client's chart."))
            self.mrn_edit.setFocus()
            return
        call = self.clinic.sync.share if share else self.clinic.sync.unshare
        done = (self.tr("{mrn} is now shared with {site}; it arrives there at the site's next sync.") if share
                else self.tr("{mrn} is no longer shared with {site}; it leaves that site's file at its next sync."))
        self.ops.run(lambda: call(mrn, code, reason=reason),
                     on_success=lambda _: self._done(done.format(mrn=mrn.upper(), site=code)),
                     on_failure=lambda error: self.result_label.setText(user_message(error)), parent=self)

    def _done(self, text: str) -> None:
        self.result_label.setText(text)
        self.reason_edit.clear()
