"""Sizing the short columns of a list or tree from the words they show.

`QHeaderView.ResizeToContents` asks the view to measure every row of a column on every layout
pass (up to a thousand rows), through the Python model, which on a chart made opening a tab
several times slower. The models of those views already hold their cell texts, so measuring the
distinct texts once with the view's font gives the same widths for a fraction of the cost; the
columns stay resizable by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle


def fit_columns(view: QAbstractItemView, header: QHeaderView, texts: Mapping[int, Iterable[str]]) -> None:
    """Make each column in `texts` as wide as its widest text (or its title), resizable by hand."""
    metrics = view.fontMetrics()
    margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view)
    padding = metrics.averageCharWidth() * 2 + 2 * (margin + 1)
    for column, words in texts.items():
        widest = max((metrics.horizontalAdvance(text) for text in set(words)), default=0) + padding
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(column, max(widest, header.sectionSizeHint(column)))
