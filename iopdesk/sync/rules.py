"""The conflict rules of site sync, in one place (the README's "Sync rules" repeats them).

1. Signed notes, signed plans, signed discharges, audit events, disclosures and addenda are
   immutable: once sealed, an incoming change to their sealed columns is never applied; it is
   kept in a conflict record instead. A row sealed at one site and edited as a draft at another
   takes the sealed version; the draft edits are kept in a conflict record. Addenda, audit
   events and disclosures are only ever added.
2. A mutable row edited at two sites before either saw the other's edit (both edits pending):
   columns changed at one side only are merged; a column changed at both sides to different
   values becomes a conflict record holding both values, and the row holds the winner until an
   admin resolves it. The winner is the higher row version, then the larger value: the same
   answer at every site, never the wall clock (offline laptops drift).
3. Deleting is a tombstone that syncs; an edit of a row deleted elsewhere is kept in a conflict
   record, not resurrected. A sealed row is never deleted by sync: a draft signed at one site
   and deleted at another stays, signed, everywhere, with the deletion in a conflict record.
4. Sign-in bookkeeping (last sign-in, failed attempts, lockout) is not clinical content: the
   larger value wins without a conflict (a lockout anywhere holds everywhere). It and the audit
   trail travel with every sync but are not counted as changes: a sync that carries only them
   (every command-line run signs in, which writes an audit event and the staff row's last
   sign-in) reports no change, and nothing is pending while only they wait.
5. Records with the same natural key (a unique column or index: attendance per session and
   client, an enrolment, a measure schedule, a facilitator, a role, a payer code …) made at two
   sites before they synced become one record: the one with the smaller id survives at every
   site, the two are merged field by field by rule 2 (a field with two different values becomes
   a conflict record, the winner rule picks the value held), whatever pointed at the other one
   is re-pointed, and the other one is removed. The merge is kept as a resolved conflict record
   of kind "merged" (removed id → surviving id) that syncs, so a change or a child record that
   arrives later for the removed id lands on the survivor (the alias map). Not merged, and kept
   whole in a conflict record instead:
   - a sealed record (a signed note, plan or discharge) clashing with another: two signed
     documents are never folded into one silently; an administrator decides;
   - the keys in `KEPT_APART`, which name identities: a client registered at two sites is one
     person only if an administrator says so (the duplicate-client merge), a username or a site
     code names one account or site, each site numbers its own audit events, and a restored
     copy's writer id and MRN tag name that copy;
   - a record whose clash cannot be undone without losing what points at it (a signed or
     referenced record whose key cannot be set aside for the move).
   A row the database refuses for any other reason is kept whole in a conflict record too.
"""

from __future__ import annotations

from dataclasses import dataclass

from iopdesk.storage.records import canonical_json


@dataclass(frozen=True)
class Seal:
    """When a row becomes immutable (`column` is set; None = from its first save) and which
    columns may still change afterwards (a cosignature, superseding a plan)."""

    column: str | None
    still_mutable: frozenset[str] = frozenset()


SEALS: dict[str, Seal] = {
    "note": Seal("signed_at", frozenset({"status", "cosigned_at", "cosigned_by_id"})),
    "treatment_plan": Seal("clinician_signed_at",
                           frozenset({"status", "client_signed_on", "client_signature_name"})),
    "discharge": Seal("signed_at"),
    "note_addendum": Seal(None),
    "audit_event": Seal(None),
    "disclosure": Seal(None),
}


KEPT_APART: dict[tuple[str, tuple[str, ...]], str] = {
    ("client", ("mrn",)): "the MRN is already used by another client",
    ("staff", ("username",)): "the username is already used by another staff member",
    ("site", ("code",)): "the site code is already used by another site",
    ("audit_event", ("origin_site", "seq")): "the audit event number is already used at that site",
    # a restored copy's writer and MRN tag (iopdesk/sync/incarnation.py): two copies restored
    # apart that drew the same tag must not be folded into one; an administrator sees the clash
    ("site_incarnation", ("writer",)): "that writer id is already used by another restored copy",
    ("site_incarnation", ("site", "mrn_tag")): "two restored copies of this site drew the same MRN tag",
}


def merges_by_key(table: str, key: tuple[str, ...]) -> bool:
    """Rule 5: whether two rows with this natural key become one record."""
    return (table, key) not in KEPT_APART


LARGEST_WINS: frozenset[tuple[str, str]] = frozenset({
    ("staff", "last_login_at"), ("staff", "failed_logins"), ("staff", "locked_until"),
    # one pair merged at two sites: the same merge, whenever each site did it (client_merge.py)
    ("client", "merged_at"),
})


# Tables whose rows are the audit trail, not clinical records (rule 4: sent, never counted).
BOOKKEEPING_TABLES: frozenset[str] = frozenset({"audit_event"})
_ROW_STAMPS = frozenset({"version", "updated_at"})


def is_bookkeeping(table: str, fields: list[str] | tuple[str, ...] | set[str]) -> bool:
    """Rule 4: whether a change of `fields` ("*" = a new row) of a `table` row is only the audit
    trail or sign-in bookkeeping, so a sync carrying it still reads as idle."""
    if table in BOOKKEEPING_TABLES:
        return True
    changed = set(fields) - _ROW_STAMPS
    return bool(changed) and "*" not in changed and all((table, f) in LARGEST_WINS for f in changed)


def largest(mine: object, theirs: object) -> object:
    """Rule 4: the larger of two values, a missing one counting least."""
    if mine is None or theirs is None:
        return theirs if mine is None else mine
    return max(mine, theirs)


def is_sealed(table: str, row: dict | None) -> bool:
    """Whether this stored or incoming row (columns → JSON values) may no longer change."""
    seal = SEALS.get(table)
    if seal is None or row is None:
        return False
    return seal.column is None or row.get(seal.column) is not None


def sealed_columns(table: str, columns: list[str]) -> set[str]:
    seal = SEALS.get(table)
    if seal is None:
        return set()
    return {c for c in columns if c not in seal.still_mutable and c not in ("version", "updated_at")}


def winner_is_incoming(local_version: int, local_value: object, incoming_version: int,
                       incoming_value: object) -> bool:
    """Rule 2's winner: the higher row version, then the larger value in canonical JSON. Both
    sides of a conflict see the same two (version, value) pairs, so every site picks the same
    winner without asking which site or which clock made them."""
    return (incoming_version, canonical_json(incoming_value)) > (local_version, canonical_json(local_value))
