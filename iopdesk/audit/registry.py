"""The one written registry of signed records: what is sealed, when, and what may still change.

Every record a person signs (a note, its co-signature or addendum, a treatment plan, a plan
review, a discharge, a consent and its revocation, a drug screen, a MAT dose, a group session's
sign-off, a billing export batch, a Part 2 disclosure) is a row of one table here. From this
registry come the seal at signing (iopdesk/audit/sealing.py: the record's canonical content and
its signing facts bound into the keyed audit chain), the check that recomputes every seal, the
guard triggers of migration 0009 (iopdesk/audit/guards.py) and the tamper suite in tests/security.

Status transitions. A record is sealed in its `sealed_states` (or from its insert when it has no
status column). While sealed its status changes only along `transitions` (a transition out of an
unsealed state, e.g. draft → signed, is the act of signing itself and always allowed); a
transition may set named columns (co-signing sets the co-signer and the time). A record that
arrives from another site by sync follows the same table: a draft here may arrive signed or
co-signed (that is draft → signed/cosigned), a note awaiting co-signature here may arrive
co-signed; nothing arrives that a site itself could not do. `free` columns are bookkeeping that
may change while sealed without a new seal and are not part of the seal; `once` columns go from
empty to a value once (a consent's revocation, which is sealed again).

Group session sign-off. The app has no separate sign-off of a session: signing the session's
group notes ("Sign all") is the act. The session (its date, times, topic, modality, shared part
and lead facilitator, which every attendee's note carries) is sealed with the notes, and counts as
sealed from then on: a session with a signed note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Bookkeeping every clinic row has: may change while sealed (sync, optimistic locking), never sealed.
BOOKKEEPING = frozenset({"updated_at", "version"})

NOTE_SIGNED = ("signed", "awaiting_cosign", "cosigned")

# The merge of a duplicate client (iopdesk/services/client_merge.py): the one act that changes a
# sealed record's client column, only to the chart its client was merged into (the guards check
# `client.merged_into_id`); the record is then sealed again with this provenance.
MERGE_ACT = "client merge"


@dataclass(frozen=True)
class Transition:
    """One allowed status change; `sets` are the columns it may fill in as it happens."""

    old: str
    new: str
    sets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Child:
    """Rows of `table` whose `parent_column` points at the sealed record (or at a covered child)."""

    table: str
    parent_column: str
    children: tuple[Child, ...] = ()


@dataclass(frozen=True)
class SignedTable:
    """One signed table. `words` name a record of it in findings ("signed note"); `status` is its
    status column (None: sealed from insert); `sealed_states` the states in which it is sealed;
    `signers` its signer columns; `facts` its signing facts (status, signers, times);
    `sealed_sql` overrides when it counts as sealed (SQL over the row alias OLD), and
    `sealed_through` (table, column) names the rows whose signing seals it."""

    table: str
    words: str
    status: str | None = None
    sealed_states: tuple[str, ...] = ()
    transitions: tuple[Transition, ...] = ()
    free: frozenset[str] = frozenset()
    once: frozenset[str] = frozenset()
    signers: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    children: tuple[Child, ...] = ()
    client_column: str | None = "client_id"
    sealed_sql: str | None = None
    sealed_through: tuple[str, str] | None = None
    acts: tuple[str, ...] = field(default=())

    @property
    def from_insert(self) -> bool:
        return self.status is None and self.sealed_sql is None

    def sealed_condition(self, alias: str) -> str:
        """SQL true when the row `alias` (OLD, NEW or a table alias) is sealed."""
        if self.sealed_sql is not None:
            return self.sealed_sql.replace("OLD.", f"{alias}.")
        if self.status is None:
            return "1 = 1"
        states = ", ".join(f"'{s}'" for s in self.sealed_states)
        return f'{alias}."{self.status}" IN ({states})'

    def transition_columns(self) -> frozenset[str]:
        return frozenset().union(*(t.sets for t in self.transitions))

    def never_changed(self, columns: list[str]) -> list[str]:
        """The columns of this table that never change while sealed (status and what transitions
        or `once` set are guarded separately)."""
        loose = BOOKKEEPING | self.free | self.once | self.transition_columns() | {self.status}
        return [c for c in columns if c not in loose]


SIGNED_TABLES: tuple[SignedTable, ...] = (
    SignedTable(
        "note", "signed note", status="status", sealed_states=NOTE_SIGNED,
        transitions=(Transition("draft", "signed"), Transition("draft", "awaiting_cosign"),
                     Transition("draft", "cosigned"),
                     Transition("awaiting_cosign", "cosigned", frozenset({"cosigned_at", "cosigned_by_id"}))),
        signers=("author_id", "cosigned_by_id"),
        facts=("status", "author_id", "signed_at", "cosign_required", "cosigned_by_id", "cosigned_at"),
        children=(Child("note_objective", "note_id"),),
        acts=("sign", "co-sign", "group session sign-off", MERGE_ACT),
    ),
    SignedTable(
        "note_addendum", "addendum", signers=("author_id",), facts=("author_id", "signed_at"),
        client_column=None, acts=("addendum",),
    ),
    SignedTable(
        "treatment_plan", "signed treatment plan", status="status", sealed_states=("signed", "superseded"),
        transitions=(Transition("draft", "signed"), Transition("signed", "superseded")),
        signers=("clinician_signed_by_id",),
        facts=("status", "clinician_signed_by_id", "clinician_signed_at", "client_signature_name",
               "client_signed_on"),
        children=(Child("plan_problem", "plan_id", (
            Child("plan_goal", "problem_id", (
                Child("plan_objective", "goal_id", (
                    Child("plan_intervention", "objective_id"),)),)),)),),
        acts=("plan sign", "plan supersede", MERGE_ACT),
    ),
    SignedTable(
        "plan_review", "signed plan review", signers=("reviewer_id",), facts=("reviewer_id", "signed_at"),
        children=(Child("objective_progress", "review_id"),), client_column=None, acts=("review",),
    ),
    SignedTable(
        "discharge", "signed discharge summary", status="status", sealed_states=("signed",),
        transitions=(Transition("draft", "signed"),), signers=("signed_by_id",),
        facts=("status", "signed_by_id", "signed_at"),
        children=(Child("aftercare_referral", "discharge_id"),), client_column=None,
        acts=("discharge sign",),
    ),
    SignedTable(
        "consent", "consent", once=frozenset({"revoked_on"}), signers=("signed_by", "recorded_by_id"),
        facts=("signed_by", "signed_on", "recorded_by_id", "revoked_on"),
        acts=("consent", "revocation", MERGE_ACT),
    ),
    SignedTable(
        "drug_screen", "drug screen", signers=("collected_by_id",), facts=("collected_by_id", "collected_on"),
        children=(Child("drug_screen_result", "screen_id"),), acts=("drug-screen result", MERGE_ACT),
    ),
    SignedTable(
        "mat_administration", "MAT dose", signers=("given_by_id",), facts=("given_by_id", "given_at"),
        acts=("MAT dose", MERGE_ACT),
    ),
    SignedTable(
        "group_session", "signed group session", free=frozenset({"status"}),
        signers=("lead_facilitator_id",), facts=("lead_facilitator_id",), client_column=None,
        sealed_sql=("EXISTS (SELECT 1 FROM \"note\" WHERE \"note\".\"group_session_id\" = OLD.\"id\" "
                    f"AND \"note\".\"status\" IN ({', '.join(repr(s) for s in NOTE_SIGNED)}))"),
        sealed_through=("note", "group_session_id"),
        acts=("group session sign-off",),
    ),
    SignedTable(
        "export_batch", "billing export batch", signers=("exported_by_id",),
        facts=("exported_by_id", "exported_at"), client_column=None, acts=("billing export",),
    ),
    SignedTable(
        "disclosure", "disclosure", signers=("disclosed_by_id",), facts=("disclosed_by_id", "disclosed_at"),
        acts=("disclosure", MERGE_ACT),
    ),
)

BY_TABLE: dict[str, SignedTable] = {spec.table: spec for spec in SIGNED_TABLES}


def covered_children(spec: SignedTable) -> list[tuple[Child, list[Child]]]:
    """Every child table a seal covers, each with its path of ancestors below the record."""
    out: list[tuple[Child, list[Child]]] = []

    def walk(children: tuple[Child, ...], path: list[Child]) -> None:
        for child in children:
            out.append((child, path))
            walk(child.children, [*path, child])

    walk(spec.children, [])
    return out


def signed_table(table: str) -> SignedTable | None:
    return BY_TABLE.get(table)
