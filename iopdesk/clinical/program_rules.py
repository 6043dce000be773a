"""Program rules and levels of care: shipped defaults in `resources/`, clinic overrides in the
database. Every rule a state or payer may change is read from here, never written in code."""

from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.errors import ValidationError
from iopdesk.models import ClinicSetting

OVERRIDE_KEY = "program_rules"


@dataclass(frozen=True)
class LevelOfCare:
    code: str
    label: str
    min_hours_adult: float | None
    max_hours_adult: float | None
    min_hours_adolescent: float | None
    max_hours_adolescent: float | None

    def min_hours(self, adolescent: bool) -> float | None:
        return self.min_hours_adolescent if adolescent else self.min_hours_adult


@lru_cache(maxsize=1)
def _levels_data() -> dict:
    return json.loads(resources.path("levels_of_care.json").read_text(encoding="utf-8"))


def levels_of_care() -> dict[str, LevelOfCare]:
    return {row["code"]: LevelOfCare(**row) for row in _levels_data()["levels"]}


def level_of_care(code: str) -> LevelOfCare:
    try:
        return levels_of_care()[str(code)]
    except KeyError:
        raise ValidationError(
            f"Level of care: {code!r} is not one of {', '.join(levels_of_care())}.", field="level_of_care"
        ) from None


def tracks() -> dict[str, str]:
    return dict(_levels_data()["tracks"])


def track(code: str) -> str:
    if code not in tracks():
        raise ValidationError(f"Program track: {code!r} is not one of {', '.join(tracks())}.", field="track")
    return code


@lru_cache(maxsize=1)
def default_rules() -> dict:
    with resources.path("program_rules.toml").open("rb") as fh:
        return tomllib.load(fh)


def program_rules() -> dict:
    """The shipped rules with this clinic's overrides applied (section by section)."""
    rules = copy.deepcopy(default_rules())
    row = ClinicSetting.get_or_none(ClinicSetting.key == OVERRIDE_KEY)
    for section, values in (row.value if row else {}).items():
        rules.setdefault(section, {}).update(values)
    return rules


def rule(section: str, name: str):
    """One rule: this clinic's override, else the shipped default (KeyError for an unknown rule).
    Read at every signature, so it copies only the value asked for."""
    row = ClinicSetting.get_or_none(ClinicSetting.key == OVERRIDE_KEY)
    overrides = (row.value if row else {}).get(section, {})
    return copy.deepcopy(overrides[name] if name in overrides else default_rules()[section][name])
