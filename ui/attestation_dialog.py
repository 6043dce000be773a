"""The last step before any signature: the attestation the signer confirms.

Signing a note, a group session, a treatment plan, a plan review or a discharge summary opens
`AttestationDialog` with the statement for that kind of record and the signer's name, credentials,
date and time (`clinic.<service>.attestation(kind)`, the same words the signing service keeps in
the audit trail). Nothing is signed unless the signer presses Sign; Esc or Cancel leaves the record
as it was. A group session lists the notes that will be signed and, apart, those that will not be,
each with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

SHOWN_LINES = 10  # a longer list scrolls


class AttestationDialog(QDialog):
    """Shows what the signer attests; accepted only by pressing Sign. `signing` lists what will be
    signed, `left_out` (rich text allowed, to highlight words) what will not and why."""

    def __init__(self, title: str, attestation: str, *, signing: Sequence[str] = (),
                 left_out: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attestationDialog")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.signing, self.left_out = tuple(signing), tuple(left_out)
        statement, _, signature = attestation.partition("\n")
        self.statement = QLabel(statement, objectName="attestationStatement")
        self.statement.setWordWrap(True)
        self.statement.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signature = QLabel(signature, objectName="attestationSignature")
        self.signature.setWordWrap(True)
        font = self.signature.font()
        font.setBold(True)
        self.signature.setFont(font)
        box = QFrame(objectName="attestationBox")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        inner = QVBoxLayout(box)
        inner.addWidget(self.statement)
        inner.addWidget(self.signature)

        layout = QVBoxLayout(self)
        layout.addWidget(box)
        self.signing_label = self._list(layout, self.tr("Will be signed ({n}):").format(n=len(signing)),
                                        signing, "attestationSigning")
        self.left_out_label = self._list(layout, self.tr("Not signed ({n}):").format(n=len(left_out)),
                                         left_out, "attestationLeftOut")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = buttons.addButton(self.tr("&Sign"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_button.setObjectName("attestationSign")
        self.sign_button.setAccessibleName(self.tr("Sign"))
        self.sign_button.setEnabled(bool(signing) or not left_out)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.sign_button.setDefault(True)
        self.setMinimumWidth(520)

    def _list(self, layout: QVBoxLayout, heading: str, lines: Sequence[str], name: str) -> QLabel | None:
        """A heading and the lines under it; a long list scrolls (about ten lines show)."""
        if not lines:
            return None
        layout.addWidget(QLabel(heading))
        label = QLabel("<br>".join(lines), objectName=name)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setBackgroundRole(QPalette.ColorRole.Base)
        label.setAutoFillBackground(True)
        label.setMargin(6)
        if sum(line.count("<br") + 1 for line in lines) <= SHOWN_LINES // 2:
            layout.addWidget(label)
            return label
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(label)
        scroll.setFixedHeight(label.fontMetrics().lineSpacing() * SHOWN_LINES + 16)
        layout.addWidget(scroll)
        return label


def confirm_signature(parent: QWidget, title: str, attestation: str, *, signing: Sequence[str] = (),
                      left_out: Sequence[str] = ()) -> bool:
    """Show the attestation and wait for the signer: True only when they press Sign."""
    dialog = AttestationDialog(title, attestation, signing=signing, left_out=left_out, parent=parent)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()
