"""Family work: family members as contacts with their consent, family sessions and their notes."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import FamilyMember, FamilySession, FamilySessionParticipant, Note
from tests.conftest import ADMIN_PASSWORD

TODAY = clock.today()


def consent_for(clinic, client, recipient, **overrides):
    fields = dict(discloser="Riverside IOP", information="Attendance and progress", recipient=recipient,
                  purpose="Family involvement in treatment", revocation_acknowledged=True,
                  signed_by="Marisol Quintana-Reyes", signed_on=TODAY - dt.timedelta(days=3),
                  expires_on=TODAY + dt.timedelta(days=180))
    fields.update(overrides)
    return clinic.consents.record(client.id, **fields)[0]


@pytest.fixture
def family(admitted_client):
    """Marisol's mother Ana (covered by a release) and her brother Luis (no release)."""
    clinic, client, episode = admitted_client
    consent = consent_for(clinic, client, "Ana Reyes (mother)")
    ana, _ = clinic.family.add_member(client.id, name="Ana Reyes", relationship="mother", phone="555-0101",
                                      consent_id=consent.id)
    luis, _ = clinic.family.add_member(client.id, name="Luis Quintana", relationship="brother")
    return clinic, client, ana, luis


def test_family_members_are_contacts_showing_whether_a_consent_covers_them(family):
    """Ana's release covers her; Luis has none."""
    clinic, client, ana, luis = family
    contacts = {c.name: c for c in clinic.family.contacts(client.id)}
    assert contacts["Ana Reyes"].consent_covers and contacts["Ana Reyes"].phone == "555-0101"
    assert not contacts["Luis Quintana"].consent_covers and contacts["Luis Quintana"].consent_id is None


def test_a_revoked_consent_stops_covering_the_family_member(family):
    """When Marisol revokes her mother's release, the contact list says so."""
    clinic, client, ana, _ = family
    clinic.consents.revoke(ana.consent_id, TODAY)
    [ana_now] = [c for c in clinic.family.contacts(client.id) if c.id == ana.id]
    assert ana_now.consent_id == ana.consent_id and not ana_now.consent_covers


def test_a_consent_of_another_client_cannot_cover_a_family_member(family):
    """Linking a release signed by a different client is refused naming the consent."""
    clinic, client, _, luis = family
    other, _ = clinic.clients.register(legal_first="Dev", legal_last="Other", dob="1988-02-02")
    theirs = consent_for(clinic, other, "Luis Quintana", signed_by="Dev Other")
    with pytest.raises(ValidationError) as err:
        clinic.family.link_consent(luis.id, theirs.id, expected_version=luis.version)
    assert err.value.field == "consent_id"
    mine = consent_for(clinic, client, "Luis Quintana (brother)")
    linked, _ = clinic.family.link_consent(luis.id, mine.id, expected_version=luis.version)
    assert linked.consent_covers and linked.version == luis.version + 1


def test_family_session_with_the_client_starts_a_family_note(family):
    """A 50-minute session with Marisol and her mother creates the session and a draft family note."""
    clinic, client, ana, _ = family
    session, changes = clinic.family.record_session(
        client.id, kind="with_client", session_date=TODAY, starts_at="15:00", ends_at="15:50",
        participants=[ana.id],
    )
    assert changes.touches("family", "note")
    assert (session.minutes, session.participants, session.clinician) == (50, ("Ana Reyes",), "Cleo Clinician")
    note = Note.get_by_id(session.note_id)
    assert (note.kind, str(note.family_session_id), note.minutes) == ("family", session.id, 50)
    assert note.participants == "client, Ana Reyes" and note.status == "draft"
    assert [s.id for s in clinic.family.sessions(client.id)] == [session.id]


def test_family_session_without_client_needs_a_family_participant(family):
    """Without the client, someone from the family must be there; nothing is saved otherwise."""
    clinic, client, _, luis = family
    with pytest.raises(ValidationError) as err:
        clinic.family.record_session(client.id, kind="without_client", session_date=TODAY,
                                     starts_at="10:00", ends_at="10:50")
    assert err.value.field == "participants"
    assert FamilySession.select().count() == 0 and Note.select().count() == 0
    session, _ = clinic.family.record_session(client.id, kind="without_client", session_date=TODAY,
                                              starts_at="10:00", ends_at="10:50", participants=[luis.id])
    assert session.kind == "without_client" and session.participants == ("Luis Quintana",)


def test_a_participant_must_be_family_of_that_client(family):
    """Another client's relative cannot be a participant in Marisol's session."""
    clinic, client, ana, _ = family
    other, _ = clinic.clients.register(legal_first="Dev", legal_last="Other", dob="1988-02-02")
    stranger, _ = clinic.family.add_member(other.id, name="Kim Other", relationship="spouse")
    with pytest.raises(ValidationError) as err:
        clinic.family.record_session(client.id, kind="multi_family", session_date=TODAY, starts_at="18:00",
                                     ends_at="19:30", participants=[ana.id, stranger.id])
    assert err.value.field == "participants"
    assert FamilySessionParticipant.select().count() == 0


@pytest.mark.parametrize("changes, field", [
    ({"ends_at": "14:59"}, "ends_at"), ({"ends_at": "15:00"}, "ends_at"), ({"kind": "couples"}, "kind"),
    ({"session_date": TODAY + dt.timedelta(days=1)}, "session_date"), ({"starts_at": "3pm"}, "starts_at"),
    ({"clinician": "biller"}, "clinician"),
])
def test_bad_session_details_are_refused_naming_the_field(family, changes, field):
    """End before start, an unknown kind, a future date, a time that is not a time, a non-clinician."""
    clinic, client, ana, _ = family
    fields = dict(kind="with_client", session_date=TODAY, starts_at="15:00", ends_at="15:50",
                  participants=[ana.id])
    fields.update(changes)
    with pytest.raises(ValidationError) as err:
        clinic.family.record_session(client.id, **fields)
    assert err.value.field == field
    assert FamilySession.select().count() == 0


def test_the_prescriber_cannot_record_family_work_but_a_biller_may_read_contacts(family):
    """Family sessions need family.write; reading contacts needs only chart access."""
    clinic, client, ana, _ = family
    clinic.login("prescriber", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.family.add_member(client.id, name="X", relationship="cousin")
    clinic.login("biller", ADMIN_PASSWORD)
    assert len(clinic.family.contacts(client.id)) == 2
    assert FamilyMember.select().count() == 2
