"""The base every clinic table shares: UUID key, timestamps, originating site, row version.

Invariants:
- `id` is a UUIDv7 made where the row is created, so rows from different sites never collide.
- `origin_site` is the site whose database created the row (sync needs it).
- `version` starts at 1 and grows by one on every update; an update that expects another version
  is refused (optimistic locking, see `iopdesk.storage.records.update_versioned`).
- `created_at`/`updated_at` are naive UTC.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator

import peewee

from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.ids import new_id
from iopdesk.storage.db import database

_current_site: dict[str, uuid.UUID | None] = {"id": None}
_thread_site = threading.local()


def set_current_site(site_id: uuid.UUID | None) -> None:
    """The site this process writes as; stamped on every new row."""
    _current_site["id"] = site_id


def current_site() -> uuid.UUID | None:
    override = getattr(_thread_site, "id", None)
    return override if override is not None else _current_site["id"]


@contextlib.contextmanager
def writing_as_site(site_id: uuid.UUID) -> Iterator[None]:
    """Within the block, rows made on this thread are stamped with `site_id` (a sync writing
    into the other side's database, see `iopdesk.storage.db.ClinicDatabaseProxy.bound_to`)."""
    previous = getattr(_thread_site, "id", None)
    _thread_site.id = site_id
    try:
        yield
    finally:
        _thread_site.id = previous


class JSONField(peewee.TextField):
    """JSON stored as text, the same on SQLite and PostgreSQL (sorted keys, so hashes are stable)."""

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)

    def python_value(self, value):
        if value is None:
            return None
        return json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Record(BaseModel):
    id = peewee.UUIDField(primary_key=True, default=new_id)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    origin_site = peewee.UUIDField(null=True)
    version = peewee.IntegerField(default=1)

    def save(self, force_insert: bool = False, only=None):
        """Stamp the originating site on first save. Create rows with `Model.create()`:
        with a client-made UUID key, a plain save() would issue an UPDATE."""
        if self.origin_site is None:
            self.origin_site = current_site()
        return super().save(force_insert=force_insert, only=only)
