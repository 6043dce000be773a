"""What a clinic file is, from its first bytes: plain SQLite, encrypted (SQLCipher), or plain
SQLite whose header was damaged. Opening (storage/db.py), the damaged-file check
(storage/integrity.py) and backups all ask it; it reads files and imports nothing of ours.
"""

from __future__ import annotations

from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
SCAN_BYTES = 1 << 20
PAGE_SIZES = (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512)
BTREE_PAGE_TYPES = (0x02, 0x05, 0x0A, 0x0D)
SQL_TEXT = (b"CREATE TABLE", b"CREATE INDEX", b"CREATE TRIGGER", b"CREATE UNIQUE INDEX")
ZERO_RUN = bytes(64)


def _btree_page(data: bytes, start: int, size: int) -> bool:
    """Whether a plausible b-tree page header starts at `start` of a page of `size` bytes."""
    header = data[start:start + 8]
    if len(header) < 8 or header[0] not in BTREE_PAGE_TYPES:
        return False
    page_start = start - start % size
    used = start - page_start + (12 if header[0] in (0x02, 0x05) else 8)
    freeblock = int.from_bytes(header[1:3], "big")
    cells = int.from_bytes(header[3:5], "big")
    content = int.from_bytes(header[5:7], "big") or 65536
    return ((freeblock == 0 or used <= freeblock < size)
            and used + 2 * cells <= content <= size and header[7] <= 60)


def looks_like_damaged_sqlite(path: Path) -> bool:
    """Whether a clinic file WITHOUT SQLite's header is a plain SQLite file whose first page was
    damaged (rather than an encrypted one).

    SQLCipher encrypts every page, header included: its file is indistinguishable from random
    bytes. A plain SQLite file keeps its structure past a smashed header: SQL text of its schema,
    runs of zero bytes in unused page space (64 zero bytes in a row never occur in an encrypted
    file), and b-tree page headers at page boundaries for one page size. Reads at most 1 MiB.
    False for a file with an intact SQLite header (quick_check judges those) or a tiny one.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(SCAN_BYTES)
    except OSError:
        return False
    if len(data) < 512 or data.startswith(SQLITE_HEADER):
        return False
    if ZERO_RUN in data or any(text in data for text in SQL_TEXT):
        return True
    for size in PAGE_SIZES:
        pages = range(1, min(len(data) // size, 16))
        if not pages:
            continue
        plausible = sum(_btree_page(data, number * size, size) for number in pages)
        if plausible >= 3 or plausible >= 2 and _btree_page(data, 100, size):
            return True
    return False


def is_encrypted_file(path: Path) -> bool:
    """Whether a clinic file exists and is not plain SQLite (SQLCipher leaves no readable header).
    A plain SQLite file whose header was damaged is not encrypted: it is refused as damaged."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError:
        return False
    if len(header) != len(SQLITE_HEADER) or header == SQLITE_HEADER:
        return False
    return not looks_like_damaged_sqlite(path)
