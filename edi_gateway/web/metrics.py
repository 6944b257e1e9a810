"""``GET /metrics``: the operator's figures in the Prometheus text format (prometheus-client).

Job: one registry per application with
- ``edi_gateway_fluxes_total{channel, verdict}``: fluxes in the ledger (verdict ``pending``
  while claimed), read from the ledger at each scrape, so it counts every process's work;
- ``edi_gateway_status_changes_total{code, status}``: status events in the ledger;
- ``edi_gateway_flux_duration_seconds{stage}``: histogram, ``stage="queue"`` claim to a worker
  (waiting and hand-over), ``stage="worker"`` the time inside the worker (detection to
  put-away), ``stage="end_to_end"`` claim to verdict, of every flux this gateway finished since
  it started;
- ``edi_gateway_files_waiting{folder}``: entries in each inbound folder and in ``var/work``;
- ``edi_gateway_workers_alive`` and ``edi_gateway_worker_restarts_total``;
- ``edi_gateway_http_requests_total{operation, code}``: calls by route template and HTTP code;
- ``edi_gateway_api_deposits_total{syntaxe}``: fluxes deposited over HTTP.
Access is set by ``[api] metrics``: ``localhost`` (only 127.0.0.1 / ::1 callers), ``open``, ``off``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edi_gateway.core.config import Config
from edi_gateway.ingest.claim import is_temporary
from edi_gateway.store.database import Store

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _entries(folder: Path) -> int:
    """Files waiting directly in ``folder`` (no sub-folder such as ``inbound/recipient-status``,
    no hidden or temporary name a writer is still filling)."""
    with contextlib.suppress(OSError), os.scandir(folder) as it:
        return sum(
            1 for e in it if not is_temporary(e.name) and not e.is_dir(follow_symlinks=False)
        )
    return 0


class _Ledger(Collector):
    """Figures read at scrape time: ledger counts, folders, live workers."""

    def __init__(self, config: Config, store: Any, host: Any) -> None:
        self.config, self.store, self.host = config, store, host

    def collect(self) -> Iterator[Metric]:
        store: Store = self.store()
        fluxes = CounterMetricFamily(
            "edi_gateway_fluxes", "Fluxes in the ledger", labels=["channel", "verdict"]
        )
        for channel, verdict, n in store.flux_counts():
            fluxes.add_metric([channel, verdict or "pending"], n)
        yield fluxes
        statuses = CounterMetricFamily(
            "edi_gateway_status_changes", "Invoice status events", labels=["code", "status"]
        )
        for code, name, n in store.status_counts():
            statuses.add_metric([code, name], n)
        yield statuses
        waiting = GaugeMetricFamily(
            "edi_gateway_files_waiting", "Entries waiting in a folder", labels=["folder"]
        )
        for inbound in self.config.channels:
            waiting.add_metric([inbound.name], _entries(inbound.folder))
        waiting.add_metric(["var/work"], _entries(self.config.work_dir))
        yield waiting
        slots = getattr(getattr(self.host, "pool", None), "slots", [])
        alive = sum(1 for s in slots if s.process is not None and s.process.is_alive())
        yield GaugeMetricFamily("edi_gateway_workers_alive", "Worker processes alive", alive)


class Metrics:
    """The application's metrics.

    Args:
        config: the gateway configuration (folders).
        store: returns the calling thread's store.
        host: the running gateway (its ``pool`` of workers, read at each scrape), or None.
    """

    def __init__(self, config: Config, store: Any, host: Any = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "edi_gateway_http_requests",
            "HTTP calls by operation (route template) and status code",
            ["operation", "code"],
            registry=self.registry,
        )
        self.durations = Histogram(
            "edi_gateway_flux_duration_seconds",
            "Flux processing time by stage",
            ["stage"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.restarts = Counter(
            "edi_gateway_worker_restarts", "Worker processes that died", registry=self.registry
        )
        self.deposits = Counter(
            "edi_gateway_api_deposits",
            "Fluxes deposited over HTTP",
            ["syntaxe"],
            registry=self.registry,
        )
        self.statuses = Counter(
            "edi_gateway_api_status_changes",
            "Statuses set over HTTP",
            ["code"],
            registry=self.registry,
        )
        self.registry.register(_Ledger(config, store, host))

    def request(self, operation: str, code: int) -> None:
        """Count one HTTP call."""
        self.requests.labels(operation, str(code)).inc()

    def deposited(self, syntax: str) -> None:
        """Count one HTTP deposit."""
        self.deposits.labels(syntax).inc()

    def status_changed(self, code: str) -> None:
        """Count one status set over HTTP."""
        self.statuses.labels(code).inc()

    def observe(self, event: Any) -> None:
        """A worker event: ``Finished`` adds its durations, ``Died`` a restart. Never raises."""
        with contextlib.suppress(Exception):
            if hasattr(event, "exitcode"):
                self.restarts.inc()
                return
            summary = getattr(event, "summary", {}) or {}
            worker = float(summary.get("duration_ms", 0.0)) / 1000
            if "duration_ms" in summary:
                self.durations.labels("worker").observe(worker)
            received = getattr(event.claim, "received_at", None)
            if received:
                start = datetime.fromisoformat(received)
                spent = max(0.0, (datetime.now(UTC) - start).total_seconds())
                self.durations.labels("end_to_end").observe(spent)
                self.durations.labels("queue").observe(max(0.0, spent - worker))

    def render(self) -> bytes:
        """The text exposition format (version 0.0.4)."""
        return generate_latest(self.registry)
