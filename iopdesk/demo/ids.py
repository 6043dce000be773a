"""Deterministic row ids for demo data: UUIDv7-shaped, built from a row's synthetic time.

`iopdesk.kernel.ids.new_id` reads the wall clock and the operating system's randomness, so two runs
never agree. Demo rows instead take their 48-bit millisecond timestamp from the clinical moment
they describe (a session's end, a note's signing) and their remaining bits from a seeded
`random.Random`, keeping the bit layout of `iopdesk.kernel.ids` (version 7, RFC 9562 variant): ids stay
time-ordered like real ones, and the same seed gives the same ids.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

_EPOCH = dt.datetime(1970, 1, 1)
_MS48 = (1 << 48) - 1
_VERSION_BITS = 0x7 << 76
_VARIANT_BITS = 0b10 << 62


def millis(when: dt.datetime) -> int:
    """Milliseconds since 1970 of a naive UTC datetime."""
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


class IdMaker:
    """Makes ids as 32-digit hex strings (what `UUIDField` stores) from a seeded generator."""

    def __init__(self, seed: str) -> None:
        self._bits = random.Random(seed).getrandbits

    def at(self, when: dt.datetime) -> str:
        """A fresh id whose time part is `when` (naive UTC)."""
        bits = self._bits(74)
        value = (
            (millis(when) & _MS48) << 80
            | _VERSION_BITS
            | (bits >> 62) << 64
            | _VARIANT_BITS
            | (bits & ((1 << 62) - 1))
        )
        return f"{value:032x}"


def dashed(hex_id: str) -> str:
    """The canonical dashed form of a hex id (how `str(uuid)` renders it in content hashes)."""
    return str(uuid.UUID(hex_id))
