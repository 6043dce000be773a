"""Scoring every shipped measure: each band boundary, reverse-scored items, flags and refusals."""

from __future__ import annotations

import pytest

from iopdesk.clinical.measures import measure, score
from iopdesk.errors import ValidationError


def answers_totalling(code: str, total: int) -> list[int]:
    """Fill items from the first, each up to its highest option, until the sum is `total`."""
    result = []
    remaining = total
    for item in measure(code).items:
        pick = max((c for c in item.codes if c <= remaining), default=min(item.codes))
        result.append(pick)
        remaining -= pick
    assert remaining == 0, f"cannot reach {total} on {code}"
    return result


BOUNDARIES = {
    "PHQ-9": [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
              (14, "Moderate"), (15, "Moderately severe"), (19, "Moderately severe"),
              (20, "Severe"), (27, "Severe")],
    "GAD-7": [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
              (14, "Moderate"), (15, "Severe"), (21, "Severe")],
    "AUDIT": [(0, "Zone I"), (7, "Zone I"), (8, "Zone II"), (15, "Zone II"), (16, "Zone III"),
              (19, "Zone III"), (20, "Zone IV"), (40, "Zone IV")],
    "PCL-5": [(0, "Below provisional PTSD cut-off"), (32, "Below provisional PTSD cut-off"),
              (33, "Probable PTSD"), (80, "Probable PTSD")],
}


@pytest.mark.parametrize(
    "code, total, band", [(c, t, b) for c, pairs in BOUNDARIES.items() for t, b in pairs]
)
def test_summed_measure_band_boundaries(code, total, band):
    """Both sides of every band edge land in the band the instrument's manual gives."""
    result = score(code, answers_totalling(code, total))
    assert (result.total, result.band) == (total, band)


def dast_answers(yes_on: set[int], item_3: str) -> list[int]:
    """DAST-10 codes for 'yes' on the listed items (not 3) and the given answer to item 3."""
    item3_codes = {label: c for c, label in measure("DAST-10").items[2].options}
    return [item3_codes[item_3] if n == 3 else int(n in yes_on) for n in range(1, 11)]


@pytest.mark.parametrize(
    "yes_on, item_3, total, band",
    [
        (set(), "Yes", 0, "No problems reported"),
        (set(), "No", 1, "Low level"),
        ({1, 2}, "Yes", 2, "Low level"),
        ({1, 2, 4}, "Yes", 3, "Moderate level"),
        ({1, 2, 4, 5}, "No", 5, "Moderate level"),
        ({1, 2, 4, 5, 6, 7}, "Yes", 6, "Substantial level"),
        ({1, 2, 4, 5, 6, 7, 8}, "No", 8, "Substantial level"),
        ({1, 2, 4, 5, 6, 7, 8, 9, 10}, "Yes", 9, "Severe level"),
        ({1, 2, 4, 5, 6, 7, 8, 9, 10}, "No", 10, "Severe level"),
    ],
)
def test_dast10_bands_with_item_3_reverse_scored(yes_on, item_3, total, band):
    """DAST-10: each 'yes' scores 1 except item 3, where 'no' (cannot always stop) scores 1."""
    result = score("DAST-10", dast_answers(yes_on, item_3))
    assert (result.total, result.band) == (total, band)


def test_dast10_item_3_no_scores_one_and_yes_scores_zero():
    """Being always able to stop ('yes' on item 3) is the healthy answer and scores nothing."""
    item3 = measure("DAST-10").items[2]
    assert dict((label, c) for c, label in item3.options) == {"No": 1, "Yes": 0}
    assert score("DAST-10", [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).total == 1


def test_audit_items_9_and_10_score_0_2_or_4():
    """AUDIT's last two items have three answers worth 0, 2 and 4; 1 and 3 are refused."""
    for item in measure("AUDIT").items[8:]:
        assert item.codes == {0, 2, 4}
    base = [0] * 8
    assert score("AUDIT", base + [2, 4]).total == 6
    with pytest.raises(ValidationError) as err:
        score("AUDIT", base + [1, 0])
    assert err.value.field == "answers.q9" and "item 9" in str(err.value)


def test_phq9_item_9_above_zero_needs_same_day_follow_up():
    """Any endorsement of thoughts of death or self-harm flags safety, whatever the total."""
    quiet = score("PHQ-9", [0] * 8 + [1])
    assert quiet.band == "Minimal" and quiet.needs_safety_follow_up
    assert not score("PHQ-9", [3] * 8 + [0]).needs_safety_follow_up


def test_gad7_of_ten_calls_for_further_evaluation():
    """GAD-7 at 10 flags further evaluation; 9 does not."""
    assert [f.kind for f in score("GAD-7", answers_totalling("GAD-7", 10)).flags] == ["further_evaluation"]
    assert score("GAD-7", answers_totalling("GAD-7", 9)).flags == ()


def test_pcl5_cluster_subscales():
    """PCL-5 reports clusters B (1–5), C (6–7), D (8–14) and E (15–20)."""
    result = score("PCL-5", [1] * 5 + [2] * 2 + [3] * 7 + [4] * 6)
    assert result.subscales == {
        "Cluster B (intrusion)": 5, "Cluster C (avoidance)": 4,
        "Cluster D (negative cognitions and mood)": 21, "Cluster E (arousal and reactivity)": 24,
    }
    assert result.total == 54 and result.band == "Probable PTSD"


@pytest.mark.parametrize(
    "answers, band, safety",
    [
        ({"q1": 0, "q2": 0, "q6": 0}, "No risk identified", False),
        ({"q1": 1, "q2": 0, "q6": 0}, "Low risk", False),
        ({"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 0, "q6": 0}, "Low risk", False),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0}, "Moderate risk", False),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_recent": 0}, "Moderate risk", False),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 0, "q6": 0}, "High risk", True),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 1, "q6": 0}, "High risk", True),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_recent": 1}, "High risk", True),
    ],
)
def test_cssrs_screener_risk_levels(answers, band, safety):
    """C-SSRS: low for wish/thoughts only; moderate for method or past behaviour; high is a hard stop."""
    result = score("C-SSRS", answers)
    assert result.band == band and result.needs_safety_follow_up is safety


def test_cssrs_questions_3_to_5_only_after_a_yes_on_question_2():
    """Answering Q3 when Q2 was 'no' is refused, and Q3–5 are required after a 'yes'."""
    with pytest.raises(ValidationError) as err:
        score("C-SSRS", {"q1": 1, "q2": 0, "q3": 1, "q6": 0})
    assert err.value.field == "answers.q3"
    with pytest.raises(ValidationError) as err:
        score("C-SSRS", {"q1": 1, "q2": 1, "q6": 0})
    assert err.value.field == "answers.q3" and "required" in str(err.value)


def test_bam_subscales():
    """BAM: Use = 4+5+6, Risk = 1+2+3+8+11+15, Protective = 9+10+12+13+14+16."""
    answers = {f"q{i}": 1 for i in range(1, 18)}
    answers["q14"] = 4
    result = score("BAM", answers)
    assert result.subscales == {"Use": 3, "Risk factors": 6, "Protective factors": 9}
    assert result.total == 3


@pytest.mark.parametrize(
    "code, answers, field",
    [
        ("PHQ-9", [0, 0, 0, 0, 0, 0, 0, 0, 4], "answers.q9"),
        ("PHQ-9", [0, 0, -1, 0, 0, 0, 0, 0, 0], "answers.q3"),
        ("GAD-7", [0, 0, 0, 0, 0, 0, 1.5], "answers.q7"),
        ("GAD-7", {"q1": 0}, "answers.q2"),
        ("PHQ-9", [0] * 8, "answers"),
        ("AUDIT", {"q11": 0}, "answers"),
        ("NOPE", [], "measure"),
    ],
)
def test_an_answer_out_of_range_is_refused_with_the_item_named(code, answers, field):
    """Out-of-range, fractional, missing or unknown answers are refused, naming the item."""
    with pytest.raises(ValidationError) as err:
        score(code, answers)
    assert err.value.field == field


@pytest.mark.parametrize("use_days, total, band", [
    ((0, 0, 0), 0, "No use reported"), ((1, 0, 0), 1, "Use reported"), ((4, 4, 4), 12, "Use reported")])
def test_bam_use_score_band_edges(use_days, total, band):
    """BAM's headline score is the Use subscale (items 4–6): none at 0, use reported from 1 to 12."""
    answers = {f"q{i}": 0 for i in range(1, 18)}
    answers.update(q4=use_days[0], q5=use_days[1], q6=use_days[2])
    result = score("BAM", answers)
    assert (result.total, result.band) == (total, band)
