"""The ``deposit`` table: fluxes deposited over HTTP and the technical account that did it.

Job: record who deposited a flux (Service mode, ``factures/v1/deposer/flux``) and what the
request declared (``syntaxeFlux``, ``avecSignature``), and answer the questions the API's rights
ask: the deposit of one flux, and the fluxes and invoices an account deposited. Rows come back
as :class:`~edi_gateway.store.records.DepositRow` / ``FluxRow`` / ``InvoiceRow``.
"""

from __future__ import annotations

import json

from edi_gateway.store.connection import Connection, Transaction, utc_now
from edi_gateway.store.records import DepositRow, FluxRow, InvoiceRow


class DepositTable(Connection):
    """Queries of the ``deposit`` table (a part of ``Store``)."""

    def add_deposit(
        self,
        id_flux: str,
        *,
        account: str,
        flux_syntax: str,
        signed: bool = False,
        sellers: tuple[str, ...] = (),
        db: Transaction | None = None,
    ) -> None:
        """Record the deposit of flux ``id_flux`` (its ``flux`` row exists) by ``account``.

        Raises:
            StateError / sqlite3.IntegrityError: the database refused the row (a flux has one
                deposit at most).
        """
        columns = {
            "id_flux": id_flux,
            "account": account,
            "flux_syntax": flux_syntax,
            "signed": int(signed),
            "sellers": json.dumps(list(sellers)),
            "deposited_at": utc_now(),
        }
        self._insert(db, "deposit", columns)

    def deposit(self, id_flux: str) -> DepositRow | None:
        """The deposit of ``id_flux``, or None for a flux dropped in a folder."""
        row = self.db.execute("SELECT * FROM deposit WHERE id_flux = ?", (id_flux,)).fetchone()
        return DepositRow.from_row(row) if row else None

    def deposited_fluxes(self, account: str, limit: int = 1000) -> list[FluxRow]:
        """Fluxes deposited by ``account``, newest first (at most ``limit``)."""
        rows = self.db.execute(
            "SELECT flux.* FROM flux JOIN deposit USING (id_flux) WHERE deposit.account = ?"
            " ORDER BY flux.received_at DESC, flux.id_flux DESC LIMIT ?",
            (account, limit),
        ).fetchall()
        return [FluxRow.from_row(row) for row in rows]

    def deposited_invoices(self, account: str) -> list[InvoiceRow]:
        """Invoices carried by the fluxes ``account`` deposited, newest first."""
        rows = self.db.execute(
            "SELECT invoice.* FROM invoice JOIN deposit USING (id_flux)"
            " WHERE deposit.account = ? ORDER BY invoice.id DESC",
            (account,),
        ).fetchall()
        return [InvoiceRow.from_row(row) for row in rows]

    def invoices_of_flux(self, id_flux: str) -> list[InvoiceRow]:
        """The invoices a flux carried (none for an inadmissible flux)."""
        rows = self.db.execute(
            "SELECT * FROM invoice WHERE id_flux = ? ORDER BY id", (id_flux,)
        ).fetchall()
        return [InvoiceRow.from_row(row) for row in rows]

    def fluxes_of_parties(
        self,
        *,
        sellers: list[str],
        recipients: list[str],
        accounts: list[str],
        limit: int = 200,
        offset: int = 0,
    ) -> list[FluxRow]:
        """Fluxes, newest first (at most ``limit``), whose seller (BT-29/BT-30) is in
        ``sellers``, whose recipient SIRET is in ``recipients``, or that an account of
        ``accounts`` deposited: what a portal user may follow."""

        def marks(values: list[str]) -> str:
            return ", ".join("?" for _ in values) or "NULL"

        rows = self.db.execute(
            "SELECT flux.* FROM flux LEFT JOIN deposit USING (id_flux)"
            f" WHERE flux.seller_id IN ({marks(sellers)})"
            f" OR flux.recipient_siret IN ({marks(recipients)})"
            f" OR deposit.account IN ({marks(accounts)})"
            " ORDER BY flux.received_at DESC, flux.id_flux DESC LIMIT ? OFFSET ?",
            (*sellers, *recipients, *accounts, limit, offset),
        ).fetchall()
        return [FluxRow.from_row(row) for row in rows]

    def invoices_of_parties(
        self,
        *,
        sellers: list[str],
        recipients: list[str],
        status: str | None = None,
        limit: int = 500,
        offset: int = 0,
    ) -> list[InvoiceRow]:
        """Invoices, newest first, sent by ``sellers`` or addressed to ``recipients`` (with
        current status ``status`` when given); one page: ``limit`` rows after ``offset``
        (indexes ``invoice_seller``, ``invoice_recipient``)."""

        def marks(values: list[str]) -> str:
            return ", ".join("?" for _ in values) or "NULL"

        where = f"(seller_id IN ({marks(sellers)}) OR recipient_siret IN ({marks(recipients)}))"
        params: list[object] = [*sellers, *recipients]
        if status:
            where += " AND status_name = ?"
            params.append(status)
        rows = self.db.execute(
            f"SELECT * FROM invoice WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [InvoiceRow.from_row(row) for row in rows]
