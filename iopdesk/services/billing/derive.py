"""Turning a snapshot of the record into billing candidates: IOP days (per diem) from group
attendance, discrete group lines, individual, family and medication-management lines from notes,
coded by the billing rules. A candidate carries everything its claim line says and, when the
service cannot be billed yet, the first hold that applies (see `billing.holds`).

Invariants: one per-diem day per client per date, and a billed day bundles that day's program
groups unless the payer says otherwise; one individual psychotherapy code per client per day with
the minutes summed (or one per session when the payer's rule says "separate"); every candidate has
a natural key that does not depend on the code it gets, so a changed code is a changed line.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from iopdesk.services.billing.record import (
    AttendanceRow,
    ClientRow,
    EpisodeRow,
    NoteRow,
    RecordSnapshot,
    StaffRow,
    canonical_id,
)
from iopdesk.services.billing.rules import BillingRules, CodeRule, PayerRule

KIND_WORDS = {
    "per_diem": "IOP day", "individual": "individual session", "family_with_client": "family session with the client",
    "family_without_client": "family session without the client", "group": "group psychotherapy",
    "multi_family_group": "multiple-family group", "med_management": "medication management",
}
SOURCE_WORDS = {"individual": "individual note", "family": "family note",
                "med_management": "medication-management note"}


def minutes_text(minutes: int) -> str:
    """45 → "45 min", 170 → "2 h 50 min", 180 → "3 h"."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


@dataclass
class Candidate:
    """One service that becomes a claim line, or a hold when `hold` is set."""

    key: str
    client: ClientRow
    payer: PayerRule
    service_date: dt.date
    code: str
    kind: str
    minutes: int
    place_of_service: str
    site_code: str
    source: str
    what: str
    episode: EpisodeRow | None
    note: NoteRow | None = None  # the note the line names (None for an IOP day)
    notes: list[NoteRow] = field(default_factory=list)  # every note that documents it
    missing_note: str = ""  # the group whose note was never written
    attendance_id: uuid.UUID | None = None
    rendering: StaffRow | None = None
    supervising: StaffRow | None = None
    units: int = 1
    modifiers: list[str] = field(default_factory=list)
    charge_cents: int = 0
    diagnoses: tuple[str, ...] = ()
    authorization: str = ""
    hold: tuple[str, str] | None = None  # (reason, action)


class Deriver:
    """Derives candidates from one snapshot under one set of rules."""

    def __init__(self, snap: RecordSnapshot, rules: BillingRules, range_from: dt.date) -> None:
        """Services before `range_from` are derived only for clients with authorizations (they
        count the units used before the range)."""
        self.snap, self.rules, self.range_from = snap, rules, range_from
        self.group_notes = snap.group_note()

    def candidates(self) -> list[Candidate]:
        out: list[Candidate] = []
        days: dict[tuple, list[AttendanceRow]] = defaultdict(list)
        counted = self.snap.authorizations
        for row in self.snap.attendance:
            if row.client_id in self.snap.clients and (row.service_date >= self.range_from or row.client_id in counted):
                days[(row.client_id, row.service_date)].append(row)
        for (client_id, day), rows in days.items():
            out.extend(self._client_day(self.snap.clients[client_id], day, rows))
        individual: dict[tuple, list[NoteRow]] = defaultdict(list)
        for note in self.snap.notes:
            client = self.snap.clients.get(note.client_id)
            if client is None or note.kind == "group" or (
                    note.service_date < self.range_from and note.client_id not in counted):
                continue
            if note.kind == "individual":
                individual[(note.client_id, note.service_date)].append(note)
            else:
                out.append(self._note_line(client, [note], f"note:{canonical_id(note.id)}"))
        for (client_id, day), notes in individual.items():
            client = self.snap.clients[client_id]
            if self.rules.payer(client.payer_code).individual_same_day == "sum":
                out.append(self._note_line(client, notes, f"ind:{client.client_id}:{day.isoformat()}"))
            else:
                out.extend(self._note_line(client, [n], f"note:{canonical_id(n.id)}") for n in notes)
        return out

    # -- group attendance and the IOP day ----------------------------------------------------
    def _client_day(self, client: ClientRow, day: dt.date, rows: list[AttendanceRow]) -> list[Candidate]:
        rules = self.rules
        payer = rules.payer(client.payer_code)
        episode = self.snap.episode_on(client.id, day)
        per_diem = None
        if episode is not None and episode.level_on(day) in rules.per_diem_levels:
            per_diem = rules.per_diem_code(episode.track)
        counted = [r for r in rows if r.billing_code in rules.day_group_codes]
        others = [r for r in rows if r.billing_code not in rules.day_group_codes]
        out = [self._group_line(client, payer, episode, r) for r in others]
        if per_diem is None or not counted:
            return out + [self._group_line(client, payer, episode, r) for r in counted]
        minutes = sum(r.minutes for r in counted)
        what = f"{per_diem} IOP day, {minutes_text(minutes)}"
        if minutes >= rules.min_day_minutes:
            out.append(self._day_line(client, payer, episode, day, per_diem, counted, minutes, what))
            if not payer.bundle_groups_into_day:
                out.extend(self._group_line(client, payer, episode, r) for r in counted)
            return out
        hold = Candidate(
            key=f"day:{client.client_id}:{day.isoformat()}", client=client, payer=payer, service_date=day,
            code=per_diem, kind="per_diem", minutes=minutes, place_of_service=counted[0].place_of_service,
            site_code=counted[0].site_code, source="IOP day", what=what, episode=episode)
        self._set_rendering(hold, counted)
        minimum = minutes_text(rules.min_day_minutes)
        if payer.under_minimum == "discrete":
            hold.hold = (f"under the {minimum} minimum for an IOP day; its groups are billed as discrete services",
                         "Nothing to do unless the attendance times are wrong")
            out.extend(self._group_line(client, payer, episode, r) for r in counted)
        else:
            name = client.payer_code or "this payer"
            hold.hold = (f"under the {minimum} minimum for an IOP day; {name} pays nothing for a shorter day",
                         "Nothing to bill unless the attendance times are wrong")
        out.append(hold)
        return out

    def _day_line(self, client, payer, episode, day, code, counted, minutes, what) -> Candidate:
        line = Candidate(
            key=f"day:{client.client_id}:{day.isoformat()}", client=client, payer=payer, service_date=day, code=code,
            kind="per_diem", minutes=minutes, place_of_service=counted[0].place_of_service,
            site_code=counted[0].site_code, source="IOP day", what=what, episode=episode)
        for row in counted:
            note = self.group_notes.get((row.session_id, row.client_id))
            if note is None:
                line.missing_note = line.missing_note or row.group_name
            else:
                line.notes.append(note)
        self._set_rendering(line, counted)
        return line

    def _set_rendering(self, line: Candidate, rows: list[AttendanceRow]) -> None:
        """The clinician of the longest group of the day (its note's author, else its lead)."""
        longest = max(rows, key=lambda r: r.minutes)
        note = self.group_notes.get((longest.session_id, longest.client_id))
        self._render_from(line, note, longest.lead_id)

    def _group_line(self, client: ClientRow, payer: PayerRule, episode, row: AttendanceRow) -> Candidate:
        code = row.billing_code
        rule = self.rules.codes.get(code)
        if rule is None or rule.kind == "per_diem":
            code = self.rules.group_fallback_code
            rule = self.rules.codes[code]
        note = self.group_notes.get((row.session_id, row.client_id))
        line = Candidate(
            key=f"att:{canonical_id(row.id)}", client=client, payer=payer, service_date=row.service_date, code=code,
            kind=rule.kind, minutes=row.minutes, place_of_service=row.place_of_service, site_code=row.site_code,
            source="group attendance", what=f"{code} {row.group_name}, {minutes_text(row.minutes)}",
            episode=episode, note=note, notes=[note] if note else [], attendance_id=row.id,
            missing_note="" if note else row.group_name, modifiers=[self.rules.group_modifier])
        self._render_from(line, note, row.lead_id)
        return line

    # -- notes --------------------------------------------------------------------------------
    def _note_line(self, client: ClientRow, notes: list[NoteRow], key: str) -> Candidate:
        payer = self.rules.payer(client.payer_code)
        main = max(notes, key=lambda n: n.minutes)  # the first of the longest
        kind = _code_kind(main)
        minutes = sum(n.minutes for n in notes)
        rule: CodeRule | None = self.rules.band(kind, minutes)
        shown = rule or self.rules.first_of(kind)
        line = Candidate(
            key=key, client=client, payer=payer, service_date=main.service_date, code=shown.code, kind=kind,
            minutes=minutes, place_of_service=main.place_of_service, site_code=client.site_code,
            source=SOURCE_WORDS[main.kind], episode=self.snap.episode_on(client.id, main.service_date, main.episode_id),
            what=f"{shown.code} {KIND_WORDS[kind]}, {minutes_text(minutes)}", note=main, notes=list(notes))
        if kind == "family_with_client":
            line.modifiers.append(self.rules.family_with_client_modifier)
        elif kind == "family_without_client":
            line.modifiers.append(self.rules.family_without_client_modifier)
        elif kind == "multi_family_group":
            line.modifiers.append(self.rules.group_modifier)
        self._render_from(line, main, None)
        if rule is None:
            line.hold = (f"{minutes_text(minutes)} is under the {shown.min_minutes} minutes {shown.code} needs",
                         "Nothing to bill unless the note's minutes are wrong")
        return line

    def _render_from(self, line: Candidate, note: NoteRow | None, fallback: uuid.UUID | None) -> None:
        staff = self.snap.staff
        if note is not None:
            line.rendering = staff.get(note.author_id)
            if note.cosign_required and note.cosigned_by is not None:
                line.supervising = staff.get(note.cosigned_by)
        elif fallback is not None:
            line.rendering = staff.get(fallback)


def _code_kind(note: NoteRow) -> str:
    if note.kind == "family":
        return {"without_client": "family_without_client",
                "multi_family": "multi_family_group"}.get(note.family_kind or "", "family_with_client")
    return note.kind
