"""The trend chart of one measure for a printed page (reportlab.graphics): the client's totals over
time as a line with a marker per administration, drawn over the measure's severity bands from its
definition (`iopdesk.clinical.measures`, the same bands the Measures tab shades: each band half a point
either side of its scores, clipped to the measure's range). Made for office printers that print
in grey: bands go from lightest (mildest) to darkest (most severe) and are named beside the chart,
the line is black, each point is labelled with its total, and a result needing safety follow-up is
a larger hollow triangle marked "!".
"""

from __future__ import annotations

import datetime as dt

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors

from iopdesk.clinical.measures import MeasureDefinition
from iopdesk.services.measures import MeasurePoint
from reports.fonts import BODY_FONT, BOLD_FONT, register_fonts
from reports.styles import INK, MUTED, RULE

# Band fills, mildest first: their grey values step down evenly so the order survives grey print.
_LIGHTEST, _DARKEST = 0.97, 0.72
LEGEND_WIDTH = 118.0


def band_limits(definition: MeasureDefinition) -> list[tuple[float, float, str, str]]:
    """Each band's (bottom, top, label, "low–high") on the chart, as the Measures tab draws them."""
    low, high = definition.bands[0].low, definition.bands[-1].high
    return [(max(low, b.low - 0.5), min(high, b.high + 0.5), b.label,
             f"{b.low}" if b.low == b.high else f"{b.low}–{b.high}") for b in definition.bands]


def band_fill(index: int, count: int) -> colors.Color:
    """A faintly warm grey, lighter for milder bands."""
    level = _LIGHTEST if count <= 1 else _LIGHTEST - (_LIGHTEST - _DARKEST) * index / (count - 1)
    return colors.Color(min(1, level + 0.02), level, max(0, level - 0.03))


def tick_step(span: int) -> int:
    for limit, step in ((6, 1), (12, 2), (30, 5), (60, 10)):
        if span <= limit:
            return step
    return 20


def _date_ticks(first: int, last: int, most: int = 7) -> list[int]:
    if first == last:
        return [first]
    step = max(1, -(-(last - first) // (most - 1)))
    ticks = list(range(first, last + 1, step))
    if last - ticks[-1] > step * 0.6:
        ticks.append(last)
    elif ticks[-1] != last and len(ticks) > 1:
        ticks[-1] = last  # the latest administration always has its date
    return ticks


def _spread(centres: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions near `centres` (ascending) at least `gap` apart, kept within [low, high]."""
    placed: list[float] = []
    for centre in centres:
        placed.append(max(centre, placed[-1] + gap) if placed else max(centre, low))
    overflow = placed[-1] - high if placed else 0
    if overflow > 0:
        placed = [y - overflow for y in placed]
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    return placed


def trend_chart(definition: MeasureDefinition, points: list[MeasurePoint], width: float,
                height: float = 150) -> Drawing:
    """The chart of `points` (oldest first) across `width` points of the page."""
    register_fonts()
    drawing = Drawing(width, height)
    left, bottom, top_pad = 30.0, 18.0, 10.0
    plot_w, plot_h = width - left - LEGEND_WIDTH - 8, height - bottom - top_pad
    y_low, y_high = definition.bands[0].low, definition.bands[-1].high
    days = [p.administered_on.toordinal() for p in points]
    first, last = min(days), max(days)
    pad = max(2, round((last - first) * 0.04))
    x_min, x_max = first - pad, last + pad

    def y_at(value: float) -> float:
        return bottom + (value - y_low) / ((y_high - y_low) or 1) * plot_h

    def x_at(day: int) -> float:
        return left + (day - x_min) / (x_max - x_min) * plot_w

    limits = band_limits(definition)
    for index, (b_low, b_high, _, _) in enumerate(limits):
        drawing.add(Rect(left, y_at(b_low), plot_w, y_at(b_high) - y_at(b_low), fillColor=band_fill(index, len(limits)),
                         strokeColor=None, strokeWidth=0))
    for b_low, _, _, _ in limits[1:]:
        drawing.add(Line(left, y_at(b_low), left + plot_w, y_at(b_low), strokeColor=RULE, strokeWidth=0.4,
                         strokeDashArray=(2, 2)))

    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = left, bottom, plot_w, plot_h
    plot.data = [[(d, p.total) for d, p in zip(days, points, strict=True)]]
    plot.joinedLines = 1
    plot.lines[0].strokeColor = colors.black
    plot.lines[0].strokeWidth = 1.2
    plot.lines[0].symbol = None
    plot.strokeColor = RULE
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = x_min, x_max
    plot.xValueAxis.valueSteps = _date_ticks(first, last)
    plot.xValueAxis.labelTextFormat = lambda v: dt.date.fromordinal(int(v)).strftime("%m/%d/%y")
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = y_low, y_high
    plot.yValueAxis.valueStep = tick_step(y_high - y_low)
    plot.yValueAxis.labelTextFormat = "%d"
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize, axis.labels.fillColor = BODY_FONT, 7, INK
        axis.strokeColor, axis.strokeWidth = MUTED, 0.6
    plot.xValueAxis.labels.dy = -3
    plot.xValueAxis.tickDown = 3
    drawing.add(plot)

    label_every = 1 if len(points) <= 16 else 2
    for n, (day, point) in enumerate(zip(days, points, strict=True)):
        x, y = x_at(day), y_at(point.total)
        if point.safety_flag:
            drawing.add(Polygon([x - 4.5, y - 3.5, x + 4.5, y - 3.5, x, y + 5], fillColor=colors.white,
                                strokeColor=colors.black, strokeWidth=1.2))
            drawing.add(String(x, y - 2.4, "!", fontName=BOLD_FONT, fontSize=6, textAnchor="middle"))
        else:
            drawing.add(Rect(x - 2.4, y - 2.4, 4.8, 4.8, fillColor=colors.black, strokeColor=None))
        if n % label_every == 0 or n == len(points) - 1:
            above = y + 5 if y + 12 < bottom + plot_h else y - 11
            drawing.add(String(x, above, str(point.total), fontName=BOLD_FONT, fontSize=7, textAnchor="middle",
                               fillColor=colors.black))

    drawing.add(String(left - 4, bottom + plot_h + 2, "Total", fontName=BODY_FONT, fontSize=7, fillColor=MUTED,
                       textAnchor="end"))
    legend_x = left + plot_w + 8
    centres = [(y_at(lo) + y_at(hi)) / 2 - 3 for lo, hi, _, _ in limits]
    label_ys = _spread(centres, 9.5, bottom, bottom + plot_h - 6)
    for index, ((_, _, label, scores), ty) in enumerate(zip(limits, label_ys, strict=True)):
        drawing.add(Rect(legend_x, ty, 8, 7, fillColor=band_fill(index, len(limits)), strokeColor=MUTED,
                         strokeWidth=0.4))
        drawing.add(String(legend_x + 11, ty + 1, f"{label} ({scores})"[:30], fontName=BODY_FONT, fontSize=7,
                           fillColor=INK))
    if any(p.safety_flag for p in points):
        drawing.add(String(legend_x, 4, "△! safety follow-up", fontName=BODY_FONT, fontSize=7, fillColor=INK))
    return drawing
