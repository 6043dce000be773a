"""Setting up a clinic's billing story for the billing tests: payers, staff NPIs, a client with a
payer and member id, group days with attendance and signed group notes, individual and family
notes, authorizations. Everything clinical goes through the services; payers, NPIs and
authorizations (which no service writes yet) are written directly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import iopdesk
from iopdesk.kernel import clock
from iopdesk.kernel.validation import make_npi
from iopdesk.models import Authorization, ClinicSetting, Payer, Staff
from iopdesk.services.groups.service import AttendanceEntry, ClientSection
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_group_session import SHARED, sections_for

DAY = clock.today() - dt.timedelta(days=2)
DAP = {"data": "Client described cravings after a family visit.",
       "assessment": "Cravings are lower than at admission; coping plan used twice.",
       "plan": "Practise urge surfing; review trigger log next session."}
PAYERS = (("MCR", "Medicare Part B (test)", "medicare"), ("MCD", "Cascadia Health Plan (test)", "medicaid"),
          ("BHH", "Blue Heron Health (test)", "commercial"), ("SELF", "Self-pay", "self_pay"))
NPIS = {"supervisor": make_npi("123456780"), "clinician": make_npi("123456781"),
        "intern": make_npi("123456782"), "prescriber": make_npi("123456783")}


def npi_of(username: str) -> str:
    return NPIS[username]


def setup_payers_and_npis() -> None:
    for code, name, kind in PAYERS:
        Payer.create(code=code, name=name, kind=kind)
    for username, npi in NPIS.items():
        Staff.update(npi=npi).where(Staff.username == username).execute()


def override_rules(value: dict) -> None:
    """An administrator's clinic override of the billing rules."""
    ClinicSetting.create(key="billing_rules", value=value)


def admit_client(clinic, first="Marisol", last="Quintana-Reyes", *, payer="MCR", member_id="1EG4TE5MK72",
                 track="substance_use", level="2.1", primary=True):
    """Register and admit a client (the clinician signs in); returns (client, episode)."""
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first=first, legal_last=last, dob="1991-04-12", sex="F",
                                        payer_code=payer, member_id=member_id)
    episode, _ = clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=20),
                                       track_code=track, level=level, primary_clinician="clinician")
    if primary:
        clinic.episodes.add_diagnosis(episode.id, code="F11.20", description="Opioid dependence, uncomplicated",
                                      primary=True, noted_on=episode.admitted_on)
        clinic.episodes.add_diagnosis(episode.id, code="F41.1", description="Generalized anxiety disorder",
                                      primary=False, noted_on=episode.admitted_on)
    return client, episode


def define_group(clinic, name="Morning IOP", *, minutes=180, code="90853", facilitators=("clinician", "intern")):
    """The supervisor defines a daily group; returns its view."""
    clinic.login("supervisor", ADMIN_PASSWORD)
    group, _ = clinic.groups.define_group(name, "process", default_minutes=minutes, billing_code=code,
                                          facilitators=list(facilitators),
                                          schedule=[(day, "09:00" if minutes >= 180 else "13:00") for day in range(7)])
    return group


def attend_group(clinic, group, clients, *, day=DAY, arrived=None, left=None, author="clinician", sign=True,
                 enroll=True):
    """`author` runs the group's session on `day`: the clients (enrolled first unless
    enroll=False) attend (from `arrived`, until `left`), each gets a complete group note, signed
    unless sign=False. Returns the session id."""
    clinic.login("supervisor", ADMIN_PASSWORD)
    session = clinic.groups.generate_sessions(group.id, day, day)[0][0]
    clinic.login(author, ADMIN_PASSWORD)
    status = "late_arrival" if arrived else "left_early" if left else "present"
    for client, episode in clients if enroll else ():
        clinic.groups.enroll(group.id, client.id, episode.admitted_on)
    clinic.groups.save_session(
        session.id, topic="Coping with cravings", modality="Psychoeducation", shared_note=SHARED,
        attendance=[AttendanceEntry(c.id, status, arrived, left) for c, _ in clients],
        sections=[ClientSection(c.id, sections_for(i)) for i, (c, _) in enumerate(clients)])
    if sign:
        clinic.groups.sign_all(session.id)
    return session.id


def write_note(clinic, client, *, author="clinician", kind="individual", day=DAY, minutes=45, start="10:00",
               sign=True, **extra):
    """`author` writes (and signs unless sign=False) a note; returns its view."""
    clinic.login(author, ADMIN_PASSWORD)
    note, _ = clinic.notes.create_draft(client.id, kind=kind, note_format="DAP", service_date=day,
                                        starts_at=start, minutes=minutes, sections=DAP, **extra)
    if sign:
        note = clinic.notes.sign(note.id, note.version)[0]
    return note


def cosign(clinic, note):
    clinic.login("supervisor", ADMIN_PASSWORD)
    return clinic.notes.cosign(note.id, note.version)[0]


def authorize(client, payer_code, *, number="AUTH-1001", code="H0015", starts=None, ends=None, units=20):
    payer = Payer.get(Payer.code == payer_code)
    Authorization.create(client=client.id, payer=payer, number=number, service_code=code,
                         starts_on=starts or clock.today() - dt.timedelta(days=20),
                         ends_on=ends or clock.today() + dt.timedelta(days=20), units_authorized=units)


def bill(clinic, start=DAY, end=DAY, **filters):
    """The biller runs billing for the range."""
    clinic.login("biller", ADMIN_PASSWORD)
    return clinic.billing.run(start, end, **filters)


def add_billing_day(path: Path) -> Path:
    """Fill the closed clinic file at `path` so Marisol (Medicare) attended a signed three-hour group
    on DAY and Ben (Medicaid) has an unsigned individual note (a hold)."""
    with iopdesk.open_clinic(str(path)) as clinic:
        setup_payers_and_npis()
        marisol = admit_client(clinic)
        ben = admit_client(clinic, "Ben", "Okafor", payer="MCD", member_id="MCD-778812")
        attend_group(clinic, define_group(clinic), [marisol])
        write_note(clinic, ben[0], sign=False)
    return path
