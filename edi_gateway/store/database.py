"""Durable state in an embedded SQLite database (stdlib ``sqlite3``, WAL). All SQL lives here.

Tables:
    ``flux``: one row per file taken from an inbound channel (IdFlux, sha256, original name,
        channel, received at, detection, verdict, recipient, outputs, processing state).
    ``invoice``: one row per invoice made available (or rejected) by reception, with its
        current CPP status; ``id`` is the CPP invoice id (IdFacture CPP).
    ``status_event``: every status an invoice went through (time, actor, motif, comment,
        mandate number, 2026 reform code), append-only.
    ``sequence``: named counters (IdFlux sequence, ...).

Each process opens its own :class:`Store`; writers serialise on ``BEGIN IMMEDIATE`` and wait
up to ``busy_timeout`` seconds (opening retries for as long while another process creates the
same database). Times are ISO 8601 UTC strings.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edi_gateway.core.errors import StateError

OPEN_RETRY_PAUSE = 0.02  # seconds between two attempts to open a database another process locks

SCHEMA = """
CREATE TABLE IF NOT EXISTS sequence (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS flux (
    id_flux         TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    original_name   TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    work_path       TEXT,
    state           TEXT NOT NULL DEFAULT 'claimed',
    attempts        INTEGER NOT NULL DEFAULT 0,
    syntax          TEXT,
    flux_syntax     TEXT,
    profile         TEXT,
    verdict         TEXT,
    reason          TEXT,
    recipient_siret TEXT,
    service_code    TEXT,
    seller_id       TEXT,
    error_count     INTEGER,
    outputs         TEXT,
    finished_at     TEXT
);
CREATE INDEX IF NOT EXISTS flux_sha256 ON flux (sha256);
CREATE INDEX IF NOT EXISTS flux_state ON flux (state);
CREATE TABLE IF NOT EXISTS invoice (
    id              INTEGER PRIMARY KEY,
    id_flux         TEXT NOT NULL REFERENCES flux (id_flux),
    seller_key      TEXT NOT NULL,
    seller_id       TEXT,
    seller_scheme   TEXT,
    seller_name     TEXT,
    number          TEXT NOT NULL,
    issue_date      TEXT,
    issue_year      INTEGER,
    type_code       TEXT,
    recipient_siret TEXT NOT NULL,
    service_code    TEXT,
    engagement      TEXT,
    currency        TEXT,
    amount_due      TEXT,
    status_code     TEXT NOT NULL,
    status_name     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS invoice_key ON invoice (seller_key, number, issue_year);
CREATE INDEX IF NOT EXISTS invoice_recipient ON invoice (recipient_siret);
CREATE TABLE IF NOT EXISTS status_event (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoice (id),
    status_code TEXT NOT NULL,
    status_name TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    motif       TEXT,
    comment     TEXT,
    mandate     TEXT,
    reform_code TEXT,
    id_flux     TEXT,
    flow_file   TEXT
);
CREATE INDEX IF NOT EXISTS status_event_invoice ON status_event (invoice_id);
"""


def _busy(exc: sqlite3.Error) -> bool:
    """True for ``SQLITE_BUSY`` / ``SQLITE_LOCKED`` (and their extended codes)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def utc_now() -> str:
    """Current time as ISO 8601 UTC with milliseconds (``2026-11-29T22:17:36.123+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    """One connection to the gateway database.

    Args:
        path: database file; its folder is created when missing. ``:memory:`` works for tests.
        busy_timeout: seconds a writer waits for another process's write lock.

    Raises:
        StateError: the database cannot be opened or its schema created.
    """

    def __init__(self, path: Path | str, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            self.db.row_factory = sqlite3.Row
        except (sqlite3.Error, OSError) as exc:
            raise StateError(f"{self.path}: cannot open the gateway database: {exc}") from exc
        self._prepare(busy_timeout)

    def _prepare(self, busy_timeout: float) -> None:
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
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self.db.executescript(SCHEMA)
                return
            except sqlite3.Error as exc:
                if _busy(exc) and time.monotonic() < deadline:
                    time.sleep(OPEN_RETRY_PAUSE)
                    continue
                self.db.close()
                raise StateError(f"{self.path}: cannot open the gateway database: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction (``BEGIN IMMEDIATE``), commit or roll back.

        Raises:
            StateError: SQLite failed (the transaction is rolled back).
        """
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StateError(f"{self.path}: cannot start a transaction: {exc}") from exc
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def _write(
        self, db: sqlite3.Connection | None, sql: str, params: Sequence[Any]
    ) -> sqlite3.Cursor:
        """Run one write on ``db`` (the caller's transaction) or, when None, in its own."""
        if db is not None:
            return db.execute(sql, params)
        with self.transaction() as own:
            return own.execute(sql, params)

    def _insert(self, db: sqlite3.Connection | None, table: str, columns: dict[str, Any]) -> int:
        """Insert one row of ``table`` (a fixed name) and return its rowid."""
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        return int(self._write(db, sql, tuple(columns.values())).lastrowid or 0)

    # -- sequences -------------------------------------------------------------------------

    def next_value(self, name: str) -> int:
        """Return the next value (1, 2, ...) of counter ``name``, atomic across processes."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sequence (name, value) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = value + 1",
                (name,),
            )
            row = db.execute("SELECT value FROM sequence WHERE name = ?", (name,)).fetchone()
        return int(row["value"])

    # -- flux ------------------------------------------------------------------------------

    def add_flux(
        self,
        *,
        id_flux: str,
        channel: str,
        original_name: str,
        sha256: str,
        size: int,
        work_path: str | None,
        received_at: str | None = None,
    ) -> None:
        """Record a claimed file (state ``claimed``) before any work is done on it."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO flux (id_flux, channel, original_name, sha256, size, received_at,"
                " work_path) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    id_flux,
                    channel,
                    original_name,
                    sha256,
                    size,
                    received_at or utc_now(),
                    work_path,
                ),
            )

    def update_flux(
        self, id_flux: str, *, db: sqlite3.Connection | None = None, **fields: Any
    ) -> None:
        """Set columns of one flux row; ``outputs`` may be given as a list (stored as JSON).

        Inside ``transaction()`` pass its connection as ``db`` (no transaction of its own).

        Raises:
            StateError: an unknown column name was given.
        """
        allowed = {
            "work_path",
            "state",
            "attempts",
            "syntax",
            "flux_syntax",
            "profile",
            "verdict",
            "reason",
            "recipient_siret",
            "service_code",
            "seller_id",
            "error_count",
            "outputs",
            "finished_at",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise StateError(f"unknown flux columns: {sorted(unknown)}")
        if isinstance(fields.get("outputs"), list | tuple):
            fields["outputs"] = json.dumps([str(p) for p in fields["outputs"]])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE flux SET {assignments} WHERE id_flux = ?"
        self._write(db, sql, (*fields.values(), id_flux))

    def flux(self, id_flux: str) -> sqlite3.Row | None:
        """Return one flux row, or None."""
        return self.db.execute("SELECT * FROM flux WHERE id_flux = ?", (id_flux,)).fetchone()

    def fluxes_with_sha256(self, sha256: str, exclude: str | None = None) -> list[sqlite3.Row]:
        """Return finished flux rows whose bytes hash to ``sha256`` (the duplicate-flux rule)."""
        return self.db.execute(
            "SELECT * FROM flux WHERE sha256 = ? AND state = 'done' AND id_flux IS NOT ?"
            " ORDER BY received_at",
            (sha256, exclude),
        ).fetchall()

    def fluxes(
        self, *, since: str | None = None, verdict: str | None = None, state: str | None = None
    ) -> list[sqlite3.Row]:
        """Return flux rows, oldest first, filtered by received-at lower bound, verdict, state."""
        where, params = _where(
            ("received_at", ">=", since), ("verdict", "=", verdict), ("state", "=", state)
        )
        return self.db.execute(
            f"SELECT * FROM flux{where} ORDER BY received_at, id_flux",
            params,
        ).fetchall()

    # -- invoices --------------------------------------------------------------------------

    def add_invoice(self, db: sqlite3.Connection | None = None, **columns: Any) -> int:
        """Insert an invoice row and return its CPP invoice id.

        Required columns: id_flux, seller_key, number, recipient_siret, status_code,
        status_name. ``created_at``/``updated_at`` default to now. Inside ``transaction()`` pass
        its connection as ``db``.
        """
        now = utc_now()
        columns.setdefault("created_at", now)
        columns.setdefault("updated_at", now)
        return self._insert(db, "invoice", columns)

    def invoice(self, invoice_id: int) -> sqlite3.Row | None:
        """Return one invoice row by CPP invoice id, or None."""
        return self.db.execute("SELECT * FROM invoice WHERE id = ?", (invoice_id,)).fetchone()

    def invoices_by_number(self, seller: str, number: str) -> list[sqlite3.Row]:
        """Return invoices whose seller key or id is ``seller`` and whose BT-1 is ``number``."""
        return self.db.execute(
            "SELECT * FROM invoice WHERE number = ? AND (seller_key = ? OR seller_id = ?)"
            " ORDER BY id",
            (number, seller, seller),
        ).fetchall()

    def invoices_with_key(
        self, seller_key: str, number: str, year: int | None
    ) -> list[sqlite3.Row]:
        """Return invoices with the duplicate key (seller SIREN or id, BT-1, year of BT-2)."""
        return self.db.execute(
            "SELECT * FROM invoice WHERE seller_key = ? AND number = ? AND issue_year IS ?"
            " ORDER BY id",
            (seller_key, number, year),
        ).fetchall()

    def invoices_of_seller_year(self, seller_key: str, year: int | None) -> list[sqlite3.Row]:
        """Return the invoices of one seller key and issue year (None: no year), oldest first;
        the caller compares BT-1 itself (``reception.number_key``)."""
        return self.db.execute(
            "SELECT * FROM invoice WHERE seller_key = ? AND issue_year IS ? ORDER BY id",
            (seller_key, year),
        ).fetchall()

    def invoices(
        self, *, recipient_siret: str | None = None, status_code: str | None = None
    ) -> list[sqlite3.Row]:
        """Return invoices, newest first, filtered by recipient SIRET and current status code."""
        where, params = _where(
            ("recipient_siret", "=", recipient_siret), ("status_code", "=", status_code)
        )
        return self.db.execute(
            f"SELECT * FROM invoice{where} ORDER BY id DESC",
            params,
        ).fetchall()

    def add_event(self, db: sqlite3.Connection | None = None, **columns: Any) -> int:
        """Append a status event; inside ``transaction()`` pass its connection as ``db``.

        Required columns: invoice_id, status_code, status_name, actor. ``at`` defaults to now.
        """
        columns.setdefault("at", utc_now())
        return self._insert(db, "status_event", columns)

    def set_invoice_status(
        self,
        db: sqlite3.Connection,
        invoice_id: int,
        *,
        version: int,
        status_code: str,
        status_name: str,
        updated_at: str,
    ) -> bool:
        """Move an invoice to a new status if its ``version`` is still ``version`` (optimistic
        check); run inside ``transaction()`` with its connection as ``db``.

        Returns:
            True when updated (``version`` is then ``version + 1``), False when another writer
            changed the invoice first (nothing is written).
        """
        cursor = db.execute(
            "UPDATE invoice SET status_code = ?, status_name = ?, updated_at = ?,"
            " version = version + 1 WHERE id = ? AND version = ?",
            (status_code, status_name, updated_at, invoice_id, version),
        )
        return cursor.rowcount == 1

    def events(self, invoice_id: int) -> list[sqlite3.Row]:
        """Return the status events of one invoice, newest first."""
        return self.db.execute(
            "SELECT * FROM status_event WHERE invoice_id = ? ORDER BY at DESC, id DESC",
            (invoice_id,),
        ).fetchall()


def _where(*filters: tuple[str, str, object]) -> tuple[str, list[object]]:
    """`` WHERE`` clause and parameters from ``(column, operator, value)`` filters; a None
    value is no filter. Column names and operators are fixed by the callers."""
    clauses, params = [], []
    for column, op, value in filters:
        if value is not None:
            clauses.append(f"{column} {op} ?")
            params.append(value)
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


def rows_as_dicts(rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
    """Turn rows into plain dicts (for JSON output)."""
    return [dict(row) for row in rows]
