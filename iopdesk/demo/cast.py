"""The demo clinic's fixed cast: its two sites, its payers and its staff accounts.

The main site keeps the id `open_clinic` gave it and is renamed; a satellite site is added. Every
demo account signs in with `DEMO_PASSWORD`, hashed once and shared (Argon2 salts are random, so
`staff.password_hash` is the one staff column that differs between two runs with the same seed).
Usernames are predictable: admin, clinician (plus clinician2 …), supervisor, prescriber, biller,
intern.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from iopdesk.demo import names
from iopdesk.demo.writer import BulkWriter
from iopdesk.kernel.validation import make_npi
from iopdesk.models import ClinicSetting, Payer, Site, Staff, StaffRole

DEMO_PASSWORD = "demo-pass-2026"
CLINIC_NAME = "Harbor Light Recovery (demo)"
FORMATS = ("SOAP", "DAP", "BIRP", "GIRP")
CREDENTIALS = ("LPC", "LCSW", "LMFT", "CADC", "LCSW, CADC", "LPC, LCADC", "LMFT, CADC")

PAYERS = (
    ("MCD", "Cascadia Health Plan (state Medicaid, demo)", "medicaid"),
    ("MCR", "Medicare Part B (demo)", "medicare"),
    ("BHH", "Blue Heron Health (demo)", "commercial"),
    ("SMH", "Summit Mutual Health (demo)", "commercial"),
    ("SELF", "Self-pay", "self_pay"),
)
PAYER_WEIGHTS = (("MCD", 46), ("MCR", 9), ("BHH", 20), ("SMH", 15), ("SELF", 10))


@dataclass(frozen=True)
class DemoSite:
    id: str
    code: str
    name: str
    place_of_service: str


@dataclass(frozen=True)
class Member:
    """A staff member as the generator needs them."""

    id: str
    username: str
    display_name: str
    site: int
    note_format: str
    needs_cosign: bool = False


@dataclass
class Cast:
    sites: list[DemoSite]
    payers: dict[str, str]
    admin: Member
    supervisor: Member
    intern: Member
    biller: Member
    prescribers: list[Member]
    clinicians: list[list[Member]] = field(default_factory=list)

    def facilitators(self, site: int) -> list[Member]:
        """Who can run groups and carry a caseload at a site (the intern at the main site)."""
        extra = [self.supervisor, self.intern] if site == 0 else []
        return self.clinicians[site] + extra


def _npi(rng: random.Random) -> str:
    return make_npi("1" + "".join(str(rng.randrange(10)) for _ in range(8)))


def write_sites(
    writer: BulkWriter, rng: random.Random, main_id: str, founded: dt.datetime
) -> list[DemoSite]:
    """Rename the main site (keeping its id) and add the satellite."""
    Site.update(
        name="Harbor Light Recovery — Riverside", address="1420 Alder Street, Riverside",
        phone=names.phone(rng), facility_npi=_npi(rng), place_of_service="57",
        created_at=founded, updated_at=founded, origin_site=main_id, version=Site.version + 1,
    ).where(Site.id == main_id).execute()
    ClinicSetting.update(
        value=CLINIC_NAME, created_at=founded, updated_at=founded, version=ClinicSetting.version + 1
    ).where(ClinicSetting.key == "clinic_name").execute()
    table = writer.table(Site, "name", "code", "address", "phone", "facility_npi",
                         "place_of_service", "is_main")
    east = writer.add(table, founded + dt.timedelta(days=1), "Harbor Light Recovery — Eastgate",
                      "EAST", "88 Northgate Avenue, Eastgate", names.phone(rng), _npi(rng), "57",
                      False)
    return [DemoSite(main_id, "MAIN", "Riverside", "57"), DemoSite(east, "EAST", "Eastgate", "57")]


def write_payers(writer: BulkWriter, founded: dt.datetime) -> dict[str, str]:
    table = writer.table(Payer, "name", "code", "kind", "active")
    return {code: writer.add(table, founded, name, code, kind, True) for code, name, kind in PAYERS}


class _StaffWriter:
    def __init__(self, writer: BulkWriter, rng: random.Random, password_hash: str,
                 when: dt.datetime, sites: list[DemoSite]) -> None:
        self.writer, self.rng, self.hash = writer, rng, password_hash
        self.when, self.sites = when, sites
        self.staff = writer.table(
            Staff, "username", "display_name", "credentials", "npi", "license_number",
            "is_licensed", "needs_cosign", "supervisor", "site", "password_hash")
        self.roles = writer.table(StaffRole, "staff", "role")

    def add(self, username: str, roles: tuple[str, ...], site: int, credentials: str = "", *,
            npi: bool = True, supervisor: Member | None = None) -> Member:
        rng = self.rng
        who = names.person(rng)
        licensed = supervisor is None and credentials != ""
        license_number = ""
        if licensed:
            license_number = f"{credentials.split(',')[0]}-{rng.randrange(10000, 99999)}"
        self.when += dt.timedelta(minutes=7)
        staff_id = self.writer.add(
            self.staff, self.when, username, who.full, credentials, _npi(rng) if npi else None,
            license_number, supervisor is None, supervisor is not None,
            supervisor.id if supervisor else None, self.sites[site].id, self.hash)
        for role in roles:
            self.writer.add(self.roles, self.when, staff_id, role)
        return Member(staff_id, username, who.full, site, rng.choice(FORMATS),
                      supervisor is not None)


def write_staff(writer: BulkWriter, rng: random.Random, password_hash: str, founded: dt.datetime,
                sites: list[DemoSite], clinician_count: int) -> Cast:
    """Accounts for every role; `clinician_count` clinicians split about 70/30 between sites."""
    out = _StaffWriter(writer, rng, password_hash, founded, sites)
    admin = out.add("admin", ("admin",), 0, npi=False)
    supervisor = out.add("supervisor", ("clinician", "supervisor"), 0, "LCSW, LCADC")
    prescribers = [out.add("prescriber", ("prescriber",), 0, rng.choice(("MD", "PMHNP-BC")))]
    biller = out.add("biller", ("biller",), 0, npi=False)
    intern = out.add("intern", ("clinician",), 0, "MSW intern", npi=False, supervisor=supervisor)
    satellite = max(1, round(clinician_count * 0.3))
    clinicians: list[list[Member]] = [[], []]
    for number in range(1, clinician_count + 1):
        site = 1 if number > clinician_count - satellite else 0
        username = "clinician" if number == 1 else f"clinician{number}"
        credentials = CREDENTIALS[number % len(CREDENTIALS)]
        clinicians[site].append(out.add(username, ("clinician",), site, credentials))
    prescribers.append(out.add("prescriber2", ("prescriber",), 1, rng.choice(("MD", "PMHNP-BC"))))
    return Cast(sites, {}, admin, supervisor, intern, biller, prescribers, clinicians)
