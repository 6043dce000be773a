"""Random damage to a file's bytes, drawn by hypothesis: what a bad disk, a cut-off copy or a
hand edit does to an exported or synced file. Shared by the fuzz tests of files the clinic
reads from elsewhere."""

from __future__ import annotations

import hypothesis.strategies as st


def damaged_bytes(data: st.DataObject, original: bytes, most: int) -> bytes:
    """`original` with 1 to `most` flipped, cut or inserted runs of bytes (never empty)."""
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, most))):
        where = data.draw(st.integers(0, len(damaged) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            damaged[where] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del damaged[where:where + data.draw(st.integers(1, 64))]
        else:
            damaged[where:where] = data.draw(st.binary(min_size=1, max_size=16))
        if not damaged:
            damaged = bytearray(b"x")
    return bytes(damaged)
