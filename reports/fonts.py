"""The one typeface of every PDF: DejaVu Sans, embedded, so names such as "Zoë Ångström-Nguyễn"
print as written. Registered with ReportLab once per process under the family name `BODY_FONT`.

A character the four faces cannot all draw (most emoji, CJK, control characters) would print as
an empty box, or as another glyph in a copied or searched text; `printable` puts the visible
`PLACEHOLDER` (U+FFFD, drawn from DejaVu Sans) in its place instead. So do characters outside the
Basic Multilingual Plane, even the few emoji DejaVu draws: ReportLab writes no text mapping for
them, so a search or copy of the PDF would lose them. An emoji sequence (a base with a skin tone
or variation selector, or several joined by zero-width joiners) becomes one placeholder.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

import resources

BODY_FONT = "IOPSans"
BOLD_FONT = "IOPSans-Bold"
ITALIC_FONT = "IOPSans-Italic"
BOLD_ITALIC_FONT = "IOPSans-BoldItalic"

PLACEHOLDER = "\ufffd"
_MODIFIERS = "\ufe0e\ufe0f\U0001F3FB-\U0001F3FF"  # text/emoji presentation, skin tones

_FILES = {
    BODY_FONT: "DejaVuSans.ttf",
    BOLD_FONT: "DejaVuSans-Bold.ttf",
    ITALIC_FONT: "DejaVuSans-Oblique.ttf",
    BOLD_ITALIC_FONT: "DejaVuSans-BoldOblique.ttf",
}


@lru_cache(maxsize=1)
def register_fonts() -> str:
    """Register the embedded fonts (once) and return the family name to use in styles."""
    for name, file_name in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(resources.path("fonts", file_name))))
    addMapping(BODY_FONT, 0, 0, BODY_FONT)
    addMapping(BODY_FONT, 1, 0, BOLD_FONT)
    addMapping(BODY_FONT, 0, 1, ITALIC_FONT)
    addMapping(BODY_FONT, 1, 1, BOLD_ITALIC_FONT)
    return BODY_FONT


@lru_cache(maxsize=1)
def _unprintable() -> re.Pattern[str]:
    """One emoji sequence or one character the faces cannot all draw (line breaks and tabs pass)."""
    register_fonts()
    faces = [pdfmetrics.getFont(name).face.charToGlyph for name in _FILES]
    drawn = sorted(code for code in set.intersection(*(set(face) for face in faces))
                   if code <= 0xFFFF and code >= 0x20) + [ord("\t"), ord("\n")]
    ranges, start = [], None
    for code, following in zip(drawn, [*drawn[1:], None], strict=True):
        start = code if start is None else start
        if following != code + 1:
            ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(code)) if code != start else ""))
            start = None
    other = f"[^{''.join(ranges)}]"
    return re.compile(f"{other}(?:[{_MODIFIERS}]|\u200d{other})*")


def printable(value: str) -> str:
    """`value` with each character (or emoji sequence) the embedded font cannot draw replaced by
    `PLACEHOLDER`; carriage returns become line breaks."""
    return _unprintable().sub(PLACEHOLDER, value.replace("\r\n", "\n").replace("\r", "\n"))
