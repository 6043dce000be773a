"""Holds and the finishing touches of a billing candidate: why a service cannot be billed yet (no
payer, a note unsigned or awaiting co-signature, no primary diagnosis, no member id, no NPI, an
authorization missing, expired or used up) and, for a billable one, its diagnoses with pointer,
credential and telehealth modifiers, charge and authorization number.

Invariants: a candidate gets at most one hold, the first that applies in the order above, each
naming its reason and what to do; authorization units are counted in date order per client, and
only services that are otherwise billable use units; at most four modifiers.
"""

from __future__ import annotations

import datetime as dt
import string
from collections import defaultdict

from iopdesk.kernel.formats import date_text
from iopdesk.services.billing.derive import Candidate
from iopdesk.services.billing.record import AuthorizationRow, NoteRow, RecordSnapshot
from iopdesk.services.billing.rules import BillingRules

MAX_DIAGNOSES = 12
POINTER_LETTERS = string.ascii_uppercase[:MAX_DIAGNOSES]


def active_diagnoses(rows: list[tuple], day: dt.date) -> tuple[str, ...]:
    """ICD-10-CM codes active on `day`, the primary first; () when there is no active primary."""
    active = [(code, primary) for code, primary, noted, resolved in rows
              if noted <= day and (resolved is None or resolved > day)]
    primary = next((code for code, is_primary in active if is_primary), None)
    if primary is None:
        return ()
    others = [code for code, is_primary in active if not is_primary and code != primary]
    return tuple(dict.fromkeys([primary, *others]))[:MAX_DIAGNOSES]


def diagnosis_pointer(diagnoses: tuple[str, ...]) -> str:
    """Letters into the claim's diagnoses for one line: the primary and up to three more."""
    return POINTER_LETTERS[:min(4, len(diagnoses))]


class HoldChecker:
    """Applies holds to candidates and finishes the billable ones."""

    def __init__(self, snap: RecordSnapshot, rules: BillingRules) -> None:
        self.snap, self.rules = snap, rules

    def settle(self, candidates: list[Candidate]) -> None:
        for line in candidates:
            if line.hold is None:
                line.hold = self._first_hold(line)
            if line.hold is None:
                self._finish(line)
        self._authorizations(sorted(
            (c for c in candidates if c.hold is None),
            key=lambda c: (str(c.client.id), c.service_date, c.code, c.key)))

    def _name(self, staff_id) -> str:
        row = self.snap.staff.get(staff_id)
        return row.name if row else "a supervisor"

    def _first_hold(self, line: Candidate) -> tuple[str, str] | None:
        client = line.client
        if not client.payer_code:
            return ("no payer on file", "Front desk records the client's payer (or self-pay)")
        if line.missing_note:
            return (f"no group note written for {line.missing_note}",
                    "The facilitator writes and signs the client's group note")
        for note in line.notes:
            if note.status == "draft":
                author = self._name(note.author_id)
                return (f"{_note_words(note)} unsigned (draft by {author})", f"{author} signs the note")
        for note in line.notes:
            if note.status == "awaiting_cosign":
                supervisor = self._name(self.snap.supervisors.get(note.author_id))
                return (f"{_note_words(note)} awaiting co-signature by {supervisor}",
                        f"{supervisor} co-signs the note")
        if line.rendering is None:
            return ("no clinician on record for this service", "Record who led the group session")
        episode = line.episode
        line.diagnoses = active_diagnoses(self.snap.diagnoses.get(episode.id, []), line.service_date) if episode else ()
        if not line.diagnoses:
            return ("no primary diagnosis on the episode for this date",
                    "The clinician adds a primary diagnosis to the client's episode")
        payer = line.payer
        if not payer.self_pay and not client.member_id:
            return (f"no member id for {client.payer_name or client.payer_code}",
                    "Front desk records the member id from the insurance card")
        provider = line.supervising or line.rendering
        if not provider.npi:
            return (f"no NPI on file for {provider.name}", "An administrator records the NPI on the staff account")
        return None

    def _finish(self, line: Candidate) -> None:
        payer, rules = line.payer, self.rules
        if line.kind != "per_diem" and line.rendering is not None:
            extra = payer.credential_modifier(line.rendering.credentials, line.rendering.needs_cosign)
            if extra:
                line.modifiers.append(extra)
        if line.place_of_service in rules.telehealth_places and payer.telehealth_modifier:
            line.modifiers.append(payer.telehealth_modifier)
        line.modifiers = list(dict.fromkeys(line.modifiers))[:4]
        line.charge_cents = rules.charge(payer, line.code, line.units)

    def _authorizations(self, ordered: list[Candidate]) -> None:
        used: dict = defaultdict(int)
        for line in ordered:
            payer = line.payer
            if payer.self_pay or not payer.requires_authorization or line.code not in payer.authorization_codes:
                continue
            auths = [a for a in self.snap.authorizations.get(line.client.id, [])
                     if a.payer_code == line.client.payer_code and a.service_code in ("", line.code)]
            covering = [a for a in auths if a.starts_on <= line.service_date <= a.ends_on]
            chosen = next((a for a in covering if _left(a, used) >= line.units), None)
            if chosen is not None:
                used[chosen.id] += line.units
                line.authorization = chosen.number
                continue
            line.hold = self._authorization_hold(line, auths, covering, used)

    def _authorization_hold(self, line: Candidate, auths: list[AuthorizationRow],
                            covering: list[AuthorizationRow], used: dict) -> tuple[str, str]:
        payer = line.client.payer_name or line.client.payer_code
        if covering:
            auth = covering[-1]
            return (f"authorization {auth.number} used up ({used[auth.id]} of {auth.units_authorized} units)",
                    f"Request more {line.code} units from {payer}")
        expired = [a for a in auths if a.ends_on < line.service_date]
        if expired:
            auth = max(expired, key=lambda a: a.ends_on)
            return (f"authorization {auth.number} expired on {date_text(auth.ends_on)}",
                    f"Request a new {line.code} authorization from {payer}")
        others = [a for a in self.snap.authorizations.get(line.client.id, [])
                  if a.starts_on <= line.service_date <= a.ends_on]
        if others:
            return (f"authorization {others[0].number} covers {others[0].service_code or 'other services'}, "
                    f"not {line.code}", f"Request a {line.code} authorization from {payer}")
        return (f"no authorization on file for {line.code}", f"Request a {line.code} authorization from {payer}")


def _left(auth: AuthorizationRow, used: dict) -> int:
    if auth.units_authorized is None:
        return 1 << 30
    return auth.units_authorized - used[auth.id]


def _note_words(note: NoteRow) -> str:
    return {"group": "group note", "individual": "note", "family": "family note",
            "med_management": "medication-management note"}.get(note.kind, "note")
