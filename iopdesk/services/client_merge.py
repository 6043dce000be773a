"""One person, one record: an administrator merges a client registered twice into one chart.

Why: a client registered offline at two sites, or again in a restored copy of a site, has two
charts; billing, attendance and the chart each see half of the care. The merge moves every record
of the merged-away chart (every row of every table with a foreign key to client; rows below those
— a note's objectives, an episode's diagnoses — stay with their parents) to the chart kept, and
keeps the merged-away client row with its MRN, marked merged and pointing at the chart kept
(`client.merged_into_id`), so an old printout's MRN still finds the chart.

What is refused, in words, until a clinician has settled it: both charts with an active episode
(and so possibly two active treatment plans), both with attendance in one group session, both
with a current MAT medication. What is merged: a measure schedule both charts have for the same
measure keeps the kept chart's (the other one is removed); consents, disclosures, MAT doses,
screens, notes and plans all move, each still naming what it named.

Signed records. Moving a signed note's client changes a sealed record: the guard triggers
(iopdesk/audit/guards.py) allow exactly that column to change, and only from a merged-away
client to the chart it was merged into; the record is then sealed again with provenance
"client merge" (iopdesk/audit/sealing.py), and one "merge" audit event names both MRNs, so
`iopdesk check` stays clean and still catches any other edit.

Sync. The merge is ordinary row changes, so it syncs. A site that later receives (or still
writes) a record for the merged-away client moves it too: `follow_merges` (iopdesk/sync/merges.py)
runs after every applied sync batch (iopdesk/sync/apply.py) and the moves sync back as that site's edits; both
sites make the same edit, so nothing conflicts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from iopdesk.clinical.program_rules import tracks
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.formats import date_text
from iopdesk.models import (
    Attendance,
    Client,
    Episode,
    GroupSession,
    MeasureSchedule,
    Medication,
    Note,
    Site,
    TherapyGroup,
)
from iopdesk.services.base import Service
from iopdesk.sync.merges import client_references, follow_merges

# A record of a table, in the clinic's words (plural, for counts of what moves).
RECORD_WORDS = {
    "alert": "alerts", "asam_assessment": "ASAM assessments", "attendance": "group attendance",
    "authorization": "authorizations", "billable_service": "billable services", "consent": "consents",
    "disclosure": "disclosures", "drug_screen": "drug screens", "emergency_grant": "emergency access grants",
    "episode": "episodes of care", "family_member": "family members", "family_session": "family sessions",
    "group_enrollment": "group enrolments", "mat_administration": "MAT doses",
    "measure_result": "measure results", "measure_schedule": "measure schedules",
    "medication": "medications", "note": "notes", "treatment_plan": "treatment plans",
}


@dataclass(frozen=True)
class ChartSide:
    """One of the two charts, as the administrator compares them."""

    id: str
    mrn: str
    legal_name: str
    dob: dt.date
    site_code: str
    episodes: tuple[str, ...]
    note_count: int


@dataclass(frozen=True)
class MergePlan:
    """What merging `merge` into `keep` would do: records moving (clinic words → count), records
    merged away into the kept chart's, and what must be settled first (each names the record)."""

    keep: ChartSide
    merge: ChartSide
    moves: dict[str, int] = field(default_factory=dict)
    merged_away: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def can_merge(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The plan as sentences (the CLI's dry run and the dialog's "what will move")."""
        out = [f"{self.merge.mrn} ({self.merge.legal_name}) will be merged into {self.keep.mrn} "
               f"({self.keep.legal_name}); {self.merge.mrn} will still find the chart."]
        moving = [f"{words} ({count})" for words, count in sorted(self.moves.items()) if count]
        out.append("Moves to the kept chart: " + (", ".join(moving) if moving else "nothing") + ".")
        out.extend(self.merged_away)
        out.extend(f"Settle first: {problem}" for problem in self.problems)
        return out


class ClientMergeService(Service):
    def candidates(self) -> list[tuple[str, str]]:
        """Pairs of MRNs (older chart first) of clients not merged with the same legal name (any
        case) and date of birth: the duplicates `ClientService.find_duplicates` warns about."""
        self.actor.require("client.merge")
        groups: dict[tuple, list[tuple]] = {}
        query = (Client.select(Client.mrn, Client.legal_first, Client.legal_last, Client.dob, Client.created_at)
                 .where(Client.merged_into.is_null()).tuples())
        for mrn, first, last, dob, created in query.iterator():
            groups.setdefault((first.strip().lower(), last.strip().lower(), dob), []).append((created, mrn))
        pairs = []
        for rows in groups.values():
            rows.sort()
            pairs.extend((rows[0][1], other) for _, other in rows[1:])
        return sorted(pairs)

    def preview(self, keep_mrn: str, merge_mrn: str) -> MergePlan:
        """What merging would do, changing nothing (the dry run). Raises NotFound naming the MRN,
        ValidationError when it is one chart or one is merged already."""
        self.actor.require("client.merge")
        keep, merge = self._pair(keep_mrn, merge_mrn)
        return self._plan(keep, merge)

    def merge(self, keep_mrn: str, merge_mrn: str) -> tuple[MergePlan, Changes]:
        """Merge the chart `merge_mrn` into `keep_mrn`: every record moves, signed ones are sealed
        again, one "merge" audit event names both MRNs. Raises ValidationError (nothing changed)
        listing what must be settled first."""
        self.actor.require("client.merge")
        with self.db.atomic():
            keep, merge = self._pair(keep_mrn, merge_mrn)
            plan = self._plan(keep, merge)
            if not plan.can_merge:
                raise ValidationError(
                    f"{merge.mrn} cannot be merged into {keep.mrn} yet: " + " ".join(plan.problems)
                    + " Nothing was changed.", field="merge")
            now = utcnow()
            Client.update(merged_into=keep.id, merged_at=now, updated_at=now, version=Client.version + 1).where(
                Client.id == merge.id).execute()
            moved = follow_merges(actor=self.actor, only={merge.id: keep.id})
            self._audit("merge", "client", merge.id, client_id=keep.id,
                        detail={"kept_mrn": keep.mrn, "merged_mrn": merge.mrn, "moved": moved})
        return plan, Changes.of("client", client_id=keep.id) | Changes.of("client", client_id=merge.id)

    # -- reading ---------------------------------------------------------------------------------
    def _pair(self, keep_mrn: str, merge_mrn: str) -> tuple[Client, Client]:
        keep, merge = self._client(keep_mrn, "keep"), self._client(merge_mrn, "merge")
        if keep.id == merge.id:
            raise ValidationError(f"{keep.mrn} is one chart: name two MRNs.", field="merge")
        for row, role in ((keep, "keep"), (merge, "merge")):
            if row.merged_into_id is not None:
                into = Client.get_or_none(Client.id == row.merged_into_id)
                raise ValidationError(f"{row.mrn} was already merged into {into.mrn if into else 'another chart'}.",
                                      field=role)
        return keep, merge

    @staticmethod
    def _client(mrn: str, role: str) -> Client:
        row = Client.get_or_none(Client.mrn == (mrn or "").strip().upper())
        if row is None:
            raise NotFound(f"No client with MRN {mrn!r}.", field=role)
        return row

    def _plan(self, keep: Client, merge: Client) -> MergePlan:
        moves = {}
        for model, fk in client_references():
            count = model.select().where(fk == merge.id).count()
            if count:
                words = RECORD_WORDS.get(model._meta.table_name, model._meta.table_name.replace("_", " "))
                moves[words] = moves.get(words, 0) + count
        return MergePlan(keep=self._side(keep), merge=self._side(merge), moves=moves,
                         merged_away=tuple(self._schedules_merged(keep, merge)),
                         problems=tuple(self._problems(keep, merge)))

    @staticmethod
    def _side(row: Client) -> ChartSide:
        site = Site.get_by_id(row.site_id)
        episodes = tuple(
            f"{tracks().get(e.track, e.track)} {e.level_of_care}, admitted {date_text(e.admitted_on)}, {e.status}"
            for e in Episode.select().where(Episode.client == row.id).order_by(Episode.admitted_on))
        notes = Note.select().where(Note.client == row.id).count()
        return ChartSide(id=str(row.id), mrn=row.mrn, legal_name=f"{row.legal_first} {row.legal_last}",
                         dob=row.dob, site_code=site.code, episodes=episodes, note_count=notes)

    @staticmethod
    def _schedules_merged(keep: Client, merge: Client) -> list[str]:
        have = set(MeasureSchedule.select(MeasureSchedule.measure).where(MeasureSchedule.client == keep.id)
                   .tuples().scalars())
        return [f"Both charts schedule the {measure}: the kept chart's schedule stays, {merge.mrn}'s is removed."
                for measure in MeasureSchedule.select(MeasureSchedule.measure)
                .where(MeasureSchedule.client == merge.id).tuples().scalars() if measure in have]

    @staticmethod
    def _problems(keep: Client, merge: Client) -> list[str]:
        out = []
        active = {row.client_id: row for row in Episode.select().where(
            Episode.client.in_([keep.id, merge.id]) & (Episode.status == "active"))}
        if len(active) == 2:
            out.append(f"both charts have an active episode of care ({keep.mrn} admitted "
                       f"{date_text(active[keep.id].admitted_on)}, {merge.mrn} admitted "
                       f"{date_text(active[merge.id].admitted_on)}); discharge or close one first, "
                       "so that one treatment plan stays active.")
        theirs = Attendance.alias()
        both = (Attendance.select(GroupSession.session_date, TherapyGroup.name)
                .join(theirs, on=(theirs.session == Attendance.session))
                .switch(Attendance).join(GroupSession).join(TherapyGroup)
                .where((Attendance.client == keep.id) & (theirs.client == merge.id))
                .order_by(GroupSession.session_date).tuples())
        for day, group in both:
            out.append(f"both charts have attendance in the {group} session of {date_text(day)}; "
                       "a clinician keeps one and removes the other.")
        current_mat = (Medication.is_mat == True) & Medication.stopped_on.is_null()  # noqa: E712
        mat = {row.client_id: row for row in Medication.select().where(
            Medication.client.in_([keep.id, merge.id]) & current_mat)}
        if len(mat) == 2:
            out.append(f"both charts have a current MAT medication ({mat[keep.id].drug} and "
                       f"{mat[merge.id].drug}); a prescriber stops one first.")
        return out
