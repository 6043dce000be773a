"""Intake and admission rows of a demo episode: the client, ASAM assessment, episode, level-of-care
changes, diagnoses, Part 2 consents, family contacts, payer authorizations and group enrolments.

`Intake` writes what exists from the day a client registers; `admit` adds the episode itself and
places the client in the least-full section of their shift's IOP group (and an add-on group).
Everything dated after `as_of` is left out: the record shows what has happened by then.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from iopdesk.demo import clinical, names
from iopdesk.demo.cast import CLINIC_NAME, PAYERS, Cast, Member
from iopdesk.demo.groups import DAY_CODES, DemoGroup, GroupTemplate
from iopdesk.demo.roster import ClientPlan, EpisodePlan, ascii_name
from iopdesk.demo.writer import BulkWriter
from iopdesk.models import (
    AsamAssessment,
    Authorization,
    Client,
    Consent,
    Diagnosis,
    Episode,
    FamilyMember,
    GroupEnrollment,
    LevelOfCareChange,
)

PAYER_NAMES = {code: name for code, name, _kind in PAYERS}
RELATIONS = ("mother", "father", "spouse", "partner", "sister", "brother", "adult child", "aunt",
             "grandmother", "friend")
PCP = ("Riverside Family Medicine (demo)", "Eastgate Community Health Center (demo)",
       "Alder Street Primary Care (demo)")
STEP_REASONS = {
    "3": "Stable attendance and negative screens; stepping down to three days a week.",
    "1": "Treatment goals largely met; stepping down to outpatient level 1 before discharge.",
}


class Intake:
    """Writes the intake and admission rows of episodes, one client at a time."""

    def __init__(self, writer: BulkWriter, cast: Cast, groups: list[DemoGroup],
                 as_of: dt.date) -> None:
        self.writer, self.cast, self.groups, self.as_of = writer, cast, groups, as_of
        self.caseload: dict[str, int] = {}
        w = writer
        self.clients = w.table(
            Client, "mrn", "legal_first", "legal_last", "preferred_name", "dob", "sex",
            "gender_identity", "pronouns", "phone", "email", "address", "emergency_name",
            "emergency_phone", "emergency_relationship", "payer", "member_id", "site")
        self.asam = w.table(
            AsamAssessment, "client", "episode", "assessed_on", "assessor", "d1_withdrawal",
            "d2_biomedical", "d3_emotional", "d4_readiness", "d5_relapse", "d6_environment",
            "recommended_level", "detox_need", "acute_suicide_risk", "severe_withdrawal",
            "referral_to", "comments")
        self.episodes = w.table(
            Episode, "client", "admitted_on", "track", "level_of_care", "days_per_week",
            "schedule_days", "primary_clinician", "status", "expected_weeks", "discharged_on")
        self.changes = w.table(
            LevelOfCareChange, "episode", "effective_on", "from_level", "to_level",
            "from_days_per_week", "to_days_per_week", "reason", "decided_by")
        self.dx = w.table(Diagnosis, "episode", "code", "description", "is_primary", "noted_on",
                          "resolved_on", "at_admission")
        self.consents = w.table(
            Consent, "client", "discloser", "recipient", "information", "purpose", "signed_on",
            "signed_by", "expires_on", "expiration_event", "revoked_on", "recorded_by")
        self.family = w.table(FamilyMember, "client", "name", "relationship", "phone", "consent",
                              "comments")
        self.auths = w.table(Authorization, "client", "payer", "number", "service_code",
                             "starts_on", "ends_on", "units_authorized")
        self.enrolments = w.table(GroupEnrollment, "group", "client", "episode", "enrolled_on",
                                  "ended_on")

    # -- people -----------------------------------------------------------------------------
    def pick_clinician(self, site: int) -> Member:
        """The site's facilitator with the lightest caseload (intern and supervisor carry less)."""
        def load(member: Member) -> int:
            extra = 6 if member.needs_cosign else 4 if member.id == self.cast.supervisor.id else 0
            return self.caseload.get(member.id, 0) + extra
        chosen = min(self.cast.facilitators(site), key=load)
        self.caseload[chosen.id] = self.caseload.get(chosen.id, 0) + 1
        return chosen

    def release(self, episode: EpisodePlan) -> None:
        """At discharge: off the clinician's caseload and out of the groups."""
        self.caseload[episode.clinician.id] -= 1
        for group in episode.groups:
            group.members.remove(episode)

    def write_client(self, rng: random.Random, client: ClientPlan) -> None:
        when = dt.datetime.combine(client.registered_on, dt.time(9, rng.randrange(60)))
        who = client.who
        contact = names.person(rng, last=who.last if rng.random() < 0.5 else None)
        email = ""
        if rng.random() < 0.45:
            email = f"{ascii_name(who.first)}.{ascii_name(who.last)}{rng.randrange(100)}@example.org"
        client.id = self.writer.add(
            self.clients, when, client.mrn, who.first, who.last,
            names.preferred_name(rng, who.first), client.dob, who.sex, who.gender_identity,
            who.pronouns, names.phone(rng), email, names.address(rng), contact.full,
            names.phone(rng), rng.choice(RELATIONS), self.cast.payers[client.payer],
            client.member_id, self.cast.sites[client.site].id)

    def write_asam(self, rng: random.Random, episode: EpisodePlan, assessor: Member, *,
                   waiting: bool) -> None:
        """The intake ASAM assessment; a few people on the waiting list need a higher level."""
        when = dt.datetime.combine(episode.registered_on, dt.time(10, rng.randrange(60)))
        higher = waiting and rng.random() < 0.25
        dims = [rng.randrange(0, 2), rng.randrange(0, 3), rng.randrange(1, 4), rng.randrange(1, 4),
                rng.randrange(2, 4), rng.randrange(1, 4)]
        if episode.track == "substance_use":
            dims[2] = min(dims[2], 2)
        if higher:
            dims[0] = 3
        comment = ("Withdrawal risk needs a higher level of care first; referral made." if higher
                   else "Meets criteria for intensive outpatient (level 2.1).")
        self.writer.add(
            self.asam, when, episode.client.id, episode.id or None, episode.registered_on,
            assessor.id, *dims, "3.7" if higher else "2.1", higher, False, higher,
            "Lakeside Withdrawal Management (demo)" if higher else "", comment)

    # -- episode ----------------------------------------------------------------------------
    def admit(self, rng: random.Random, episode: EpisodePlan, clinician: Member) -> list[str]:
        """Episode, level changes, diagnoses, consents, family, authorizations, enrolments.

        Returns the ids of the client's family members (for family sessions).
        """
        as_of, w = self.as_of, self.writer
        end = episode.ends_on(as_of)
        last = min(episode.planned_end, as_of - dt.timedelta(days=1))
        steps = [s for s in episode.steps if s.effective_on <= last] or episode.steps[:1]
        current = steps[-1]
        admitted = dt.datetime.combine(episode.admit_on, dt.time(8, rng.randrange(30, 60)))
        changed = (dt.datetime.combine(end, dt.time(16)) if end
                   else dt.datetime.combine(current.effective_on, dt.time(12)))
        expected_weeks = 8
        if episode.outcome == "completed":
            expected_weeks = max(6, (episode.planned_end - episode.admit_on).days // 7)
        episode.id = w.ids.at(admitted)
        episode.clinician = clinician
        w.add_with_id(
            self.episodes, episode.id, admitted, episode.client.id, episode.admit_on, episode.track,
            current.level, current.days_per_week, ",".join(DAY_CODES[d] for d in current.weekdays),
            clinician.id, "discharged" if end else "active", expected_weeks, end, updated=changed)
        for before, step in zip(steps, steps[1:], strict=False):
            decided = dt.datetime.combine(step.effective_on, dt.time(12, rng.randrange(60)))
            w.add(self.changes, decided, episode.id, step.effective_on, before.level, step.level,
                  before.days_per_week, step.days_per_week,
                  STEP_REASONS["1" if step.level == "1" else "3"], clinician.id)
        self._diagnoses(rng, episode, admitted)
        family = self._consents(rng, episode, clinician, admitted)
        self._authorizations(rng, episode, admitted)
        self._enrol(rng, episode, admitted, end)
        return family

    def _diagnoses(self, rng: random.Random, episode: EpisodePlan, when: dt.datetime) -> None:
        """Exactly one primary diagnosis: the substance use disorder, else the mental health one."""
        rows: list[tuple[str, str]] = []
        if episode.substance:
            rows.append(clinical.SUD_CODES[episode.substance])
        if episode.track != "substance_use":
            rows.append(rng.choice(clinical.MH_CODES))
        if rng.random() < 0.2:
            extra = rng.choice(tuple(clinical.MILD_SUD_CODES))
            if extra != episode.substance:
                rows.append(clinical.MILD_SUD_CODES[extra])
        for position, (code, description) in enumerate(rows):
            self.writer.add(self.dx, when, episode.id, code, description, position == 0,
                            episode.admit_on, None, True)
        episode.dx_codes = tuple(code for code, _ in rows)

    def consent(self, rng: random.Random, client: ClientPlan, clinician: Member, signed: dt.date,
                recipient: str, information: str, purpose: str, *,
                expires: dt.date | None = None, event: str = "",
                revoked: dt.date | None = None) -> str:
        """One Part 2 consent signed by the client; returns its id."""
        when = dt.datetime.combine(signed, dt.time(10, rng.randrange(60)))
        changed = dt.datetime.combine(revoked, dt.time(11)) if revoked else None
        return self.writer.add(self.consents, when, client.id, CLINIC_NAME, recipient, information,
                               purpose, signed, client.who.full, expires, event, revoked,
                               clinician.id, updated=changed)

    def _consents(self, rng: random.Random, episode: EpisodePlan, clinician: Member,
                  when: dt.datetime) -> list[str]:
        client, signed = episode.client, episode.registered_on
        revoke = None
        if episode.revoke_consent:
            revoke = min(episode.admit_on + dt.timedelta(days=rng.randrange(3, 30)),
                         self.as_of - dt.timedelta(days=1))
        if client.payer != "SELF":
            self.consent(rng, client, clinician, signed, PAYER_NAMES[client.payer],
                         "Dates of service, diagnoses, attendance and treatment plan progress",
                         "Payment and health care operations",
                         expires=signed + dt.timedelta(days=365))
        if rng.random() < 0.6 or revoke:
            self.consent(rng, client, clinician, signed, rng.choice(PCP),
                         "Diagnoses, medications and treatment progress", "Coordination of care",
                         expires=signed + dt.timedelta(days=rng.choice((90, 180))), revoked=revoke)
        if rng.random() < 0.1:
            self.consent(rng, client, clinician, signed, "County Adult Probation (demo)",
                         "Attendance and drug screen results",
                         "Report compliance as the court requires", event="End of probation term")
        family: list[str] = []
        if episode.family:
            for _ in range(rng.randrange(1, 3)):
                member = names.person(rng, last=client.who.last if rng.random() < 0.6 else None)
                relation = rng.choice(RELATIONS)
                consent_id = self.consent(
                    rng, client, clinician, signed, f"{member.full} ({relation})",
                    "Attendance and general progress; no drug screen results",
                    "Family involvement in treatment", event="Upon discharge from treatment")
                family.append(self.writer.add(self.family, when, client.id, member.full, relation,
                                              names.phone(rng), consent_id, ""))
        return family

    def _authorizations(self, rng: random.Random, episode: EpisodePlan, when: dt.datetime) -> None:
        """IOP authorizations for payers that need them (H0015 for substance use and co-occurring,
        S9480 for mental health, as billing codes the day); some run out before discharge."""
        payer = episode.client.payer
        if payer not in ("MCD", "BHH", "SMH"):
            return
        code = "S9480" if episode.track == "mental_health" else "H0015"
        starts = episode.admit_on
        for _ in range(2):
            ends = starts + dt.timedelta(days=rng.choice((27, 41, 55)))
            self.writer.add(self.auths, when, episode.client.id, self.cast.payers[payer],
                            f"{payer}-{rng.randrange(10**7, 10**8)}", code, starts, ends,
                            (ends - starts).days // 7 * 5)
            starts = ends + dt.timedelta(days=1)
            if ends >= episode.planned_end or starts >= self.as_of or rng.random() < 0.3:
                return
            when = dt.datetime.combine(starts, dt.time(9))

    def _enrol(self, rng: random.Random, episode: EpisodePlan, when: dt.datetime,
               end: dt.date | None) -> None:
        """The least-full section of the shift's IOP group, plus an add-on group for some."""
        here = [g for g in self.groups if g.site == episode.client.site]

        def least_full(wanted: Callable[[GroupTemplate], bool]) -> DemoGroup:
            return min((g for g in here if wanted(g.template)), key=lambda g: len(g.members))

        chosen = [least_full(lambda t: t.role == episode.shift)]
        has_family_group = any(g.template.group_type == "multi_family" for g in here)
        if episode.family and has_family_group and rng.random() < 0.6:
            chosen.append(least_full(lambda t: t.group_type == "multi_family"))
        elif episode.addon and episode.shift == "morning":
            kinds = sorted({g.template.group_type for g in here if g.template.role == "addon"}
                           - {"multi_family"})
            if kinds:
                kind = rng.choice(kinds)
                chosen.append(least_full(lambda t: t.role == "addon" and t.group_type == kind))
        for group in chosen:
            group.members.append(episode)
            self.writer.add(self.enrolments, when, group.id, episode.client.id, episode.id,
                            episode.admit_on, end)
        episode.groups = chosen
