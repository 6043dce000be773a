"""Intake screening: the six ASAM dimension ratings and red flags, and the level of care they
suggest, from the rules in `resources/asam_rules.json`.

The suggestion is a screening aid: the clinician decides the level at admission
(`clinic.episodes.admit` does not depend on a screening). Invariants: every rating is 0–4; a
screening whose suggested level is one this program does not provide (detox need, acute suicide
risk, severe withdrawal, dimension 1 rated 3 or more, by the shipped rules) routes the client to a
higher level of care and is refused unless it records where the client was referred; a
screening, once saved, is kept as it was (a new screening is a new row).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.clinical.program_rules import level_of_care
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today
from iopdesk.kernel.text_limits import STATEMENT
from iopdesk.kernel.validation import as_date, bounded_text
from iopdesk.models import AsamAssessment, Client, Episode, Staff
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.storage.records import as_uuid


@dataclass(frozen=True)
class DimensionRating:
    key: str
    label: str
    rating: int


@dataclass(frozen=True)
class ScreeningView:
    id: str
    client_id: str
    episode_id: str | None
    assessed_on: dt.date
    assessor: str
    ratings: tuple[DimensionRating, ...]
    detox_need: bool
    acute_suicide_risk: bool
    severe_withdrawal: bool
    recommended_level: str
    recommended_label: str
    reason: str
    routes_to_higher_level: bool
    referral_to: str
    comments: str


@lru_cache(maxsize=1)
def asam_rules() -> dict:
    """The screening rules; every level they name must be a known level of care."""
    data = json.loads(resources.path("asam_rules.json").read_text(encoding="utf-8"))
    for row in data["rules"]:
        level_of_care(row["level"])
    return data


def suggest_level(ratings: dict[str, int], flags: dict[str, bool]) -> tuple[str, str]:
    """(level code, reason) of the first rule that matches the ratings (d1..d6) and flags."""
    for row in asam_rules()["rules"]:
        if _matches(row["when"], ratings, flags):
            return row["level"], row["reason"]
    raise ValueError("asam_rules.json: no rule matched; the last rule must have an empty 'when'")


def _matches(when: dict, ratings: dict[str, int], flags: dict[str, bool]) -> bool:
    if "flag" in when:
        return bool(flags.get(when["flag"]))
    if "dimension" in when:
        return ratings[when["dimension"]] >= when["at_least"]
    if "all_at_most" in when:
        return all(value <= when["all_at_most"] for value in ratings.values())
    if "count_at_least" in when:
        spec = when["count_at_least"]
        return sum(1 for key in spec["dimensions"] if ratings[key] >= spec["rating"]) >= spec["count"]
    if "any_at_least" in when:
        spec = when["any_at_least"]
        return any(ratings[key] >= spec["rating"] for key in spec["dimensions"])
    return not when


def routes_to_higher_level(level: str) -> bool:
    """True when `level` is one this program does not provide (a referral is needed)."""
    return level in asam_rules()["refer_levels"]


def _rating(value, key: str, label: str) -> int:
    low, high = asam_rules()["rating_min"], asam_rules()["rating_max"]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{label}: the rating must be a whole number from {low} to {high}.", field=key)
    return value


class IntakeService(Service):
    def screen(
        self,
        client_id,
        *,
        assessed_on: dt.date | str,
        d1: int,
        d2: int,
        d3: int,
        d4: int,
        d5: int,
        d6: int,
        detox_need: bool = False,
        acute_suicide_risk: bool = False,
        severe_withdrawal: bool = False,
        comments: str = "",
        referral_to: str = "",
        episode_id=None,
    ) -> tuple[ScreeningView, Changes]:
        """Record an ASAM screening and the level of care the rules suggest.

        Raises ValidationError naming the field: a rating outside 0–4 (d1…d6), a screening date in
        the future or before birth (assessed_on), an episode of another client (episode_id), and
        `referral_to` missing when the suggestion routes the client to a higher level of care.
        """
        self.actor.require("screen.write")
        values = {"d1": d1, "d2": d2, "d3": d3, "d4": d4, "d5": d5, "d6": d6}
        ratings = {
            dim["key"]: _rating(values[dim["key"]], dim["key"], dim["label"])
            for dim in asam_rules()["dimensions"]
        }
        flags = {"detox_need": bool(detox_need), "acute_suicide_risk": bool(acute_suicide_risk),
                 "severe_withdrawal": bool(severe_withdrawal)}
        when = as_date(assessed_on, "assessed_on", "Screening date")
        if when > today():
            raise ValidationError("Screening date: cannot be in the future.", field="assessed_on")
        level, _reason = suggest_level(ratings, flags)
        referral = (referral_to or "").strip()
        if routes_to_higher_level(level) and not referral:
            raise ValidationError(
                "Referral to: a client needing a higher level of care must have a recorded referral "
                f"(suggested level {level_of_care(level).label}).", field="referral_to",
            )
        cid = client_uuid(client_id)
        with self.db.atomic():
            client = Client.get_or_none(Client.id == cid)
            if client is None:
                raise NotFound(f"No client with id {client_id}.")
            if when < client.dob:
                raise ValidationError("Screening date: before the client's date of birth.", field="assessed_on")
            episode = None
            if episode_id is not None:
                episode = Episode.get_or_none(Episode.id == as_uuid(episode_id, "episode"))
                if episode is None or episode.client_id != cid:
                    raise ValidationError("Episode: not an episode of this client.", field="episode_id")
            fields = {dim["field"]: ratings[dim["key"]] for dim in asam_rules()["dimensions"]}
            row = AsamAssessment.create(
                client=cid, episode=episode, assessed_on=when, assessor=self.actor.id,
                recommended_level=level, referral_to=referral, comments=bounded_text(comments, "comments", "Comments", STATEMENT),
                **flags, **fields,
            )
            self._audit("create", "asam_assessment", row.id, client_id=cid,
                        detail={"level": level, "referral": bool(referral)})
        return self._view(row), Changes.of("screening", client_id=cid)

    def latest(self, client_id) -> ScreeningView | None:
        """The client's most recent screening, or None."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        row = (
            AsamAssessment.select()
            .where(AsamAssessment.client == client_uuid(client_id))
            .order_by(AsamAssessment.assessed_on.desc(), AsamAssessment.created_at.desc())
            .first()
        )
        return self._view(row) if row else None

    @staticmethod
    def _view(row: AsamAssessment) -> ScreeningView:
        dims = asam_rules()["dimensions"]
        ratings = {dim["key"]: getattr(row, dim["field"]) for dim in dims}
        flags = {"detox_need": row.detox_need, "acute_suicide_risk": row.acute_suicide_risk,
                 "severe_withdrawal": row.severe_withdrawal}
        level, reason = suggest_level(ratings, flags)
        if level != row.recommended_level:
            reason = "Suggested by the screening rules in force when it was recorded."
        assessor = Staff.select(Staff.display_name).where(Staff.id == row.assessor_id).scalar()
        return ScreeningView(
            id=str(row.id), client_id=str(row.client_id),
            episode_id=str(row.episode_id) if row.episode_id else None,
            assessed_on=row.assessed_on, assessor=assessor or "",
            ratings=tuple(DimensionRating(d["key"], d["label"], ratings[d["key"]]) for d in dims),
            detox_need=row.detox_need, acute_suicide_risk=row.acute_suicide_risk,
            severe_withdrawal=row.severe_withdrawal, recommended_level=row.recommended_level,
            recommended_label=level_of_care(row.recommended_level).label, reason=reason,
            routes_to_higher_level=routes_to_higher_level(row.recommended_level),
            referral_to=row.referral_to, comments=row.comments,
        )
