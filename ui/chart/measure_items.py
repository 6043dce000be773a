"""The parts of the measure entry form that know a measure's items: the order measures are
offered in, which items are asked given the answers so far (the C-SSRS asks some only after a
yes), the least-score completion of an incomplete administration that the live score line scores,
and `MeasureItemRow`, one item's number, text, answer radio buttons and error line.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QButtonGroup, QLabel, QRadioButton

from iopdesk.clinical.measures import MeasureItem, measure_definitions

PREFERRED_ORDER = ("PHQ-9", "GAD-7", "C-SSRS", "PCL-5", "AUDIT", "DAST-10", "BAM")


def measure_codes() -> list[str]:
    """Every shipped measure, the ones given most often first."""
    codes = list(measure_definitions())
    return [c for c in PREFERRED_ORDER if c in codes] + sorted(c for c in codes if c not in PREFERRED_ORDER)


def asked(item: MeasureItem, answers: dict[str, int]) -> bool:
    """Whether `item` is asked given the answers so far (C-SSRS asks some items only after a yes)."""
    return all(answers.get(key) == value for key, value in item.asked_if)


def lower_bound(items, answers: dict[str, int]) -> dict[str, int]:
    """`answers` with every unanswered asked item at its lowest code: scoring that gives the least
    total (and the flags certain already) of an incomplete administration."""
    filled: dict[str, int] = {}
    for item in items:
        if not asked(item, filled):
            continue
        filled[item.key] = answers[item.key] if item.key in answers else min(item.codes)
    return filled


def emphasise(label: QLabel, role: QPalette.ColorRole | None) -> None:
    label.setAutoFillBackground(role is not None)
    label.setBackgroundRole(role or QPalette.ColorRole.Window)
    label.setForegroundRole(QPalette.ColorRole.HighlightedText if role == QPalette.ColorRole.Highlight
                            else QPalette.ColorRole.WindowText)


class MeasureItemRow:
    """One item's widgets in the questionnaire grid: number, text, a radio per choice, an error line."""

    def __init__(self, dialog: QObject, item: MeasureItem, show_labels: bool) -> None:
        self.item = item
        self.number = QLabel(f"{item.number}.")
        self.text = QLabel(item.text)
        self.text.setWordWrap(True)
        self.text.setMargin(2)
        self.group = QButtonGroup(dialog)
        self.group.setExclusive(True)
        self.buttons: list[QRadioButton] = []
        for position, (code, label) in enumerate(item.options):
            button = QRadioButton(f"{position} · {label}" if show_labels else str(position))
            button.setObjectName(f"{item.key}_{position}")
            button.setAccessibleName(dialog.tr("Item {n}: {label}").format(n=item.number, label=label))
            button.setProperty("code", code)
            button.installEventFilter(dialog)
            self.group.addButton(button, position)
            self.buttons.append(button)
        self.error = QLabel()
        self.error.setObjectName(f"{item.key}Error")
        self.error.setWordWrap(True)
        self.error.setProperty("fieldError", True)
        self.error.hide()

    def answer(self) -> int | None:
        button = self.group.checkedButton()
        return None if button is None else int(button.property("code"))

    def choose(self, position: int) -> bool:
        if not (0 <= position < len(self.buttons)) or not self.buttons[position].isEnabled():
            return False
        self.buttons[position].setChecked(True)
        return True

    def clear(self) -> None:
        self.group.setExclusive(False)
        for button in self.buttons:
            button.setChecked(False)
        self.group.setExclusive(True)

    def set_asked(self, on: bool) -> None:
        if not on and self.answer() is not None:
            self.clear()
        for widget in (self.number, self.text, *self.buttons):
            widget.setEnabled(on)

    def focus(self) -> None:
        (self.group.checkedButton() or self.buttons[0]).setFocus(Qt.FocusReason.TabFocusReason)
