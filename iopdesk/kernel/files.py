"""Writing a file all or nothing: backups, restores, encrypted copies, sync files, printed PDFs,
billing workbooks and client exports are written under a temporary name beside their destination
and moved into place only when complete, so a crash, a full disk or a refusal half-way never
leaves a half-written file where the clinic expects a whole one.

Invariants: the temporary is in the destination's folder (so the move is one atomic rename) and
has a name of its own (two writers never share it); when writing fails, the temporary and
SQLite's -journal, -wal and -shm beside it are removed and the destination is as it was; with
`durable`, the file is flushed to the disk before the move and the folder entry after it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


def temporary_beside(path: str | os.PathLike[str]) -> Path:
    """A name for a temporary in `path`'s folder that nothing uses yet: ".NAME.1a2b3c4d.part"."""
    path = Path(path)
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")


def _sync_folder(folder: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def put_in_place(temporary: str | os.PathLike[str], path: str | os.PathLike[str], *,
                 durable: bool = False) -> None:
    """Move the complete `temporary` over `path` in one rename (an empty folder at `path` is
    replaced by a folder). `durable`: flush the file first and the folder entry after, so the
    new file survives a power cut."""
    temporary, path = Path(temporary), Path(path)
    if durable and temporary.is_file():
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
    if temporary.is_dir() and path.is_dir():
        path.rmdir()  # refuses a folder that is not empty
    os.replace(temporary, path)
    if durable:
        _sync_folder(path.parent)


def _discard(temporary: Path) -> None:
    if temporary.is_dir():
        shutil.rmtree(temporary, ignore_errors=True)
    temporary.unlink(missing_ok=True)
    for suffix in SQLITE_SIDE_FILES:
        Path(f"{temporary}{suffix}").unlink(missing_ok=True)


@contextmanager
def replacing(path: str | os.PathLike[str], *, durable: bool = False, folder: bool = False) -> Iterator[Path]:
    """Yields a temporary path beside `path` for the block to write (with `folder`, a new empty
    folder there; else nothing exists at it yet, so a writer that wants a path, such as ReportLab,
    openpyxl or SQLite's backup, can create it). When the block ends, the temporary is moved over
    `path` (`put_in_place`), unless the block already did so itself; when the block raises,
    the temporary is removed and `path` is left as it was."""
    temporary = temporary_beside(path)
    if folder:
        temporary.mkdir()
    try:
        yield temporary
        if temporary.exists():
            put_in_place(temporary, path, durable=durable)
    finally:
        _discard(temporary)


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, durable: bool = True,
                 encoding: str = "utf-8") -> None:
    """Write `data` (text in `encoding`, or bytes) as the whole of `path`, all or nothing."""
    body = data.encode(encoding) if isinstance(data, str) else data
    with replacing(path, durable=durable) as temporary:
        temporary.write_bytes(body)
