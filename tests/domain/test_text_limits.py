"""Text limits (iopdesk.kernel.text_limits): a note section, a whole note and every free-text field
hold far more than a clinic writes, and one character more is refused with a message naming the
field, the limit and the length typed; nothing is saved."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import ValidationError
from iopdesk.kernel import clock
from iopdesk.kernel.text_limits import NAME, NARRATIVE, NOTE_SECTION, NOTE_TOTAL, STATEMENT
from iopdesk.models import Alert, FamilyMember, Note, NoteAddendum
from iopdesk.services.groups.service import AttendanceEntry, ClientSection
from tests.domain.test_group_session import group_day
from tests.domain.test_plans import draft_plan

DAY = dt.timedelta(days=1)
DAP = {"data": "Client described cravings after a family visit.", "assessment": "Cravings are lower.",
       "plan": "Practise urge surfing."}


def words(length: int) -> str:
    """`length` characters of ordinary sentences, as a long paste would be."""
    text = ("Client described the week and the coping skills used. " * (length // 50 + 1))[:length]
    return text[:-1] + "." if text.endswith(" ") else text


def refused(call, field: str, limit: int, typed: int) -> ValidationError:
    """`call()` raises the limit's ValidationError naming `field`, the limit and the length typed."""
    with pytest.raises(ValidationError) as err:
        call()
    assert err.value.field == field
    assert f"at most {limit:,} characters" in str(err.value) and f"this has {typed:,}" in str(err.value)
    return err.value


def test_limits_are_far_above_real_text_and_ordered():
    """A name fits a line, a statement most of a page, a narrative four pages, a section eight."""
    assert NAME < STATEMENT < NARRATIVE < NOTE_SECTION < NOTE_TOTAL
    assert (NAME, STATEMENT, NARRATIVE, NOTE_SECTION, NOTE_TOTAL) == (200, 2_000, 10_000, 20_000, 50_000)


def test_a_note_section_holds_20000_characters_and_one_more_is_refused_unsaved(admitted_client):
    """Cleo pastes into Data: 20,000 characters save; 20,001 are refused naming the section and
    its length, and the draft keeps what was saved before; a new draft that long is never created."""
    clinic, client, _ = admitted_client
    day = clock.today() - DAY
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=day,
                                        sections={**DAP, "data": words(NOTE_SECTION)})
    assert len(clinic.notes.get(note.id).sections["data"]) == NOTE_SECTION
    error = refused(lambda: clinic.notes.save_draft(note.id, note.version, {**DAP, "data": words(NOTE_SECTION + 1)}),
                    "sections.data", NOTE_SECTION, NOTE_SECTION + 1)
    assert str(error).startswith("Data: ")
    assert clinic.notes.get(note.id).version == note.version
    before = Note.select().count()
    refused(lambda: clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=day,
                                              sections={**DAP, "plan": words(5_000_000)}),
            "sections.plan", NOTE_SECTION, 5_000_000)
    assert Note.select().count() == before


def test_a_whole_note_over_50000_characters_is_refused(admitted_client):
    """Three sections each under their limit but 57,000 characters together: refused as a whole."""
    clinic, client, _ = admitted_client
    sections = {key: words(19_000) for key in DAP}
    refused(lambda: clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                              service_date=clock.today() - DAY, sections=sections),
            "sections.all", NOTE_TOTAL, 57_000)


def test_an_addendum_and_participants_have_their_limits(admitted_client):
    """A signed note's addendum holds a section's worth; the participants line a statement's."""
    clinic, client, _ = admitted_client
    day = clock.today() - DAY
    refused(lambda: clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=day,
                                              sections=DAP, participants=words(STATEMENT + 1)),
            "participants", STATEMENT, STATEMENT + 1)
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=day,
                                        sections=DAP, starts_at="10:00", ends_at="10:50")
    note, _ = clinic.notes.sign(note.id, note.version)
    refused(lambda: clinic.notes.add_addendum(note.id, words(NOTE_SECTION + 10)), "text", NOTE_SECTION,
            NOTE_SECTION + 10)
    assert NoteAddendum.select().count() == 0


def test_plan_narratives_and_statements_have_their_limits(admitted_client):
    """Strengths hold four pages, a problem statement most of one; past that, refused unsaved."""
    clinic, _client, episode = admitted_client
    plan = draft_plan(clinic, episode)
    refused(lambda: clinic.plans.update_details(plan.id, expected_version=plan.version,
                                                strengths=words(NARRATIVE + 1)),
            "strengths", NARRATIVE, NARRATIVE + 1)
    refused(lambda: clinic.plans.add_problem(plan.id, expected_version=plan.version,
                                             statement=words(STATEMENT + 1)),
            "statement", STATEMENT, STATEMENT + 1)
    assert clinic.plans.get(plan.id).strengths != words(NARRATIVE + 1)


def test_family_comments_an_alert_and_aftercare_have_their_limits(admitted_client):
    """A family contact's comments, an alert and a discharge's aftercare plan, each one over."""
    clinic, client, episode = admitted_client
    refused(lambda: clinic.family.add_member(client.id, name="Ana Reyes", relationship="mother",
                                             comments=words(STATEMENT + 1)), "comments", STATEMENT, STATEMENT + 1)
    assert FamilyMember.select().count() == 0
    refused(lambda: clinic.alerts.raise_alert(client.id, message=words(STATEMENT + 1)), "message", STATEMENT,
            STATEMENT + 1)
    assert Alert.select().count() == 0
    refused(lambda: clinic.discharge.draft(episode.id, discharged_on=clock.today(), reason="completed",
                                           aftercare=words(NARRATIVE + 1)), "aftercare", NARRATIVE, NARRATIVE + 1)
    refused(lambda: clinic.clients.register(legal_first="Ben", legal_last="Okafor", dob="1990-01-01",
                                            preferred_name=words(NAME + 1)), "preferred_name", NAME, NAME + 1)


def test_a_group_sessions_shared_part_and_a_members_part_have_a_sections_limit(staffed_clinic):
    """The shared part holds a section's worth, a member's individualized part too; past that the
    save is refused naming the field, and the session keeps what it had (attendance included)."""
    clinic = staffed_clinic
    session, [(client, objectives)] = group_day(clinic, 1)
    refused(lambda: clinic.groups.save_shared_note(session.id, "Coping with cravings", "Process",
                                                   words(NOTE_SECTION + 1)),
            "shared_note", NOTE_SECTION, NOTE_SECTION + 1)
    assert clinic.groups.session(session.id).shared_note == ""
    refused(lambda: clinic.groups.save_session(
        session.id, attendance=[AttendanceEntry(client.id, "present")],
        sections=[ClientSection(client.id, {"participation": words(NOTE_SECTION + 1)}, tuple(objectives))]),
        "sections.participation", NOTE_SECTION, NOTE_SECTION + 1)
    assert Note.select().count() == 0
