"""Watchers and workers through the task queue (issue #12): ``[cluster]`` with a real Redis
broker and a real PostgreSQL ledger, both started from Debian's packages by the fixtures.

One watcher (``run --role watcher``) claims the files dropped into the shared inbound into the
shared ``work/`` and sends one ``process_flux`` task each; two worker processes (``run --role
worker``, their own ``var/``) take them. One worker is SIGKILLed mid-way and started again: its
unacknowledged task goes back on the queue after ``cluster.heartbeat_seconds``. Every file ends
exactly once (one flux row, done, its original archived once, its outputs there), copies are
caught as duplicate fluxes whichever worker took the original, a task sent twice produces its
outputs once, and a flux whose processing always fails ends in the dead-letter state with its
93 flux report after ``gateway.max_attempts``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from lxml import etree

from edi_gateway.core import config as config_module
from edi_gateway.core.errors import ConfigError
from edi_gateway.store.database import Store
from edi_gateway.store.records import FluxRow
from tests.conftest import ROOT
from tests.fixtures.daemon import support

pytestmark = pytest.mark.slow

SOURCE = ROOT / "examples" / "02-ok-ubl-mairie-services-techniques.xml"


def _cluster_config(
    root: Path,
    shared: Path,
    url: str,
    broker: str,
    *,
    instance: int = 0,
    workers: int = 1,
    max_attempts: int | None = None,
    retry_seconds: str | None = None,
) -> Path:
    """A gateway in ``root`` (its own var/) on the shared folders, ledger and broker."""
    path = support.write_config(
        root,
        workers=workers,
        settle=0.1,
        sweep=0.5,
        database=url,
        max_attempts=max_attempts,
        retry_seconds=retry_seconds,
    )
    support.share_folders(path, shared, instance)
    text = path.read_text(encoding="utf-8")
    text += f"""
[cluster]
enabled = true
broker = "{broker}"
queue = "edi-test"
shared_dir = "{shared}/var"
heartbeat_seconds = 3
"""
    path.write_text(text, encoding="utf-8")
    return path


def _distinct(count: int, prefix: str) -> dict[str, bytes]:
    template = SOURCE.read_bytes()
    return {
        f"{prefix}{n:04d}.xml": template.replace(b"EX-2025-002", f"{prefix}-{n:04d}".encode())
        for n in range(count)
    }


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        assert process.wait(timeout=90) == 0


def _log_events(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_watcher_and_two_workers_take_each_file_once(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    (shared / "inbound" / "recipient-status").mkdir(parents=True)
    watcher = _cluster_config(tmp_path / "watcher", shared, postgres_url, broker_url, instance=1)
    workers = [
        _cluster_config(tmp_path / f"worker{i}", shared, postgres_url, broker_url) for i in (1, 2)
    ]
    data = _distinct(150, "CL")
    logs = [(tmp_path / f"{name}.log").open("ab") for name in ("watcher", "w1", "w2")]
    procs = [support.start_daemon(watcher, stderr=logs[0], role="watcher")]
    procs += [
        support.start_daemon(c, stderr=log, role="worker")
        for c, log in zip(workers, logs[1:], strict=True)
    ]
    try:
        support.drop_files(shared / "inbound", data)
        assert support.wait_until(lambda: support.ledger_done(postgres_url) >= 30, 180, 0.2), (
            support.ledger_done(postgres_url)
        )
        procs[1].send_signal(signal.SIGKILL)  # its worker process dies with it (PDEATHSIG)
        assert procs[1].wait(timeout=10) == -signal.SIGKILL
        time.sleep(1.0)
        procs[1] = support.start_daemon(workers[0], stderr=logs[1], role="worker")
        assert support.wait_until(
            lambda: support.ledger_done(postgres_url) == len(data), 300, 0.5
        ), support.ledger_done(postgres_url)
        copies = {f"copie-{n:02d}.xml": data[f"CL{n * 7:04d}.xml"] for n in range(10)}
        support.drop_files(shared / "inbound", copies)
        total = len(data) + len(copies)
        assert support.wait_until(lambda: support.ledger_done(postgres_url) == total, 120, 0.5)
    finally:
        _stop(procs)
        for log in logs:
            log.close()
    rows = support.ledger_rows(postgres_url)
    by_name: dict[str, list[FluxRow]] = {}
    for row in rows:
        by_name.setdefault(row.original_name, []).append(row)
    assert sorted(by_name) == sorted(data | copies)
    assert all(len(found) == 1 and found[0].done for found in by_name.values())
    assert [n for n in data if by_name[n][0].verdict != "accepted"] == []
    assert {by_name[n][0].reason for n in copies} == {"IRR_UNCITE"}
    assert {row.id_flux[10:12] for row in rows} == {"01"}, "the watcher drew every IdFlux"
    assert not [row for row in rows if row.reason == "LOST"]
    archived = sorted(p.name.split("__", 1)[1] for p in (shared / "var" / "archive").rglob("*"))
    errors = sorted(p.name.split("__", 1)[1] for p in (shared / "var" / "error").rglob("*"))
    assert archived == sorted(data) and errors == sorted(copies)
    assert not list((shared / "var" / "work").iterdir())
    for row in rows:
        assert all(Path(p).is_file() for p in row.outputs), row
    # both workers processed fluxes, and the flux.done lines name each flux once
    done_ids: dict[str, list[str]] = {}
    for config in workers:
        events = _log_events(config.parent / "var" / "log" / "gateway.jsonl")
        done_ids[config.parent.name] = [
            e["id_flux"] for e in events if e.get("event") == "flux.done" and not e.get("again")
        ]
    assert all(done_ids.values()), {k: len(v) for k, v in done_ids.items()}
    every = [id_flux for found in done_ids.values() for id_flux in found]
    assert sorted(every) == sorted(row.id_flux for row in rows)


def test_a_task_sent_twice_gives_its_outputs_once(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    import dramatiq

    from edi_gateway.core import logs
    from edi_gateway.ingest.claim import Claimer
    from edi_gateway.pipeline.engine import Engine
    from edi_gateway.runtime import broker as task_queue
    from edi_gateway.runtime.cluster_task import FluxTask

    shared = tmp_path / "shared"
    (shared / "inbound" / "recipient-status").mkdir(parents=True)
    config = config_module.load(_cluster_config(tmp_path / "gw", shared, postgres_url, broker_url))
    logs.configure(config, console=False)
    source = shared / "inbound" / "twice.xml"
    source.write_bytes(SOURCE.read_bytes().replace(b"EX-2025-002", b"TWICE-1"))
    with Store(postgres_url) as store:
        claim = Claimer(config, store).claim(str(source), config.channels[0])
    assert claim is not None
    engine = Engine(config)
    task = FluxTask(config, engine)
    results: list[str] = []
    broker = task_queue.make_broker(config)
    actor = task_queue.declare(broker, config, lambda m: results.append(task.run(m)))
    actor.send(task_queue.claim_message(claim))
    actor.send(task_queue.claim_message(claim))
    worker = dramatiq.Worker(broker, queues={"edi-test"}, worker_threads=1)
    worker.start()
    try:
        assert support.wait_until(lambda: len(results) == 2, 60, 0.1), results
    finally:
        worker.stop()
        broker.close()
    assert results == ["processed", "again"]
    rows = support.ledger_rows(postgres_url)
    assert len(rows) == 1 and rows[0].done and rows[0].verdict == "accepted"
    assert rows[0].attempts == 1
    outputs = sorted(p for p in (shared / "outbound").rglob("*") if p.is_file())
    assert sorted(Path(p) for p in rows[0].outputs) == outputs
    assert not [p for p in outputs if p.name.startswith(".")], "a staged copy was left"
    # a copy run while the first holds the flux's lock ends at once, untouched
    ledger = engine.store.postgres
    assert ledger is not None and ledger.try_flux_lock(claim.id_flux)
    with Store(postgres_url) as other_store:

        class Other:
            store = other_store

            def process_claimed(self, _claim: object) -> None:
                raise AssertionError("a busy flux was processed")

        assert FluxTask(config, Other()).run(task_queue.claim_message(claim)) == "busy"
    ledger.release_flux_lock(claim.id_flux)
    engine.close()


def test_a_busy_flux_is_looked_at_again_after_a_heartbeat(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    """A task whose flux another worker holds is not dropped: it comes back after one
    heartbeat (3 s here) and runs once the holder let go."""
    import dramatiq

    from edi_gateway.core import logs
    from edi_gateway.ingest.claim import Claimer
    from edi_gateway.pipeline.engine import Engine
    from edi_gateway.runtime import broker as task_queue
    from edi_gateway.runtime.cluster_task import FluxTask
    from edi_gateway.runtime.cluster_worker import actor_body

    shared = tmp_path / "shared"
    (shared / "inbound" / "recipient-status").mkdir(parents=True)
    config = config_module.load(_cluster_config(tmp_path / "gw", shared, postgres_url, broker_url))
    logs.configure(config, console=False)
    source = shared / "inbound" / "busy.xml"
    source.write_bytes(SOURCE.read_bytes().replace(b"EX-2025-002", b"BUSY-1"))
    holder = Store(postgres_url)
    claim = Claimer(config, holder).claim(str(source), config.channels[0])
    assert claim is not None and holder.postgres is not None
    assert holder.postgres.try_flux_lock(claim.id_flux)  # "another worker" runs it
    engine = Engine(config)
    runs: list[tuple[float, str]] = []
    task = FluxTask(config, engine)
    original = task.run

    def watched(message: dict) -> str:
        outcome = original(message)
        runs.append((time.monotonic(), outcome))
        return outcome

    task.run = watched  # type: ignore[method-assign]
    broker = task_queue.make_broker(config)
    actor = task_queue.declare(broker, config, actor_body(config, task))
    actor.send(task_queue.claim_message(claim))
    worker = dramatiq.Worker(broker, queues={"edi-test"}, worker_threads=1)
    worker.start()
    try:
        assert support.wait_until(lambda: len(runs) >= 1, 30, 0.05)
        holder.postgres.release_flux_lock(claim.id_flux)
        assert support.wait_until(lambda: any(r == "processed" for _, r in runs), 30, 0.1)
    finally:
        worker.stop()
        broker.close()
        holder.close()
    assert [r for _, r in runs] == ["busy", "processed"]
    assert runs[1][0] - runs[0][0] >= 2.9, "looked at again before a heartbeat"
    row = engine.store.flux(claim.id_flux)
    engine.close()
    assert row is not None and row.done and row.verdict == "accepted"


class _Failing:
    """An engine whose processing always fails (a disk that refuses every output)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls = 0

    def process_claimed(self, _claim: object) -> None:
        self.calls += 1
        raise OSError(28, "No space left on device")


def test_a_flux_that_always_fails_ends_in_the_dead_letter_state(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    import dramatiq

    from edi_gateway.core import logs
    from edi_gateway.ingest.claim import Claimer
    from edi_gateway.runtime import broker as task_queue
    from edi_gateway.runtime.cluster_task import FluxTask

    shared = tmp_path / "shared"
    (shared / "inbound" / "recipient-status").mkdir(parents=True)
    path = _cluster_config(
        tmp_path / "gw",
        shared,
        postgres_url,
        broker_url,
        max_attempts=3,
        retry_seconds="[0.2, 0.4]",
    )
    config = config_module.load(path)
    logs.configure(config, console=False)
    source = shared / "inbound" / "toujours-en-echec.xml"
    source.write_bytes(SOURCE.read_bytes())
    store = Store(postgres_url)
    claim = Claimer(config, store).claim(str(source), config.channels[0])
    assert claim is not None
    engine = _Failing(store)
    task = FluxTask(config, engine)
    results: list[str] = []
    lock = threading.Lock()

    def handler(message: dict) -> None:
        try:
            outcome = task.run(message)
        except Exception:
            with lock:
                results.append("raised")
            raise
        with lock:
            results.append(outcome)

    broker = task_queue.make_broker(config)
    actor = task_queue.declare(broker, config, handler)
    started = time.monotonic()
    actor.send(task_queue.claim_message(claim))
    worker = dramatiq.Worker(broker, queues={"edi-test"}, worker_threads=1)
    worker.start()
    try:
        assert support.wait_until(lambda: "set_aside" in results, 60, 0.05), results
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
        broker.close()
    assert results == ["raised", "raised", "set_aside"]
    assert engine.calls == 3
    assert elapsed >= 0.2 * 2, "the retries did not wait their back-off"
    row = store.flux(claim.id_flux)
    store.close()
    assert row is not None and row.done and row.verdict == "inadmissible"
    assert row.reason == "GW-DAEMON-03" and row.attempts == 3
    reports = [p for p in (shared / "outbound").rglob("*") if p.is_file()]
    assert len(reports) == 1
    report = etree.parse(str(reports[0]))
    assert report.findtext(".//DonneesStatut/IdStatut") == "93"
    assert report.findtext(".//DonneesStatut/IdFlux") == claim.id_flux
    assert report.findtext(".//LigneErreurDetail/CodeErreur") == "GW-DAEMON-03"
    assert "No space left on device" in report.findtext(".//LigneErreurDetail/LibelleErreur")
    assert [p.name for p in (shared / "var" / "error").iterdir()] == [Path(claim.work_path).name]


def test_a_task_message_of_another_shape_is_refused() -> None:
    from edi_gateway.runtime import broker as task_queue

    for bad in ({}, {"id_flux": "X"}, {**_message(), "size": "huge"}, {**_message(), "size": None}):
        with pytest.raises(ValueError, match="not a process_flux message"):
            task_queue.claim_from(bad)
    assert task_queue.claim_from(_message()).work_path == Path("/srv/w/X__a.xml")


def _message() -> dict:
    return {
        "id_flux": "X", "channel": "depot-edi", "work_path": "/srv/w/X__a.xml",
        "original_name": "a.xml", "sha256": "", "size": 1, "received_at": "2026-12-07",
    }  # fmt: skip


def test_cluster_configuration_errors(tmp_path: Path) -> None:
    path = support.write_config(tmp_path)
    base = path.read_text(encoding="utf-8")
    path.write_text(base + '\n[cluster]\nenabled = true\nbroker = "redis://localhost/0"\n')
    with pytest.raises(ConfigError, match="needs a PostgreSQL ledger"):
        config_module.load(path)
    pg = base.replace('database = "var/gateway.sqlite3"', 'database = "postgresql://x@/y"')
    path.write_text(pg + '\n[cluster]\nenabled = true\nbroker = "amqp://localhost"\n')
    with pytest.raises(ConfigError, match=r"cluster\.broker must be a Redis URL"):
        config_module.load(path)
    path.write_text(pg + '\n[cluster]\nenabled = true\nbroker = "redis://h/0"\nqueue = "a b"\n')
    with pytest.raises(ConfigError, match=r"cluster\.queue"):
        config_module.load(path)
    path.write_text(pg + '\n[cluster]\nenabled = true\nbroker = "redis://h/0"\nshared = "x"\n')
    with pytest.raises(ConfigError, match="shared"):
        config_module.load(path)
    path.write_text(base)
    refused = subprocess.run(
        [sys.executable, "-m", "edi_gateway", "run", "--config", str(path), "--role", "worker"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "--role worker needs [cluster] enabled = true" in refused.stderr
