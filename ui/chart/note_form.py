"""The form half of the note editor: its fields (date of service, times and minutes, participants,
plan objectives addressed, one text field per section of the note's format, the status line and
the addenda) and filling them from a saved note. `NoteEditorDialog` adds saving, signing and
closing on top.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from iopdesk.kernel import clock
from iopdesk.services.notes.service import NoteView
from ui.chart.note_addenda import AddendaWidget
from ui.chart.note_text import SectionEdit, bold, default_times
from ui.date_fields import DateField, TimeField


class NoteFormMixin:
    """Builds and fills the note editor's fields (mixed into NoteEditorDialog, a QDialog)."""

    def _build_form(self) -> None:
        self.date_edit = DateField(self.tr("Date of service"), latest=clock.today())
        self.date_edit.setObjectName("serviceDate")
        self.start_edit = TimeField(self.tr("Start time"), optional=True)
        self.start_edit.setObjectName("startTime")
        self.end_edit = TimeField(self.tr("End time"), optional=True)
        self.end_edit.setObjectName("endTime")
        self.minutes_label = QLabel(objectName="minutesText")
        self.participants_edit = QLineEdit()
        self.participants_edit.setPlaceholderText(self.tr("Client; others present by role (e.g. mother)"))
        self.objectives_list = QListWidget(objectName="objectiveList")
        self.objectives_empty = QLabel(self.tr("No treatment plan yet"), objectName="emptyState")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.end_edit.add_beside(self.minutes_label)
        self._row(form, self.tr("&Date of service:"), self.date_edit, self.tr("Date of service"))
        self._row(form, self.tr("S&tart:"), self.start_edit, self.tr("Start time"))
        self._row(form, self.tr("&End:"), self.end_edit, self.tr("End time"))
        self._row(form, self.tr("&Participants:"), self.participants_edit, self.tr("Participants"))
        objectives = QVBoxLayout()
        objectives.addWidget(self.objectives_list)
        objectives.addWidget(self.objectives_empty)
        self._row(form, self.tr("&Objectives addressed:"), self.objectives_list,
                  self.tr("Objectives addressed"), objectives)

        self.section_edits: dict[str, QPlainTextEdit] = {}
        for section in self.format.sections:
            edit = SectionEdit(objectName=f"section_{section.key}")
            edit.setPlaceholderText(section.hint)
            edit.setTabChangesFocus(True)
            edit.setMinimumHeight(edit.fontMetrics().lineSpacing() * 4)
            edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            self.section_edits[section.key] = edit
            self._row(form, f"&{section.label}:", edit, section.label)

        self.status_label = QLabel(objectName="noteStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setFont(bold(self.status_label.font()))
        self.error_label = QLabel(objectName="fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Problem"))
        self.error_label.hide()
        self.addenda_view = AddendaWidget()

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addWidget(self.status_label)
        body_layout.addLayout(form)
        body_layout.addWidget(self.addenda_view)
        self.body_stretch = QWidget()
        body_layout.addWidget(self.body_stretch, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.save_button = QPushButton(self.tr("&Save"), objectName="saveButton")
        self.sign_button = QPushButton(self.tr("Si&gn"), objectName="signButton")
        self.addendum_button = QPushButton(self.tr("&Add addendum…"), objectName="addendumButton")
        self.close_button = QPushButton(self.tr("Close"), objectName="closeButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.sign_button)
        buttons.addWidget(self.addendum_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        for button in (self.save_button, self.sign_button, self.addendum_button, self.close_button):
            button.setAutoDefault(False)
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

    def _row(self, form: QFormLayout, text: str, widget: QWidget, name: str, field=None) -> None:
        label = QLabel(text)
        label.setBuddy(widget)
        widget.setAccessibleName(name)
        form.addRow(label, field if field is not None else widget)

    def _fill(self, view: NoteView | None) -> None:
        """Put `view` (or a new note's defaults) in the widgets, as the note was last saved."""
        if view is None:
            start, end = default_times()
            self.date_edit.set_value(clock.today())
            self.start_edit.set_value(start)
            self.end_edit.set_value(end)
        else:
            self.date_edit.set_value(view.service_date)
            self.start_edit.set_value(view.starts_at)
            self.end_edit.set_value(view.ends_at)
            self.participants_edit.setText(view.participants)
            for key, edit in self.section_edits.items():
                edit.setPlainText(view.sections.get(key, ""))
        self.objectives_list.clear()
        self._load_objectives(view.objective_ids if view else ())
        self._show_minutes()
        self.times_touched = view is None or view.starts_at is not None

    def _load_objectives(self, chosen) -> None:
        plan = None
        episode = self.clinic.episodes.current(self.client_id)
        if episode is not None:
            plan = self.clinic.plans.current_plan(episode.id)
        chosen = {str(o) for o in chosen}
        for objective in plan.objectives if plan else ():
            item = QListWidgetItem(objective.statement, self.objectives_list)
            item.setData(Qt.ItemDataRole.UserRole, objective.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if objective.id in chosen else Qt.CheckState.Unchecked)
        self.objectives_list.setVisible(self.objectives_list.count() > 0)
        self.objectives_empty.setVisible(self.objectives_list.count() == 0)
        self._fit_objectives(self.objectives_list.count())

    def _fit_objectives(self, rows: int) -> None:
        rows = min(max(rows, 1), 6)
        self.objectives_list.setMaximumHeight(self.objectives_list.sizeHintForRow(0) * rows
                                              + 2 * self.objectives_list.frameWidth() + 4)
