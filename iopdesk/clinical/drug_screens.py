"""Drug screen panels as data: substances, specimens, and which prescriptions explain a positive.

Loaded from `resources/drug_screen_panels.json`, which an administrator may edit with the lab.
A positive is expected when a prescription the client takes (or stopped at most
`recent_stop_days` before collection) has a drug word listed for that substance; naltrexone and
other antagonists explain nothing. Results are refused naming the substance when it is not on
the panel or the answer is not positive/negative.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.errors import ValidationError


@dataclass(frozen=True)
class DrugScreenPanel:
    specimens: tuple[str, ...]
    substances: dict[str, str]
    rules: tuple[tuple[frozenset[str], tuple[str, ...]], ...]
    recent_stop_days: int

    def explained_by(self, drug_names: list[str]) -> set[str]:
        """Substances whose positive these prescribed drugs explain (drug names matched by word)."""
        explained: set[str] = set()
        for name in drug_names:
            words = set(re.split(r"[^a-z0-9]+", name.lower()))
            for drugs, substances in self.rules:
                if words & drugs:
                    explained.update(substances)
        return explained

    def specimen(self, value: str) -> str:
        """The specimen in the panel's spelling; ValidationError naming the field otherwise."""
        key = (value or "").strip().lower()
        if key not in self.specimens:
            raise ValidationError(f"Specimen: {value!r} is not one of {', '.join(self.specimens)}.",
                                  field="specimen")
        return key

    def clean_results(self, results: dict) -> dict[str, bool]:
        """Substance → positive, checked against the panel; refuses naming the substance."""
        if not results:
            raise ValidationError("Results: enter at least one substance.", field="results")
        cleaned: dict[str, bool] = {}
        for substance, positive in results.items():
            key = str(substance).strip().lower()
            if key not in self.substances:
                raise ValidationError(f"Results: {substance!r} is not a substance on the panel.",
                                      field="results")
            if not isinstance(positive, bool):
                raise ValidationError(f"Results: {key} must be positive (True) or negative (False).",
                                      field="results")
            cleaned[key] = positive
        return dict(sorted(cleaned.items()))


@lru_cache(maxsize=1)
def drug_screen_panel() -> DrugScreenPanel:
    """The shipped panel. Raises ValueError if a rule explains a substance not on the panel."""
    data = json.loads(resources.path("drug_screen_panels.json").read_text(encoding="utf-8"))
    substances = dict(data["substances"])
    rules = tuple(
        (frozenset(d.lower() for d in rule["drugs"]), tuple(rule["explains"]))
        for rule in data["explained_by"]
    )
    unknown = {s for _, explains in rules for s in explains} - set(substances)
    if unknown:
        raise ValueError(f"drug_screen_panels.json explains unknown substances: {sorted(unknown)}")
    return DrugScreenPanel(tuple(data["specimens"]), substances, rules,
                           int(data.get("recent_stop_days", 0)))
