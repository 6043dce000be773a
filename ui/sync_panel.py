"""`SyncPanel`: the Admin page's Sync section — run a site sync, or exchange sync files.

It names this site and whether it is the main clinic or a satellite. A satellite types the main
clinic's database address once (remembered per user in `ui.settings`) and presses Sync now (F5);
either side can write a sync file for the other ("Export sync file…"; the main clinic chooses the
satellite it is for) or apply one it was given ("Import sync file…"). A file written here is
always encrypted with the passphrase typed (the command line's `--plain` is not offered); a file
without one, from an older version or `--plain`, still imports. At the main clinic "Retire site…"
retires the chosen satellite after a confirmation that says what it means (a closed site, a lost
laptop: its records stay, its syncs and files are refused; `iopdesk sync retire` on the command
line). Each run goes through `Operations` off the GUI thread; the domain's progress callback
is called on that worker thread, so it is relayed to the progress bar through a queued signal.
The result line shows the run's summary or the domain's error; afterwards every screen hears a
change that touches everything (a sync can bring any kind of record), and the peers table below
shows each other site's last sync, days since contact (flagged past the program rule
`sync.warn_after_days`), clinical changes waiting to be sent to it and announced but not yet
received from it, and its open conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk.kernel import clock
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.storage.db import sqlite_path
from ui.chart import make_table_view
from ui.dates import stamp_text
from ui.operations import Operations, user_message
from ui.rows_model import RowsTableModel

MAIN_URL_KEY = "sync/main_url"
FOLDER_KEY = "sync/folder"
FILE_SUFFIX = ".iopsync"


@dataclass(frozen=True)
class EverythingChanges(Changes):
    """What a sync or an imported file changed: possibly any record, so every screen refreshes."""

    def touches(self, *kinds: str) -> bool:
        return True


def sync_changes() -> Changes:
    return EverythingChanges(frozenset({"sync"}))


class SyncProgressRelay(QObject):
    """Carries the domain's progress calls from the worker thread to the GUI thread."""

    progressed = Signal(str, int, int)

    def report(self, stage: str, done: int, total: int) -> None:
        self.progressed.emit(stage, done, total)


class SyncPanel(QGroupBox):
    """Sync now, export and import sync files, with progress, result and the peers table."""

    finished = Signal()

    def __init__(self, clinic, ops: Operations, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Sync"))
        self.setObjectName("syncPanel")
        self.clinic = clinic
        self.ops = ops
        self.settings = settings
        self.running: str | None = None
        self.relay = SyncProgressRelay(self)
        self.relay.progressed.connect(self._progressed)
        status = clinic.sync.status()
        self.is_main = status.is_main
        info = clinic.info()
        self.site_code = info.site_code
        layout = QVBoxLayout(self)

        role = self.tr("the main clinic") if self.is_main else self.tr("a satellite site")
        self.site_label = QLabel(self.tr("This site: {name} ({code}), {role}.").format(
            name=info.site_name, code=info.site_code, role=role), objectName="syncSite")
        self.site_label.setWordWrap(True)
        layout.addWidget(self.site_label)

        form = QFormLayout()
        self.address_edit = QLineEdit(objectName="mainAddress")
        self.address_edit.setAccessibleName(self.tr("Main clinic address"))
        self.address_edit.setPlaceholderText(self.tr("Path of the main clinic's database file, or postgresql://…"))
        self.address_edit.setText(str(settings.value(MAIN_URL_KEY, "") or ""))
        self.site_combo = QComboBox(objectName="fileForSite")
        self.site_combo.setAccessibleName(self.tr("Sync file for site"))
        self.passphrase_edit = QLineEdit(objectName="syncPassphrase")
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setAccessibleName(self.tr("Sync file passphrase"))
        self.passphrase_edit.setPlaceholderText(self.tr("Encrypts the file; the other site types the same to open it"))
        if self.is_main:
            self._fill_sites()
            self._add_row(form, self.tr("Sync file for &site:"), self.site_combo)
            self.address_edit.setParent(self)
            self.address_edit.hide()
        else:
            self._add_row(form, self.tr("Main clinic &address:"), self.address_edit)
            self.site_combo.setParent(self)
            self.site_combo.hide()
        self._add_row(form, self.tr("File &passphrase:"), self.passphrase_edit)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.sync_button = QPushButton(self.tr("S&ync now"), objectName="syncNow")
        self.sync_button.setAccessibleName(self.tr("Sync now"))
        self.sync_button.setToolTip(self.tr("Exchange changes with the main clinic now (F5)"))
        self.sync_button.setVisible(not self.is_main)
        self.export_button = QPushButton(self.tr("E&xport sync file…"), objectName="exportSyncFile")
        self.export_button.setAccessibleName(self.tr("Export sync file"))
        self.export_button.setToolTip(self.tr("Write this site's changes to a file for the other site"))
        self.import_button = QPushButton(self.tr("&Import sync file…"), objectName="importSyncFile")
        self.import_button.setAccessibleName(self.tr("Import sync file"))
        self.import_button.setToolTip(self.tr("Apply a sync file the other site wrote for this site"))
        self.retire_button = QPushButton(self.tr("&Retire site…"), objectName="retireSite")
        self.retire_button.setAccessibleName(self.tr("Retire site"))
        self.retire_button.setToolTip(self.tr("Retire the chosen satellite site (closed, or its laptop lost): "
                                              "its records stay, it can no longer sync"))
        self.retire_button.setVisible(self.is_main)
        for button in (self.sync_button, self.export_button, self.import_button, self.retire_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.progress_bar = QProgressBar(objectName="syncProgress")
        self.progress_bar.setAccessibleName(self.tr("Sync progress"))
        self.progress_bar.hide()
        layout.addWidget(self.progress_bar)
        self.result_label = QLabel(objectName="syncResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAccessibleName(self.tr("Last sync result"))
        layout.addWidget(self.result_label)

        self.peers_model = RowsTableModel((
            (self.tr("Site"), lambda p: f"{p.site_name} ({p.site_code})"),
            (self.tr("State"), self._peer_state),
            (self.tr("Last sync"), lambda p: stamp_text(p.last_sync_at) or self.tr("never")),
            (self.tr("Days since contact"), self._days_text),
            (self.tr("To send"), lambda p: f"{p.pending_out:,}"),
            (self.tr("To receive"), lambda p: f"{p.pending_in:,}"),
            (self.tr("Open conflicts"), lambda p: f"{p.open_conflicts:,}"),
        ), self)
        peers_title = QLabel(self.tr("&Other sites"), objectName="peersTitle")
        self.peers_view = make_table_view(self.peers_model, self.tr("Other sites"))
        self.peers_view.setObjectName("peers")
        peers_title.setBuddy(self.peers_view)
        # A few sites at most: room for about four rows, at any font size, so Conflicts gets the rest.
        self.peers_view.setMaximumHeight(self.peers_view.fontMetrics().height() * 9)
        layout.addWidget(peers_title)
        layout.addWidget(self.peers_view, 1)

        self.sync_action = QAction(self.tr("Sync now"), self, objectName="syncNowAction")
        self.sync_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.sync_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.sync_action.setEnabled(not self.is_main)
        self.addAction(self.sync_action)
        self.sync_action.triggered.connect(self.sync_now)
        self.sync_button.clicked.connect(self.sync_now)
        self.export_button.clicked.connect(self.export_file)
        self.import_button.clicked.connect(self.import_file)
        self.retire_button.clicked.connect(self.retire_site)
        self._show_status(status)

    def _days_text(self, peer) -> str:
        if peer.days_since_contact is None:
            return self.tr("never synced")
        text = str(peer.days_since_contact)
        return self.tr("{days} — not synced too long").format(days=text) if peer.stale else text

    def _fill_sites(self) -> None:
        """The satellites a file can be for, or that can be retired: every site but this one and the retired."""
        self.site_combo.clear()
        for site in self.clinic.sync.sites():
            if not site.is_this_site and site.retired_at is None:
                self.site_combo.addItem(f"{site.name} ({site.code})", site.code)

    def _peer_state(self, peer) -> str:
        if peer.retired_at:
            return self.tr("retired {day}").format(day=f"{peer.retired_at:%Y-%m-%d}")
        return self.tr("join not finished") if peer.joining else self.tr("active")

    def _add_row(self, form: QFormLayout, text: str, field: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(field)
        form.addRow(label, field)

    @property
    def buttons(self) -> tuple[QPushButton, ...]:
        return (self.sync_button, self.export_button, self.import_button, self.retire_button)

    # -- status -----------------------------------------------------------------------------
    def refresh(self) -> None:
        self._show_status(self.clinic.sync.status())

    def _show_status(self, status) -> None:
        self.peers_model.set_rows(status.peers)
        if not self.result_label.text():
            self.result_label.setText(self.tr("Last sync: {when}.").format(when=stamp_text(status.last_sync_at))
                                      if status.last_sync_at else self.tr("This site has not synced yet."))

    # -- running ----------------------------------------------------------------------------
    def sync_now(self) -> None:
        """Exchange changes with the main clinic at the typed address, off the GUI thread."""
        if self.running or self.is_main:
            return
        url = self.address_edit.text().strip()
        if not url:
            self._say(self.tr("Main clinic address: type where the main clinic's database is."))
            self.address_edit.setFocus()
            return
        path = sqlite_path(url)
        if path is not None and not path.is_file():
            self._say(self.tr("Main clinic address: there is no database file at {path}.").format(path=path))
            self.address_edit.setFocus()
            return
        self.settings.setValue(MAIN_URL_KEY, url)
        self._start("sync", self.tr("Syncing with the main clinic…"),
                    lambda: self.clinic.sync.sync_with(url, progress=self.relay.report), self._synced)

    def export_file(self) -> None:
        """Ask where to save, then write a sync file for the chosen site (or the main clinic)."""
        if self.running:
            return
        for_site = self.site_combo.currentData() if self.is_main else None
        if self.is_main and not for_site:
            self._say(self.tr("Sync file for site: no satellite site has joined this clinic yet."))
            return
        passphrase = self.passphrase_edit.text()
        if not passphrase.strip():
            self._say(self.tr("File passphrase: a sync file is always encrypted; type the passphrase the "
                              "other site will type to open it."))
            self.passphrase_edit.setFocus()
            return
        target = for_site or "MAIN"
        name = f"{self.site_code}-to-{target}-{clock.today():%Y-%m-%d}{FILE_SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export sync file"), str(self._folder() / name),
                                              self._file_filter())
        if not path:
            return
        if not Path(path).suffix:
            path += FILE_SUFFIX
        self.settings.setValue(FOLDER_KEY, str(Path(path).parent))
        self._start("export", self.tr("Writing {file}…").format(file=Path(path).name),
                    lambda: self.clinic.sync.export_file(path, for_site=for_site, passphrase=passphrase,
                                                         progress=self.relay.report),
                    lambda result: self._exported(path, result))

    def import_file(self) -> None:
        """Ask for a sync file written for this site, then apply it."""
        if self.running:
            return
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import sync file"), str(self._folder()),
                                              self._file_filter())
        if not path:
            return
        self.settings.setValue(FOLDER_KEY, str(Path(path).parent))
        passphrase = self.passphrase_edit.text() or None
        self._start("import", self.tr("Applying {file}…").format(file=Path(path).name),
                    lambda: self.clinic.sync.import_file(path, passphrase=passphrase, progress=self.relay.report),
                    self._synced)

    def retire_site(self) -> None:
        """Retire the satellite chosen in "Sync file for site", once the admin confirms."""
        if self.running or not self.is_main:
            return
        code, name = self.site_combo.currentData(), self.site_combo.currentText()
        if not code:
            self._say(self.tr("Retire site: there is no satellite site to retire."))
            return
        answer = QMessageBox.question(
            self, self.tr("Retire site"),
            self.tr("Retire {site}?\n\nIts records stay in the clinic. From now on it can no longer sync, "
                    "its sync files are refused and its sync key is revoked; the main clinic stops waiting "
                    "for it. This cannot be undone: a site that reopens joins again under a new code.")
            .format(site=name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._start("retire", self.tr("Retiring {site}…").format(site=name),
                    lambda: self.clinic.sync.retire_site(code), self._retired)

    def _retired(self, site) -> None:
        self._stop()
        self._say(self.tr("Retired {name} ({code}): its records stay; its syncs and sync files are refused "
                          "from now on.").format(name=site.name, code=site.code))
        self._fill_sites()
        self.refresh()
        self.ops.announce(Changes.of("sync"))
        self.finished.emit()

    def _folder(self) -> Path:
        saved = self.settings.value(FOLDER_KEY)
        return Path(str(saved)) if saved and Path(str(saved)).is_dir() else Path.home()

    def _file_filter(self) -> str:
        return self.tr("IOP Desk sync files (*{suffix});;All files (*)").format(suffix=FILE_SUFFIX)

    def _start(self, what: str, message: str, work, done) -> None:
        self.running = what
        for button in self.buttons:
            button.setEnabled(False)
        self.sync_action.setEnabled(False)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat(message)
        self.progress_bar.show()
        self._say(message)
        self.ops.run(work, on_success=self._alive(done), on_failure=self._alive(self._failed), parent=self)

    def _alive(self, callback):
        def guarded(*args):
            if shiboken6.isValid(self):
                callback(*args)
        return guarded

    def _progressed(self, stage: str, done: int, total: int) -> None:
        if not self.running:
            return
        words = {"receiving": self.tr("Receiving changes"), "sending": self.tr("Sending changes"),
                 "writing": self.tr("Writing the file"), "reading": self.tr("Reading the file"),
                 "applying": self.tr("Applying changes")}.get(stage, stage.capitalize())
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(min(done, max(total, 1)))
        self.progress_bar.setFormat(self.tr("{stage}: %v of %m").format(stage=words))

    def _stop(self) -> None:
        self.running = None
        for button in self.buttons:
            button.setEnabled(True)
        self.sync_action.setEnabled(not self.is_main)
        self.progress_bar.hide()

    def _synced(self, report) -> None:
        what = self.running
        self._stop()
        lead = self.tr("Synced") if what == "sync" else self.tr("Imported")
        self._say(self.tr("{lead} {when}: {summary}.").format(
            lead=lead, when=stamp_text(utcnow()), summary=report.summary()))
        self.refresh()
        self.ops.announce(sync_changes())
        self.finished.emit()

    def _exported(self, path: str, result) -> None:
        self._stop()
        changes, size = result
        self._say(self.tr("Wrote {changes} change(s) ({size}) to {path}.").format(
            changes=f"{changes:,}", size=_size_text(size), path=path))
        self.refresh()
        self.ops.announce(Changes.of("sync"))
        self.finished.emit()

    def _failed(self, error: BaseException) -> None:
        what = self.running
        self._stop()
        lead = {"sync": self.tr("Sync failed"), "export": self.tr("Export failed"),
                "import": self.tr("Import failed"), "retire": self.tr("Retiring failed")}.get(what or "", self.tr("Failed"))
        self._say(self.tr("{lead}: {reason}").format(lead=lead, reason=user_message(error)))

    def _say(self, text: str) -> None:
        self.result_label.setText(text)


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
