"""Building blocks every document uses: escaped paragraphs, tables whose cells wrap and whose header
row repeats on each new page, label/value grids, and signature blocks (who signed and when, or a
blank line for a wet signature).

Text from the record is always escaped here, so a note that says "<3 days" or "A & B" prints as
written instead of breaking the layout; a character the embedded font cannot draw (an emoji) prints
as a visible placeholder (`reports.fonts.printable`).

Printing is linear in the length of the text. ReportLab lays a paragraph out again each time it
splits it across a page, so one paragraph of n characters costs about n² (a 500 KB note took 50 s,
a 5 MB section never finished); and a run of characters with no space is measured glyph by glyph
at every try. So `text` breaks any run longer than `LONG_RUN` characters into lines of `RUN_LINE`,
and `passage` prints record text longer than `WHOLE` characters as a run of paragraphs of at most
`PIECE`, cut at a line break, else a sentence end, else a space, set without space between them so
they read as one; nothing is ever left out. Limits on what may be typed live in
`iopdesk.kernel.text_limits`; records stored before them, or longer, still print whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    Table,
    TableStyle,
)

from iopdesk.kernel.formats import DEFAULT_TIME_FORMAT, clinical_date_text, datetime_text
from reports.fonts import printable
from reports.styles import HEADER_FILL, MUTED, RULE, ZEBRA_FILL, styles

WHOLE = 4_000  # record text up to this long prints as one paragraph, as it always did
PIECE = 1_000  # characters per paragraph of a longer passage: under half a page, so the split at
#               the end of each page lays little out again (1,000 prints a 500 KB note fastest)
LONG_RUN = 120  # characters with no space: longer than any word or most web addresses
RUN_LINE = 60  # characters per line of a broken run: fits the frame at 9.5 pt even in capitals
_LONG_RUN = re.compile(rf"\S{{{LONG_RUN + 1},}}")
_SENTENCE_END = re.compile(r"[.!?;:][\"')\]]*\s")


def _escaped(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def _run_lines(match: re.Match[str]) -> str:
    run = match.group(0)
    return "<br/>".join(escape(run[i:i + RUN_LINE]) for i in range(0, len(run), RUN_LINE))


def text(value) -> str:
    """Record text made safe for a ReportLab paragraph: escaped, line breaks kept, characters the
    font lacks as the placeholder, a run of more than `LONG_RUN` characters without a space
    broken into lines."""
    if value is None:
        return ""
    value = printable(str(value))
    if not _LONG_RUN.search(value):
        return _escaped(value)
    out, at = [], 0
    for match in _LONG_RUN.finditer(value):
        out += [_escaped(value[at:match.start()]), _run_lines(match)]
        at = match.end()
    return "".join([*out, _escaped(value[at:])])


def para(value, style: str = "body") -> Paragraph:
    """A paragraph of record text (escaped) in one of the shared styles; for text that may be
    long (a note section, a narrative), `passage`."""
    return Paragraph(text(value), getattr(styles(), style))


def _cut(value: str, start: int) -> tuple[int, int]:
    """Where the piece starting at `start` ends, and where the next begins: the last line break
    in the next `PIECE` characters, else the last sentence end, else the last space, else `PIECE`
    characters on (in the middle of a run, which `text` breaks into lines anyway)."""
    end = start + PIECE
    if end >= len(value):
        return len(value), len(value)
    half = start + PIECE // 2
    line = value.rfind("\n", half, end)
    if line >= 0:
        return line, line + 1
    sentences = [match.end() for match in _SENTENCE_END.finditer(value, half, end)]
    if sentences:
        return sentences[-1] - 1, sentences[-1]
    space = value.rfind(" ", half, end)
    if space >= 0:
        return space, space + 1
    return end, end


@lru_cache(maxsize=32)
def _joined(style: str, first: bool, last: bool) -> ParagraphStyle:
    """`style` without the space between the pieces of one passage."""
    base = getattr(styles(), style)
    return ParagraphStyle(f"{style}-piece-{first:d}{last:d}", parent=base,
                          spaceBefore=base.spaceBefore if first else 0, spaceAfter=base.spaceAfter if last else 0)


def passage(value, style: str = "body") -> list[Flowable]:
    """Record text of any length as one paragraph, or past `WHOLE` characters as paragraphs of at
    most `PIECE` that read as one (see the module docstring); all of the text, in order."""
    value = printable("" if value is None else str(value))
    if len(value) <= WHOLE:
        return [para(value, style)]
    cuts, start = [], 0
    while start < len(value):
        end, following = _cut(value, start)
        cuts.append((start, end))
        start = following
    return [Paragraph(text(value[a:b]), _joined(style, i == 0, i == len(cuts) - 1))
            for i, (a, b) in enumerate(cuts)]


def heading(title: str, level: str = "heading") -> list[Flowable]:
    """A section heading that never ends a page: it starts a new page when less than ~3 cm is left.
    (keepWithNext would push a heading and a whole long table to the next page instead.)"""
    return [CondPageBreak(30 * mm if level == "heading" else 20 * mm), para(title, level)]


def markup(value: str, style: str = "body") -> Paragraph:
    """A paragraph of our own markup (already escaped: <b>, <i>, <br/>)."""
    return Paragraph(value, getattr(styles(), style))


def date_text(value: dt.date | dt.datetime | None, style: str = DEFAULT_TIME_FORMAT) -> str:
    """Dates as the clinic writes them on paper (`iopdesk.kernel.formats.clinical_date_text`): a date
    and time adds the time in the clinic's `style`, "12h" or "24h"."""
    return clinical_date_text(value, style)


def stamp_text(value: dt.datetime | None, style: str = DEFAULT_TIME_FORMAT) -> str:
    """A stored UTC stamp (signed, printed) in the local time of the machine printing, with its zone,
    the time in the clinic's `style`: "12/07/2026 4:45 PM EST"."""
    if value is None:
        return ""
    aware = (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).astimezone()
    return f"{datetime_text(aware, style)} {aware:%Z}"


def data_table(header: Sequence[str], rows: Iterable[Sequence], widths: Sequence[float], *,
               bold_first_column: bool = False) -> Table:
    """A table of record data: wrapped cells, the header repeated on every page it spans, rows
    that split across pages (between rows, or inside a row taller than a page), zebra stripes. `widths` are in points and should sum to the frame
    width. Cells may be strings (escaped) or flowables."""
    s = styles()
    body = [[Paragraph(text(h), s.header_cell) for h in header]]
    for row in rows:
        cells = []
        for column, cell in enumerate(row):
            if isinstance(cell, Flowable):
                cells.append(cell)
            else:
                style = s.cell_bold if bold_first_column and column == 0 else s.cell
                cells.append(Paragraph(text(cell), style))
        body.append(cells)
    # splitInRow: a row taller than what is left of the page (a 2,000-character objective, a long
    # comment) splits inside the row, keeping at least 24 pt on each side, instead of stopping the print.
    table = Table(body, colWidths=list(widths), repeatRows=1, splitByRow=1, splitInRow=24, hAlign="LEFT")
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    commands += [("BACKGROUND", (0, r), (-1, r), ZEBRA_FILL) for r in range(2, len(body), 2)]
    table.setStyle(TableStyle(commands))
    return table


def label_grid(pairs: Sequence[tuple[str, str]], width: float, columns: int = 2) -> Table:
    """Label: value pairs in `columns` side-by-side columns (client identifiers, episode facts)."""
    s = styles()
    cells = [[Paragraph(text(label), s.small), Paragraph(text(value), s.cell)] for label, value in pairs]
    rows = []
    for start in range(0, len(cells), columns):
        row = []
        for pair in cells[start:start + columns]:
            row += pair
        row += ["", ""] * (columns - len(cells[start:start + columns]))
        rows.append(row)
    label_width = 30 * mm
    value_width = width / columns - label_width
    table = Table(rows or [[""]], colWidths=[label_width, value_width] * columns, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    return table


def signature_block(role: str, name: str | None, signed_at: dt.datetime | None, width: float,
                    credentials: str = "", *, style: str = DEFAULT_TIME_FORMAT) -> Table:
    """Who signed and when (the time in the clinic's `style`); unsigned, a blank line to sign on
    paper, with the date beside it.
    One small table, so it never splits and can sit inside a caller's KeepTogether."""
    s = styles()
    if name and signed_at:
        who = f"{text(name)}{', ' + text(credentials) if credentials else ''}"
        block = Table([[Paragraph(f"<b>{text(role)}</b>", s.cell)],
                       [Paragraph(f"Electronically signed by {who} on {stamp_text(signed_at, style)}", s.cell)]],
                      colWidths=[width], hAlign="LEFT", spaceAfter=4)
        block.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        return block
    line = Table([["", "", ""], [Paragraph(f"{text(role)}{' — ' + text(name) if name else ''}", s.small), "",
                                 Paragraph("Date", s.small)]],
                 colWidths=[width * 0.62, width * 0.06, width * 0.32], rowHeights=[18, None], hAlign="LEFT",
                 spaceAfter=6)
    line.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (0, 0), 0.6, MUTED),
        ("LINEBELOW", (2, 0), (2, 0), 0.6, MUTED),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return line
