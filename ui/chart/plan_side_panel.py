"""`PlanSidePanelWidget`: the right-hand side of the Treatment plan tab — the selected element in
full (statement, ICD-10 code or target date, status, interventions with who and how often), the
plan's details and signatures, and the reviews of the episode's plans (newest first).

Plain display over the frozen views the tab already read; it runs no queries and writes nothing.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHeaderView, QLabel, QScrollArea, QVBoxLayout, QWidget

from ui.chart import RowsTableModel, make_table_view
from ui.dates import date_text, stamp_text


def _label(name: str, object_name: str) -> QLabel:
    label = QLabel(objectName=object_name)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAccessibleName(name)
    return label


class PlanSidePanelWidget(QWidget):
    """Selected element, plan details and signatures, reviews."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.versions: dict[str, int] = {}
        self.element_label = _label(self.tr("Selected plan element"), "planElement")
        self.details_label = _label(self.tr("Plan details and signatures"), "planDetails")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(self.element_label)
        column.addWidget(self.details_label)
        column.addStretch(1)
        scroll.setWidget(inner)
        self.reviews_model = RowsTableModel((
            (self.tr("Reviewed"), lambda r: self.tr("{day} (v{n})").format(
                day=date_text(r.reviewed_on), n=self.versions.get(r.plan_id, "?"))),
            (self.tr("Reviewer"), lambda r: r.reviewer),
            (self.tr("Summary"), lambda r: r.summary),
        ), self)
        self.reviews_view = make_table_view(self.reviews_model, self.tr("Plan reviews"))
        self.reviews_view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._group(self.tr("Selected element and plan details"), scroll), 3)
        layout.addWidget(self._group(self.tr("Reviews"), self.reviews_view), 2)

    def _group(self, title: str, widget: QWidget) -> QGroupBox:
        group = QGroupBox(title)
        group.setAccessibleName(title)
        QVBoxLayout(group).addWidget(widget)
        return group

    def _row(self, label: str, value: str) -> str:
        text = html.escape(value).replace("\n", "<br>") if value else f"<i>{html.escape(self.tr('none'))}</i>"
        return f"<p><b>{html.escape(label)}</b><br>{text}</p>"

    def show_reviews(self, reviews, versions) -> None:
        self.versions = {vid: number for vid, number, _status, _day in versions}
        self.reviews_model.set_rows(list(reversed(reviews)))

    def show_element(self, node, rating: str | None = None) -> None:
        """The selected tree node (a PlanNode) in full; nothing when None."""
        self.element_label.setVisible(node is not None)
        if node is None:
            self.element_label.setText("")
            return
        view, parts = node.view, []
        if node.kind == "intervention":
            parts.append(self._row(node.label, view.modality))
            parts.append(self._row(self.tr("How often · who"), f"{view.frequency} · {view.responsible}"))
            if view.description:
                parts.append(self._row(self.tr("Description"), view.description))
        else:
            parts.append(self._row(node.label, view.statement))
        if node.kind == "problem":
            parts.append(self._row(self.tr("Diagnosis (ICD-10)"), view.diagnosis_code))
        if node.kind == "objective":
            status = {"active": self.tr("Active"), "met": self.tr("Met"),
                      "discontinued": self.tr("Discontinued")}.get(view.status, view.status)
            parts.append(self._row(self.tr("Target date · status"), f"{date_text(view.target_date)} · {status}"))
            if rating:
                parts.append(self._row(self.tr("Last review"), rating))
            lines = [f"{i.modality} — {i.frequency} — {i.responsible}" for i in view.interventions]
            parts.append(self._row(self.tr("Interventions"), "\n".join(lines)))
        self.element_label.setText("".join(parts) + "<hr>")

    def show_plan(self, plan) -> None:
        if plan is None:
            self.details_label.setText("")
            self.element_label.setText("")
            return
        signed = self.tr("Not signed yet")
        if plan.clinician_signed_at:
            signed = self.tr("{who} on {when}\nClient: {client} on {day}").format(
                who=plan.clinician_signed_by, when=stamp_text(plan.clinician_signed_at),
                client=plan.client_signature_name, day=date_text(plan.client_signed_on))
        self.details_label.setText("".join([
            self._row(self.tr("Primary counselor"), plan.primary_counselor),
            self._row(self.tr("Strengths"), plan.strengths),
            self._row(self.tr("Barriers"), plan.barriers),
            self._row(self.tr("Services and frequency"), plan.services),
            self._row(self.tr("Referrals"), plan.referrals),
            self._row(self.tr("Signatures"), signed),
        ]))
