"""The ledger on PostgreSQL (psycopg 3): the part of ``sqlite3.Connection`` the store uses.

Job: let the table families (:mod:`~edi_gateway.store.fluxes`, ...) run their SQL unchanged on
a PostgreSQL server when ``gateway.database`` is a ``postgresql://`` URL. The store writes
portable SQL with ``?`` placeholders; :func:`translate` turns it into psycopg's ``%s`` form
(and SQLite's ``IS NOT ?`` into ``IS DISTINCT FROM``). Rows come back as dicts, which the
records read like ``sqlite3.Row``.

Concurrency, the same promise as SQLite's ``BEGIN IMMEDIATE``: every write transaction first
takes one transaction-scoped advisory lock (:data:`WRITE_LOCK`), so the writers of every
process on every machine run one after the other and a check made inside a transaction (a
duplicate flux, a duplicate invoice, the IdFlux counter, a lifecycle transition against the
invoice's version) still holds at its commit. Reads run outside transactions (autocommit) and
see committed data only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from edi_gateway.core.errors import StateError

#: The advisory lock key every write transaction takes (``pg_advisory_xact_lock``).
WRITE_LOCK = 0x45444947  # "EDIG"

#: The first key of the session advisory lock a running gateway holds on its instance.
INSTANCE_LOCK = 0x45444749  # "EDGI"

URL_PREFIXES = ("postgresql://", "postgres://")


def is_url(database: object) -> bool:
    """True when ``database`` (a config value) names a PostgreSQL server, not a SQLite file."""
    return isinstance(database, str) and database.startswith(URL_PREFIXES)


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """The store's SQLite-flavoured ``sql`` in psycopg's form: ``?`` -> ``%s``, SQLite's
    null-safe ``IS ?`` / ``IS NOT ?`` -> ``IS NOT DISTINCT FROM %s`` / ``IS DISTINCT FROM %s``.
    The store's SQL has no ``?`` or ``%`` inside literals."""
    sql = sql.replace(" IS NOT ?", " IS DISTINCT FROM ?").replace(
        " IS ?", " IS NOT DISTINCT FROM ?"
    )
    return sql.replace("?", "%s")


def _params(params: Sequence[Any]) -> tuple[Any, ...]:
    """Booleans as 0/1 (the schema's flags are integers, as in SQLite)."""
    return tuple(int(p) if isinstance(p, bool) else p for p in params)


class PostgresDb:
    """One psycopg connection in autocommit mode, with ``execute`` as ``sqlite3.Connection``.

    Args:
        url: ``postgresql://user@host/dbname`` (any libpq URL, e.g. ``?host=/socket/dir``).
        busy_timeout: seconds a writer waits for the write lock (``lock_timeout``).

    Raises:
        StateError: psycopg is not installed or the server cannot be reached.
    """

    def __init__(self, url: str, busy_timeout: float) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError as exc:
            raise StateError(
                "a postgresql:// database needs psycopg: pip install 'edi-gateway[postgresql]'"
            ) from exc
        self.errors: type[Exception] = psycopg.Error
        self.integrity: type[Exception] = psycopg.IntegrityError
        try:
            self.conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
            self.conn.execute(f"SET lock_timeout = '{int(busy_timeout * 1000)}ms'")
        except psycopg.Error as exc:
            raise StateError(f"cannot open the gateway database {redact(url)}: {exc}") from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; return its cursor (``fetchone``, ``fetchall``, ``rowcount``)."""
        return self.conn.execute(translate(sql), _params(params))

    def begin(self) -> None:
        """Start a write transaction and take the writers' lock."""
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def hold_instance(self, instance: int) -> bool:
        """Take the session advisory lock of gateway ``instance`` (0-99) on this connection
        without waiting; True when taken (held until the connection closes)."""
        row = self.conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s) AS taken", (INSTANCE_LOCK, instance)
        ).fetchone()
        return row is not None and bool(row["taken"])

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def redact(url: str) -> str:
    """``url`` without its password, in the user part or as ``?password=`` (for messages and
    logs)."""
    url = re.sub(r"([?&]password=)[^&]*", r"\1***", url)
    head, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{head}{sep}{credentials.split(':', 1)[0]}:***@{host}"
