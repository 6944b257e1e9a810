"""The ``invoice`` table: invoices received, their duplicate key and current CPP status.

Job: insert an invoice made available (or rejected) by reception, find invoices by CPP id, by
BT-1 and seller, by the duplicate key (seller SIREN or id, BT-1, year of BT-2; CPP rule
``REJ_UNICITE``), and move an invoice to a new status under an optimistic version check. Rows
come back as :class:`~edi_gateway.store.records.InvoiceRow`.
"""

from __future__ import annotations

from typing import Any

from edi_gateway.store.connection import Connection, Transaction, utc_now, where_clause
from edi_gateway.store.records import InvoiceRow


class InvoiceTable(Connection):
    """Queries of the ``invoice`` table (a part of ``Store``)."""

    def add_invoice(self, db: Transaction | None = None, **columns: Any) -> int:
        """Insert an invoice row and return its CPP invoice id.

        Required columns: id_flux, seller_key, number, recipient_siret, status_code,
        status_name. ``created_at``/``updated_at`` default to now. Inside ``transaction()`` pass
        its connection as ``db``.
        """
        now = utc_now()
        columns.setdefault("created_at", now)
        columns.setdefault("updated_at", now)
        return self._insert(db, "invoice", columns)

    def invoice(self, invoice_id: int) -> InvoiceRow | None:
        """Return one invoice by CPP invoice id, or None (also for an id outside SQLite's
        64-bit INTEGER range, which no row can have)."""
        if not -(2**63) <= invoice_id < 2**63:
            return None
        row = self.db.execute("SELECT * FROM invoice WHERE id = ?", (invoice_id,)).fetchone()
        return InvoiceRow.from_row(row) if row is not None else None

    def invoices_by_number(self, seller: str, number: str) -> list[InvoiceRow]:
        """Return invoices whose seller key or id is ``seller`` and whose BT-1 is ``number``."""
        return self._invoices(
            "SELECT * FROM invoice WHERE number = ? AND (seller_key = ? OR seller_id = ?)"
            " ORDER BY id",
            (number, seller, seller),
        )

    def invoices_with_key(self, seller_key: str, number: str, year: int | None) -> list[InvoiceRow]:
        """Return invoices with the duplicate key (seller SIREN or id, BT-1, year of BT-2)."""
        return self._invoices(
            "SELECT * FROM invoice WHERE seller_key = ? AND number = ? AND issue_year IS ?"
            " ORDER BY id",
            (seller_key, number, year),
        )

    def invoices_of_seller_year(self, seller_key: str, year: int | None) -> list[InvoiceRow]:
        """Return the invoices of one seller key and issue year (None: no year), oldest first;
        the caller compares BT-1 itself (``reception.rules.number_key``)."""
        return self._invoices(
            "SELECT * FROM invoice WHERE seller_key = ? AND issue_year IS ? ORDER BY id",
            (seller_key, year),
        )

    def invoices(
        self, *, recipient_siret: str | None = None, status_code: str | None = None
    ) -> list[InvoiceRow]:
        """Return invoices, newest first, filtered by recipient SIRET and current status code."""
        where, params = where_clause(
            ("recipient_siret", "=", recipient_siret), ("status_code", "=", status_code)
        )
        return self._invoices(f"SELECT * FROM invoice{where} ORDER BY id DESC", params)

    def set_invoice_status(
        self,
        db: Transaction,
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
        return bool(cursor.rowcount == 1)

    def _invoices(self, sql: str, params: tuple[object, ...] | list[object]) -> list[InvoiceRow]:
        return [InvoiceRow.from_row(row) for row in self.db.execute(sql, params).fetchall()]
