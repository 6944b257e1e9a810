"""The ``flux`` and ``sequence`` tables: files taken in, their state, the IdFlux counter.

Job: record a claimed file, move it through :class:`~edi_gateway.store.records.FluxState`,
find earlier fluxes with the same bytes (the duplicate-flux rule, CPP ``IRR_UNCITE``) and draw
counter values (IdFlux sequence, :mod:`edi_gateway.store.fluxid`). Rows come back as
:class:`~edi_gateway.store.records.FluxRow`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from edi_gateway.core.errors import StateError
from edi_gateway.store.connection import Connection, Transaction, utc_now, where_clause
from edi_gateway.store.records import FluxRow, FluxState

#: Columns :meth:`FluxTable.update_flux` may set (the others are fixed at the claim).
UPDATABLE = frozenset(
    {
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
)


class FluxTable(Connection):
    """Queries of the ``flux`` and ``sequence`` tables (a part of ``Store``)."""

    def next_value(self, name: str) -> int:
        """Return the next value (1, 2, ...) of counter ``name``, atomic across processes."""
        with self.transaction() as db:
            return self._bump(db, name)

    @staticmethod
    def _bump(db: Transaction, name: str) -> int:
        """Increment counter ``name`` (created at 1) in ``db``; return its new value."""
        db.execute(
            "INSERT INTO sequence (name, value) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = sequence.value + 1",
            (name,),
        )
        row = db.execute("SELECT value FROM sequence WHERE name = ?", (name,)).fetchone()
        return int(row["value"])

    def next_leased_value(self, name: str, lease: Callable[[int], tuple[int, int]]) -> int:
        """The next value of counter ``name``, inside a block leased by ``lease``
        (:meth:`next_leased_values` with a count of 1).

        Raises:
            StateError: the database failed, or ``lease`` raised it (nothing is issued).
        """
        return self.next_leased_values(name, lease, 1)[0]

    def next_leased_values(
        self, name: str, lease: Callable[[int], tuple[int, int]], count: int
    ) -> tuple[int, int]:
        """Reserve up to ``count`` (at least 1) consecutive values of counter ``name`` in one
        transaction, inside a block leased by ``lease``; return the first and last reserved.

        ``lease(floor)`` reserves values from at least ``floor`` and returns the first and last
        values of its block (``fluxid_lease.lease_block``); it is called, inside this
        transaction, whenever the counter passes the top of its current block (kept as counter
        ``<name>:leased``). The counter then jumps to the block's first value when the block
        starts higher (numbers leased by another state folder, or before ``var/`` was lost).
        Fewer than ``count`` values come back when the block ends first (never more than one
        lease per call).

        Raises:
            StateError: the database failed, or ``lease`` raised it (nothing is issued).
        """
        top_name = f"{name}:leased"
        with self.transaction() as db:
            first = self._bump(db, name)
            row = db.execute("SELECT value FROM sequence WHERE name = ?", (top_name,)).fetchone()
            top = int(row["value"]) if row else 0
            if first > top:
                block_first, top = lease(first)
                first = max(first, block_first)
                db.execute(
                    "INSERT INTO sequence (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (top_name, top),
                )
            last = max(first, min(first + max(1, count) - 1, top))
            db.execute("UPDATE sequence SET value = ? WHERE name = ?", (last, name))
        return first, last

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
        db: Transaction | None = None,
    ) -> None:
        """Record a claimed file (state ``claimed``) before any work is done on it; inside
        ``transaction()`` pass its connection as ``db``.

        Raises:
            StateError: the database failed. sqlite3.IntegrityError: ``id_flux`` exists.
        """
        self._insert(
            db,
            "flux",
            {
                "id_flux": id_flux,
                "channel": channel,
                "original_name": original_name,
                "sha256": sha256,
                "size": size,
                "received_at": received_at or utc_now(),
                "work_path": work_path,
            },
        )

    def update_flux(self, id_flux: str, *, db: Transaction | None = None, **fields: Any) -> None:
        """Set columns of one flux row; ``outputs`` may be given as a list (stored as JSON),
        ``state`` as a :class:`FluxState`.

        Inside ``transaction()`` pass its connection as ``db`` (no transaction of its own).

        Raises:
            StateError: an unknown column name was given.
        """
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise StateError(f"unknown flux columns: {sorted(unknown)}")
        if isinstance(fields.get("outputs"), list | tuple):
            fields["outputs"] = json.dumps([str(p) for p in fields["outputs"]])
        if isinstance(fields.get("state"), FluxState):
            fields["state"] = str(fields["state"])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE flux SET {assignments} WHERE id_flux = ?"
        self._write(db, sql, (*fields.values(), id_flux))

    def flux(self, id_flux: str) -> FluxRow | None:
        """Return one flux, or None."""
        row = self.db.execute("SELECT * FROM flux WHERE id_flux = ?", (id_flux,)).fetchone()
        return FluxRow.from_row(row) if row is not None else None

    def fluxes_with_sha256(self, sha256: str, exclude: str | None = None) -> list[FluxRow]:
        """Return finished fluxes whose bytes hash to ``sha256`` (the duplicate-flux rule)."""
        rows = self.db.execute(
            "SELECT * FROM flux WHERE sha256 = ? AND state = ? AND id_flux IS NOT ?"
            " ORDER BY received_at",
            (sha256, str(FluxState.DONE), exclude),
        ).fetchall()
        return [FluxRow.from_row(row) for row in rows]

    def fluxes_finished_after(self, moment: str) -> list[FluxRow]:
        """Return ``done`` fluxes whose ``finished_at`` is after ``moment``, oldest first.

        ``moment`` must have the fixed-width form :func:`utc_now` writes
        (``2026-11-29T22:17:36.123+00:00``): the comparison is on the text."""
        rows = self.db.execute(
            "SELECT * FROM flux WHERE state = ? AND finished_at > ? ORDER BY finished_at, id_flux",
            (str(FluxState.DONE), moment),
        ).fetchall()
        return [FluxRow.from_row(row) for row in rows]

    def fluxes(
        self,
        *,
        since: str | None = None,
        verdict: str | None = None,
        state: FluxState | None = None,
    ) -> list[FluxRow]:
        """Return fluxes, oldest first, filtered by received-at lower bound, verdict, state."""
        where, params = where_clause(
            ("received_at", ">=", since),
            ("verdict", "=", verdict),
            ("state", "=", str(state) if state is not None else None),
        )
        rows = self.db.execute(
            f"SELECT * FROM flux{where} ORDER BY received_at, id_flux", params
        ).fetchall()
        return [FluxRow.from_row(row) for row in rows]

    def flux_counts(self) -> list[tuple[str, str | None, int]]:
        """``(channel, verdict, count)`` of every flux (verdict None while claimed): the
        ``/metrics`` fluxes by channel and verdict."""
        rows = self.db.execute(
            "SELECT channel, verdict, COUNT(*) AS n FROM flux GROUP BY channel, verdict"
        ).fetchall()
        return [(row["channel"], row["verdict"], int(row["n"])) for row in rows]
