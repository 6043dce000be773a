"""Incarnations: a site's database restored from a backup writes under a new identity.

Why. A restored copy cannot know, offline, what its lost life wrote after the backup was taken:
audit events numbered after the backup's head, MRNs after its last one, row changes its peers
already hold. Continuing as the same writer reused those numbers (issue 20, failure 1: the next
sync failed on `audit_event (origin_site, seq)`, and a new client got `NORTH-000002` again). So a
restore starts a new *incarnation*: the copy gets a new writer id and, from then on,
- stamps it as `origin_site` on the rows and audit events it writes, and syncs as it (the sync
  identity's site and every peer's `SyncPeer.peer_site`): peers treat it as a new peer and send it
  everything (rows equal on both sides stay as they are), so it gets back what its lost life sent;
- starts a fresh audit chain under it (seq 1 onwards); the old life's events, from the backup and
  from the peers, stay verifiable as another writer's chain;
- issues MRNs with its own tag, so they cannot clash with those the lost life issued.
The clinic place stays the same: setting `this_site` (the Site: clients' site, the site code).
A database that was never restored writes as its site's id (setting `writer_site` absent), so
existing clinics need no data migration. The synced table `site_incarnation` maps each writer to
its site, number, MRN tag, start and reason, at every site.

MRN scheme (printed MRNs never change):
- a site's first life issues `<SITE>-<number>`: `NORTH-000002`;
- each later incarnation issues `<SITE>-<tag>-<number>`, numbered from 1: `NORTH-K7Q2-000001`.
  The tag is 4 characters: a letter, then 3 of Crockford's base32 (no I, L, O, U), drawn at random
  and checked against the tags this copy knows for its site. Random, because two restores of the
  same backup are made apart and offline and cannot agree; 22 × 32³ = 720,896 tags make a clash
  between two restores of one site about one in 720,000. A tag starting with a letter keeps the
  first life's numbers apart: they are the MRNs whose part after `<SITE>-` is all digits.
- a site code is at most 8 characters, so an MRN is at most 20.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.ids import new_id
from iopdesk.models import AuditHead, ClinicSetting, SiteIncarnation, SyncChange, writing_as_site

WRITER_SETTING = "writer_site"
TAG_FIRST = "ABCDEFGHJKMNPQRSTVWXYZ"
TAG_REST = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Incarnation:
    """A new incarnation just begun: the writer it replaces and the new one."""

    previous_writer: str
    writer: str
    number: int
    mrn_tag: str
    database_id: str


def setting(key: str) -> object:
    """A local setting of this database (clinic_setting; call bound), None when absent."""
    row = ClinicSetting.get_or_none(ClinicSetting.key == key)
    return row.value if row else None


def put_setting(key: str, value: object) -> None:
    """Write a local setting of this database (call bound, in a transaction)."""
    if ClinicSetting.update(value=value, updated_at=utcnow()).where(ClinicSetting.key == key).execute() == 0:
        ClinicSetting.create(key=key, value=value)


def writer_id() -> uuid.UUID:
    """The id this database writes as (call with it bound): its incarnation's, else its site's."""
    return uuid.UUID(str(setting(WRITER_SETTING) or setting("this_site")))


def mrn_prefix(site_code: str) -> str:
    """The prefix of the MRNs this database issues for its own site (see the scheme above)."""
    row = SiteIncarnation.get_or_none(SiteIncarnation.writer == writer_id())
    return f"{site_code}-{row.mrn_tag}-" if row is not None else f"{site_code}-"


def writer_of_site(site_id: uuid.UUID | str) -> str:
    """The writer a site syncs as now: its newest incarnation's, or the site's own id."""
    row = (SiteIncarnation.select().where(SiteIncarnation.site == uuid.UUID(str(site_id)))
           .order_by(SiteIncarnation.number.desc(), SiteIncarnation.started_at.desc()).first())
    return str(row.writer) if row is not None else str(uuid.UUID(str(site_id)))


def sites_of_writers() -> dict[str, str]:
    """Writer id → site id for every incarnation known here (a site's own id maps to itself)."""
    return {str(row.writer): str(row.site) for row in SiteIncarnation.select()}


def _new_tag(taken: set[str]) -> str:
    while True:
        tag = secrets.choice(TAG_FIRST) + "".join(secrets.choice(TAG_REST) for _ in range(3))
        if tag not in taken:
            return tag


def begin(reason: str) -> Incarnation:
    """Start a new incarnation of this database (call with it bound, inside a transaction).

    Gives it a new writer id, MRN tag and database identity, records the incarnation (it syncs),
    labels this copy's own earlier change-log entries with the writer that made them, and starts
    a fresh audit chain: the caller records its "restore"/"reidentify" event under the new writer
    (`writing_as_site(uuid.UUID(result.writer))`) and moves the process to it. Needs the audit key.
    """
    from iopdesk.audit import chain as audit_chain
    from iopdesk.audit import keys as audit_keys

    site = uuid.UUID(str(setting("this_site")))
    previous = writer_id()
    known = list(SiteIncarnation.select().where(SiteIncarnation.site == site))
    number = max([row.number for row in known], default=1) + 1
    tag = _new_tag({row.mrn_tag for row in known})
    writer = new_id()
    key = audit_keys.database_key(create=False)
    SyncChange.update(origin_site=str(previous)).where(SyncChange.origin_site.is_null()).execute()
    with writing_as_site(writer):
        SiteIncarnation.create(writer=writer, site=site, number=number, mrn_tag=tag, started_at=utcnow(),
                               reason=reason)
    put_setting(WRITER_SETTING, str(writer))
    database_id = str(new_id())
    put_setting("database_id", database_id)
    AuditHead.update(seq=0, event_hash=audit_chain.GENESIS, keyed_from=1,
                     mac=audit_chain.head_mac(key, 0, audit_chain.GENESIS, 1), checked_seq=0,
                     checked_hash=audit_chain.GENESIS, checked_mac=None, updated_at=utcnow()).where(
        AuditHead.name == "main").execute()
    return Incarnation(str(previous), str(writer), number, tag, database_id)

