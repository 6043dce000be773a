"""`Changes`: what a write touched, so each screen refreshes only when its kinds changed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    """Kinds of records a write changed (e.g. {"client", "note"}) and the clients affected."""

    kinds: frozenset[str] = frozenset()
    client_ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *kinds: str, client_id: object | None = None) -> Changes:
        ids = frozenset({str(client_id)}) if client_id is not None else frozenset()
        return cls(frozenset(kinds), ids)

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.kinds | other.kinds, self.client_ids | other.client_ids)

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def touches(self, *kinds: str) -> bool:
        return bool(self.kinds.intersection(kinds))
