"""The ledger on PostgreSQL through a connection pool, for the threads of the HTTP API.

Job: :class:`PooledPostgresDb` gives the store the same ``execute`` / ``begin`` / ``end`` as
:class:`~edi_gateway.store.postgres.PostgresDb`, but holds no connection of its own: a statement
outside a transaction borrows one from a process-wide ``psycopg_pool.ConnectionPool``
(:func:`shared_pool`, one per URL) and gives it back at once, its rows read whole; a write
transaction holds one from ``begin()`` to ``end()``. The API's thread pool (about forty threads,
each with its own store) thus needs at most ``[api] database_connections`` connections to the
server instead of one per thread. Session locks (``hold_instance``, ``try_flux_lock``) need a
connection of their own: they are refused here (the daemon and the cluster workers use
:class:`PostgresDb`).

A connection the server dropped is never lent: the pool checks each before lending it (one
empty round trip) and opens a new one instead; a statement outside a transaction that still
found its connection broken runs once more on another one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from edi_gateway.core.errors import StateError
from edi_gateway.store.postgres import (
    WRITE_LOCK,
    PostgresDb,
    _params,
    hide_secrets,
    redact,
    translate,
)

#: ``application_name`` of the pool's connections (seen in ``pg_stat_activity``).
APPLICATION_NAME = "edi-gateway-api"

_pools: dict[tuple[str, int], Any] = {}
_pools_lock = threading.Lock()


def shared_pool(url: str, size: int, busy_timeout: float) -> Any:
    """The process's ``ConnectionPool`` on ``url`` (at most ``size`` connections, autocommit,
    rows as dicts, ``lock_timeout`` set), made on first use.

    Raises:
        StateError: psycopg_pool is not installed.
    """
    try:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool
    except ImportError as exc:
        raise StateError(
            "a pooled postgresql:// ledger needs psycopg_pool: pip install "
            "'edi-gateway[postgresql]'"
        ) from exc
    key = (url, size)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:

            def configure(conn: Any) -> None:
                conn.execute(f"SET lock_timeout = '{int(busy_timeout * 1000)}ms'")

            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=size,
                kwargs={
                    "autocommit": True,
                    "row_factory": dict_row,
                    "application_name": APPLICATION_NAME,
                },
                configure=configure,
                check=ConnectionPool.check_connection,  # a dropped one is never lent
                timeout=busy_timeout,
                name="edi-gateway-ledger",
                open=True,
            )
            _pools[key] = pool
        return pool


def close_pools() -> None:
    """Close every pool of this process (at the end of the API server)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


class Rows:
    """A statement's result, read whole before its connection went back to the pool: the
    ``fetchone`` / ``fetchall`` / ``rowcount`` of a cursor."""

    def __init__(self, cursor: Any) -> None:
        self.rows: list[Any] = cursor.fetchall() if cursor.description else []
        self.rowcount: int = cursor.rowcount

    def fetchone(self) -> Any:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Any]:
        """Every row."""
        return list(self.rows)


class PooledPostgresDb(PostgresDb):
    """A :class:`PostgresDb` that borrows its connections from ``pool`` (module docstring).

    Args:
        url: the ledger URL (for messages: shown without its password).
        pool: a ``psycopg_pool.ConnectionPool`` on it (:func:`shared_pool`).
        busy_timeout: seconds to wait for a free connection and for the write lock.

    Raises:
        StateError: psycopg is not installed.
    """

    def __init__(self, url: str, pool: Any, busy_timeout: float) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StateError("a postgresql:// database needs psycopg") from exc
        self.errors = psycopg.Error
        self.integrity = psycopg.IntegrityError
        self.url, self.busy_timeout = url, busy_timeout
        self.in_transaction = False
        self.instance = None
        self.pool = pool
        self._held: Any = None  # the context manager of the transaction's connection
        self.conn: Any = None

    def _borrow(self) -> Any:
        from psycopg_pool import PoolTimeout

        try:
            return self.pool.connection(timeout=self.busy_timeout)
        except PoolTimeout as exc:
            raise StateError(f"{redact(self.url)}: no free ledger connection: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; outside a transaction on a borrowed connection (its rows read
        whole: :class:`Rows`), once more on another when that one was broken.

        Raises:
            StateError: the server cannot be reached, or no connection is free in time.
        """
        if self.in_transaction:
            return self._run(translate(sql), _params(params))
        query, values = translate(sql), _params(params)
        for attempt in (1, 2):
            try:
                with self._borrow() as conn:
                    return Rows(conn.execute(query, values))
            except self.errors as exc:
                if attempt == 2 or not _connection_failed(exc):
                    if _connection_failed(exc):
                        message = hide_secrets(str(exc), self.url)
                        raise StateError(f"{redact(self.url)}: {message}") from exc
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def begin(self) -> None:
        """Borrow a connection for a write transaction and take the writers' lock."""
        held = self._borrow()
        conn = held.__enter__()
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except BaseException as exc:
            held.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._held, self.conn, self.in_transaction = held, conn, True

    def end(self, commit: bool) -> None:
        """Commit (or roll back) and give the connection back.

        Raises:
            StateError: the commit failed because the connection is lost (nothing committed).
        """
        held, self._held = self._held, None
        try:
            super().end(commit)
        finally:
            self.conn = None
            if held is not None:
                held.__exit__(None, None, None)

    def hold_instance(self, instance: int) -> bool:
        """Refused: a session lock needs a connection of its own (use :class:`PostgresDb`)."""
        raise StateError("a pooled ledger connection cannot hold a gateway instance")

    def try_flux_lock(self, id_flux: str) -> bool:
        """Refused: a session lock needs a connection of its own (use :class:`PostgresDb`)."""
        raise StateError("a pooled ledger connection cannot hold a flux lock")

    def close(self) -> None:
        """Give back a connection still held (the pool itself stays for the other stores)."""
        if self._held is not None:
            held, self._held = self._held, None
            self.in_transaction, self.conn = False, None
            held.__exit__(None, None, None)


def _connection_failed(exc: BaseException) -> bool:
    """Tell whether a psycopg error says the connection failed (not the statement)."""
    from psycopg import OperationalError

    return isinstance(exc, OperationalError)
