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

import contextlib
import functools
import re
from collections.abc import Sequence
from typing import Any

from edi_gateway.core.errors import StateError

#: The advisory lock key every write transaction takes (``pg_advisory_xact_lock``).
WRITE_LOCK = 0x45444947  # "EDIG"

#: The first key of the session advisory lock a running gateway holds on its instance.
INSTANCE_LOCK = 0x45444749  # "EDGI"

#: The first key of the session advisory lock a cluster worker holds on the flux it processes.
FLUX_LOCK = 0x45444746  # "EDGF"

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

    A connection the server dropped (restart, failover, network) is opened again before the
    next statement outside a transaction or the next ``begin()``; a statement of a transaction
    whose connection dropped raises :class:`StateError` (the transaction is lost as a whole,
    never half-replayed). The instance lock (:meth:`hold_instance`) is taken again on a new
    connection.

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
        self.url, self.busy_timeout = url, busy_timeout
        self.in_transaction = False
        self.instance: int | None = None
        self._driver: Any = psycopg
        self._rows: Any = dict_row
        self.conn = self._open()

    def _open(self) -> Any:
        """A new connection with the lock timeout set.

        Raises:
            StateError: the server cannot be reached (the message hides the password).
        """
        try:
            conn = self._driver.connect(self.url, autocommit=True, row_factory=self._rows)
            conn.execute(f"SET lock_timeout = '{int(self.busy_timeout * 1000)}ms'")
        except self.errors as exc:
            detail = str(exc).replace(self.url, redact(self.url))
            raise StateError(
                f"cannot open the gateway database {redact(self.url)}: "
                f"{hide_secrets(detail, self.url)}"
            ) from exc
        return conn

    def _live(self) -> None:
        """Open the connection again when the server dropped it (outside transactions only).

        Raises:
            StateError: the server still cannot be reached, or the instance is now held by
                another gateway.
        """
        if not (self.conn.closed or self.conn.broken):
            return
        self.conn = self._open()
        if self.instance is not None and not self.hold_instance(self.instance):
            raise StateError(
                f"{redact(self.url)}: gateway.instance {self.instance} was taken by another "
                "gateway while the connection was lost"
            )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; return its cursor (``fetchone``, ``fetchall``, ``rowcount``).

        Raises:
            StateError: the connection is lost (and cannot be opened again outside a
                transaction). Other psycopg errors (constraints, SQL) as they are.
        """
        if self.in_transaction:
            return self._run(translate(sql), _params(params))
        return self._outside(lambda: self.conn.execute(translate(sql), _params(params)))

    def _outside(self, statement: Any) -> Any:
        """Run ``statement()`` outside a transaction; when the server had dropped the
        connection (found out only by this attempt), open a new one and run it once more."""
        self._live()
        try:
            return statement()
        except self.errors:
            if not (self.conn.closed or self.conn.broken):
                raise
        self._live()
        return self._run_call(statement)

    def _run(self, sql: str, params: tuple[Any, ...]) -> Any:
        return self._run_call(lambda: self.conn.execute(sql, params))

    def _run_call(self, statement: Any) -> Any:
        try:
            return statement()
        except self.errors as exc:
            if self.conn.closed or self.conn.broken:
                raise StateError(f"{redact(self.url)}: connection lost: {exc}") from exc
            raise

    def begin(self) -> None:
        """Start a write transaction and take the writers' lock."""
        self._outside(lambda: self.conn.execute("BEGIN"))
        try:
            self._run("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except BaseException:  # never left "in a transaction": the next call reconnects
            if not (self.conn.closed or self.conn.broken):
                with contextlib.suppress(self.errors):
                    self.conn.execute("ROLLBACK")
            raise
        self.in_transaction = True

    def end(self, commit: bool) -> None:
        """Commit (or roll back) the write transaction. A rollback on a lost connection is a
        no-op (the server dropped the transaction already).

        Raises:
            StateError: the commit failed because the connection is lost (nothing committed).
        """
        self.in_transaction = False
        if not commit and (self.conn.closed or self.conn.broken):
            return
        try:
            self.conn.execute("COMMIT" if commit else "ROLLBACK")
        except self.errors as exc:
            if self.conn.closed or self.conn.broken:
                raise StateError(f"{redact(self.url)}: connection lost: {exc}") from exc
            raise

    def hold_instance(self, instance: int) -> bool:
        """Take the session advisory lock of gateway ``instance`` (0-99) on this connection
        without waiting; True when taken (held until the connection closes)."""
        row = self.conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s) AS taken", (INSTANCE_LOCK, instance)
        ).fetchone()
        taken = row is not None and bool(row["taken"])
        if taken:
            self.instance = instance
        return taken

    def try_flux_lock(self, id_flux: str) -> bool:
        """Take the session advisory lock of one flux without waiting (a cluster worker holds
        it while it processes the flux, so a task delivered twice never runs twice at once);
        True when taken. The key is ``(FLUX_LOCK, hashtext(id_flux))``: two IdFlux sharing a
        hash only wait for each other's redelivery, never run together.

        Raises:
            StateError: the connection is lost.
        """
        row = self._outside(
            lambda: self.conn.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s)) AS taken", (FLUX_LOCK, id_flux)
            ).fetchone()
        )
        return row is not None and bool(row["taken"])

    def release_flux_lock(self, id_flux: str) -> None:
        """Release the lock :meth:`try_flux_lock` took (nothing when the connection was lost:
        the server released it with the session)."""
        if self.conn.closed or self.conn.broken:
            return
        with contextlib.suppress(self.errors):
            self.conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (FLUX_LOCK, id_flux))

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def hide_secrets(text: str, url: str) -> str:
    """``text`` with the password of ``url`` (if any) replaced by ``***`` (libpq repeats parts
    of a URL it cannot parse in its messages)."""
    credentials = url.partition("://")[2].rpartition("@")[0]
    secrets = [credentials.split(":", 1)[1]] if ":" in credentials else []
    secrets += re.findall(r"[?&]password=([^&]*)", url)
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return text


def redact(url: str) -> str:
    """``url`` without its password, in the user part or as ``?password=`` (for messages and
    logs)."""
    url = re.sub(r"([?&]password=)[^&]*", r"\1***", url)
    head, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{head}{sep}{credentials.split(':', 1)[0]}:***@{host}"
