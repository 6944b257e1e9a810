"""The API's pooled ledger connections (store/postgres_pool.py) on a real PostgreSQL server:
many threads, each with its own store, share a few connections; reads and write transactions
stay correct; a connection the server dropped is replaced; session locks are refused."""

from __future__ import annotations

import threading

import psycopg
import pytest

from edi_gateway.core.errors import StateError
from edi_gateway.store import postgres_pool
from edi_gateway.store.database import Store, utc_now


def _backends(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s",
            (postgres_pool.APPLICATION_NAME,),
        ).fetchone()
    return int(row[0]) if row else 0


def test_threads_share_a_few_connections(postgres_url: str) -> None:
    errors: list[BaseException] = []
    most = [0]

    def work(n: int) -> None:
        try:
            store = Store(postgres_url, pool_size=3)
            for i in range(10):
                with store.transaction() as db:
                    store.add_flux(
                        id_flux=f"EDIGW1{n:02d}{i:017d}",
                        channel="depot-edi",
                        original_name=f"t{n}-{i}.xml",
                        sha256=f"{n}-{i}",
                        size=1,
                        work_path=None,
                        received_at=utc_now(),
                        db=db,
                    )
                assert store.flux(f"EDIGW1{n:02d}{i:017d}") is not None
                most[0] = max(most[0], _backends(postgres_url))
            store.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with Store(postgres_url) as store:
        assert len(store.fluxes()) == 160
    assert 1 <= most[0] <= 3, most
    postgres_pool.close_pools()


def test_a_dropped_connection_is_replaced_and_locks_are_refused(postgres_url: str) -> None:
    store = Store(postgres_url, pool_size=2)
    assert store.fluxes() == []
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert store.fluxes() == []  # on another connection
    assert store.postgres is not None
    with pytest.raises(StateError, match="cannot hold a flux lock"):
        store.postgres.try_flux_lock("EDIGW1000000000000000001")
    with pytest.raises(StateError, match="cannot hold a gateway instance"):
        store.postgres.hold_instance(1)
    store.close()
    postgres_pool.close_pools()
