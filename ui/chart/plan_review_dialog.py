"""`PlanReviewDialog`: reviewing the signed treatment plan — a progress rating and comment for every
objective, a summary, and the signature that records it.

It starts from `clinic.plans.start_review(plan_id, reviewed_on)`: each objective shows its goal,
target date, the notes that addressed it since the last review (or admission) and its last
rating; the client's measure trends over the same window sit above the summary. "Sign review"
(Ctrl+Enter) asks the domain first (`check_review`): a refusal appears under the objective, the
summary or the date it names, or above the buttons, and goes as soon as an edit fixes it (the
domain is asked again). A complete review shows the attestation (`confirm_signature` with
`clinic.plans.attestation("plan_review")`) and is recorded, with the plan version the tab read,
only on Sign; Cancel records nothing and leaves the review as typed. A plan changed by
someone else meanwhile also opens both versions ("Keep theirs" closes the review and reloads
the tab, "Copy mine" keeps the review as typed for signing again).
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import ConcurrentEdit, IopDeskError
from iopdesk.services.plans.reviews import RATINGS
from ui.attestation_dialog import confirm_signature
from ui.chart.plan_dialogs import text_box
from ui.concurrent_edit_dialog import resolve_concurrent_edit, with_versions
from ui.date_fields import DateField, entries_ready
from ui.dates import date_text
from ui.field_messages import recheck, when_changed
from ui.operations import Operations, user_message


def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setProperty("fieldError", True)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.hide()
    return label


class PlanReviewDialog(QDialog):
    """Rate every objective of the signed plan, write the summary, sign the review."""

    def __init__(self, clinic: Clinic, ops: Operations, plan, parent: QWidget | None = None,
                 on_concurrent_edit=None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.plan = plan
        self.on_concurrent_edit = on_concurrent_edit
        self.setObjectName("planReviewDialog")
        self.setWindowTitle(self.tr("Review treatment plan (version {n})").format(n=plan.plan_version))
        self.draft = clinic.plans.start_review(plan.id)
        self.ratings: dict[str, QComboBox] = {}
        self.comments: dict[str, QLineEdit] = {}
        self.context_labels: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}

        self.reviewed_on = DateField(self.tr("Review date"), self.draft.reviewed_on, latest=self.draft.reviewed_on)
        head = QFormLayout()
        head.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        date_label = QLabel(self.tr("Review &date:"))
        date_label.setBuddy(self.reviewed_on)
        head.addRow(date_label, self.reviewed_on)
        self.errors["reviewed_on"] = _error_label()
        head.addRow("", self.errors["reviewed_on"])
        self.window_label = QLabel(self._window_text())
        self.window_label.setWordWrap(True)
        head.addRow(self.window_label)
        self.reviewed_on.valueChanged.connect(lambda _day: self._date_changed())

        objectives = QWidget()
        column = QVBoxLayout(objectives)
        for number, item in enumerate(self.draft.objectives, start=1):
            column.addWidget(self._objective_box(number, item))
        column.addStretch(1)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(objectives)
        scroll.setAccessibleName(self.tr("Objectives"))

        self.measures_label = QLabel(self._measures_text(), objectName="reviewMeasures")
        self.measures_label.setWordWrap(True)
        self.summary = text_box(lines=5, placeholder=self.tr(
            "Overall progress, changes to the plan, the client's view of progress"))
        self.summary.setAccessibleName(self.tr("Review summary"))
        summary_label = QLabel(self.tr("&Summary:"))
        summary_label.setBuddy(self.summary)
        self.errors["summary"] = _error_label()
        self.message_label = _error_label()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Sign &review"))
        self.save_button.setToolTip(self.tr("Ctrl+Enter"))
        buttons.accepted.connect(self.record)
        buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.save_button.click)

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.measures_label)
        layout.addWidget(summary_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.errors["summary"])
        layout.addWidget(self.message_label)
        layout.addWidget(buttons)
        for field in (*self.ratings.values(), *self.comments.values(), self.summary):
            when_changed(field, self._recheck)
        first = next(iter(self.ratings.values()), self.summary)
        first.setFocus()
        self.resize(self.fontMetrics().averageCharWidth() * 100, self.fontMetrics().lineSpacing() * 40)

    def _objective_box(self, number: int, item) -> QGroupBox:
        box = QGroupBox(self.tr("Objective {n}").format(n=number))
        box.setAccessibleName(self.tr("Objective {n}").format(n=number))
        form = QFormLayout(box)
        statement = QLabel(item.statement)
        statement.setWordWrap(True)
        bold = statement.font()
        bold.setBold(True)
        statement.setFont(bold)
        form.addRow(statement)
        details = QLabel(self._context_text(item))
        details.setWordWrap(True)
        self.context_labels[item.objective_id] = details
        form.addRow(details)
        rating = QComboBox()
        rating.addItem(self.tr("— choose a rating —"), "")
        for code, text in RATINGS.items():
            rating.addItem(self.tr(text), code)
        rating.setAccessibleName(self.tr("Progress on objective {n}").format(n=number))
        rating_label = QLabel(self.tr("&Progress:"))
        rating_label.setBuddy(rating)
        form.addRow(rating_label, rating)
        comment = QLineEdit()
        comment.setAccessibleName(self.tr("Comment on objective {n}").format(n=number))
        comment.setPlaceholderText(self.tr("Optional: evidence of progress"))
        comment_label = QLabel(self.tr("&Comment:"))
        comment_label.setBuddy(comment)
        form.addRow(comment_label, comment)
        error = _error_label()
        form.addRow(error)
        self.ratings[item.objective_id] = rating
        self.comments[item.objective_id] = comment
        self.errors[f"progress.{item.objective_id}"] = error
        return box

    def _context_text(self, item) -> str:
        context = [self.tr("Goal: {goal}").format(goal=item.goal),
                   self.tr("Target date: {day}").format(day=date_text(item.target_date))]
        if item.last_rating:
            context.append(self.tr("Last review: {rating}").format(rating=RATINGS.get(item.last_rating,
                                                                                   item.last_rating)))
        if item.notes:
            days = ", ".join(date_text(n.service_date) for n in item.notes[-6:])
            more = self.tr(" and {n} earlier").format(n=len(item.notes) - 6) if len(item.notes) > 6 else ""
            context.append(self.tr("Addressed in {n} note(s): {days}{more}").format(
                n=len(item.notes), days=days, more=more))
        else:
            context.append(self.tr("No note addressed it in this period."))
        return "\n".join(context)

    def _window_text(self) -> str:
        return self.tr("Notes and measures from {since} to {until}; next review due {next} once signed.").format(
            since=date_text(self.draft.since), until=date_text(self.draft.reviewed_on),
            next=date_text(self.draft.next_review_on))

    def _date_changed(self) -> None:
        """A new review date: the notes and measures of the new window (ratings typed are kept)."""
        try:
            self.draft = self.clinic.plans.start_review(self.plan.id, self.reviewed_on.value())
        except IopDeskError as error:
            self.errors["reviewed_on"].setText(user_message(error))
            self.errors["reviewed_on"].show()
            return
        self.errors["reviewed_on"].hide()
        self._recheck()
        self.window_label.setText(self._window_text())
        self.measures_label.setText(self._measures_text())
        for item in self.draft.objectives:
            if item.objective_id in self.context_labels:
                self.context_labels[item.objective_id].setText(self._context_text(item))

    def _measures_text(self) -> str:
        if not self.draft.measures:
            return self.tr("Measures: none given in this period.")
        parts = []
        for trend in self.draft.measures:
            if len(trend.points) == 1:
                parts.append(self.tr("{m} {total} ({band}) on {day}").format(
                    m=trend.measure, total=trend.last.total, band=trend.last.band,
                    day=date_text(trend.last.administered_on)))
            else:
                parts.append(self.tr("{m} {a} → {b} ({band})").format(
                    m=trend.measure, a=trend.first.total, b=trend.last.total, band=trend.last.band))
        return self.tr("Measures: {list}").format(list="; ".join(parts))

    def set_rating(self, objective_id: str, rating: str) -> None:
        box = self.ratings[objective_id]
        box.setCurrentIndex(box.findData(rating))

    def _values(self) -> dict:
        """The review as typed, in the words of `record_review`."""
        progress = {oid: (box.currentData() or "", self.comments[oid].text()) for oid, box in self.ratings.items()}
        return {"reviewed_on": self.reviewed_on.value(), "progress": progress,
                "summary": self.summary.toPlainText()}

    def _recheck(self) -> None:
        """While a refusal is shown, ask the domain again: it goes once fixed (a review date that
        is not a date has the field's own message instead)."""
        if self.reviewed_on.problem() is not None:
            self.errors["reviewed_on"].hide()
            return
        recheck(lambda: self.clinic.plans.check_review(self.plan.id, **self._values()),
                self.errors, self.message_label)

    def _signing_lines(self, values: dict) -> list[str]:
        rated = sum(1 for rating, _comment in values["progress"].values() if rating)
        return [self.tr("Review of treatment plan version {n} on {day}: {k} objective(s) rated, with the "
                        "summary").format(n=self.plan.plan_version, day=date_text(values["reviewed_on"]), k=rated)]

    def record(self) -> bool:
        """Sign the review: checked, then attested, then recorded; True and the dialog closes when
        the domain accepts it, False (nothing recorded) when refused or the attestation cancelled."""
        for label in self.errors.values():
            label.hide()
        self.message_label.hide()
        if not entries_ready([self.reviewed_on]):
            return False
        values = self._values()
        try:
            self.clinic.plans.check_review(self.plan.id, **values)
            if not confirm_signature(self, self.tr("Sign plan review"), self.clinic.plans.attestation("plan_review"),
                                     signing=self._signing_lines(values)):
                return False
            _review, changes = self.clinic.plans.record_review(self.plan.id, expected_version=self.plan.version,
                                                               **values)
        except IopDeskError as error:
            label = self.errors.get(error.field or "", self.message_label)
            label.setText(user_message(error))
            label.show()
            target = self.ratings.get((error.field or "").removeprefix("progress."))
            if error.field == "summary":
                target = self.summary
            elif error.field == "reviewed_on":
                target = self.reviewed_on
            if target is not None:
                target.setFocus()
                if target in self.ratings.values():
                    self.scroll.ensureWidgetVisible(target)
            if isinstance(error, ConcurrentEdit):
                self.show_both_versions(error)
            return False
        self.ops.announce(changes)
        self.accept()
        return True

    def show_both_versions(self, error: ConcurrentEdit) -> None:
        """The plan changed since it was read (e.g. a revision was signed): show the plan as stored
        next to this review. "Keep theirs" closes the review and reloads the tab; "Copy mine" keeps
        the ratings and summary here and reads the plan's version so signing again can succeed."""
        stored = self.clinic.plans.get(self.plan.id)
        words = {"draft": self.tr("Draft"), "signed": self.tr("Signed"), "superseded": self.tr("Superseded")}
        theirs = {"status": words.get(stored.status, stored.status), "reviewed_on": stored.last_reviewed_on,
                  "summary": ""}
        mine = {"status": words.get(self.plan.status, self.plan.status),
                "reviewed_on": self.draft.reviewed_on, "summary": self.summary.toPlainText()}
        labels = {"status": self.tr("Plan status"), "reviewed_on": self.tr("Review date"),
                  "summary": self.tr("Review summary")}

        def keep_theirs() -> None:
            self.reject()
            if self.on_concurrent_edit is not None:
                self.on_concurrent_edit()

        def keep_mine() -> None:
            self.plan = stored
            if self.on_concurrent_edit is not None:
                self.on_concurrent_edit()

        self.conflict_dialog = resolve_concurrent_edit(self, with_versions(error, theirs, mine), labels,
                                                       keep_theirs=keep_theirs, keep_mine=keep_mine)
