"""The checks a note goes through before it is signed, built on `name_rules`: other members'
names in a group note's section, any member's name in the session's shared part, near-identical
text across a session's clients, and another client's full name in an individual note.

Pure functions over texts and people, used alike by the signing services (which refuse a note
with a blocking finding), by the screens (which run them on what is on screen while the clinician
types) and by the administrator's list of signed notes that name another client. See
`iopdesk.clinical.name_rules` for the rule itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher
from itertools import combinations

from iopdesk.clinical.name_rules import (
    OTHER_NAMED,
    SHARED_NAMED,
    SIMILAR,
    Finding,
    NameIndex,
    NameOverride,
    Person,
    apply_overrides,
)

FIELD_WORDS = {"topic": "topic", "modality": "modality", "shared_note": "shared note"}


def joined_text(sections: Mapping[str, str]) -> str:
    return "\n".join(v.strip() for v in sections.values() if (v or "").strip())


def _named(index: NameIndex, ids: Iterable[str]) -> tuple[tuple[str, str], ...]:
    people = sorted((index.people[c] for c in ids), key=lambda p: (p.initials, p.client_id))
    return tuple((p.client_id, p.initials) for p in people)


def _who(named: tuple[tuple[str, str], ...]) -> str:
    initials = [i for _, i in named]
    return initials[0] if len(initials) == 1 else ", ".join(initials[:-1]) + " and " + initials[-1]


def section_findings(me: Person, index: NameIndex, fields: Mapping[str, str]) -> list[Finding]:
    """Other members' names in `me`'s section (`index`: every member of the session). A full name,
    or a name no other member shares, blocks; a name two or more other members share warns.
    Words that are also `me`'s names are left alone."""
    own, out = me.keys(), []
    for field, text in fields.items():
        for m in index.find(text or ""):
            others = m.client_ids - {me.client_id}
            if not others or set(m.keys) <= own:
                continue
            full = m.full_for - {me.client_id}
            named = _named(index, full or others)
            words, who = text[m.start:m.end], _who(named)
            if full:
                message = (f"{me.initials}'s section names {who} in full (“{words}”); other members "
                           "appear by initials only.")
            elif len(others) == 1:
                message = (f"{me.initials}'s section names another member (“{words}”, {who}): no one else "
                           "in the group has that name, so it identifies them; write the initials instead.")
            else:
                message = (f"{me.initials}'s section has “{words}”, a name {who} share in this group; "
                           "if it means one of them, write the initials instead.")
            out.append(Finding(OTHER_NAMED, me.client_id, field, m.start, m.end, words, named,
                               bool(full) or len(others) == 1, message))
    return out


def shared_part_findings(index: NameIndex, fields: Mapping[str, str]) -> list[Finding]:
    """Any member's name in the shared part (topic, modality, shared note): each blocks the session."""
    out = []
    for field, text in fields.items():
        for m in index.find(text or ""):
            named = _named(index, m.full_for or m.client_ids)
            words = text[m.start:m.end]
            out.append(Finding(
                SHARED_NAMED, None, field, m.start, m.end, words, named, True,
                f"The shared part names a client (“{words}”, {_who(named)}) in the "
                f"{FIELD_WORDS.get(field, field)}; it is copied into every attendee's chart, so nothing in "
                "this session is signed until the name is taken out or the finding is overridden."))
    return out


def similar_findings(people: Mapping[str, Person], sections: Mapping[str, Mapping[str, str]],
                     threshold: float, cache: dict | None = None) -> list[Finding]:
    """Pairs of clients whose individualized text is at least `threshold` alike (warnings).
    `cache` (text pair → ratio) spares pairs compared before, e.g. while one section is typed."""
    out: list[Finding] = []
    texts = {cid: t for cid, parts in sections.items() if (t := joined_text(parts))}
    for (a, ta), (b, tb) in combinations(sorted(texts.items()), 2):
        key = (ta, tb)
        ratio = cache.get(key) if cache is not None else None
        if ratio is None:
            matcher = SequenceMatcher(None, ta.lower(), tb.lower(), autojunk=False)
            quick = matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
            ratio = matcher.ratio() if quick else 0.0
            if cache is not None:
                cache[key] = ratio
        if ratio < threshold:
            continue
        pa, pb = people.get(a), people.get(b)
        for cid, mine, theirs in ((a, pa, pb), (b, pb, pa)):
            named = ((theirs.client_id, theirs.initials),) if theirs else ()
            out.append(Finding(
                SIMILAR, cid, "", 0, 0, "", named, False,
                f"{mine.initials if mine else '?'}'s individualized text is {ratio:.0%} like "
                f"{theirs.initials if theirs else '?'}'s; payers flag near-identical group notes, so describe "
                "this client's own participation."))
    return out


def session_findings(people: Iterable[Person], sections: Mapping[str, Mapping[str, str]],
                     shared: Mapping[str, str], *, threshold: float | None = None,
                     overrides: Iterable[NameOverride] = (), cache: dict | None = None) -> list[Finding]:
    """Everything to check in a group session: `sections` maps client id → that client's GROUP
    sections, `shared` the shared part's fields; similarity is left out when `threshold` is None.
    Overrides are applied (an overridden finding keeps its place, with the reason)."""
    index = NameIndex(people)
    out: list[Finding] = []
    for cid, parts in sections.items():
        me = index.people.get(cid)
        if me is not None:
            out += section_findings(me, index, parts)
    if threshold is not None:
        out += similar_findings(index.people, sections, threshold, cache)
    out += shared_part_findings(index, shared)
    return apply_overrides(out, overrides)


def note_findings(own: Person, index: NameIndex, fields: Mapping[str, str],
                  overrides: Iterable[NameOverride] = ()) -> list[Finding]:
    """Another client's full name in a note of `own` (`index`: full names of the program's
    clients, `NameIndex(people, full_only=True)`); each blocks unless overridden."""
    out = []
    own_keys = own.keys()
    for field, text in fields.items():
        for m in index.find(text or ""):
            others = m.full_for - {own.client_id}
            if not others or set(m.keys) <= own_keys:
                continue
            named = _named(index, others)
            words = text[m.start:m.end]
            out.append(Finding(
                OTHER_NAMED, own.client_id, field, m.start, m.end, words, named, True,
                f"This note names another client of the program (“{words}”, {_who(named)}); write about "
                "other clients without their names, or override with the reason if the words mean "
                "someone else."))
    return apply_overrides(out, overrides, any_note=True)
