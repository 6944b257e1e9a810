"""The ``status_event`` table: every status an invoice went through, append-only.

Job: append a status event (time, actor, motif, comment, mandate number, 2026 reform code,
the flux and flow file that carried it) and list an invoice's history. Rows come back as
:class:`~edi_gateway.store.records.EventRow`.
"""

from __future__ import annotations

from typing import Any

from edi_gateway.store.connection import Connection, Transaction, utc_now
from edi_gateway.store.records import EventRow


class EventTable(Connection):
    """Queries of the ``status_event`` table (a part of ``Store``)."""

    def add_event(self, db: Transaction | None = None, **columns: Any) -> int:
        """Append a status event; inside ``transaction()`` pass its connection as ``db``.

        Required columns: invoice_id, status_code, status_name, actor. ``at`` defaults to now.
        """
        columns.setdefault("at", utc_now())
        return self._insert(db, "status_event", columns)

    def events(self, invoice_id: int) -> list[EventRow]:
        """Return the status events of one invoice, newest first."""
        rows = self.db.execute(
            "SELECT * FROM status_event WHERE invoice_id = ? ORDER BY at DESC, id DESC",
            (invoice_id,),
        ).fetchall()
        return [EventRow.from_row(row) for row in rows]

    def status_counts(self) -> list[tuple[str, str, int]]:
        """``(status code, status name, count)`` of every status event recorded (the
        ``/metrics`` status changes by code)."""
        rows = self.db.execute(
            "SELECT status_code, status_name, COUNT(*) AS n FROM status_event"
            " GROUP BY status_code, status_name"
        ).fetchall()
        return [(row["status_code"], row["status_name"], int(row["n"])) for row in rows]
