"""The store: sequences, flux rows, invoices and events (on SQLite and on PostgreSQL, the
``ledger`` fixture), and opening a SQLite database under contention."""

from __future__ import annotations

import dataclasses
import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from edi_gateway.core.errors import StateError
from edi_gateway.store.database import Store
from edi_gateway.store.records import FluxRow, FluxState


def test_sequence_counts_per_name(ledger: Path | str) -> None:
    """Each named counter starts at 1 and increments by one, also across connections."""
    with Store(ledger) as a, Store(ledger) as b:
        assert [a.next_value("x"), b.next_value("x"), a.next_value("y")] == [1, 2, 1]


def test_flux_roundtrip_and_filters(ledger: Path | str) -> None:
    """A flux row is recorded, updated with outputs (stored as JSON, read back as a tuple) and
    its state, and found by verdict and sha256; callers get frozen FluxRow records."""
    with Store(ledger) as store:
        store.add_flux(
            id_flux="F1", channel="c", original_name="a b.xml", sha256="ab", size=3, work_path=None
        )
        assert store.flux("F1").state is FluxState.CLAIMED and not store.flux("F1").done
        store.update_flux("F1", state=FluxState.DONE, verdict="accepted", outputs=["/o/1.xml"])
        row = store.flux("F1")
        assert isinstance(row, FluxRow) and row.outputs == ("/o/1.xml",)
        assert row.state is FluxState.DONE and row.done
        raw = store.db.execute("SELECT state, outputs FROM flux").fetchone()
        assert (raw["state"], raw["outputs"]) == ("done", '["/o/1.xml"]')
        with pytest.raises(dataclasses.FrozenInstanceError):
            row.verdict = "rejected"  # type: ignore[misc]
        assert row.as_dict()["state"] == "done" and row.as_dict()["outputs"] == ["/o/1.xml"]
        assert [r.id_flux for r in store.fluxes(verdict="accepted")] == ["F1"]
        assert [r.id_flux for r in store.fluxes(state=FluxState.DONE)] == ["F1"]
        assert store.fluxes(state=FluxState.CLAIMED) == []
        assert store.fluxes(verdict="rejected") == []
        assert [r.id_flux for r in store.fluxes_with_sha256("ab")] == ["F1"]
        assert store.fluxes_with_sha256("ab", exclude="F1") == []


def test_invoice_and_events(ledger: Path | str) -> None:
    """Invoices are found by duplicate key; events come back newest first."""
    with Store(ledger) as store:
        store.add_flux(
            id_flux="F1", channel="c", original_name="a", sha256="x", size=1, work_path=None
        )
        inv = store.add_invoice(
            id_flux="F1",
            seller_key="123456789",
            number="F-1",
            issue_year=2026,
            recipient_siret="11000201100044",
            status_code="03",
            status_name="MISE_A_DISPOSITION",
        )
        store.add_event(
            invoice_id=inv,
            status_code="01",
            status_name="DEPOSEE",
            actor="platform",
            at="2026-01-01T00:00:00.000+00:00",
        )
        store.add_event(
            invoice_id=inv,
            status_code="03",
            status_name="MISE_A_DISPOSITION",
            actor="platform",
            at="2026-01-01T00:00:01.000+00:00",
        )
        assert [e.status_code for e in store.events(inv)] == ["03", "01"]
        assert len(store.invoices_with_key("123456789", "F-1", 2026)) == 1
        assert store.invoices_with_key("123456789", "F-1", 2025) == []


def _hold_write_lock(path: Path, seconds: float) -> threading.Timer:
    """Another connection takes the write lock on a fresh database and releases it later."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")

    def release() -> None:
        other.execute("COMMIT")
        other.close()

    timer = threading.Timer(seconds, release)
    timer.start()
    return timer


def test_open_waits_for_a_writer_holding_a_fresh_database(tmp_path: Path) -> None:
    """PRAGMA journal_mode=WAL fails at once while another connection holds the write lock;
    opening retries until the lock is released (well within busy_timeout)."""
    path = tmp_path / "db.sqlite3"
    timer = _hold_write_lock(path, 0.3)
    try:
        with Store(path, busy_timeout=10) as store:
            assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert store.next_value("x") == 1
    finally:
        timer.join()


def test_open_gives_up_after_busy_timeout(tmp_path: Path) -> None:
    """A lock held longer than busy_timeout gives StateError after about busy_timeout seconds."""
    path = tmp_path / "db.sqlite3"
    timer = _hold_write_lock(path, 0.8)
    start = time.monotonic()
    try:
        with pytest.raises(StateError, match="database is locked"):
            Store(path, busy_timeout=0.3)
        assert time.monotonic() - start >= 0.25
    finally:
        timer.join()


def _open_fresh(folder: str, rounds: int, barrier: object, results: object) -> None:
    """Child process: open a fresh database per round, all children at once."""
    outcome = []
    for index in range(rounds):
        barrier.wait()  # type: ignore[attr-defined]
        try:
            Store(Path(folder) / f"db{index}.sqlite3", busy_timeout=20).close()
            outcome.append("ok")
        except StateError as exc:
            outcome.append(str(exc))
    results.put(outcome)  # type: ignore[attr-defined]


def test_processes_opening_a_fresh_database_at_once(tmp_path: Path) -> None:
    """Six spawned processes open the same fresh database together, 20 times: every open
    succeeds (none fails at once with 'database is locked')."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(6), context.Queue()
    children = [
        context.Process(target=_open_fresh, args=(str(tmp_path), 20, barrier, results))
        for _ in range(6)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=60)
    failures = [o for outcome in outcomes for o in outcome if o != "ok"]
    assert failures == []
    assert sum(len(outcome) for outcome in outcomes) == 120
