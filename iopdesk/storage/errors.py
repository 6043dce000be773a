"""Clear messages for what the storage refuses: a busy (locked) database, a full disk, a read-only
file or folder, a damaged file.

SQLite reports these as `OperationalError("database is locked")` and the like, which reach a
clinician as "something went wrong". `with_clear_errors(SqliteDatabase)` is a database class whose
connect, BEGIN, statements and COMMIT raise instead one of the errors below, each an `IopDeskError`
with a message a person can act on AND a `peewee.OperationalError` (so code that caught the
driver's error still does). A failed statement or commit is rolled back by the caller's
`db.atomic()` as before: nothing is half written. A rollback that finds the transaction already
ended (SQLite rolls back by itself on a full disk) is not an error.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Iterator

import peewee

from iopdesk.errors import DatabaseDamaged, DatabaseUnavailable

NOTHING_SAVED = "Nothing was saved"


class DatabaseBusy(DatabaseUnavailable, peewee.OperationalError):
    """Another workstation or program held the database longer than the busy timeout."""


class DiskFull(DatabaseUnavailable, peewee.OperationalError):
    """The disk (or the database's size limit) is full."""


class ReadOnlyDatabase(DatabaseUnavailable, peewee.OperationalError):
    """The clinic file or its folder cannot be written."""


class DamagedOnWrite(DatabaseDamaged, peewee.OperationalError):
    """SQLite found a damaged page while reading or writing."""


_CODES = {
    getattr(sqlite3, "SQLITE_BUSY", 5): "busy", getattr(sqlite3, "SQLITE_LOCKED", 6): "busy",
    getattr(sqlite3, "SQLITE_FULL", 13): "full", getattr(sqlite3, "SQLITE_READONLY", 8): "readonly",
    getattr(sqlite3, "SQLITE_CANTOPEN", 14): "cantopen", getattr(sqlite3, "SQLITE_CORRUPT", 11): "corrupt",
    getattr(sqlite3, "SQLITE_NOTADB", 26): "corrupt",
}
_TEXTS = (("database is locked", "busy"), ("table is locked", "busy"), ("disk is full", "full"),
          ("readonly database", "readonly"), ("unable to open database file", "cantopen"),
          ("disk image is malformed", "corrupt"), ("file is not a database", "corrupt"))


def _kind(exc: BaseException) -> str | None:
    for candidate in (exc, *(a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)),
                      exc.__cause__, exc.__context__):
        code = getattr(candidate, "sqlite_errorcode", None)
        if code is not None and (code & 0xFF) in _CODES:
            return _CODES[code & 0xFF]
    text = str(exc).lower()
    return next((kind for needle, kind in _TEXTS if needle in text), None)


def clear_error(exc: BaseException, where: str) -> peewee.OperationalError | None:
    """The clear error for a driver error on the database at `where` (a path), or None when the
    error is of another kind (a constraint, a bug) and must stay as it is."""
    if isinstance(exc, DatabaseUnavailable):
        return None
    kind = _kind(exc)
    if kind == "busy":
        return DatabaseBusy(
            "The clinic database is busy: another workstation or program is saving to it. "
            f"{NOTHING_SAVED}; what you typed is kept. Try again in a moment.", field="db")
    if kind == "full":
        return DiskFull(
            f"The disk holding the clinic database is full. {NOTHING_SAVED}; what you typed is kept. "
            "Free some space (or ask your administrator), then try again.", field="db")
    if kind == "readonly":
        return ReadOnlyDatabase(
            f"The clinic database {where} is read-only (the file or its folder cannot be written). "
            f"{NOTHING_SAVED}. Ask your administrator to give IOP Desk write access to that folder.",
            field="db")
    if kind == "cantopen":
        return ReadOnlyDatabase(
            f"The clinic database {where} cannot be opened for writing: IOP Desk needs to write the file "
            "and create its journal next to it, so the folder must not be read-only. Ask your "
            "administrator to check the folder's permissions.", field="db")
    if kind == "corrupt":
        return DamagedOnWrite(
            f"The clinic database {where} is damaged. {NOTHING_SAVED}. Close IOP Desk and restore the "
            "latest good backup (iopdesk restore BACKUP --to NEWFILE).")
    return None


@contextlib.contextmanager
def _clear(db: peewee.Database) -> Iterator[None]:
    try:
        yield
    except (peewee.OperationalError, peewee.DatabaseError) as exc:
        better = clear_error(exc, str(db.database))
        if better is None:
            raise
        raise better from exc


_refused: dict[str, str] = {}  # clinic file -> why this process no longer writes to it


def refuse_writes(database: str, reason: str) -> None:
    """From now on every transaction this process begins on `database` fails with `reason` (a
    damaged file found after it was opened: nothing more is written to it)."""
    _refused[str(database)] = reason


def allow_writes(database: str) -> None:
    _refused.pop(str(database), None)


class ClearStorageErrors:
    """Mixin for a peewee SQLite database class: storage errors become clear domain errors."""

    __slots__ = ()

    def connect(self, reuse_if_open: bool = False) -> bool:
        with _clear(self):
            return super().connect(reuse_if_open)

    def execute_sql(self, sql, params=None):
        with _clear(self):
            return super().execute_sql(sql, params)

    def begin(self, *args, **kwargs) -> None:
        refused = _refused.get(str(self.database))
        if refused:
            from iopdesk.errors import DatabaseDamaged

            raise DatabaseDamaged(refused)
        with _clear(self):
            super().begin(*args, **kwargs)

    def commit(self) -> None:
        with _clear(self):
            super().commit()

    def rollback(self) -> None:
        connection = self._state.conn
        if connection is not None and not connection.in_transaction:
            return  # SQLite already rolled back (a full disk, an I/O error): nothing to undo
        with _clear(self):
            super().rollback()


@functools.cache
def with_clear_errors(cls: type[peewee.SqliteDatabase]) -> type[peewee.SqliteDatabase]:
    """`cls` (SqliteDatabase, SqlCipherDatabase…) whose storage errors are clear domain errors."""
    return type(cls.__name__, (ClearStorageErrors, cls), {"__module__": __name__, "__slots__": ()})
