"""Episodes of care: admission, level-of-care changes, diagnoses.

Invariants: a client has at most one open episode; admission is not before the date of birth
nor in the future; a level-of-care change is a dated row (the episode keeps the current level);
an episode has at most one active primary diagnosis; diagnoses are ICD-10-CM shaped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from iopdesk.clinical.icd10 import icd10_code
from iopdesk.clinical.program_rules import level_of_care, track
from iopdesk.clinical.staff import clinician_for
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today
from iopdesk.kernel.text_limits import NAME, STATEMENT
from iopdesk.kernel.validation import as_date, bounded_text
from iopdesk.models import Client, Diagnosis, Episode, LevelOfCareChange, Staff
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.storage.records import as_uuid, fetch, update_versioned

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
OPEN_STATUSES = ("active",)


@dataclass(frozen=True)
class EpisodeView:
    id: str
    client_id: str
    admitted_on: dt.date
    track: str
    level_of_care: str
    days_per_week: int
    schedule_days: tuple[str, ...]
    primary_clinician_id: str
    primary_clinician: str
    status: str
    discharged_on: dt.date | None
    version: int


@dataclass(frozen=True)
class DiagnosisView:
    id: str
    code: str
    description: str
    is_primary: bool
    noted_on: dt.date
    resolved_on: dt.date | None
    at_admission: bool


def episode_uuid(episode_id) -> uuid.UUID:
    return as_uuid(episode_id, "episode")


def _schedule(days: list[str] | tuple[str, ...] | str, days_per_week: int) -> tuple[str, ...]:
    items = days.split(",") if isinstance(days, str) else list(days)
    cleaned = tuple(d.strip().upper()[:3] for d in items if d.strip())
    bad = [d for d in cleaned if d not in WEEKDAYS]
    if bad:
        raise ValidationError(f"Schedule days: {bad[0]!r} is not a weekday (MON…SUN).", field="schedule_days")
    if len(set(cleaned)) != days_per_week:
        raise ValidationError(
            f"Schedule days: {days_per_week} days a week needs {days_per_week} different weekdays, "
            f"got {len(set(cleaned))}.", field="schedule_days",
        )
    return tuple(d for d in WEEKDAYS if d in cleaned)


def _days_per_week(value: int) -> int:
    if not 1 <= int(value) <= 7:
        raise ValidationError("Days per week: between 1 and 7.", field="days_per_week")
    return int(value)


class EpisodeService(Service):
    def admit(
        self,
        client_id,
        *,
        admitted_on: dt.date | str,
        track_code: str,
        level: str = "2.1",
        primary_clinician: str,
        days_per_week: int = 5,
        schedule_days: list[str] | tuple[str, ...] | str = ("MON", "TUE", "WED", "THU", "FRI"),
        expected_weeks: int = 8,
    ) -> tuple[EpisodeView, Changes]:
        """Admit a registered client into a new episode of care.

        Raises ValidationError naming the field: an open episode already exists, admission
        before birth or in the future, unknown track or level, clinician not a clinician.
        """
        self.actor.require("episode.write")
        admitted = as_date(admitted_on, "admitted_on", "Admission date")
        track(track_code)
        level_of_care(level)
        days = _days_per_week(days_per_week)
        schedule = _schedule(schedule_days, days)
        if admitted > today():
            raise ValidationError("Admission date: cannot be in the future.", field="admitted_on")
        if not 1 <= expected_weeks <= 104:
            raise ValidationError("Expected length: between 1 and 104 weeks.", field="expected_weeks")
        cid = client_uuid(client_id)
        with self.db.atomic():
            client = Client.get_or_none(Client.id == cid)
            if client is None:
                raise NotFound(f"No client with id {client_id}.")
            if admitted < client.dob:
                raise ValidationError("Admission date: before the client's date of birth.", field="admitted_on")
            if Episode.select().where((Episode.client == cid) & (Episode.status.in_(OPEN_STATUSES))).exists():
                raise ValidationError(
                    "This client already has an open episode; discharge it before a new admission.",
                    field="admitted_on",
                )
            clinician = self._clinician(primary_clinician)
            episode = Episode.create(
                client=cid, admitted_on=admitted, track=track_code, level_of_care=level,
                days_per_week=days, schedule_days=",".join(schedule), primary_clinician=clinician,
                status="active", expected_weeks=expected_weeks,
            )
            LevelOfCareChange.create(
                episode=episode, effective_on=admitted, from_level=None, to_level=level,
                from_days_per_week=None, to_days_per_week=days, reason="Admission",
                decided_by=self.actor.id or clinician.id,
            )
            self._audit("create", "episode", episode.id, client_id=cid,
                        detail={"level": level, "track": track_code})
        return self.get(episode.id), Changes.of("episode", client_id=cid)

    def change_level(
        self,
        episode_id,
        *,
        effective_on: dt.date | str,
        level: str,
        days_per_week: int,
        schedule_days: list[str] | tuple[str, ...] | str,
        reason: str,
        expected_version: int,
    ) -> tuple[EpisodeView, Changes]:
        """Step a client up or down (e.g. 5 → 3 days a week) from a date; the change is kept as history.

        Raises ValidationError for a date before admission or before the last change, a blank reason.
        """
        self.actor.require("episode.write")
        level_of_care(level)
        days = _days_per_week(days_per_week)
        schedule = _schedule(schedule_days, days)
        when = as_date(effective_on, "effective_on", "Effective date")
        if not (reason or "").strip():
            raise ValidationError("Reason: say why the level of care changes.", field="reason")
        reason = bounded_text(reason, "reason", "Reason", STATEMENT)
        with self.db.atomic():
            episode = self._open_episode(episode_id)
            last = (
                LevelOfCareChange.select(LevelOfCareChange.effective_on)
                .where(LevelOfCareChange.episode == episode)
                .order_by(LevelOfCareChange.effective_on.desc())
                .scalar()
            )
            if when < episode.admitted_on or (last and when < last):
                raise ValidationError(
                    "Effective date: cannot be before admission or before the last level change.",
                    field="effective_on",
                )
            LevelOfCareChange.create(
                episode=episode, effective_on=when, from_level=episode.level_of_care, to_level=level,
                from_days_per_week=episode.days_per_week, to_days_per_week=days, reason=reason,
                decided_by=self.actor.id,
            )
            update_versioned(episode, expected_version, level_of_care=level, days_per_week=days,
                             schedule_days=",".join(schedule))
            self._audit("update", "episode", episode.id, client_id=episode.client_id,
                        detail={"level": level, "days_per_week": days, "effective_on": when})
        return self.get(episode.id), Changes.of("episode", client_id=episode.client_id)

    def get(self, episode_id) -> EpisodeView:
        self.actor.require("chart.read")
        row = (
            Episode.select(Episode, Staff.display_name)
            .join(Staff, on=(Episode.primary_clinician == Staff.id))
            .where(Episode.id == episode_uuid(episode_id))
            .objects()
            .first()
        )
        if row is None:
            raise NotFound(f"No episode with id {episode_id}.")
        return EpisodeView(
            id=str(row.id), client_id=str(row.client_id), admitted_on=row.admitted_on,
            track=row.track, level_of_care=row.level_of_care, days_per_week=row.days_per_week,
            schedule_days=tuple(d for d in row.schedule_days.split(",") if d),
            primary_clinician_id=str(row.primary_clinician_id), primary_clinician=row.display_name,
            status=row.status, discharged_on=row.discharged_on, version=row.version,
        )

    def current(self, client_id) -> EpisodeView | None:
        """The client's open episode, or None."""
        self.actor.require("chart.read")
        row = (
            Episode.select(Episode.id)
            .where((Episode.client == client_uuid(client_id)) & (Episode.status.in_(OPEN_STATUSES)))
            .first()
        )
        return self.get(row.id) if row else None

    def latest(self, client_id) -> EpisodeView | None:
        """The client's open episode, else the most recent one (to read a discharged client's plan
        and discharge summary); None for a client never admitted."""
        self.actor.require("chart.read")
        row = (
            Episode.select(Episode.id)
            .where(Episode.client == client_uuid(client_id))
            .order_by(Episode.status.in_(OPEN_STATUSES).desc(), Episode.admitted_on.desc(), Episode.id.desc())
            .first()
        )
        return self.get(row.id) if row else None

    def level_history(self, episode_id) -> list[tuple[dt.date, str | None, str, int, str]]:
        """(effective date, from level, to level, days per week, reason), oldest first."""
        self.actor.require("chart.read")
        query = (
            LevelOfCareChange.select(
                LevelOfCareChange.effective_on, LevelOfCareChange.from_level,
                LevelOfCareChange.to_level, LevelOfCareChange.to_days_per_week, LevelOfCareChange.reason,
            )
            .where(LevelOfCareChange.episode == episode_uuid(episode_id))
            .order_by(LevelOfCareChange.effective_on, LevelOfCareChange.created_at)
            .tuples()
        )
        return list(query)

    # -- diagnoses ------------------------------------------------------------------------
    def add_diagnosis(
        self,
        episode_id,
        *,
        code: str,
        description: str = "",
        primary: bool = False,
        noted_on: dt.date | str | None = None,
    ) -> tuple[DiagnosisView, Changes]:
        """Add an ICD-10-CM diagnosis. Raises ValidationError for a malformed code or a second
        active primary diagnosis (resolve or demote the first)."""
        self.actor.require("episode.write")
        clean = icd10_code(code)
        with self.db.atomic():
            episode = Episode.get_or_none(Episode.id == episode_uuid(episode_id))
            if episode is None:
                raise NotFound(f"No episode with id {episode_id}.")
            noted = as_date(noted_on or today(), "noted_on", "Date noted")
            if noted < episode.admitted_on - dt.timedelta(days=30):
                raise ValidationError("Date noted: more than 30 days before admission.", field="noted_on")
            if primary and self._active_primary(episode).exists():
                raise ValidationError(
                    "Primary diagnosis: this episode already has one; resolve it or make it secondary first.",
                    field="is_primary",
                )
            if Diagnosis.select().where(
                (Diagnosis.episode == episode) & (Diagnosis.code == clean) & Diagnosis.resolved_on.is_null()
            ).exists():
                raise ValidationError(f"Diagnosis code: {clean} is already on this episode.", field="code")
            row = Diagnosis.create(
                episode=episode, code=clean, description=bounded_text(description, "description", "Description", NAME), is_primary=primary,
                noted_on=noted, at_admission=noted <= episode.admitted_on + dt.timedelta(days=7),
            )
            self._audit("create", "diagnosis", row.id, client_id=episode.client_id, detail={"code": clean})
        return self._diagnosis_view(row), Changes.of("diagnosis", client_id=episode.client_id)

    def resolve_diagnosis(self, diagnosis_id, resolved_on: dt.date | str) -> Changes:
        """Mark a diagnosis resolved (it stays on record for the discharge summary)."""
        self.actor.require("episode.write")
        with self.db.atomic():
            row = fetch(Diagnosis, diagnosis_id, "diagnosis")
            when = as_date(resolved_on, "resolved_on", "Date resolved")
            if when < row.noted_on:
                raise ValidationError("Date resolved: before the date it was noted.", field="resolved_on")
            Diagnosis.update(resolved_on=when, version=Diagnosis.version + 1).where(Diagnosis.id == row.id).execute()
            client_id = Episode.get_by_id(row.episode_id).client_id
            self._audit("update", "diagnosis", row.id, client_id=client_id, detail={"resolved_on": when})
        return Changes.of("diagnosis", client_id=client_id)

    def diagnoses(self, episode_id) -> list[DiagnosisView]:
        self.actor.require("chart.read")
        rows = (
            Diagnosis.select()
            .where(Diagnosis.episode == episode_uuid(episode_id))
            .order_by(Diagnosis.is_primary.desc(), Diagnosis.noted_on)
        )
        return [self._diagnosis_view(r) for r in rows]

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _active_primary(episode: Episode):
        return Diagnosis.select().where(
            (Diagnosis.episode == episode) & Diagnosis.is_primary & Diagnosis.resolved_on.is_null()
        )

    @staticmethod
    def _diagnosis_view(row: Diagnosis) -> DiagnosisView:
        return DiagnosisView(str(row.id), row.code, row.description, row.is_primary, row.noted_on,
                             row.resolved_on, row.at_admission)

    def _open_episode(self, episode_id) -> Episode:
        episode = Episode.get_or_none(Episode.id == episode_uuid(episode_id))
        if episode is None:
            raise NotFound(f"No episode with id {episode_id}.")
        if episode.status not in OPEN_STATUSES:
            raise ValidationError("This episode is closed (discharged).", field="episode")
        return episode

    @staticmethod
    def _clinician(username_or_id: str) -> Staff:
        return clinician_for(username_or_id, "Primary clinician", "primary_clinician")
