"""Paragraph styles and table looks shared by every document, so a plan, a discharge summary and a
group note read as one clinic's paperwork. Sizes are in points; colours are quiet (printed on
office laser printers, often in grey).
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle

from reports.fonts import BOLD_FONT, register_fonts

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e4e7eb")
ZEBRA_FILL = colors.HexColor("#f5f7fa")


@lru_cache(maxsize=1)
def styles() -> SimpleNamespace:
    """title, heading, subheading, body, small, cell, cell_bold, header_cell, notice."""
    font = register_fonts()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=12.5, textColor=INK, alignment=TA_LEFT,
                          spaceAfter=4)
    return SimpleNamespace(
        title=ParagraphStyle("title", parent=body, fontName=BOLD_FONT, fontSize=16, leading=20, spaceAfter=2),
        subtitle=ParagraphStyle("subtitle", parent=body, textColor=MUTED, fontSize=9.5, spaceAfter=10),
        heading=ParagraphStyle("heading", parent=body, fontName=BOLD_FONT, fontSize=12, leading=15,
                               spaceBefore=10, spaceAfter=4),
        subheading=ParagraphStyle("subheading", parent=body, fontName=BOLD_FONT, fontSize=10, leading=13,
                                  spaceBefore=6, spaceAfter=2),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=MUTED, spaceAfter=0),
        cell=ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        cell_bold=ParagraphStyle("cell_bold", parent=body, fontName=BOLD_FONT, fontSize=8.5, leading=10.5,
                                 spaceAfter=0),
        header_cell=ParagraphStyle("header_cell", parent=body, fontName=BOLD_FONT, fontSize=8, leading=10,
                                   spaceAfter=0),
        notice=ParagraphStyle("notice", parent=body, fontSize=8, leading=10, textColor=INK, borderColor=RULE,
                              borderWidth=0.6, borderPadding=5, leftIndent=5, rightIndent=5,
                              spaceBefore=10, spaceAfter=12),
    )
