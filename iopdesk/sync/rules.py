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
   larger value wins without a conflict (a lockout anywhere holds everywhere).
5. A row refused by the database (a natural key such as an MRN or a username taken at another
   site) is kept whole in a conflict record.
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


LARGEST_WINS: frozenset[tuple[str, str]] = frozenset({
    ("staff", "last_login_at"), ("staff", "failed_logins"), ("staff", "locked_until"),
    # one pair merged at two sites: the same merge, whenever each site did it (client_merge.py)
    ("client", "merged_at"),
})


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
