"""The Billing page's filter bar: dates of service from/to, quick ranges, site, payer, new only.

`BillingFilterBar` starts on the previous calendar month (by `iopdesk.kernel.clock.today`); "Last month",
"This month" and "Last 2 weeks" set both dates at once, and any change emits `changed` once.
`filters()` gives the choice as a `BillingFilters` value (a reversed range is put in order); while a
date field holds text that is not a date (its message shows under it) the last whole date counts.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk.kernel import clock
from ui.billing_export import BillingFilters
from ui.billing_models import last_two_weeks, previous_month, this_month
from ui.date_fields import DateField


class BillingFilterBar(QWidget):
    """Range, site, payer and "only lines not exported yet", with buddies and accessible names."""

    changed = Signal()

    def __init__(self, sites, payers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        start, end = previous_month(clock.today())
        self._range = {"from": start, "to": end}
        self.from_edit = DateField(self.tr("Dates of service from"), start)
        self.from_edit.setObjectName("billingFrom")
        self.to_edit = DateField(self.tr("Dates of service to"), end)
        self.to_edit.setObjectName("billingTo")
        self.last_month_button = QPushButton(self.tr("&Last month"), objectName="lastMonth")
        self.this_month_button = QPushButton(self.tr("T&his month"), objectName="thisMonth")
        self.two_weeks_button = QPushButton(self.tr("Last &2 weeks"), objectName="lastTwoWeeks")
        quick_buttons = (self.last_month_button, self.this_month_button, self.two_weeks_button)
        for button in quick_buttons:
            button.setAccessibleName(button.text().replace("&", ""))
        self.site_combo = self._combo("billingSite", self.tr("Site"), self.tr("All sites"), sites)
        self.payer_combo = self._combo("billingPayer", self.tr("Payer"), self.tr("All payers"), payers)
        self.new_only_check = QCheckBox(self.tr("Only lines &not exported yet"), objectName="newOnly")
        self.new_only_check.setAccessibleName(self.tr("Only lines not exported yet"))

        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        dates, choices = QHBoxLayout(), QHBoxLayout()
        for line, pairs in ((dates, ((self.tr("&From:"), self.from_edit), (self.tr("&To:"), self.to_edit))),
                            (choices, ((self.tr("&Site:"), self.site_combo),
                                       (self.tr("&Payer:"), self.payer_combo)))):
            for text, widget in pairs:
                label = QLabel(text)
                label.setBuddy(widget)
                line.addWidget(label)
                line.addWidget(widget)
                line.addSpacing(8)
            rows.addLayout(line)
        for button in quick_buttons:
            dates.addWidget(button)
        dates.addStretch(1)
        choices.addWidget(self.new_only_check)
        choices.addStretch(1)
        self.tab_order = (self.from_edit, self.to_edit, *quick_buttons, self.site_combo, self.payer_combo,
                          self.new_only_check)
        for first, second in zip(self.tab_order, self.tab_order[1:], strict=False):
            self.setTabOrder(first, second)

        for key, edit in (("from", self.from_edit), ("to", self.to_edit)):
            edit.valueChanged.connect(lambda day, key=key: self._date_typed(key, day))
        self.site_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.payer_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.new_only_check.toggled.connect(lambda _on: self.changed.emit())
        self.last_month_button.clicked.connect(lambda: self.set_range(*previous_month(clock.today())))
        self.this_month_button.clicked.connect(lambda: self.set_range(*this_month(clock.today())))
        self.two_weeks_button.clicked.connect(lambda: self.set_range(*last_two_weeks(clock.today())))

    def _combo(self, name: str, accessible: str, everyone: str, choices) -> QComboBox:
        combo = QComboBox(objectName=name)
        combo.setAccessibleName(accessible)
        combo.addItem(everyone, None)
        for code, title in choices:
            combo.addItem(f"{title} ({code})" if title and title != code else code, code)
        # Long payer names must not widen the page; the open list shows them in full.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(14)
        combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + combo.view().frameWidth() * 2 + 24)
        return combo

    def _date_typed(self, key: str, day: dt.date | None) -> None:
        if day is not None and day != self._range[key]:
            self._range[key] = day
            self.changed.emit()

    def filters(self) -> BillingFilters:
        start, end = self._range["from"], self._range["to"]
        return BillingFilters(min(start, end), max(start, end), self.site_combo.currentData(),
                              self.payer_combo.currentData(), self.new_only_check.isChecked())

    def set_range(self, start: dt.date, end: dt.date) -> None:
        """Dates of service from `start` to `end`, announced as one change."""
        self._range = {"from": start, "to": end}
        for edit, day in ((self.from_edit, start), (self.to_edit, end)):
            edit.set_value(day)
        self.changed.emit()
