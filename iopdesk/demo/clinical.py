"""Clinical catalogues for demo data: diagnoses, substances, the drug-screen panel, medications,
and plausible answers to the measures the generator gives (PHQ-9, GAD-7, AUDIT, DAST-10).

Answers are the option codes of `resources/measures/` (a DAST-10 answer is the item's score, so
item 3 "No" is 1); `iopdesk.clinical.measures.score` turns them into totals, bands and flags. Nothing here
touches the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SUD_CODES = {
    "alcohol": ("F10.20", "Alcohol dependence, uncomplicated"),
    "opioid": ("F11.20", "Opioid dependence, uncomplicated"),
    "cannabis": ("F12.20", "Cannabis dependence, uncomplicated"),
    "cocaine": ("F14.20", "Cocaine dependence, uncomplicated"),
    "stimulant": ("F15.20", "Other stimulant dependence, uncomplicated"),
}
MILD_SUD_CODES = {
    "alcohol": ("F10.10", "Alcohol abuse, uncomplicated"),
    "cannabis": ("F12.10", "Cannabis abuse, uncomplicated"),
}
MH_CODES = (
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F32.1", "Major depressive disorder, single episode, moderate"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F43.23", "Adjustment disorder with mixed anxiety and depressed mood"),
)
SUBSTANCE_WEIGHTS = (("alcohol", 38), ("opioid", 27), ("stimulant", 13), ("cocaine", 10),
                     ("cannabis", 12))
SUBSTANCE_WORDS = {
    "alcohol": "alcohol", "opioid": "opioids", "cannabis": "cannabis", "cocaine": "cocaine",
    "stimulant": "methamphetamine",
}

PANEL = ("amphetamines", "benzodiazepines", "buprenorphine", "cocaine", "fentanyl", "methadone",
         "opiates", "thc", "alcohol_etg")
POSITIVE_ON_USE = {
    "alcohol": ("alcohol_etg",), "opioid": ("fentanyl", "opiates"), "cannabis": ("thc",),
    "cocaine": ("cocaine",), "stimulant": ("amphetamines",),
}


@dataclass(frozen=True)
class Drug:
    """One medication as the demo prescribes it: doses in titration order."""

    name: str
    route: str
    unit: str
    frequency: str
    doses: tuple[str, ...]
    reason: str
    is_mat: bool = False
    screens_as: str | None = None


BUPRENORPHINE = Drug("buprenorphine/naloxone", "sublingual", "mg", "once daily",
                     ("8", "12", "16"), "Opioid use disorder", True, "buprenorphine")
NALTREXONE_XR = Drug("naltrexone extended-release", "intramuscular", "mg", "every 4 weeks",
                     ("380",), "Opioid use disorder", True)
NALTREXONE = Drug("naltrexone", "oral", "mg", "once daily", ("50",), "Alcohol use disorder", True)
ACAMPROSATE = Drug("acamprosate", "oral", "mg", "three times daily", ("666",),
                   "Alcohol use disorder", True)
METHADONE = Drug("methadone", "oral", "mg", "once daily", ("60", "80", "100"),
                 "Opioid use disorder (outside opioid treatment program)", True, "methadone")
MH_DRUGS = (
    Drug("sertraline", "oral", "mg", "once daily", ("50", "100"), "Depression"),
    Drug("escitalopram", "oral", "mg", "once daily", ("10", "20"), "Depression and anxiety"),
    Drug("bupropion XL", "oral", "mg", "once daily", ("150", "300"), "Depression"),
    Drug("trazodone", "oral", "mg", "at bedtime", ("50",), "Insomnia"),
    Drug("hydroxyzine", "oral", "mg", "as needed for anxiety, up to three times daily", ("25",),
         "Anxiety"),
    Drug("prazosin", "oral", "mg", "at bedtime", ("1", "2"), "Trauma-related nightmares"),
)
OUTSIDE_OTP = "Eastside Opioid Treatment Program (outside provider)"


def pick_weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    total = sum(weight for _, weight in pairs)
    roll = rng.randrange(total)
    for value, weight in pairs:
        if roll < weight:
            return value
        roll -= weight
    return pairs[-1][0]


# -- measures -------------------------------------------------------------------------------

def _items(rng: random.Random, count: int, severity: float, top: int) -> list[int]:
    return [max(0, min(top, int(severity * (top + 0.8) + rng.uniform(-1.0, 0.9))))
            for _ in range(count)]


def answers_for(rng: random.Random, measure: str, severity: float, *,
                risky: bool = False) -> list[int]:
    """Plausible answer codes for a client whose symptom level is `severity` (0 none … 1 severe);
    `risky` answers PHQ-9 item 9 above zero."""
    if measure == "PHQ-9":
        items = _items(rng, 9, severity, 3)
        items[8] = (1 if rng.random() < 0.8 else 2) if risky else 0
        return items
    if measure == "GAD-7":
        return _items(rng, 7, severity, 3)
    if measure == "AUDIT":
        first = _items(rng, 8, severity, 4)
        return first + [rng.choice((0, 2, 4)) if severity > 0.5 else rng.choice((0, 0, 2))
                        for _ in range(2)]
    return [1 if rng.random() < severity else 0 for _ in range(10)]
