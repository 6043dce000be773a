"""Scoring standard measures from their definitions in `resources/measures/`.

One module scores every measure: items and their allowed answer codes, sums and subscales,
bands and the flags that demand action (PHQ-9 item 9, a high C-SSRS screen) all come from data.
An answer outside an item's options, a missing answer, or an answer to a question that should
not have been asked is refused with the item named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.errors import ValidationError


@dataclass(frozen=True)
class MeasureItem:
    key: str
    number: int
    text: str
    options: tuple[tuple[int, str], ...]
    asked_if: tuple[tuple[str, int], ...] = ()

    @property
    def codes(self) -> frozenset[int]:
        return frozenset(code for code, _ in self.options)


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class MeasureFlag:
    kind: str
    message: str


@dataclass(frozen=True)
class MeasureDefinition:
    code: str
    name: str
    period: str
    items: tuple[MeasureItem, ...]
    method: str
    subscales: tuple[tuple[str, tuple[str, ...]], ...]
    total_subscale: str | None
    bands: tuple[Band, ...]
    flag_rules: tuple[dict, ...]
    default_every_days: int | None

    @property
    def max_total(self) -> int:
        return self.bands[-1].high

    def band_for(self, total: int) -> str:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.label
        raise ValueError(f"{self.code}: no band holds {total}")


@dataclass(frozen=True)
class MeasureScore:
    measure: str
    answers: dict[str, int]
    total: int
    band: str
    subscales: dict[str, int]
    flags: tuple[MeasureFlag, ...]

    @property
    def needs_safety_follow_up(self) -> bool:
        return any(f.kind == "safety" for f in self.flags)


def _load(path) -> MeasureDefinition:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = tuple(
        MeasureItem(
            key=item["key"], number=i + 1, text=item["text"],
            options=tuple((int(c), label) for c, label in item["options"]),
            asked_if=tuple(item.get("asked_if", {}).items()),
        )
        for i, item in enumerate(data["items"])
    )
    scoring = data["scoring"]
    return MeasureDefinition(
        code=data["code"], name=data["name"], period=data["period"], items=items,
        method=scoring["method"],
        subscales=tuple((name, tuple(keys)) for name, keys in scoring.get("subscales", {}).items()),
        total_subscale=scoring.get("total_subscale"),
        bands=tuple(Band(lo, hi, label) for lo, hi, label in data["bands"]),
        flag_rules=tuple(data.get("flags", [])),
        default_every_days=data.get("default_every_days"),
    )


@lru_cache(maxsize=1)
def measure_definitions() -> dict[str, MeasureDefinition]:
    """Every shipped measure by code (PHQ-9, GAD-7, AUDIT, DAST-10, PCL-5, C-SSRS, BAM)."""
    defs = (_load(p) for p in sorted(resources.path("measures").glob("*.json")))
    return {d.code: d for d in defs}


def measure(code: str) -> MeasureDefinition:
    try:
        return measure_definitions()[code.upper()]
    except KeyError:
        known = ", ".join(measure_definitions())
        raise ValidationError(f"Measure: {code!r} is not one of {known}.", field="measure") from None


def _asked(item: MeasureItem, answers: dict[str, int]) -> bool:
    return all(answers.get(key) == value for key, value in item.asked_if)


def _clean_answers(definition: MeasureDefinition, answers: dict | list) -> dict[str, int]:
    if isinstance(answers, list | tuple):
        if len(answers) != len(definition.items):
            raise ValidationError(
                f"{definition.code}: expected {len(definition.items)} answers, got {len(answers)}.",
                field="answers",
            )
        answers = {item.key: value for item, value in zip(definition.items, answers, strict=True)}
    keys = {item.key for item in definition.items}
    unknown = sorted(set(answers) - keys)
    if unknown:
        raise ValidationError(f"{definition.code}: there is no item {unknown[0]!r}.", field="answers")
    cleaned: dict[str, int] = {}
    for item in definition.items:
        value = answers.get(item.key)
        if not _asked(item, cleaned):
            if value is not None:
                raise ValidationError(
                    f"{definition.code} item {item.number}: not asked unless "
                    + " and ".join(f"item {k[1:]} is {v}" for k, v in item.asked_if)
                    + "; leave it blank.",
                    field=f"answers.{item.key}",
                )
            continue
        if value is None or isinstance(value, bool):
            raise ValidationError(f"{definition.code} item {item.number}: an answer is required.",
                                  field=f"answers.{item.key}")
        try:
            code = int(value)
        except (TypeError, ValueError):
            code = None
        if code is None or code != value or code not in item.codes:
            allowed = ", ".join(str(c) for c in sorted(item.codes))
            raise ValidationError(
                f"{definition.code} item {item.number}: {value!r} is not an allowed answer ({allowed}).",
                field=f"answers.{item.key}",
            )
        cleaned[item.key] = code
    return cleaned


def _cssrs_risk(a: dict[str, int]) -> int:
    if a.get("q4") or a.get("q5") or (a.get("q6") and a.get("q6_recent")):
        return 3
    if a.get("q3") or a.get("q6"):
        return 2
    if a.get("q1") or a.get("q2"):
        return 1
    return 0


def _flag_applies(rule: dict, answers: dict[str, int], total: int) -> bool:
    when = rule["when"]
    if "item" in when:
        return answers.get(when["item"], 0) > when["above"]
    return total >= when["total_at_least"]


def score(code: str, answers: dict | list) -> MeasureScore:
    """Validate and score one administration.

    Raises ValidationError naming the item for a missing, out-of-range or not-to-be-asked answer.
    """
    definition = measure(code)
    cleaned = _clean_answers(definition, answers)
    subscales = {name: sum(cleaned[k] for k in keys) for name, keys in definition.subscales}
    if definition.method == "cssrs_risk":
        total = _cssrs_risk(cleaned)
    elif definition.method == "subscales_only":
        total = subscales[definition.total_subscale]
    else:
        total = sum(cleaned.values())
    flags = tuple(
        MeasureFlag(rule["kind"], rule["message"])
        for rule in definition.flag_rules
        if _flag_applies(rule, cleaned, total)
    )
    return MeasureScore(definition.code, cleaned, total, definition.band_for(total), subscales, flags)
