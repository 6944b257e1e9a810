"""One connection to the ledger: opening, WAL and pragmas, transactions, the write helpers.

Each process opens its own connection; writers serialise on ``BEGIN IMMEDIATE`` and wait up to
``busy_timeout`` seconds (opening retries for as long while another process creates the same
database). A ``postgresql://`` URL opens the same tables on a PostgreSQL server instead
(:mod:`~edi_gateway.store.postgres`: writers serialise on one advisory lock). The table
families (:mod:`~edi_gateway.store.fluxes`, :mod:`~edi_gateway.store.invoices`,
:mod:`~edi_gateway.store.events`) build on :class:`Connection`;
:class:`~edi_gateway.store.database.Store` joins them. Times are ISO 8601 UTC strings.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self

from edi_gateway.core.errors import StateError
from edi_gateway.store import postgres, versions
from edi_gateway.store.schema import SCHEMA, SERIAL_TABLES

OPEN_RETRY_PAUSE = 0.02  # seconds between two attempts to open a database another process locks


class Db(Protocol):
    """What the store runs SQL on: ``sqlite3.Connection`` or :class:`postgres.PostgresDb`."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def close(self) -> None: ...


#: The connection a write transaction runs on (``Store.transaction()`` yields it); callers pass
#: it back to the store's write methods and never run SQL on it themselves.
Transaction = Db


def _busy(exc: sqlite3.Error) -> bool:
    """True for ``SQLITE_BUSY`` / ``SQLITE_LOCKED`` (and their extended codes)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _postgres_db(url: str, busy_timeout: float, pool_size: int) -> postgres.PostgresDb:
    """A connection of its own, or (``pool_size`` > 0) one borrowing from the shared pool."""
    if pool_size <= 0:
        return postgres.PostgresDb(url, busy_timeout)
    from edi_gateway.store import postgres_pool

    pool = postgres_pool.shared_pool(url, pool_size, busy_timeout)
    return postgres_pool.PooledPostgresDb(url, pool, busy_timeout)


def utc_now() -> str:
    """Current time as ISO 8601 UTC with milliseconds (``2026-11-29T22:17:36.123+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Connection:
    """One connection to the gateway database (the base of ``Store``).

    Args:
        path: database file; its folder is created when missing. ``:memory:`` works for tests.
            Or a ``postgresql://`` URL: a server whose schema ``edi-gateway db upgrade`` made.
        busy_timeout: seconds a writer waits for another process's write lock.
        pool_size: on PostgreSQL, borrow connections from this process's pool of at most that
            many (``store.postgres_pool``: the API's threads) instead of holding one; 0: hold
            one (the daemon, the workers: their session locks need it). Ignored on SQLite.

    Raises:
        StateError: the database cannot be opened, its schema created (SQLite) or its schema
            is not this gateway's version (PostgreSQL: run ``edi-gateway db upgrade``).
    """

    db: Db

    def __init__(self, path: Path | str, busy_timeout: float = 30.0, *, pool_size: int = 0) -> None:
        self.path = str(path)
        self.postgres: postgres.PostgresDb | None = None
        self.errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        if postgres.is_url(path):
            self.path = postgres.redact(self.path)
            self.postgres = self.db = _postgres_db(str(path), busy_timeout, pool_size)
            self.errors = (sqlite3.Error, self.postgres.errors)
            try:
                versions.check(self.db, self.path)
            except BaseException:
                self.db.close()
                raise
            return
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            db.row_factory = sqlite3.Row
            self.db = db
        except (sqlite3.Error, OSError) as exc:
            raise StateError(f"{self.path}: cannot open the gateway database: {exc}") from exc
        self._prepare(db, busy_timeout)

    def _prepare(self, db: sqlite3.Connection, busy_timeout: float) -> None:
        """Set WAL and the pragmas, create the schema; retry while another process holds a lock.

        SQLite returns ``SQLITE_BUSY`` at once, without calling the busy handler, when waiting
        could deadlock (``PRAGMA journal_mode=WAL`` or schema creation on a fresh database while
        another connection holds the write lock), so opening retries every
        :data:`OPEN_RETRY_PAUSE` seconds for up to ``busy_timeout`` seconds.

        Raises:
            StateError: still locked after ``busy_timeout`` seconds, or any other SQLite error.
        """
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA foreign_keys=ON")
                db.executescript(SCHEMA)
                versions.stamp(db, self.path)
                return
            except sqlite3.Error as exc:
                if _busy(exc) and time.monotonic() < deadline:
                    time.sleep(OPEN_RETRY_PAUSE)
                    continue
                db.close()
                raise StateError(f"{self.path}: cannot open the gateway database: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Run a block in one write transaction (``BEGIN IMMEDIATE``; on PostgreSQL ``BEGIN``
        and the writers' advisory lock), commit or roll back.

        Raises:
            StateError: the transaction could not start (the block does not run).
        """
        try:
            if self.postgres is not None:
                self.postgres.begin()
            else:
                self.db.execute("BEGIN IMMEDIATE")
        except self.errors as exc:
            raise StateError(f"{self.path}: cannot start a transaction: {exc}") from exc
        try:
            yield self.db
        except BaseException:
            if self.postgres is not None:
                self.postgres.end(commit=False)
            else:
                self.db.execute("ROLLBACK")
            raise
        if self.postgres is not None:
            self.postgres.end(commit=True)
        else:
            self.db.execute("COMMIT")

    def _write(self, db: Transaction | None, sql: str, params: Sequence[Any]) -> Any:
        """Run one write on ``db`` (the caller's transaction) or, when None, in its own."""
        if db is not None:
            return db.execute(sql, params)
        with self.transaction() as own:
            return own.execute(sql, params)

    def _insert(self, db: Transaction | None, table: str, columns: dict[str, Any]) -> int:
        """Insert one row of ``table`` (a fixed name) and return its rowid (its ``id``)."""
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        if self.postgres is None:
            return int(self._write(db, sql, tuple(columns.values())).lastrowid or 0)
        if table not in SERIAL_TABLES:
            self._write(db, sql, tuple(columns.values()))
            return 0
        row = self._write(db, f"{sql} RETURNING id", tuple(columns.values())).fetchone()
        return int(row["id"])


def where_clause(*filters: tuple[str, str, object]) -> tuple[str, list[object]]:
    """`` WHERE`` clause and parameters from ``(column, operator, value)`` filters; a None
    value is no filter. Column names and operators are fixed by the callers."""
    clauses, params = [], []
    for column, op, value in filters:
        if value is not None:
            clauses.append(f"{column} {op} ?")
            params.append(value)
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params
