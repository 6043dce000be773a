"""The Overview tab of a client's chart: the episode at a glance.

Shows the open episode (track, admission, level of care, days a week and weekdays, primary
clinician) with its level-of-care history, the diagnoses (the primary one marked), the active
alerts, and attendance: hours attended this week against the level's minimum, the last four weeks,
and what the attendance rules flag. The active alerts are `clinic.alerts.for_chart`, the read the
chart header shows too: stored alerts (a written resolution closes the selected one) and the
attendance flags as rows of their own, which no one resolves by hand: selecting one says what
makes it go. The chart's summary and that read are handed in, so building this tab adds no audited
read and no second alerts read. It re-reads on changes of its kinds for this client.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.clinical.program_rules import levels_of_care, tracks
from iopdesk.errors import IopDeskError
from iopdesk.services.alerts import ChartAlerts
from ui.chart import RowsTableModel, date_text, make_table_view
from ui.dates import stamp_text
from ui.operations import Operations, user_message
from ui.storage_retry import run_with_retry


class OverviewTab(QWidget):
    """Episode, level history, diagnoses, active alerts and attendance of one client."""

    KINDS = ("episode", "diagnosis", "alert", "discharge", "group_session", "group", "attendance")

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, parent: QWidget | None = None,
                 *, summary=None, read: tuple | None = None) -> None:
        """`read`: the (episode, `ChartAlerts`) the chart header just read, shown without asking
        again."""
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.summary = summary
        self.setObjectName("overviewTab")

        self.episode_group = QGroupBox(self.tr("Episode of care"))
        episode_form = QFormLayout(self.episode_group)
        self.episode_values: dict[str, QLabel] = {}
        for key, text in (("track", self.tr("Track:")), ("admitted", self.tr("Admitted:")),
                          ("level", self.tr("Level of care:")), ("schedule", self.tr("Schedule:")),
                          ("clinician", self.tr("Primary clinician:")), ("status", self.tr("Status:"))):
            value = QLabel()
            value.setAccessibleName(text.rstrip(":"))
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.episode_values[key] = value
            episode_form.addRow(text, value)
        self.history_model = RowsTableModel((
            (self.tr("From"), lambda r: date_text(r[0])),
            (self.tr("Level"), lambda r: f"{r[1]} → {r[2]}" if r[1] else r[2]),
            (self.tr("Days/week"), lambda r: r[3]),
            (self.tr("Reason"), lambda r: r[4]),
        ), self)
        self.history_view = make_table_view(self.history_model, self.tr("Level of care history"))
        history_label = QLabel(self.tr("Level of care history"))
        history_label.setBuddy(self.history_view)
        episode_form.addRow(history_label)
        episode_form.addRow(self.history_view)

        self.diagnosis_model = RowsTableModel((
            (self.tr("Primary"), lambda d: self.tr("★ Primary") if d.is_primary else ""),
            (self.tr("Code"), lambda d: d.code),
            (self.tr("Noted"), lambda d: date_text(d.noted_on)),
            (self.tr("Resolved"), lambda d: date_text(d.resolved_on)),
            (self.tr("Diagnosis"), lambda d: d.description),
        ), self)
        self.diagnosis_view = make_table_view(self.diagnosis_model, self.tr("Diagnoses"))
        diagnosis_group = self._group(self.tr("Diagnoses"), self.diagnosis_view)

        self.alert_model = RowsTableModel((
            (self.tr("Kind"), lambda a: self.tr(a.label)),
            (self.tr("Raised"), lambda a: stamp_text(a.raised_at) if a.raised_at is not None
             else self.tr("since {day}").format(day=date_text(a.since)) if a.since else ""),
            (self.tr("By"), lambda a: self.tr(a.raised_by) if a.alert is None else a.raised_by),
            (self.tr("Alert"), lambda a: a.message),
        ), self)
        self.alert_view = make_table_view(self.alert_model, self.tr("Active alerts"))
        self.resolution_edit = QLineEdit(objectName="alertResolution")
        self.resolution_edit.setPlaceholderText(self.tr("What was done about the selected alert"))
        self.resolution_edit.setAccessibleName(self.tr("Resolution"))
        self.resolve_button = QPushButton(self.tr("&Resolve alert"), objectName="resolveAlert")
        self.resolve_button.setAccessibleName(self.tr("Resolve alert"))
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.resolution_edit.returnPressed.connect(self.resolve_selected)
        self.alert_error = QLabel(objectName="alertError")
        self.alert_error.setWordWrap(True)
        self.alert_error.hide()
        self.flag_note = QLabel(objectName="attendanceFlagNote")
        self.flag_note.setWordWrap(True)
        self.flag_note.setAccessibleName(self.tr("About the selected attendance flag"))
        self.flag_note.hide()
        self.alert_view.selectionModel().currentRowChanged.connect(lambda *_: self._alert_selected())
        resolve_row = QHBoxLayout()
        resolution_label = QLabel(self.tr("Resolution:"))
        resolution_label.setBuddy(self.resolution_edit)
        resolve_row.addWidget(resolution_label)
        resolve_row.addWidget(self.resolution_edit, 1)
        resolve_row.addWidget(self.resolve_button)
        alerts_group = self._group(self.tr("Active alerts"), self.alert_view)
        alerts_group.layout().addLayout(resolve_row)
        alerts_group.layout().addWidget(self.flag_note)
        alerts_group.layout().addWidget(self.alert_error)
        self.alerts_group = alerts_group

        self.week_label = QLabel(objectName="weekHours")
        self.week_label.setAccessibleName(self.tr("Attendance this week"))
        self.week_label.setWordWrap(True)
        self.weeks_model = RowsTableModel((
            (self.tr("Week of"), lambda w: date_text(w.week_start)),
            (self.tr("Hours"), lambda w: f"{w.hours:g}"),
            (self.tr("Minimum"), lambda w: "" if w.min_hours is None else f"{w.min_hours:g}"),
            (self.tr("Days"), lambda w: w.days_attended),
            (self.tr("Missed"), lambda w: w.sessions_missed),
            (self.tr(""), lambda w: self.tr("under minimum") if w.under_minimum and w.complete else ""),
        ), self)
        self.weeks_view = make_table_view(self.weeks_model, self.tr("Attendance by week"))
        self.flags_label = QLabel(objectName="attendanceFlags")
        self.flags_label.setWordWrap(True)
        self.flags_label.setAccessibleName(self.tr("Attendance flags"))
        attendance_group = self._group(self.tr("Attendance"), self.weeks_view)
        attendance_group.layout().insertWidget(0, self.week_label)
        attendance_group.layout().addWidget(self.flags_label)

        content = QWidget()
        grid = QGridLayout(content)
        grid.addWidget(self.episode_group, 0, 0)
        grid.addWidget(attendance_group, 0, 1)
        grid.addWidget(diagnosis_group, 1, 0)
        grid.addWidget(alerts_group, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.can_resolve = clinic.actor.can("note.write")
        self.resolve_button.setEnabled(self.can_resolve)
        self.resolution_edit.setEnabled(self.can_resolve)
        ops.changes_applied.connect(self._changes_applied)
        self.refresh(read)

    def _group(self, title: str, view: QWidget) -> QGroupBox:
        group = QGroupBox(title)
        group.setAccessibleName(title)
        box = QVBoxLayout(group)
        box.addWidget(view)
        return group

    # -- data -------------------------------------------------------------------------------
    def refresh(self, read: tuple | None = None) -> None:
        """Show the client's episode and alerts: `read` as given, else read them now."""
        if read is None:
            episode = self.clinic.episodes.current(self.client_id)
            read = (episode, self.clinic.alerts.for_chart(self.client_id, episode.id if episode else None,
                                                          episode_read=True))
        episode, alerts = read
        if alerts.stored_hidden:  # alerts are clinical narrative: the refusal (and the emergency offer)
            self.clinic.actor.require_for_client("chart.read_narrative", self.client_id)
        self.episode = episode
        self.alerts: ChartAlerts = alerts
        values = self.episode_values
        if episode is None:
            status = self.summary.episode_status if self.summary else self.tr("not in treatment")
            for value in values.values():
                value.setText("")
            values["status"].setText(self.tr("No open episode ({status}).").format(status=status))
            self.history_model.set_rows([])
            self.diagnosis_model.set_rows([])
            self.weeks_model.set_rows([])
            self.week_label.setText(self.tr("No open episode: no attendance expected."))
            self.flags_label.setText("")
        else:
            level = levels_of_care().get(episode.level_of_care)
            values["track"].setText(tracks().get(episode.track, episode.track))
            values["admitted"].setText(date_text(episode.admitted_on))
            values["level"].setText(level.label if level else episode.level_of_care)
            weekdays = ", ".join(d.title() for d in episode.schedule_days)
            values["schedule"].setText(
                self.tr("1 day a week ({weekdays})").format(weekdays=weekdays) if episode.days_per_week == 1
                else self.tr("{days} days a week ({weekdays})").format(days=episode.days_per_week, weekdays=weekdays))
            values["clinician"].setText(episode.primary_clinician)
            values["status"].setText(episode.status)
            history = self.clinic.episodes.level_history(episode.id) or [
                (episode.admitted_on, None, episode.level_of_care, episode.days_per_week,
                 self.tr("At admission (no change recorded)"))]
            self.history_model.set_rows(history)
            self.diagnosis_model.set_rows(self.clinic.episodes.diagnoses(episode.id))
            self._show_attendance(episode, [row for row in alerts.rows if not row.resolvable])
        self.alert_model.set_rows(list(alerts.rows))
        self.alerts_group.setTitle(self.tr("Active alerts (%n)", "", alerts.count))
        if self.alert_model.rowCount():
            self.alert_view.selectRow(0)
        self._alert_selected()

    def _alert_selected(self) -> None:
        """A stored alert is resolved in writing here; an attendance flag is not: say what makes it go."""
        row = self.alert_model.row_value(self.alert_view.currentIndex().row())
        flag = row is not None and not row.resolvable
        self.resolution_edit.setEnabled(self.can_resolve and not flag)
        self.resolve_button.setEnabled(self.can_resolve and not flag)
        self.flag_note.setText(self.tr("Attendance flag: computed from the attendance record, so it is not "
                                       "resolved by hand. {clears}").format(clears=self.tr(row.clears_when))
                               if flag else "")
        self.flag_note.setVisible(flag)

    def _show_attendance(self, episode, flags) -> None:
        weeks = self.clinic.attendance.hours_by_week(episode.id, 4)
        self.weeks_model.set_rows(list(reversed(weeks)))
        if weeks:
            week = weeks[-1]
            days = self.tr("1 day") if week.days_attended == 1 else self.tr("{n} days").format(n=week.days_attended)
            if week.min_hours:
                text = self.tr("This week: {hours:g} h of the {minimum:g} h minimum, on {days}").format(
                    hours=week.hours, minimum=week.min_hours, days=days)
            else:
                text = self.tr("This week: {hours:g} h on {days} (no weekly minimum at this level)").format(
                    hours=week.hours, days=days)
            self.week_label.setText(text)
        if flags:
            self.flags_label.setText("\n".join(f"⚑ {flag.message}" for flag in flags))
            self.flags_label.setForegroundRole(QPalette.ColorRole.Link)
        else:
            self.flags_label.setText(self.tr("No attendance flags."))
            self.flags_label.setForegroundRole(QPalette.ColorRole.WindowText)

    def _changes_applied(self, changes) -> None:
        if changes.client_ids and self.client_id not in changes.client_ids:
            return
        if changes.touches(*self.KINDS):
            self.refresh()

    # -- actions ----------------------------------------------------------------------------
    def _show_alert_error(self, error: BaseException) -> None:
        self.alert_error.setText(user_message(error))
        self.alert_error.show()
        self.resolution_edit.setFocus()

    def resolve_selected(self) -> None:
        """Resolve the selected alert with the typed resolution."""
        row = self.alert_model.row_value(self.alert_view.currentIndex().row())
        self.alert_error.hide()
        if row is None or not row.resolvable:
            return
        alert = row.alert
        try:
            resolved = run_with_retry(self, lambda: self.clinic.alerts.resolve(alert.id, self.resolution_edit.text()),
                                      on_refused=self._show_alert_error)
        except IopDeskError as error:
            self._show_alert_error(error)
            return
        if resolved is None:
            return
        _view, changes = resolved
        self.resolution_edit.clear()
        self.ops.announce(changes)
