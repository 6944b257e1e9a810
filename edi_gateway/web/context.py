"""What every call of the Service mode shares: the config, accounts, tokens, directory, ledger.

Job: build once per application the objects the operations use (:class:`ServiceContext`), and
give each thread its own :class:`~edi_gateway.store.database.Store` (SQLite connections are per
thread; FastAPI runs plain ``def`` operations in a thread pool). Deposits are handed to the
daemon's loop through ``submit`` (:mod:`edi_gateway.ingest.http_deposit`): the HTTP side never
validates and never claims.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edi_gateway.core.config import Config
from edi_gateway.ingest.http_deposit import PendingDeposit
from edi_gateway.lifecycle import table as lifecycle
from edi_gateway.reception import structures
from edi_gateway.store.database import Store
from edi_gateway.web.accounts import AccountBook
from edi_gateway.web.tokens import TokenIssuer, load_key


@dataclass(slots=True, kw_only=True)
class ServiceContext:
    """The shared objects of one application.

    Attributes:
        config: the gateway configuration.
        book: technical accounts and OAuth clients (re-read when the file changes).
        issuer: access tokens.
        directory: the structures directory in force.
        table: the lifecycle table.
        submit: hands a staged deposit to the daemon's loop (its hint queue ``put``).
        metrics: the Prometheus registry holder (:mod:`edi_gateway.web.metrics`), or None.
    """

    config: Config
    book: AccountBook
    issuer: TokenIssuer
    directory: structures.Watcher
    table: lifecycle.Lifecycle
    submit: Callable[[PendingDeposit], None]
    metrics: Any = None
    _local: threading.local = field(default_factory=threading.local)

    def store(self) -> Store:
        """This thread's store (opened on first use; on PostgreSQL its connections come from
        the API's pool of ``[api] database_connections``)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.config.database, pool_size=self.config.api.database_connections)
            self._local.store = store
        return store


def build(config: Config, submit: Callable[[PendingDeposit], None]) -> ServiceContext:
    """The context of ``config``.

    Raises:
        ConfigError: the accounts or structures file is invalid.
        OSError: the token key cannot be read or made.
    """
    return ServiceContext(
        config=config,
        book=AccountBook(config.api.accounts),
        issuer=TokenIssuer(load_key(config.state_dir), config.api.token_seconds),
        directory=structures.Watcher(config.structures),
        table=lifecycle.default(),
        submit=submit,
    )
