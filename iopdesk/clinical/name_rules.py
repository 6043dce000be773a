"""The rule that keeps other clients' names out of a client's chart, as pure functions.

In a 42 CFR Part 2 program a note that names another client discloses that person's treatment to
whoever reads the chart. A group note's section that names another member of the session — in
full (legal or preferred first name and last name), or by a name that is that member's alone in
the group — blocks signing of that section; a name two other members share stays a warning, and so
does near-identical text across clients (a payer audit trigger). The shared part (topic, modality,
shared note) is copied into every attendee's chart: naming any member there blocks signing of the
whole session. An individual, family or medication-management note blocks when it names another
client of the program in full; a first name alone is not a finding there (with a thousand clients
in care nearly every first name is somebody's, and relatives and friends share them), while in a
group the people in the room are few and a first name identifies. Words that are also names of the
note's own client never count.

A clinician may override a finding with a reason (an ordinary word such as "Hope", a relative who
shares a name); an override covers only the words it names, so text edited afterwards to name
someone else blocks again. Findings carry what matched, whom (client id and initials) and where
(field and character offsets), so screens can highlight them.

Speed: names are indexed once (`NameIndex`: first word → phrases) and a text is tokenised once,
so checking a section costs a dictionary look-up per word, whatever the number of clients.
No database here: the services and the screens hand in the people and the texts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from iopdesk.errors import ValidationError

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
ASCII_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
NAME_GAP = re.compile(r"[\s\-‐‑–]{1,3}")  # between words of one name: spaces or a hyphen
COMMA_GAP = re.compile(r"\s*,\s*")  # "Blackwood, Jordan"
SIMILAR, OTHER_NAMED, SHARED_NAMED = "similar_text", "other_client_named", "client_named_in_shared_note"
SHARED_FIELDS = ("topic", "modality", "shared_note")
OVERRIDE_ACTION = "name_override"  # the audit event that keeps an override, with the signature
REASON_MAX = 500


def fold(text: str) -> str:
    """A word as compared: accents dropped, case folded ("José" and "jose" are one name)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _keys(name: str) -> tuple[str, ...]:
    return tuple(fold(m.group(0)) for m in WORD.finditer(name or "") if len(m.group(0)) > 1)


class Token(NamedTuple):
    key: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """The words of `text` with their offsets (apostrophes kept inside a word: O'Brien)."""
    text = text or ""
    if text.isascii():  # the common case, several times faster
        return [Token(m.group(0), m.start(), m.end()) for m in ASCII_WORD.finditer(text.lower())]
    return [Token(fold(m.group(0)), m.start(), m.end()) for m in WORD.finditer(text)]


@dataclass(frozen=True)
class Person:
    """The names a clinician might write for one client, and the initials to use instead."""

    client_id: str
    first: str
    last: str
    preferred: str = ""

    @property
    def display_name(self) -> str:
        """"Preferred (Legal) Last", or "Legal Last" without a different preferred name."""
        if self.preferred and self.preferred.lower() != self.first.lower():
            return f"{self.preferred} ({self.first}) {self.last}"
        return f"{self.first} {self.last}"

    @property
    def addressed_as(self) -> str:
        """How the clinic addresses the client in the room: preferred (or legal) first name and last name."""
        return f"{self.preferred or self.first} {self.last}"

    @property
    def initials(self) -> str:
        given = self.preferred or self.first
        return f"{given[:1].upper()}.{self.last[:1].upper()}."

    def words(self) -> set[str]:
        """Every name the client goes by, lower case (whole names: "quintana-reyes")."""
        return {w.strip().lower() for w in (self.first, self.last, self.preferred) if len(w.strip()) > 1}

    def keys(self) -> set[str]:
        """Every word of every name, as compared (`fold`)."""
        return {k for name in (self.first, self.last, self.preferred) for k in _keys(name)}

    def givens(self) -> list[tuple[str, ...]]:
        found = [_keys(self.first)]
        if _keys(self.preferred) and _keys(self.preferred) != found[0]:
            found.append(_keys(self.preferred))
        return [g for g in found if g]


@dataclass(frozen=True)
class _Phrase:
    keys: tuple[str, ...]
    client_id: str
    full: bool
    comma_at: int = 0  # "Last, First": the word index after the comma (0: no comma)


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    keys: tuple[str, ...]
    full_for: frozenset[str]  # clients whose full name this is
    client_ids: frozenset[str]  # every client one of whose names this is


class NameIndex:
    """People's names by their first word; `full_only` indexes full names alone (first or
    preferred name with the last name, also written "Last, First")."""

    def __init__(self, people: Iterable[Person], *, full_only: bool = False) -> None:
        self.people: dict[str, Person] = {}
        self._phrases: dict[str, dict[_Phrase, None]] = {}  # an ordered set per first word
        for person in people:
            self.people[person.client_id] = person
            last = _keys(person.last)
            for given in person.givens():
                if last:
                    self._add(_Phrase(given + last, person.client_id, True))
                    self._add(_Phrase(last + given, person.client_id, True, comma_at=len(last)))
                if not full_only:
                    self._add(_Phrase(given, person.client_id, False))
            if last and not full_only:
                self._add(_Phrase(last, person.client_id, False))
        self.words = frozenset(self._phrases)

    @classmethod
    def full_names_in(cls, people: Iterable[Person], texts: Iterable[str]) -> NameIndex:
        """A full-name index of only those `people` whose every last-name word occurs in `texts`:
        the others cannot be named in full there, and a thousand clients in care cost a set test
        each instead of an index entry."""
        words = {t.key for text in texts for t in tokenize(text)}
        return cls((p for p in people if (last := _keys(p.last)) and words.issuperset(last)), full_only=True)

    def _add(self, phrase: _Phrase) -> None:
        self._phrases.setdefault(phrase.keys[0], {})[phrase] = None

    def find(self, text: str, tokens: list[Token] | None = None) -> list[Match]:
        """Every mention of an indexed name in `text`, longest first at each place, not overlapping."""
        tokens = tokenize(text) if tokens is None else tokens
        out: list[Match] = []
        if self.words.isdisjoint(t.key for t in tokens):
            return out
        i = 0
        while i < len(tokens):
            best, hits = 0, []
            for phrase in self._phrases.get(tokens[i].key, ()):
                size = len(phrase.keys)
                if size < best or not self._fits(text, tokens, i, phrase):
                    continue
                if size > best:
                    best, hits = size, []
                hits.append(phrase)
            if not hits:
                i += 1
                continue
            last = tokens[i + best - 1]
            out.append(Match(tokens[i].start, last.end, tuple(t.key for t in tokens[i:i + best]),
                             frozenset(p.client_id for p in hits if p.full),
                             frozenset(p.client_id for p in hits)))
            i += best
        return out

    @staticmethod
    def _fits(text: str, tokens: list[Token], i: int, phrase: _Phrase) -> bool:
        if i + len(phrase.keys) > len(tokens):
            return False
        for j in range(1, len(phrase.keys)):
            token = tokens[i + j]
            if token.key != phrase.keys[j]:
                return False
            gap = text[tokens[i + j - 1].end:token.start]
            if not (COMMA_GAP if j == phrase.comma_at else NAME_GAP).fullmatch(gap):
                return False
        return True


@dataclass(frozen=True)
class Finding:
    """One thing to check before signing. `client_id` is whose note or section it is in (None:
    the session's shared part), `field` the section key (or topic, modality, shared_note,
    participants), `start`/`end` the offsets of `words` in that field's text, `named` the
    (client id, initials) of whom the words name. A blocking finding stops signing unless an
    override covers it (`override_reason`)."""

    kind: str
    client_id: str | None
    field: str
    start: int
    end: int
    words: str
    named: tuple[tuple[str, str], ...]
    blocking: bool
    message: str
    override_reason: str = ""

    @property
    def named_ids(self) -> tuple[str, ...]:
        return tuple(cid for cid, _ in self.named)

    @property
    def blocks(self) -> bool:
        """Blocking and not overridden."""
        return self.blocking and not self.override_reason


@dataclass(frozen=True)
class NameOverride:
    """The clinician's decision that `words`, found naming `named_client_id`, may stay, and why.
    `note_of` is whose note or section it covers in a group session (None: the shared part);
    signing a single note ignores it."""

    words: str
    named_client_id: str
    reason: str
    note_of: str | None = None

    def covers(self, finding: Finding, *, any_note: bool = False) -> bool:
        return (_same_words(self.words, finding.words) and self.named_client_id in finding.named_ids
                and (any_note or self.note_of == finding.client_id))


def _same_words(a: str, b: str) -> bool:
    return _keys(a) == _keys(b)


def checked_overrides(overrides: Iterable[NameOverride | Mapping]) -> list[NameOverride]:
    """Overrides as given by a caller (objects or mappings). Raises ValidationError (overrides)
    for one without words, named client or reason."""
    out = []
    for item in overrides or ():
        o = item if isinstance(item, NameOverride) else NameOverride(**dict(item))
        reason = " ".join(str(o.reason or "").split())
        if not _keys(o.words) or not str(o.named_client_id or "").strip():
            raise ValidationError("Overrides: each override names the words and the client they name.",
                                  field="overrides")
        if not reason:
            raise ValidationError(f"Overrides: give the reason “{o.words}” may stay in the note.",
                                  field="overrides")
        if len(reason) > REASON_MAX:
            raise ValidationError(f"Overrides: a reason is at most {REASON_MAX} characters.", field="overrides")
        out.append(replace(o, reason=reason, named_client_id=str(o.named_client_id),
                           note_of=str(o.note_of) if o.note_of is not None else None))
    return out


def apply_overrides(findings: Iterable[Finding], overrides: Iterable[NameOverride], *,
                    any_note: bool = False) -> list[Finding]:
    """`findings` with each blocking one an override covers marked with the override's reason."""
    overrides = list(overrides)
    out = []
    for f in findings:
        cover = next((o for o in overrides if f.blocking and o.covers(f, any_note=any_note)), None)
        out.append(replace(f, override_reason=cover.reason) if cover else f)
    return out


def used_overrides(findings: Iterable[Finding], overrides: Iterable[NameOverride], *,
                   any_note: bool = False) -> list[tuple[NameOverride, Finding]]:
    """Each override that covers a blocking finding, with the first finding it covers."""
    out = []
    findings = [f for f in findings if f.blocking]
    for o in overrides:
        hit = next((f for f in findings if o.covers(f, any_note=any_note)), None)
        if hit is not None:
            out.append((o, hit))
    return out


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocks]


def excerpt(text: str, start: int, end: int, width: int = 32) -> tuple[str, str, str]:
    """(before, the words, after): the words with up to `width` characters either side, on one line."""
    def flat(part: str) -> str:
        return re.sub(r"\s+", " ", part)
    return (("…" if start > width else "") + flat(text[max(0, start - width):start]), flat(text[start:end]),
            flat(text[end:end + width]) + ("…" if end + width < len(text) else ""))
