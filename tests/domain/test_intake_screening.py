"""Intake screening: six ASAM dimensions and red flags suggest a level of care; clients who need
more than IOP are referred, and the referral is on record."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AsamAssessment
from tests.conftest import ADMIN_PASSWORD

CALM = {"d1": 0, "d2": 1, "d3": 2, "d4": 2, "d5": 3, "d6": 2}


@pytest.fixture
def intake(staffed_clinic):
    """A registered (not yet admitted) client; the clinician is signed in."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Dontae", legal_last="Whitfield", dob="1985-09-30")
    return clinic, client


def test_client_needing_detox_must_have_a_referral(intake):
    """A client who needs detox is routed above IOP; without a recorded referral the screening is
    refused naming the field, and with one it is saved."""
    clinic, client = intake
    with pytest.raises(ValidationError) as err:
        clinic.intake.screen(client.id, assessed_on=clock.today(), detox_need=True, **CALM)
    assert err.value.field == "referral_to"
    assert "a client needing a higher level of care must have a recorded referral" in str(err.value)
    assert AsamAssessment.select().count() == 0
    view, changes = clinic.intake.screen(client.id, assessed_on=clock.today(), detox_need=True,
                                         referral_to="County withdrawal management unit", **CALM)
    assert view.routes_to_higher_level and view.recommended_level == "3.7"
    assert view.referral_to == "County withdrawal management unit" and changes.touches("screening")


@pytest.mark.parametrize("ratings, flags, level, higher", [
    ({"d1": 1, "d2": 0, "d3": 1, "d4": 1, "d5": 0, "d6": 1}, {}, "1", False),
    (CALM, {}, "2.1", False),
    ({"d1": 1, "d2": 3, "d3": 3, "d4": 2, "d5": 3, "d6": 2}, {}, "2.5", False),
    ({**CALM, "d1": 3}, {}, "3.7", True),
    (CALM, {"severe_withdrawal": True}, "4", True),
    (CALM, {"acute_suicide_risk": True}, "4", True),
])
def test_ratings_suggest_a_level_of_care(intake, ratings, flags, level, higher):
    """The documented rules: all low → 1; dimensions 3–6 at 2+ → IOP; several at 3+ → PHP;
    withdrawal risk or a red flag → a higher level with a referral."""
    clinic, client = intake
    referral = "Regional inpatient unit" if higher else ""
    view, _ = clinic.intake.screen(client.id, assessed_on=clock.today(), referral_to=referral,
                                   **ratings, **flags)
    assert (view.recommended_level, view.routes_to_higher_level) == (level, higher)
    assert view.reason and view.recommended_label.startswith(f"Level {level}")


@pytest.mark.parametrize("field, value", [("d3", 5), ("d1", -1), ("d6", "2"), ("d4", True)])
def test_a_rating_out_of_range_names_its_dimension(intake, field, value):
    """Each dimension is rated 0–4; anything else is refused naming that dimension."""
    clinic, client = intake
    with pytest.raises(ValidationError) as err:
        clinic.intake.screen(client.id, assessed_on=clock.today(), **{**CALM, field: value})
    assert err.value.field == field and str(err.value).startswith(f"Dimension {field[1]}")
    assert AsamAssessment.select().count() == 0


def test_the_latest_screening_is_the_newest_and_may_belong_to_an_episode(intake):
    """A rescreen at admission, tied to the new episode, becomes the latest; a future date or
    another client's episode is refused."""
    clinic, client = intake
    assert clinic.intake.latest(client.id) is None
    clinic.intake.screen(client.id, assessed_on=clock.today() - dt.timedelta(days=3), **CALM,
                         comments="Phone screen")
    episode, _ = clinic.episodes.admit(client.id, admitted_on=clock.today(), track_code="substance_use",
                                       primary_clinician="clinician")
    clinic.intake.screen(client.id, assessed_on=clock.today(), episode_id=episode.id, **{**CALM, "d5": 2})
    latest = clinic.intake.latest(client.id)
    assert (latest.episode_id, latest.assessed_on, latest.assessor) == (episode.id, clock.today(), "Cleo Clinician")
    assert [r.rating for r in latest.ratings] == [0, 1, 2, 2, 2, 2]
    with pytest.raises(ValidationError) as err:
        clinic.intake.screen(client.id, assessed_on=clock.today() + dt.timedelta(days=1), **CALM)
    assert err.value.field == "assessed_on"
    other, _ = clinic.clients.register(legal_first="Ana", legal_last="Other", dob="1990-01-01")
    with pytest.raises(ValidationError) as err:
        clinic.intake.screen(other.id, assessed_on=clock.today(), episode_id=episode.id, **CALM)
    assert err.value.field == "episode_id"
    assert AsamAssessment.select().count() == 2
