"""Registering and admitting a client: duplicates, episodes, diagnoses, level-of-care changes."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import PossibleDuplicate, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import Client, Diagnosis, Episode, LevelOfCareChange
from tests.conftest import ADMIN_PASSWORD


def test_same_name_and_birthday_is_flagged_as_a_possible_duplicate(staffed_clinic):
    """Registering 'marisol QUINTANA' again with the same DOB asks first; confirming registers."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    first, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana", dob="1991-04-12")
    with pytest.raises(PossibleDuplicate) as err:
        clinic.clients.register(legal_first="marisol", legal_last="QUINTANA", dob="1991-04-12")
    assert err.value.matches == [first.mrn] and first.mrn in str(err.value)
    assert Client.select().count() == 1
    second, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana", dob="1991-04-12",
                                        allow_duplicate=True)
    assert second.mrn != first.mrn


def test_an_mrn_in_use_is_refused(staffed_clinic):
    """An imported client cannot take an MRN that already belongs to someone."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    clinic.clients.register(legal_first="A", legal_last="One", dob="1980-01-01", mrn="MAIN-000777")
    with pytest.raises(ValidationError) as err:
        clinic.clients.register(legal_first="B", legal_last="Two", dob="1981-01-01", mrn="main-000777")
    assert err.value.field == "mrn"


def test_mrns_carry_the_site_code_and_count_up(staffed_clinic):
    """MRNs are the site code and a six-digit number, so sites never collide."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    mrns = [clinic.clients.register(legal_first="C", legal_last=f"Client{i}", dob="1990-01-01")[0].mrn
            for i in range(3)]
    assert mrns == ["MAIN-000001", "MAIN-000002", "MAIN-000003"]


def test_future_date_of_birth_is_refused(staffed_clinic):
    """A DOB in the future is refused naming the field; nothing is saved."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as err:
        clinic.clients.register(legal_first="Fut", legal_last="Ure",
                                dob=clock.today() + dt.timedelta(days=1))
    assert err.value.field == "dob" and "future" in str(err.value)
    assert Client.select().count() == 0


def test_admission_records_the_episode_and_its_starting_level(admitted_client):
    """Admission opens an episode at 2.1 Mon–Fri and records the level as the first history entry."""
    clinic, client, episode = admitted_client
    assert clinic.episodes.current(client.id).id == episode.id
    assert episode.schedule_days == ("MON", "TUE", "WED", "THU", "FRI")
    history = clinic.episodes.level_history(episode.id)
    assert [(h[1], h[2], h[3]) for h in history] == [(None, "2.1", 5)]
    assert clinic.clients.summary(client.id).episode_status == "active"


def test_a_second_open_episode_is_refused(admitted_client):
    """A client in treatment cannot be admitted again until discharged."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError, match="already has an open episode"):
        clinic.episodes.admit(client.id, admitted_on=clock.today(), track_code="substance_use",
                              primary_clinician="clinician")
    assert Episode.select().count() == 1


def test_stepping_down_from_five_to_three_days_is_a_dated_event(admitted_client):
    """Stepping down keeps the history: 5 days at admission, 3 days from today."""
    clinic, _, episode = admitted_client
    stepped, changes = clinic.episodes.change_level(
        episode.id, effective_on=clock.today(), level="2.1", days_per_week=3,
        schedule_days=["MON", "WED", "FRI"], reason="Stable attendance, negative screens",
        expected_version=episode.version,
    )
    assert stepped.days_per_week == 3 and stepped.schedule_days == ("MON", "WED", "FRI")
    assert changes.touches("episode")
    history = clinic.episodes.level_history(episode.id)
    assert [(h[0], h[3]) for h in history] == [(episode.admitted_on, 5), (clock.today(), 3)]


def test_a_level_change_before_admission_is_refused(admitted_client):
    """The effective date cannot precede admission; nothing changes."""
    clinic, _, episode = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.episodes.change_level(
            episode.id, effective_on=episode.admitted_on - dt.timedelta(days=1), level="1",
            days_per_week=1, schedule_days=["MON"], reason="x", expected_version=episode.version,
        )
    assert err.value.field == "effective_on"
    assert LevelOfCareChange.select().count() == 1
    assert clinic.episodes.get(episode.id).days_per_week == 5


def test_schedule_must_match_days_per_week(admitted_client):
    """Three days a week needs three weekdays."""
    clinic, _, episode = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.episodes.change_level(episode.id, effective_on=clock.today(), level="2.1", days_per_week=3,
                                     schedule_days=["MON", "WED"], reason="step down",
                                     expected_version=episode.version)
    assert err.value.field == "schedule_days"


def test_a_second_primary_diagnosis_is_refused(admitted_client):
    """One active primary diagnosis per episode; a second is refused and nothing is added."""
    clinic, _, episode = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.episodes.add_diagnosis(episode.id, code="F32.1", primary=True)
    assert err.value.field == "is_primary"
    assert Diagnosis.select().count() == 1
    secondary, _ = clinic.episodes.add_diagnosis(episode.id, code="F32.1", description="MDD, moderate")
    assert not secondary.is_primary
    assert [d.code for d in clinic.episodes.diagnoses(episode.id)] == ["F11.20", "F32.1"]


@pytest.mark.parametrize("code", ["11.20", "F1", "FF1.2", "F11.20000", "F11-20", ""])
def test_an_icd10_code_of_the_wrong_shape_is_refused(admitted_client, code):
    """Codes that are not ICD-10-CM shaped are refused with the field named."""
    clinic, _, episode = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.episodes.add_diagnosis(episode.id, code=code)
    assert err.value.field == "code"


@pytest.mark.parametrize("given, stored", [("f10.20", "F10.20"), ("F1020", "F10.20"), ("Z71.41", "Z71.41"),
                                           ("F43.10", "F43.10"), ("T40.2X1A", "T40.2X1A")])
def test_icd10_codes_are_normalised(admitted_client, given, stored):
    """Lower case and a missing dot are fixed; extensions with placeholders are accepted."""
    clinic, _, episode = admitted_client
    view, _ = clinic.episodes.add_diagnosis(episode.id, code=given)
    assert view.code == stored
