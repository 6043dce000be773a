"""ICD-10-CM code shape: a letter, two characters, optionally a dot and up to four more.

Checks the form only (a clinic's code list is not shipped); `resources/icd10_common.csv` names
the codes an IOP uses most so pickers can offer them.
"""

from __future__ import annotations

import re

from iopdesk.errors import ValidationError

_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")


def icd10_code(value: str | None, field: str = "code") -> str:
    """The code, upper-cased, or ValidationError saying why its shape is wrong."""
    code = (value or "").strip().upper()
    if not code:
        raise ValidationError("Diagnosis code: required (ICD-10-CM, e.g. F10.20).", field=field)
    if "." not in code and len(code) > 3:
        code = code[:3] + "." + code[3:]
    if not _SHAPE.match(code):
        raise ValidationError(
            f"Diagnosis code: {value!r} is not an ICD-10-CM code (a letter, two characters, then "
            "optionally a dot and up to four more, e.g. F10.20).",
            field=field,
        )
    return code
