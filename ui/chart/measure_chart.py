"""`MeasureChartWidget`: one measure's totals over time, drawn over its severity bands.

A QtCharts line-and-points series of the client's totals by date (a MM/dd/yyyy date axis) in front
of one translucent QAreaSeries per severity band of the measure (green for the mildest to red for
the most severe, named in the legend), the y axis running from the measure's lowest to highest
possible total. Text, grid and line colours come from the widget's palette so the chart follows
light and dark mode. The chart has an accessible name and, as its text alternative, an accessible
description and tooltip listing every point. Without QtCharts (it is deprecated since Qt 6.10 and
may one day be missing from a wheel) the widget shows a label saying the chart is unavailable.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, QEvent, QMargins, QPointF, Qt, QTime
from PySide6.QtGui import QBrush, QColor, QCursor, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from iopdesk.clinical.measures import MeasureDefinition
from iopdesk.kernel import clock
from ui.dates import DATE_FORMAT, date_text, qdate

try:
    from PySide6.QtCharts import (
        QAreaSeries,
        QChart,
        QChartView,
        QDateTimeAxis,
        QLineSeries,
        QScatterSeries,
        QValueAxis,
    )
except ImportError:  # pragma: no cover - depends on the installed wheel
    QChart = None

CHARTS_AVAILABLE = QChart is not None


def band_colour(index: int, count: int, alpha: int = 70) -> QColor:
    """A light translucent colour for band `index` of `count`: green (mild) through red (severe)."""
    hue = 120 if count <= 1 else round(120 * (1 - index / (count - 1)))
    colour = QColor.fromHsv(hue, 170, 235)
    colour.setAlpha(alpha)
    return colour


def _msecs(day: dt.date) -> float:
    return float(QDateTime(qdate(day), QTime(12, 0)).toMSecsSinceEpoch())


def band_limits(definition: MeasureDefinition) -> list[tuple[float, float, str]]:
    """Each band's (bottom, top, label) on the chart: half a point either side of its scores,
    clipped to the measure's range, so adjacent bands meet between two whole totals."""
    low, high = definition.bands[0].low, definition.bands[-1].high
    return [(max(low, band.low - 0.5), min(high, band.high + 0.5), band.label) for band in definition.bands]


class MeasureChartWidget(QWidget):
    """The trend of one measure. Invariant: after `show_points`, `points_series` holds one point
    per administration (x in ms since the epoch, y the total) and `band_series` one area per band."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("measureChart")
        self.definition: MeasureDefinition | None = None
        self.points: list = []
        self.band_series: list = []
        self.points_series = None
        self.line_series = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if not CHARTS_AVAILABLE:
            self.view = QLabel(self.tr("The trend chart is unavailable on this computer "
                                       "(Qt Charts is not installed); the table lists every result."))
            self.view.setWordWrap(True)
            self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.chart = None
        else:
            self.chart = QChart()
            self.chart.setMargins(QMargins(4, 4, 4, 4))
            self.chart.setBackgroundRoundness(0)
            self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
            self.view = QChartView(self.chart)
            self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.view.setMinimumHeight(self.fontMetrics().lineSpacing() * 14)
            self.chart.plotAreaChanged.connect(self._fit_ticks)
        self.x_axis = None
        self.view.setAccessibleName(self.tr("Trend chart"))
        layout.addWidget(self.view)

    # -- data -------------------------------------------------------------------------------
    def show_points(self, definition: MeasureDefinition, points) -> None:
        """Draw `points` (MeasurePoint: administered_on, total, band; oldest first) of `definition`."""
        self.definition = definition
        self.points = list(points)
        name = self.tr("{code} trend").format(code=definition.code)
        self.view.setAccessibleName(name)
        self.view.setAccessibleDescription(self.text_alternative())
        self.view.setToolTip(self.text_alternative())
        if self.chart is None:
            return
        chart = self.chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.band_series = []
        first, last = self._date_range()
        x_axis = QDateTimeAxis()
        x_axis.setFormat(DATE_FORMAT)
        x_axis.setTitleText(self.tr("Date given"))
        x_axis.setRange(QDateTime.fromMSecsSinceEpoch(int(first)), QDateTime.fromMSecsSinceEpoch(int(last)))
        self.x_axis = x_axis
        y_axis = QValueAxis()
        y_low, y_high = definition.bands[0].low, definition.bands[-1].high
        y_axis.setRange(y_low, y_high)
        y_axis.setLabelFormat("%d")
        y_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        y_axis.setTickAnchor(y_low)
        y_axis.setTickInterval(_tick_interval(y_high - y_low))
        y_axis.setTitleText(self.tr("Total"))
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)

        limits = band_limits(definition)
        for index, (bottom, top, label) in enumerate(limits):
            upper, lower = QLineSeries(), QLineSeries()
            for x in (first, last):
                upper.append(x, top)
                lower.append(x, bottom)
            area = QAreaSeries(upper, lower)
            area.setName(self.tr("{label} ({low}–{high})").format(
                label=label, low=definition.bands[index].low, high=definition.bands[index].high))
            area.setBrush(QBrush(band_colour(index, len(limits))))
            area.setPen(QPen(Qt.PenStyle.NoPen))
            upper.setParent(area)
            lower.setParent(area)
            self._add(area, x_axis, y_axis)
            self.band_series.append(area)

        self.line_series = QLineSeries()
        self.line_series.setName(self.tr("Total"))
        self.points_series = QScatterSeries()
        self.points_series.setName(self.tr("Given"))
        self.points_series.setMarkerSize(self.fontMetrics().height() * 0.7)
        for point in self.points:
            x, y = _msecs(point.administered_on), float(point.total)
            self.line_series.append(x, y)
            self.points_series.append(QPointF(x, y))
        self._add(self.line_series, x_axis, y_axis)
        self._add(self.points_series, x_axis, y_axis)
        self.points_series.hovered.connect(self._point_hovered)
        markers = chart.legend().markers(self.points_series)
        for marker in markers:
            marker.setVisible(False)
        chart.setTitle(self.tr("{code}: {name}").format(code=definition.code, name=definition.name))
        self._apply_palette()
        self._fit_ticks(chart.plotArea())

    def _fit_ticks(self, area) -> None:
        """As many date labels as fit the plot's width without eliding (2 to 8)."""
        if self.x_axis is None:
            return
        metrics = QFontMetrics(self.x_axis.labelsFont())
        count = max(2, min(8, int(area.width() // (metrics.horizontalAdvance("00/00/0000") * 1.5)) + 1))
        if self.x_axis.tickCount() != count:
            self.x_axis.setTickCount(count)

    def _point_hovered(self, where: QPointF, state: bool) -> None:
        if not state:
            QToolTip.hideText()
            return
        day = QDateTime.fromMSecsSinceEpoch(int(where.x())).date().toPython()
        point = next((p for p in self.points if p.administered_on == day and p.total == round(where.y())), None)
        if point is not None:
            QToolTip.showText(QCursor.pos(), self.tr("{day}: {total} ({band})").format(
                day=date_text(point.administered_on), total=point.total, band=point.band), self.view)

    def _add(self, series, x_axis, y_axis) -> None:
        self.chart.addSeries(series)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)

    def _date_range(self) -> tuple[float, float]:
        if not self.points:
            today = clock.today()
            return _msecs(today - dt.timedelta(days=28)), _msecs(today)
        first, last = self.points[0].administered_on, self.points[-1].administered_on
        pad = max(3, (last - first).days // 20)
        return _msecs(first - dt.timedelta(days=pad)), _msecs(last + dt.timedelta(days=pad))

    def text_alternative(self) -> str:
        """The chart as text: one line per administration, oldest first."""
        if self.definition is None:
            return self.tr("No measure selected.")
        if not self.points:
            return self.tr("{code}: not given yet.").format(code=self.definition.code)
        lines = [self.tr("{code} totals, oldest first:").format(code=self.definition.code)]
        lines += [self.tr("{day}: {total} ({band})").format(day=date_text(p.administered_on), total=p.total,
                                                            band=p.band) for p in self.points]
        return "\n".join(lines)

    # -- palette ----------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        if self.chart is None:
            return
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = palette.color(QPalette.ColorRole.Mid)
        self.chart.setBackgroundBrush(QBrush(palette.color(QPalette.ColorRole.Base)))
        self.chart.setPlotAreaBackgroundVisible(False)
        self.chart.setTitleBrush(QBrush(text))
        self.chart.legend().setLabelColor(text)
        for axis in self.chart.axes():
            axis.setLabelsColor(text)
            axis.setTitleBrush(QBrush(text))
            axis.setLinePenColor(grid)
            axis.setGridLineColor(grid)
        line_colour = palette.color(QPalette.ColorRole.Text)
        if self.line_series is not None:
            self.line_series.setPen(QPen(line_colour, 2.5))
        if self.points_series is not None:
            self.points_series.setColor(line_colour)
            self.points_series.setBorderColor(palette.color(QPalette.ColorRole.Base))


def _tick_interval(span: int) -> float:
    for step in (1, 2, 5, 10):
        if span / step <= 10:
            return step
    return 20
