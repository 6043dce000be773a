"""Note formats (SOAP, DAP, BIRP, GIRP) as data from `resources/note_templates.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.errors import ValidationError
from iopdesk.kernel.text_limits import NOTE_SECTION, NOTE_TOTAL
from iopdesk.kernel.validation import check_length

NOTE_KINDS = ("individual", "group", "family", "med_management", "case_management")


@dataclass(frozen=True)
class NoteSection:
    key: str
    label: str
    hint: str


@dataclass(frozen=True)
class NoteFormat:
    code: str
    label: str
    sections: tuple[NoteSection, ...]

    def clean(self, sections: dict[str, str] | None) -> dict[str, str]:
        """Keep only this format's sections, as stripped text; refuse unknown keys, a section
        longer than `NOTE_SECTION` (field `sections.KEY`) and a note longer than `NOTE_TOTAL`
        (field `sections.all`) characters (`iopdesk.kernel.text_limits`)."""
        given = dict(sections or {})
        unknown = set(given) - {s.key for s in self.sections}
        if unknown:
            raise ValidationError(
                f"{self.code} notes have no section {sorted(unknown)[0]!r}.", field="sections"
            )
        cleaned = {s.key: check_length(str(given.get(s.key) or "").strip(), f"sections.{s.key}", s.label,
                                       NOTE_SECTION) for s in self.sections}
        check_length("".join(cleaned.values()), "sections.all", f"{self.code} note (all sections together)", NOTE_TOTAL)
        return cleaned

    def missing(self, sections: dict[str, str]) -> list[str]:
        """Labels of sections still empty (a note is signed only when none are)."""
        return [s.label for s in self.sections if not (sections.get(s.key) or "").strip()]


@lru_cache(maxsize=1)
def note_formats() -> dict[str, NoteFormat]:
    data = json.loads(resources.path("note_templates.json").read_text(encoding="utf-8"))
    return {
        code: NoteFormat(code, spec["label"], tuple(NoteSection(**s) for s in spec["sections"]))
        for code, spec in data.items()
    }


def lookup_format(code: str) -> NoteFormat:
    try:
        return note_formats()[(code or "").upper()]
    except KeyError:
        raise ValidationError(
            f"Note format: {code!r} is not one of {', '.join(note_formats())}.", field="note_format"
        ) from None


def note_kind(kind: str) -> str:
    if kind not in NOTE_KINDS:
        raise ValidationError(f"Note type: {kind!r} is not one of {', '.join(NOTE_KINDS)}.", field="kind")
    return kind
