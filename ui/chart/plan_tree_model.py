"""`PlanTreeModel`: one treatment plan version as a tree (problems → goals → objectives →
interventions) for the Treatment plan tab's QTreeView.

The model holds the frozen `PlanView` the plan service returned (plus the latest review rating of
each objective) and flattens it into numbered nodes once per reload; an index's internal id is the
node's number, so nothing Python-owned hides behind a pointer. Columns: the element (numbered:
"Problem 1", "Goal 1.1", "Objective 1.1.2", "Intervention"), ICD-10 code or target date, status or
frequency (with the last review rating of an objective), and who is responsible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTreeView

from ui.dates import date_text

_Index = QModelIndex | QPersistentModelIndex
KINDS = ("problem", "goal", "objective", "intervention")


@dataclass
class PlanNode:
    """One element of the tree: its kind, number label, frozen view, parent and children (node numbers)."""

    kind: str
    label: str
    view: Any
    parent: int
    row: int
    children: list[int] = field(default_factory=list)
    cells: tuple[str, ...] = ()


class PlanTreeModel(QAbstractItemModel):
    """Read-only tree of one plan version. `node(index)` gives (kind, view); `index_of(id)` finds
    an element again after a reload."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._nodes: list[PlanNode] = []
        self._roots: list[int] = []
        self._ratings: dict[str, str] = {}
        self._headers = (self.tr("Plan element"), self.tr("ICD-10 / target"),
                         self.tr("Status / frequency"), self.tr("Responsible"))

    # -- loading ----------------------------------------------------------------------------
    def set_plan(self, plan, ratings: dict[str, str] | None = None) -> None:
        """Show `plan` (a PlanView, or None for nothing); `ratings` maps objective id → last rating label."""
        self.beginResetModel()
        self._nodes, self._roots = [], []
        self._ratings = dict(ratings or {})
        if plan is not None:
            for p_row, problem in enumerate(plan.problems):
                p_num = self._add("problem", self.tr("Problem {n}").format(n=p_row + 1), problem, -1, p_row)
                for g_row, goal in enumerate(problem.goals):
                    g_label = self.tr("Goal {p}.{g}").format(p=p_row + 1, g=g_row + 1)
                    g_num = self._add("goal", g_label, goal, p_num, g_row)
                    for o_row, objective in enumerate(goal.objectives):
                        o_label = self.tr("Objective {p}.{g}.{o}").format(p=p_row + 1, g=g_row + 1, o=o_row + 1)
                        o_num = self._add("objective", o_label, objective, g_num, o_row)
                        for i_row, intervention in enumerate(objective.interventions):
                            self._add("intervention", self.tr("Intervention"), intervention, o_num, i_row)
        # The view asks for every cell many times while it lays out a plan: the words are made once.
        for node in self._nodes:
            node.cells = tuple(self._cell(node, column) for column in range(len(self._headers)))
        self.endResetModel()

    def _add(self, kind: str, label: str, view, parent: int, row: int) -> int:
        number = len(self._nodes)
        self._nodes.append(PlanNode(kind, label, view, parent, row))
        (self._nodes[parent].children if parent >= 0 else self._roots).append(number)
        return number

    # -- lookups ----------------------------------------------------------------------------
    def node(self, index: _Index) -> PlanNode | None:
        if not index.isValid():
            return None
        number = index.internalId()
        return self._nodes[number] if 0 <= number < len(self._nodes) else None

    def node_number(self, number: int) -> PlanNode:
        return self._nodes[number]

    def column_texts(self, column: int) -> set[str]:
        """Every text `column` shows, for sizing the column without asking the view to measure
        each row."""
        return {node.cells[column] for node in self._nodes}

    def depth(self, index: _Index) -> int:
        """1 for a problem, 2 for a goal, 3 for an objective, 4 for an intervention."""
        node = self.node(index)
        return KINDS.index(node.kind) + 1 if node is not None else 0

    def ancestor(self, index: _Index, kind: str):
        """The view of the element of `kind` at or above `index` (None if there is none)."""
        node = self.node(index)
        while node is not None:
            if node.kind == kind:
                return node.view
            node = self._nodes[node.parent] if node.parent >= 0 else None
        return None

    def index_of(self, element_id: str | None) -> QModelIndex:
        for number, node in enumerate(self._nodes):
            if element_id is not None and node.view.id == element_id:
                return self.createIndex(node.row, 0, number)
        return QModelIndex()

    # -- Qt model ---------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:
        if column < 0 or column >= len(self._headers) or row < 0:
            return QModelIndex()
        if parent.isValid():
            if parent.column() != 0:
                return QModelIndex()
            node = self.node(parent)
            children = node.children if node is not None else []
        else:
            children = self._roots
        if row >= len(children):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        node = self.node(index)
        if node is None or node.parent < 0:
            return QModelIndex()
        parent = self._nodes[node.parent]
        return self.createIndex(parent.row, 0, node.parent)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._roots)
        if parent.column() != 0:
            return 0
        node = self.node(parent)
        return len(node.children) if node is not None else 0

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self._headers)):
            return self._headers[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        node = self.node(index)
        if node is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return node.cells[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            text = node.cells[column]
            rating = self._ratings.get(node.view.id) if node.kind == "objective" else None
            if rating and column == 2:
                return self.tr("Last review: {rating}").format(rating=rating)
            if node.kind == "intervention" and column == 0 and node.view.description:
                return f"{text}\n{node.view.description}"
            return text or None
        if role == Qt.ItemDataRole.AccessibleTextRole and column == 0:
            return node.cells[0]
        if role == Qt.ItemDataRole.FontRole and column == 0 and node.kind in ("problem", "goal"):
            font = QFont()
            font.setBold(node.kind == "problem")
            font.setItalic(node.kind == "goal")
            return font
        return None

    def _cell(self, node: PlanNode, column: int) -> str:
        view = node.view
        if column == 0:
            if node.kind == "intervention":
                text = view.modality
            else:
                text = view.statement
            return f"{node.label}: {text}"
        if column == 1:
            if node.kind == "problem":
                return view.diagnosis_code
            if node.kind == "objective":
                return self.tr("by {day}").format(day=date_text(view.target_date))
            return ""
        if column == 2:
            if node.kind == "objective":
                status = {"active": self.tr("Active"), "met": self.tr("Met"),
                          "discontinued": self.tr("Discontinued")}.get(view.status, view.status)
                rating = self._ratings.get(view.id)
                return self.tr("{status} · {rating}").format(status=status, rating=rating) if rating else status
            if node.kind == "intervention":
                return view.frequency
            return ""
        if column == 3 and node.kind == "intervention":
            return view.responsible
        return ""


class WrappingItemDelegate(QStyledItemDelegate):
    """The plan tree's first column: rows as tall as their wrapped statement at the column's
    current width (QTreeView alone sizes rows for one line). Set it on column 0 only, so the
    short columns are measured by Qt's own delegate; the view must re-lay out its items when
    the first section is resized. Heights are remembered per (text, width):
    the view asks for every row's size many times while it lays out a plan, and measuring
    wrapped text each time made opening a plan several times slower."""

    MEMORY = 4096

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._sizes: dict[tuple[str, int, int], QSize] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        tree, model = self.parent(), index.model()
        if not isinstance(tree, QTreeView) or not isinstance(model, PlanTreeModel) or index.column() != 0:
            return super().sizeHint(option, index)
        width = tree.columnWidth(0) - tree.indentation() * model.depth(index)
        key = (model.node(index).cells[0], width, option.fontMetrics.height())
        size = self._sizes.get(key)
        if size is None:
            hint = super().sizeHint(option, index)
            opt = QStyleOptionViewItem(option)
            self.initStyleOption(opt, index)
            margin = opt.fontMetrics.averageCharWidth() * 2
            bounds = opt.fontMetrics.boundingRect(QRect(0, 0, max(width - margin, 40), 100000),
                                                  int(Qt.TextFlag.TextWordWrap), opt.text)
            size = QSize(hint.width(), max(hint.height(), bounds.height() + opt.fontMetrics.descent() + 2))
            if len(self._sizes) >= self.MEMORY:
                self._sizes.clear()
            self._sizes[key] = size
        return size
