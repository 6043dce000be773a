"""Discharge of a demo episode: the discharge row, its aftercare referrals, and (at the end of a
run) its summary assembled from the record by the same code the discharge service uses.

Written on the discharge date, after the day's groups, so the summary can count the sessions the
client actually attended. Summaries older than a few days are signed; recent ones are drafts
(the discharge-due list has work). Death gets no referrals; incarceration gets a re-entry one.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import peewee

from iopdesk.demo import names
from iopdesk.demo.roster import EpisodePlan
from iopdesk.demo.writer import BulkWriter
from iopdesk.models import AftercareReferral, Discharge, Episode
from iopdesk.services.discharge.service import discharge_hash
from iopdesk.services.discharge.summary import assemble
from iopdesk.storage.db import database, make_database
from iopdesk.storage.file_kind import is_encrypted_file

DETAILS = {
    "completed": "Completed the program; treatment goals met or substantially met.",
    "transferred": "Transferred to a higher level of care for more structure.",
    "left_against_advice": "Stopped attending; outreach by phone and letter was not answered.",
    "terminated_by_program": "Discharged by the program after repeated breaches of group agreements.",
    "incarcerated": "Incarcerated; program informed by the client's family.",
    "death": "Program was informed of the client's death.",
    "other": "Moved out of the area.",
}
REFERRALS = (
    ("Riverside Outpatient Counseling (demo)", "Outpatient counseling (level 1)"),
    ("Harbor Light Alumni Group (demo)", "Weekly alumni recovery group"),
    ("Cascadia Peer Recovery Network (demo)", "Peer recovery support"),
    ("Eastgate Psychiatry Associates (demo)", "Psychiatric medication management"),
    ("Fairhaven Sober Living (demo)", "Recovery housing"),
)
HIGHER_CARE = ("Lakeside Partial Hospitalization Program (demo)",
               "Partial hospitalization (level 2.5)")
REENTRY = ("County Re-entry Services (demo)", "Treatment referral on release")
BARRIERS = ("", "", "Transportation", "Waitlist of about two weeks",
            "Insurance authorization pending", "Work schedule conflicts")


class Closer:
    def __init__(self, writer: BulkWriter, as_of: dt.date) -> None:
        self.writer, self.as_of = writer, as_of
        self.discharges = writer.table(Discharge, "episode", "discharged_on", "reason",
                                       "reason_detail", "summary", "aftercare", "status",
                                       "signed_at", "signed_by", "content_hash")
        self.referrals = writer.table(AftercareReferral, "discharge", "provider", "service",
                                      "appointment_on", "contact", "barriers")

    def discharge(self, rng: random.Random, episode: EpisodePlan, day: dt.date) -> None:
        """The discharge row (signed unless recent) and its aftercare referrals."""
        reason = episode.outcome
        when = dt.datetime.combine(day, dt.time(16, rng.randrange(60)))
        summary: dict = {}  # assembled from the written record by `finish_summaries`
        if reason == "death":
            picks = []
        elif reason == "incarcerated":
            picks = [REENTRY]
        elif reason == "transferred":
            picks = [HIGHER_CARE]
        else:
            picks = rng.sample(REFERRALS, rng.randrange(1, 3))
        aftercare = "; ".join(f"{service} at {provider}" for provider, service in picks)
        signed_at = digest = None
        status = "draft"
        if day < self.as_of - dt.timedelta(days=4):  # signed (status too) by `finish_summaries`, once
            signed_at = when + dt.timedelta(days=rng.randrange(1, 4), hours=rng.randrange(4))  # assembled
        discharge_id = self.writer.add(
            self.discharges, when, episode.id, day, reason, DETAILS[reason], summary, aftercare,
            status, signed_at, episode.clinician.id if signed_at else None, digest,
            updated=signed_at)
        for provider, service in picks:
            appointment = None
            if rng.random() < 0.7:
                appointment = day + dt.timedelta(days=rng.randrange(3, 15))
            self.writer.add(self.referrals, when, discharge_id, provider, service, appointment,
                            names.phone(rng), rng.choice(BARRIERS))


def finish_summaries(db, batch: int = 500, workers: int = 0) -> int:
    """Assemble every demo discharge's summary from the written record and sign it the way the
    discharge service does (same summary builder, same hash). Returns how many were done.

    Assembling reads a dozen tables per discharge (about 10 ms); with `workers` of 2 or more, a
    clinic file with thousands of discharges has them assembled by that many helper processes
    reading the committed record while this process writes the results. Helpers are started by
    "spawn", which imports the caller's main module again: only a program whose main module is
    guarded by `if __name__ == "__main__"` may ask for them (the benchmark suite does)."""
    ids = [row[0] for row in Discharge.select(Discharge.id).order_by(Discharge.id).tuples()]
    chunks = [ids[i:i + batch] for i in range(0, len(ids), batch)]
    path = _plain_clinic_file(db)
    if path is None or workers < 2 or len(chunks) < 4:
        for chunk in chunks:
            _store(db, chunk, dict(_assemble(chunk)))
        return len(ids)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_open_for_reading, initargs=(str(path),)) as pool:
        for chunk, assembled in zip(chunks, pool.map(_assemble, chunks), strict=True):
            _store(db, chunk, dict(assembled))
    return len(ids)


def _plain_clinic_file(db) -> Path | None:
    """The clinic's file when other processes can open it as is (plain SQLite on disk)."""
    name = db.database if isinstance(db, peewee.SqliteDatabase) else None
    if not name or name == ":memory:":
        return None
    path = Path(name)
    return path if path.is_file() and not is_encrypted_file(path) else None


def _open_for_reading(path: str) -> None:
    """A helper process's connection to the clinic file (it only reads)."""
    database.initialize(make_database(path))


def _assemble(chunk: list) -> list[tuple]:
    """(discharge id, summary) for each discharge of `chunk`."""
    out = []
    for row in Discharge.select(Discharge.id, Discharge.episode, Discharge.discharged_on).where(
            Discharge.id.in_(chunk)):
        out.append((row.id, assemble(Episode.get_by_id(row.episode_id), row.discharged_on)))
    return out


def _store(db, chunk: list, summaries: dict) -> None:
    with db.atomic():
        for row in Discharge.select().where(Discharge.id.in_(chunk)).order_by(Discharge.id):
            row.summary = summaries[row.id]
            fields = {"summary": row.summary}
            if row.signed_at is not None:  # a signed discharge is sealed: written whole, as the service signs
                fields |= {"content_hash": discharge_hash(row, row.signed_by_id, row.signed_at), "status": "signed"}
            Discharge.update(**fields).where(Discharge.id == row.id).execute()
