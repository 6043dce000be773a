"""Staying with the clinic server (PostgreSQL) when the connection drops: a server restart, a
network cut, an administrator ending sessions.

Why: psycopg marks a connection broken once the server goes away, and peewee kept handing the
thread that broken connection, so one restart left a workstation answering "the connection is
closed" to every later action until IOP Desk was restarted. Here a broken connection is thrown
away at once (the next action opens a fresh one from the pool, which checks its idle connections
before lending them), and the driver's error becomes `ConnectionLost`, a message a person can act
on (nothing of this action was saved; what you typed is kept; IOP Desk reconnects by itself).

A save can be cut off while the server commits it: the COMMIT may have been applied with its answer
lost. Saving again could make a second copy, giving up could drop a save that in fact happened, so
the commit is checked instead: before sending COMMIT the database reads the transaction's id
(`txid_current_if_assigned()`, no extra id for a read-only transaction), and when the connection
drops during COMMIT it reconnects with backoff and asks the server what became of that id
(`txid_status`, PostgreSQL 10+, made for exactly this: https://www.postgresql.org/docs/current/functions-info.html
"txid_status … can be used to determine whether the transaction committed or aborted after the
application and database server become disconnected while a COMMIT is in progress"). Committed:
the save returns normally, once. Aborted: `ConnectionLost`, nothing was saved. No answer within
`commit_check_seconds`: `CommitUncertain` carrying the id, which `transaction_outcome` answers once
the server is back. A service call may commit and then read (the record it returns) or begin a
second transaction: when the connection is lost after this thread committed in the same action
(`start_of_action` marks where an action starts: the UI's save helpers and worker jobs call it),
the error is `SavedThenLost` — the save is on the server, so it must not be entered again. A read
outside any transaction that met a dead pooled connection is asked
again once on a fresh connection (nothing was written); a write is never repeated here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import peewee
from playhouse.pool import PooledPostgresqlDatabase

from iopdesk.errors import DatabaseUnavailable

LOST = ("The connection to the clinic server was lost (the server is restarting, or the network is "
        "down). Nothing was saved; what you typed is kept. IOP Desk reconnects by itself: save again "
        "once the server is back.")
UNREACHABLE = ("The clinic server cannot be reached (it is restarting, or the network is down). "
               "Nothing was saved; what you typed is kept. IOP Desk reconnects by itself.")
UNCERTAIN = ("The connection to the clinic server was lost while your save was being committed, and the "
             "server has not come back yet to say whether it was saved. What you typed is kept; IOP Desk "
             "checks once the server is back and saves it only if it is missing.")

SAVED_THEN_LOST = ("The clinic server stored your save, then the connection was lost before IOP Desk could "
                   "finish (the server is restarting, or the network is down). Do not enter it again: IOP Desk "
                   "reconnects by itself and shows the saved record once the server is back.")

COMMITTED, ABORTED, UNKNOWN = "committed", "aborted", "unknown"

_this_action = threading.local()  # .committed: ids of the transactions this thread committed in this action


def start_of_action() -> None:
    """A new action starts on this thread (a save, a worker job): forget the commits of the last one."""
    _this_action.committed = []


def _committed_in_this_action() -> list[int]:
    return list(getattr(_this_action, "committed", []))


class ConnectionLost(DatabaseUnavailable, peewee.OperationalError):
    """The clinic server dropped the connection or cannot be reached; nothing of this action was
    saved (a `peewee.OperationalError` too, so code that caught the driver's error still does)."""

    def __init__(self, message: str = LOST) -> None:
        super().__init__(message, field="db")


class SavedThenLost(ConnectionLost):
    """The connection was lost after this action committed (`transaction_ids`): the save is on the
    server; what failed is only what came after (reading it back, a further step)."""

    def __init__(self, transaction_ids: list[int]) -> None:
        super().__init__(SAVED_THEN_LOST)
        self.transaction_ids = list(transaction_ids)


class CommitUncertain(ConnectionLost):
    """The connection dropped during COMMIT and the server did not come back in time to say whether
    it applied it: `transaction_id` is what to ask it later (`transaction_outcome`)."""

    def __init__(self, transaction_id: int) -> None:
        super().__init__(UNCERTAIN)
        self.transaction_id = int(transaction_id)


def _driver_error(exc: BaseException) -> BaseException:
    """The psycopg error behind a peewee one (its argument, cause or context), else `exc`."""
    for candidate in (*(a for a in exc.args if isinstance(a, BaseException)), exc.__cause__, exc.__context__):
        if candidate is not None and type(candidate).__module__.startswith("psycopg"):
            return candidate
    return exc


def _is_read(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].upper() in ("SELECT", "SHOW") if sql.strip() else False


def backoff_delays(first: float = 0.2, most: float = 2.0) -> Callable[[], float]:
    """Successive waits for a retry: `first`, doubling, at most `most` seconds."""
    delay = [first / 2]

    def next_delay() -> float:
        delay[0] = min(most, delay[0] * 2)
        return delay[0]

    return next_delay


class ReconnectingServer:
    """Mixin for the pooled PostgreSQL database class: broken connections are dropped, their errors
    become ConnectionLost, and a COMMIT cut off midway is checked (see the module docstring)."""

    commit_check_seconds: float = 20.0

    def _connection_broken(self, exc: BaseException) -> bool:
        """True when `exc` came from a connection that no longer works (not a refused statement)."""
        import psycopg

        driver = _driver_error(exc)
        if not isinstance(driver, (psycopg.OperationalError, psycopg.InterfaceError)):
            return False
        conn = self._state.conn
        return conn is None or bool(conn.closed) or bool(getattr(conn, "broken", False))

    def _drop_connection(self) -> None:
        """Forget this thread's broken connection; its next action opens a fresh one."""
        conn = self._state.conn
        if conn is not None:
            self._close(conn, close_conn=True)
        self._state.reset()

    def _lost(self, message: str = LOST) -> ConnectionLost:
        """The error for a lost connection: SavedThenLost when this action already committed
        something, else ConnectionLost(message)."""
        committed = _committed_in_this_action()
        if committed:
            return SavedThenLost(committed)
        return ConnectionLost(message)

    def connect(self, reuse_if_open: bool = False) -> bool:
        try:
            return super().connect(reuse_if_open)
        except peewee.OperationalError as exc:
            import psycopg

            if isinstance(exc, DatabaseUnavailable) or not isinstance(_driver_error(exc), psycopg.OperationalError):
                raise
            raise self._lost(UNREACHABLE) from exc

    def execute_sql(self, sql, params=None):
        try:
            return super().execute_sql(sql, params)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if isinstance(exc, DatabaseUnavailable) or not self._connection_broken(exc):
                raise
            if self.in_transaction():  # the transaction's end (rollback) drops the connection
                raise self._lost() from exc
            self._drop_connection()
            if not _is_read(sql):
                raise self._lost() from exc
            first = exc
        try:  # a read outside a transaction met a dead connection: nothing was written, ask again
            return super().execute_sql(sql, params)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if isinstance(exc, DatabaseUnavailable) or not self._connection_broken(exc):
                raise
            self._drop_connection()
            raise self._lost() from first

    def begin(self, *args, **kwargs) -> None:
        try:
            super().begin(*args, **kwargs)
            return
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if isinstance(exc, DatabaseUnavailable) or not self._connection_broken(exc):
                raise
            first = exc
        # BEGIN is the transaction's first statement, so nothing was sent before it: begin again
        # on a fresh connection (the pool checks the one it lends)
        self._drop_connection()
        try:
            super().begin(*args, **kwargs)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if isinstance(exc, DatabaseUnavailable) or not self._connection_broken(exc):
                raise
            self._drop_connection()
            raise self._lost() from first

    def rollback(self) -> None:
        if self._state.closed:
            return  # the broken connection was dropped: the server ended the transaction itself
        try:
            super().rollback()
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if not (isinstance(exc, ConnectionLost) or self._connection_broken(exc)):
                raise
            self._drop_connection()

    def commit(self) -> None:
        if self._state.closed:
            raise self._lost()
        transaction_id, commit_sent = None, False
        try:
            row = super().execute_sql("SELECT txid_current_if_assigned()").fetchone()
            transaction_id = row[0] if row else None
            commit_sent = True
            super().commit()
            self._remember(transaction_id)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if not (isinstance(exc, ConnectionLost) or self._connection_broken(exc)):
                raise
            after_commit = list(self._state.commit_callbacks)  # e.g. the audit anchor follows a commit
            self._drop_connection()
            self._state.commit_callbacks = after_commit  # peewee runs them if this returns, clears them if not
            if transaction_id is None:
                if commit_sent:
                    return  # a transaction that wrote nothing: there is nothing to lose
                raise self._lost() from exc  # COMMIT was never sent: nothing was saved
            outcome = self._wait_for_outcome(int(transaction_id))
            if outcome == COMMITTED:
                self._remember(transaction_id)
                return
            if outcome == ABORTED:
                raise self._lost() from exc
            raise CommitUncertain(int(transaction_id)) from exc

    @staticmethod
    def _remember(transaction_id: int | None) -> None:
        if transaction_id is not None:
            _this_action.committed = [*_committed_in_this_action(), int(transaction_id)]

    def _wait_for_outcome(self, transaction_id: int) -> str:
        """Ask the server, reconnecting with backoff for up to `commit_check_seconds`, whether the
        transaction committed."""
        deadline = time.monotonic() + self.commit_check_seconds
        pause = backoff_delays()
        while True:
            outcome = self.transaction_outcome(transaction_id)
            if outcome in (COMMITTED, ABORTED) or time.monotonic() >= deadline:
                return outcome
            time.sleep(min(pause(), max(0.0, deadline - time.monotonic())))

    def transaction_outcome(self, transaction_id: int) -> str:
        """COMMITTED or ABORTED for a transaction of this server; UNKNOWN while the server cannot be
        reached or the transaction is still being ended."""
        try:
            conn = peewee.PostgresqlDatabase._connect(self)
        except Exception:
            return UNKNOWN
        try:
            status = conn.execute("SELECT txid_status(%s)", (transaction_id,)).fetchone()[0]
        except Exception:
            return UNKNOWN
        finally:
            conn.close()
        return {"committed": COMMITTED, "aborted": ABORTED}.get(status, UNKNOWN)

    def server_reachable(self) -> bool:
        """True when a fresh connection to the server answers (a probe for the reconnect banner)."""
        try:
            conn = peewee.PostgresqlDatabase._connect(self)
        except Exception:
            return False
        try:
            conn.execute("SELECT 1")
            return True
        except Exception:
            return False
        finally:
            conn.close()


class ClinicServerDatabase(ReconnectingServer, PooledPostgresqlDatabase):
    """The clinic server's database: pooled psycopg 3 connections that survive a server restart."""
