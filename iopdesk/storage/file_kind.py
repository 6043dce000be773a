"""What a clinic file is, from its first bytes: plain SQLite, encrypted (SQLCipher), plain
SQLite whose header was damaged, or plainly not a clinic at all (empty, another known kind of
file, text, a SQLite database of another program). Opening (storage/db.py), the damaged-file
check (storage/integrity.py) and backups all ask it; it reads files and imports nothing of ours.

A SQLCipher file has no header: its first 16 bytes are a random salt. So a file is only called
another kind by a signature long or structured enough that a salt matches it by chance less
than once in a hundred million files (the shortest below, GZIP's, fixes 3 bytes and 3 bits);
anything unrecognised may be encrypted, and only its passphrase tells.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
SCAN_BYTES = 1 << 20
PAGE_SIZES = (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512)
BTREE_PAGE_TYPES = (0x02, 0x05, 0x0A, 0x0D)
SQL_TEXT = (b"CREATE TABLE", b"CREATE INDEX", b"CREATE TRIGGER", b"CREATE UNIQUE INDEX")
ZERO_RUN = bytes(64)
SMALLEST_DATABASE = 512  # SQLite's (and SQLCipher's) smallest page: no database file is shorter

# File signatures ("magic numbers") of the files most often picked by mistake, from the file(1)
# magic database and Gary Kessler's table of file signatures (garykessler.net/library/file_sigs.html).
OTHER_KINDS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff\xe0", "a JPEG image"),
    (b"\xff\xd8\xff\xe1", "a JPEG image"),
    (b"\xff\xd8\xff\xdb", "a JPEG image"),
    (b"\xff\xd8\xff\xee", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx or .docx document is one)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Microsoft Office document (.xls or .doc)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x37\x7f\x06\x82", "a SQLite write-ahead log (the -wal file beside a database)"),
    (b"\x37\x7f\x06\x83", "a SQLite write-ahead log (the -wal file beside a database)"),
)
TEXT_SAMPLE = 4096


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
    """Whether a clinic file exists and may be encrypted: it is not plain SQLite (SQLCipher leaves
    no readable header) and not plainly another kind of file (`other_kind`). A plain SQLite file
    whose header was damaged is not encrypted: it is refused as damaged."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError:
        return False
    if len(header) != len(SQLITE_HEADER) or header == SQLITE_HEADER:
        return False
    return other_kind(path) is None and not looks_like_damaged_sqlite(path)


def _is_text(sample: bytes) -> bool:
    """Whether `sample` (the start of a file) is text: UTF-8 with no control characters but tab,
    line feed, carriage return and form feed (a cut character at its end is allowed)."""
    for cut in range(4):
        try:
            text = sample[:len(sample) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return all(c.isprintable() or c in "\t\n\r\f" for c in text)
    return False


def other_kind(path: Path) -> str | None:
    """What an existing file plainly is when it cannot be a clinic database, in words ("an empty
    file (0 bytes)", "a PNG image", "a text file", …), or None when it may be one (plain SQLite,
    encrypted, damaged SQLite, or a missing file). An empty file with a write-ahead log beside it
    is left to SQLite, which reads the log."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(TEXT_SAMPLE)
    except OSError:
        return None
    if not start:
        wal = Path(f"{path}-wal")
        return None if wal.is_file() and wal.stat().st_size > 0 else "an empty file (0 bytes)"
    if start.startswith(SQLITE_HEADER):
        return None
    for signature, kind in OTHER_KINDS:
        if start.startswith(signature):
            return kind
    if start.startswith(b"\x1f\x8b\x08") and len(start) > 3 and start[3] & 0xE0 == 0:
        return "a GZIP archive"
    if _is_text(start):
        return "a text file (CSV, notes or the like)"
    if len(start) < SMALLEST_DATABASE:
        return f"a file of {len(start)} bytes, too small to be a database"
    return None


def sqlite_tables(path: Path) -> list[str] | None:
    """The tables of the plain SQLite file at `path`, read without writing to it (read-only, so
    a database of another program keeps every byte; a write-ahead log beside it is read too);
    None when it is not a readable plain SQLite file."""
    try:
        with open(path, "rb") as handle:
            if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None
    except OSError:
        return None
    uri = "file:" + urllib.parse.quote(str(path)) + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return None
    try:
        return [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    except sqlite3.Error:
        return None
    finally:
        connection.close()
