"""Help ▸ About IOP Desk: what is installed and where its data is, for the person and for IT.

Shows the program version (from pyproject.toml through the package metadata), the clinic
database (a file path, or the server address without its password), its schema version, the
data, backup and log folders, the Qt, PySide6 and Python versions, and the license notice. The
details are selectable text, and "Copy details" puts them on the clipboard for a support ticket.
"""

from __future__ import annotations

import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

import iopdesk
from iopdesk import Clinic
from iopdesk.paths import backup_dir, data_dir, log_dir
from ui.icons import app_icon

NOTICE = ("Proprietary software of the IOP Desk team. Fonts: DejaVu (free license, see "
          "resources/fonts/LICENSE-DejaVu.txt). Built with Qt (LGPL v3) through PySide6.")


def about_details(clinic: Clinic) -> list[tuple[str, str]]:
    """(label, value) pairs shown in the dialog, in order."""
    info = clinic.info()
    status = clinic.schema()
    schema = str(info.schema_version)
    if status.pending:
        schema += f" (this program knows {status.latest})"
    frozen = " (installed bundle)" if getattr(sys, "frozen", False) else ""
    return [
        ("Version", f"{iopdesk.__version__}{frozen}"),
        ("Clinic", info.clinic_name),
        ("Site", f"{info.site_name} ({info.site_code})"),
        ("Database", info.database),
        ("Schema version", schema),
        ("Data folder", str(data_dir())),
        ("Backup folder", str(backup_dir())),
        ("Log folder", str(log_dir())),
        ("Qt", f"{qVersion()} (PySide6 {pyside_version})"),
        ("Python", f"{platform.python_version()} on {platform.system()} {platform.machine()}"),
    ]


class AboutDialog(QDialog):
    """The About box: version, database and schema, folders, toolkit versions, notice."""

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About IOP Desk"))
        self.details = about_details(clinic)

        header = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(56, 56))
        header.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        title = QLabel(self.tr("<b>IOP Desk {version}</b><br>A desktop workstation for intensive "
                               "outpatient program therapists.").format(version=iopdesk.__version__),
                       objectName="aboutTitle")
        title.setWordWrap(True)
        header.addWidget(title, 1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        labels = {"Version": self.tr("Version"), "Clinic": self.tr("Clinic"), "Site": self.tr("Site"),
                  "Database": self.tr("Database"), "Schema version": self.tr("Schema version"),
                  "Data folder": self.tr("Data folder"), "Backup folder": self.tr("Backup folder"),
                  "Log folder": self.tr("Log folder"), "Qt": self.tr("Qt"), "Python": self.tr("Python")}
        self.value_labels: dict[str, QLabel] = {}
        for key, value in self.details:
            field = QLabel(value)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setAccessibleName(labels[key])
            field.setToolTip(value)  # a long path may be cut off on a small screen
            name = QLabel(labels[key] + ":")
            name.setBuddy(field)
            form.addRow(name, field)
            self.value_labels[key] = field

        notice = QLabel(self.tr(NOTICE), objectName="hint")
        notice.setWordWrap(True)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(self.tr("&Copy details"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.setObjectName("copyDetailsButton")
        copy.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(form)
        layout.addWidget(notice)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 80)

    def details_text(self) -> str:
        return "\n".join(f"{key}: {value}" for key, value in self.details)

    def copy_details(self) -> None:
        """Put every detail on the clipboard as "Label: value" lines."""
        QApplication.clipboard().setText(self.details_text())
