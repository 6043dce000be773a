"""The one typeface of every PDF: DejaVu Sans, embedded, so names such as "Zoë Ångström-Nguyễn"
print as written. Registered with ReportLab once per process under the family name `BODY_FONT`.
"""

from __future__ import annotations

from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

import resources

BODY_FONT = "IOPSans"
BOLD_FONT = "IOPSans-Bold"
ITALIC_FONT = "IOPSans-Italic"
BOLD_ITALIC_FONT = "IOPSans-BoldItalic"

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
