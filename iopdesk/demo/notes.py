"""Writing demo notes the way the note services leave them: draft, signed, awaiting co-signature
or co-signed, with the content hash `note_rules.note_content_hash` computes when signing.

Notes of the last few days are sometimes still drafts; notes by staff who need co-signature wait
for the supervisor for up to a week, after which they are co-signed. Each note names the plan
objective it addressed (a `NoteObjective` row) once the client has a plan.
"""

from __future__ import annotations

import datetime as dt
import random

from iopdesk.clinical.note_rules import note_content_hash
from iopdesk.demo.cast import Member
from iopdesk.demo.ids import dashed
from iopdesk.demo.roster import EpisodePlan
from iopdesk.demo.writer import BulkWriter
from iopdesk.models import Note, NoteObjective

DEFAULT_OBJECTIVE = ("Engage in IOP programming and complete the initial treatment plan.",
                     "Complete assessment and treatment planning.")


class NoteWriter:
    """Adds notes and their objective links; knows who co-signs and what "today" is."""

    def __init__(self, writer: BulkWriter, rng: random.Random, as_of: dt.date,
                 supervisor: Member) -> None:
        self.writer = writer
        self.rng = rng
        self.as_of = as_of
        self.supervisor = supervisor
        self._author_ids: dict[str, str] = {}
        self.notes = writer.table(
            Note, "client", "episode", "kind", "note_format", "service_date", "starts_at",
            "ends_at", "minutes", "place_of_service", "participants", "author", "sections", "status",
            "signed_at", "content_hash", "cosign_required", "cosigned_at", "cosigned_by",
            "group_session", "family_session")
        self.links = writer.table(NoteObjective, "note", "objective")

    def _dashed(self, staff_id: str) -> str:
        value = self._author_ids.get(staff_id)
        if value is None:
            value = self._author_ids[staff_id] = dashed(staff_id)
        return value

    def add(self, episode: EpisodePlan, author: Member, kind: str, day: dt.date, starts: dt.time,
            minutes: int, sections: dict[str, str], *, participants: str = "", place: str = "57",
            group_session: str | None = None, family_session: str | None = None,
            objective_id: str | None = None, note_format: str | None = None) -> str:
        """Queue one note for `episode`'s client (in the author's format unless `note_format`
        says otherwise); returns its id."""
        rng = self.rng
        start = dt.datetime.combine(day, starts)
        end = start + dt.timedelta(minutes=minutes)
        created = end + dt.timedelta(minutes=rng.randrange(5, 40))
        signed_at = cosigned_at = cosigned_by = digest = None
        if day >= self.as_of - dt.timedelta(days=4) and rng.random() < 0.35:
            status = "draft"
        else:
            signed_at = created + dt.timedelta(minutes=rng.randrange(10, 240))
            digest = note_content_hash(
                sections=sections, service_date=day, starts_at=starts, ends_at=end.time(),
                minutes=minutes, objective_ids=[dashed(objective_id)] if objective_id else [],
                author_id=self._dashed(author.id))
            status = "signed"
            if author.needs_cosign:
                status = "awaiting_cosign"
                if day < self.as_of - dt.timedelta(days=7):
                    status = "cosigned"
                    cosigned_at = signed_at + dt.timedelta(hours=rng.randrange(4, 60))
                    cosigned_by = self.supervisor.id
        note_id = self.writer.add(
            self.notes, created, episode.client.id, episode.id, kind,
            note_format or author.note_format, day, starts, end.time(), minutes, place,
            participants, author.id, sections, status, signed_at, digest, author.needs_cosign,
            cosigned_at, cosigned_by, group_session, family_session,
            updated=cosigned_at or signed_at)
        if objective_id:
            self.writer.add(self.links, created, note_id, objective_id)
        return note_id


def objective_for(rng: random.Random, episode: EpisodePlan,
                  day: dt.date) -> tuple[str | None, str, str]:
    """(objective id or None, objective text, goal text) a note on `day` can address."""
    if episode.objectives and episode.plan_from is not None and episode.plan_from <= day:
        objective_id, text, goal = episode.objectives[rng.randrange(len(episode.objectives))]
        return objective_id, text, goal
    return None, DEFAULT_OBJECTIVE[0], DEFAULT_OBJECTIVE[1]
