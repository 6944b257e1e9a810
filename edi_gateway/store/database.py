"""The gateway's ledger: one :class:`Store` per process, over an embedded SQLite database (WAL).

All SQL lives in this package, one module per table family: :mod:`~edi_gateway.store.fluxes`
(``flux``, ``sequence``), :mod:`~edi_gateway.store.invoices` (``invoice``),
:mod:`~edi_gateway.store.events` (``status_event``), :mod:`~edi_gateway.store.deposits`
(``deposit``), :mod:`~edi_gateway.store.drafts` (``draft``), on the connection of
:mod:`~edi_gateway.store.connection` and the DDL of :mod:`~edi_gateway.store.schema`. Callers
get frozen records (:mod:`~edi_gateway.store.records`), never a driver row.
"""

from __future__ import annotations

from edi_gateway.store.connection import Transaction as Transaction
from edi_gateway.store.connection import utc_now as utc_now
from edi_gateway.store.deposits import DepositTable
from edi_gateway.store.drafts import DraftTable
from edi_gateway.store.events import EventTable
from edi_gateway.store.fluxes import FluxTable
from edi_gateway.store.invoices import InvoiceTable


class Store(FluxTable, InvoiceTable, EventTable, DepositTable, DraftTable):
    """One connection to the gateway database with the queries of every table.

    Args:
        path: database file; its folder is created when missing. ``:memory:`` works for tests.
        busy_timeout: seconds a writer waits for another process's write lock.
        pool_size: on PostgreSQL, > 0 borrows connections from this process's pool of that
            size (``store.postgres_pool``, for the API's threads) instead of holding one.

    Raises:
        StateError: the database cannot be opened or its schema created.
    """
