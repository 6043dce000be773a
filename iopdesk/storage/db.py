"""Binding the models to a database chosen at run time from a URL.

One process works on one clinic database at a time: `database` is a proxy the models point at,
initialised by `connect_url`. SQLite (the default, one file per clinic or satellite site) gets WAL,
foreign keys, a busy timeout and IMMEDIATE write transactions on every connection; PostgreSQL
(a shared clinic server) goes through a connection pool on psycopg 3 that survives a server
restart (storage/server_connection.py: reconnects, and checks a commit cut off midway).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import peewee

from iopdesk.errors import DatabaseUnavailable, NotAClinicDatabase, PassphraseRequired
from iopdesk.storage.errors import with_clear_errors as _with_clear_storage_errors
from iopdesk.storage.file_kind import is_encrypted_file, other_kind, sqlite_tables
from iopdesk.storage.server_connection import ClinicServerDatabase, start_of_action

PASSPHRASE_ENV = "IOPDESK_DB_PASSPHRASE"
HISTORY_TABLE = "schema_migration"  # every clinic has it (storage/schema.py applies migrations with it)


def encrypted_or_not_a_clinic(path: Path) -> str:
    """What to tell someone opening a file with no header without a passphrase: SQLCipher files
    have none, so only the passphrase can tell an encrypted clinic from anything else."""
    return f"{path} is not a clinic database, or an encrypted one: enter its passphrase."


def not_a_clinic(where: str, tables: list[str]) -> NotAClinicDatabase:
    """The refusal for a database that holds no clinic: `tables` are what it holds instead."""
    if not tables:
        what = "an empty database (no tables)"
    else:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        count = "1 table" if len(tables) == 1 else f"{len(tables)} tables"
        what = f"a database of another program ({count}: {shown})"
    return NotAClinicDatabase(f"Clinic database: {where} is {what}, not a clinic database; "
                              "nothing was changed.", field="db")


def refuse_unless_clinic_file(path: Path) -> None:
    """Raise NotAClinicDatabase, before anything opens or writes `path`, when the existing file
    plainly is not a clinic: empty, another kind of file (file_kind.other_kind) or a plain SQLite
    database without a clinic's tables. A missing, encrypted or damaged file passes (its opener
    creates, asks for the passphrase or refuses it as damaged)."""
    kind = other_kind(path)
    if kind is not None:
        raise NotAClinicDatabase(f"Clinic database: {path} is {kind}, not a clinic database; "
                                 "nothing was changed.", field="db")
    tables = sqlite_tables(path)
    if tables is not None and HISTORY_TABLE not in tables:
        raise not_a_clinic(str(path), tables)


class ClinicDatabaseProxy(peewee.DatabaseProxy):
    """The proxy every model points at: one clinic per process, except that a thread may work on
    a second clinic for a while (`bound_to`), which is how a sync reads and writes the other
    side's database without disturbing the screens that use this one."""

    __slots__ = ("_shared", "_local")

    def __init__(self) -> None:
        object.__setattr__(self, "_local", threading.local())
        super().__init__()

    @property
    def obj(self):
        override = getattr(self._local, "db", None)
        return override if override is not None else self._shared

    @obj.setter
    def obj(self, value) -> None:
        object.__setattr__(self, "_shared", value)

    def __setattr__(self, attr, value) -> None:
        object.__setattr__(self, "_shared" if attr == "obj" else attr, value)

    @contextlib.contextmanager
    def bound_to(self, db: peewee.Database) -> Iterator[peewee.Database]:
        """Within the block, models used on this thread read and write `db`."""
        previous = getattr(self._local, "db", None)
        self._local.db = db
        try:
            yield db
        finally:
            self._local.db = previous


database = ClinicDatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": "full",
    "cache_size": -32000,
}

# The GUI thread waits only briefly for a lock another workstation holds (it must not freeze the
# window; the screen offers "Retry" instead); worker threads and the CLI wait the full 5 s.
INTERACTIVE_BUSY_TIMEOUT_MS = 250
SERVER_CONNECT_TIMEOUT_S = 5
_interactive: dict[str, int | None] = {"thread": None, "busy_timeout_ms": None}


def set_interactive_thread(busy_timeout_ms: int = INTERACTIVE_BUSY_TIMEOUT_MS) -> None:
    """Make the calling thread (the GUI thread) the interactive one: every SQLite connection opened
    on it, and the one it may already have open, waits at most `busy_timeout_ms` for a lock; other
    threads keep SQLITE_PRAGMAS' busy_timeout."""
    _interactive.update(thread=threading.get_ident(), busy_timeout_ms=int(busy_timeout_ms))
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase) and not db.is_closed():
        db.execute_sql(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")


def clear_interactive_thread() -> None:
    """Forget the interactive thread (connections opened from now on wait the full timeout)."""
    _interactive.update(thread=None, busy_timeout_ms=None)


def interactive_busy_timeout_ms() -> int | None:
    """The short busy timeout when called on the interactive thread, else None."""
    if _interactive["thread"] == threading.get_ident():
        return _interactive["busy_timeout_ms"]
    return None


class _InteractiveBusyTimeout:
    """Mixin for a peewee SQLite database class: a connection opened on the interactive thread gets
    the short busy timeout after the usual pragmas."""

    __slots__ = ()

    def _add_conn_hooks(self, conn) -> None:
        super()._add_conn_hooks(conn)
        short = interactive_busy_timeout_ms()
        if short is not None:
            conn.execute(f"PRAGMA busy_timeout = {short}")


@functools.cache
def with_clear_errors(cls: type[peewee.SqliteDatabase]) -> type[peewee.SqliteDatabase]:
    """storage_errors.with_clear_errors(cls) that also honours the interactive thread's short busy
    timeout (see set_interactive_thread)."""
    return type(cls.__name__, (_InteractiveBusyTimeout, _with_clear_storage_errors(cls)),
                {"__module__": __name__, "__slots__": ()})


def normalise_url(url: str | os.PathLike) -> str:
    """Accept a bare file path as well as a URL; return a URL."""
    text = os.fspath(url)
    if "://" in text:
        return text
    if text == ":memory:":
        return "sqlite:///:memory:"
    return "sqlite:///" + str(Path(text).expanduser().resolve())


def is_postgres(url: str) -> bool:
    return urllib.parse.urlsplit(normalise_url(url)).scheme in ("postgres", "postgresql")


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL (None for PostgreSQL or an in-memory database)."""
    text = normalise_url(url)
    if not text.startswith("sqlite://"):
        return None
    # sqlite:///relative/file or sqlite:////absolute/file (three slashes, then the path)
    path = urllib.parse.unquote(text[len("sqlite:///"):] if text.startswith("sqlite:///") else text[9:])
    if path in ("", ":memory:"):
        return None
    return Path(path)


def describe_url(url: str) -> str:
    """Where the clinic lives, for people: a file path for SQLite, the URL without its password
    for a server."""
    text = normalise_url(url)
    path = sqlite_path(text)
    if path is not None:
        return str(path)
    parts = urllib.parse.urlsplit(text)
    if parts.password:
        return text.replace(":" + parts.password + "@", ":***@", 1)
    return text


def _quiet_sqlcipher() -> None:
    """SQLCipher logs a wrong passphrase to stderr; the app says it in words instead."""
    import sqlcipher3

    connection = sqlcipher3.connect(":memory:")
    connection.execute("PRAGMA cipher_log_level = NONE")
    connection.close()


def make_database(url: str, *, passphrase: str | None = None) -> peewee.Database:
    """A peewee Database for the URL, not yet connected. An encrypted (SQLCipher) clinic file
    needs its passphrase: given here, or in $IOPDESK_DB_PASSPHRASE; PassphraseRequired otherwise."""
    url = normalise_url(url)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "sqlite":
        path = sqlite_path(url)
        if path is None:
            return with_clear_errors(peewee.SqliteDatabase)(":memory:", pragmas=SQLITE_PRAGMAS,
                                                            lock_type="IMMEDIATE")
        if not path.parent.exists():
            raise DatabaseUnavailable(f"The folder {path.parent} does not exist.")
        if is_encrypted_file(path):
            passphrase = passphrase or os.environ.get(PASSPHRASE_ENV)
            if not passphrase:
                raise PassphraseRequired(encrypted_or_not_a_clinic(path), field="passphrase")
            from playhouse.sqlcipher_ext import SqlCipherDatabase

            _quiet_sqlcipher()
            return with_clear_errors(SqlCipherDatabase)(str(path), passphrase=passphrase, pragmas=SQLITE_PRAGMAS,
                                                        lock_type="IMMEDIATE", check_same_thread=False)
        return with_clear_errors(peewee.SqliteDatabase)(
            str(path), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False
        )
    if parts.scheme in ("postgres", "postgresql"):
        query = dict(urllib.parse.parse_qsl(parts.query))
        # a server that is away answers "unreachable" within seconds instead of freezing a screen
        query.setdefault("connect_timeout", str(SERVER_CONNECT_TIMEOUT_S))
        return ClinicServerDatabase(
            urllib.parse.unquote(parts.path.lstrip("/")),
            user=urllib.parse.unquote(parts.username) if parts.username else None,
            password=urllib.parse.unquote(parts.password) if parts.password else None,
            host=parts.hostname or query.pop("host", None),
            port=parts.port,
            max_connections=int(query.pop("pool", 8)),
            stale_timeout=300,
            prefer_psycopg3=True,
            **query,
        )
    raise DatabaseUnavailable(
        f"Unsupported database address {describe_url(url)!r}: use a file path, sqlite:///path or "
        "postgresql://user@host/dbname."
    )


def release_thread_connection() -> None:
    """Close this thread's connection, if it has one (a worker thread calls this when its job is
    done: an idle pooled worker should not hold a PostgreSQL connection or keep a SQLite WAL
    from being checkpointed). The thread's next job is a new action (server_connection.start_of_action)."""
    start_of_action()
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()


def server_reachable() -> bool:
    """Whether the clinic server answers a fresh connection now (always True for a SQLite clinic)."""
    db = database.obj
    return db.server_reachable() if isinstance(db, ClinicServerDatabase) else True


def transaction_outcome(transaction_id: int) -> str:
    """What the clinic server did with a transaction whose COMMIT was cut off (CommitUncertain):
    server_connection.COMMITTED, ABORTED or UNKNOWN (the server is still away)."""
    return database.obj.transaction_outcome(transaction_id)
