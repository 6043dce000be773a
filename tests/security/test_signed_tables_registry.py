"""Every table that carries a status or a signature is in the registry of signed tables
(iopdesk/audit/registry.py), or is exempted here with its reason: a new signed table cannot be
added without a seal, a guard trigger and a place in the tamper suite."""

from __future__ import annotations

import re

from iopdesk.audit.registry import BOOKKEEPING, SIGNED_TABLES, covered_children
from iopdesk.models import ALL_MODELS

# table → why its status or *_by column is not a signature.
EXEMPT = {
    "episode": "episode.status is the episode of care's state (active, discharged), set by a signed discharge",
    "attendance": "attendance.status is who came to a session; it is covered by the group note, not a signature",
    "alert": "raised_by and resolved_by are a work queue's bookkeeping, each step audited",
    "emergency_access": "reviewed_by is the review queue of break-the-glass grants, each review audited",
    "level_of_care_change": "decided_by names who changed the level of care, an audited dated row",
    "measure_result": "entered_by names who typed a client's answers, an audited entry",
    "medication_dose": "entered_by names who entered a dose change, an audited entry (orders are not signed here)",
    "sync_conflict": "status and resolved_by are sync bookkeeping, resolved by an administrator, audited",
    "client_share": "shared_by and ended_by name the administrator who shared a chart with a site, audited",
}

SIGNATURE_LIKE = re.compile(r"^status$|signed|_by(_id)?$")


def _covered() -> set[str]:
    tables = {spec.table for spec in SIGNED_TABLES}
    for spec in SIGNED_TABLES:
        tables |= {child.table for child, _ in covered_children(spec)}
    return tables


def test_every_table_with_a_status_or_signature_column_is_sealed_or_exempted_with_a_reason():
    covered = _covered()
    missing = []
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = [f.column_name for f in model._meta.sorted_fields]
        found = [c for c in columns if SIGNATURE_LIKE.search(c)]
        if found and table not in covered and table not in EXEMPT:
            missing.append(f"{table} ({', '.join(found)})")
    assert not missing, "signed tables missing from iopdesk/audit/registry.py: " + "; ".join(missing)


def test_the_registry_names_only_real_tables_and_columns():
    columns = {m._meta.table_name: {f.column_name for f in m._meta.sorted_fields} for m in ALL_MODELS}
    for spec in SIGNED_TABLES:
        have = columns[spec.table]
        named = {*spec.signers, *spec.facts, *spec.free, *spec.once, *spec.transition_columns()}
        if spec.status:
            named.add(spec.status)
        assert named <= have, (spec.table, named - have)
        assert not BOOKKEEPING & named
        if spec.sealed_through:
            table, column = spec.sealed_through
            assert column in columns[table], (spec.table, spec.sealed_through)
        for child, _ in covered_children(spec):
            assert child.parent_column in columns[child.table], (child.table, child.parent_column)
    assert not set(EXEMPT) & _covered(), "an exempted table is also in the registry"


def test_every_sealed_transition_leaves_a_sealed_state_for_a_sealed_one():
    for spec in SIGNED_TABLES:
        for step in spec.transitions:
            if step.old in spec.sealed_states:
                assert step.new in spec.sealed_states, (spec.table, step)
