"""How group members are named on the sign-in sheet, which every member sees and signs.

Under the program rule `sign_in_sheet.member_names` a member prints as the room knows them (the
preferred first name, else the legal one) and the initial of the last name: "Marisol Q.". Where
two members would print the same, those two print more of the last name, at least three letters
and as many as it takes: "Maria Gar." and "Maria Gon.", never more than tells them apart. Two
members whose names are the same however much is printed (two Maria Garcias) keep the shortest
form that sets them apart from everyone else and are numbered in roster order, "Maria Gar. (1)"
and "Maria Gar. (2)": printing their whole name would tell the room nothing more, and the staff
copy (with MRNs) says who is who. The rule "full" prints the whole name, numbering identical ones
the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from iopdesk.errors import ValidationError

NAME_STYLES = ("first_last_initial", "full")
MIN_LETTERS_WHEN_ALIKE = 3


def _shown(first: str, last: str, letters: int | None) -> str:
    if not last:
        return first
    if letters is None or letters >= len(last):
        return f"{first} {last}"
    part = last[:letters].rstrip(" -'")
    if letters == 1:
        part = part.upper()
    return f"{first} {part}."


def sign_in_names(people: Sequence[tuple[str, str]], style: str = "first_last_initial") -> list[str]:
    """The printed name of each of `people` ((first name as addressed, last name), in roster
    order) under `style`; see the module docstring. Raises ValidationError for an unknown style
    (field sign_in_sheet.member_names)."""
    if style not in NAME_STYLES:
        raise ValidationError(f"Sign-in sheet member names: {style!r} is not one of {', '.join(NAME_STYLES)}.",
                              field="sign_in_sheet.member_names")
    names = [(" ".join(first.split()), " ".join(last.split())) for first, last in people]
    letters: list[int | None] = [None if style == "full" else 1] * len(names)
    while True:
        grown = False
        for group in _alike(names, letters):
            if len({(f.casefold(), la.casefold()) for f, la in (names[i] for i in group)}) == 1:
                continue  # the same name: only a number tells them apart
            for i in group:
                if letters[i] is not None and letters[i] < len(names[i][1]):
                    letters[i] = max(letters[i] + 1, MIN_LETTERS_WHEN_ALIKE)
                    grown = True
        if not grown:
            break
    printed = [_shown(first, last, n) for (first, last), n in zip(names, letters, strict=True)]
    for group in _alike(names, letters):
        for number, i in enumerate(group, start=1):
            printed[i] = f"{printed[i]} ({number})"
    return printed


def _alike(names: list[tuple[str, str]], letters: list[int | None]) -> list[list[int]]:
    """Indexes of members who would print the same (ignoring case), in groups of two or more."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, ((first, last), n) in enumerate(zip(names, letters, strict=True)):
        groups[_shown(first, last, n).casefold()].append(i)
    return [group for group in groups.values() if len(group) > 1]
