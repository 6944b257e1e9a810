"""Throughput of the cluster (watcher + workers through Redis, one PostgreSQL ledger) beside the
single embedded gateway, in one run on this machine.

1. embedded: ``edi-gateway run`` on SQLite with its own worker processes (``--embedded-workers``,
   default 2), ``--files`` distinct files dropped at once; files / (last ``flux.done`` - first
   drop), files/s.
2. cluster, for 1, 2 and 4 worker processes across two gateway processes: gateway A (``run
   --role watcher`` for 1 worker, else ``--role all`` with half the workers) and gateway B
   (``run --role worker`` with the other half), one PostgreSQL ledger and one Redis broker,
   both started from Debian's packages as the tests do (``tests/fixtures``), a fresh database
   and broker database per run, shared inbound, outbound and ``shared_dir``. The same files,
   dropped at once once every worker logged ``worker.started`` (every rule compiled).

Printed: a Markdown table (files/s, per worker process, against the embedded gateway) and the
verdicts, so a run that rejected what it should have accepted shows. The README's "Operating a
cluster" and ``docs/architecture.md`` quote these figures.

Usage: ``python benchmarks/cluster.py [--files 600] [--workers 1 2 4] [--embedded-workers 2]``
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import gateway as gateway_bench
import gateway_tree as tree

sys.path.insert(0, str(tree.ROOT))
from tests.fixtures import postgres, redis_server

support = tree.support


def _config(root: Path, shared: Path, url: str, broker: str, workers: int) -> Path:
    """A gateway in ``root`` on the shared folders, ledger and broker (as tests/test_cluster)."""
    path = support.write_config(root, workers=workers, settle=1.0, sweep=30.0, database=url)
    support.share_folders(path, shared, instance=1)
    text = path.read_text(encoding="utf-8")
    text += (
        f'\n[cluster]\nenabled = true\nbroker = "{broker}"\nshared_dir = "{shared}/var"\n'
        "heartbeat_seconds = 30\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


def _events(log: Path, name: str) -> list[dict[str, object]]:
    if not log.exists():
        return []
    marker = f'"event": "{name}"'
    with log.open(encoding="utf-8", errors="replace") as lines:
        return [json.loads(line) for line in lines if marker in line]


def _stamp(event: dict[str, object]) -> float:
    return datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00")).timestamp()


def embedded(files: list[tuple[str, bytes]], workers: int) -> tuple[float, dict[str, int]]:
    """files/s and verdicts of the single embedded gateway (SQLite, local worker pool):
    ``benchmarks/gateway.py``'s throughput run."""
    figures = gateway_bench.throughput(files, workers)
    return float(str(figures["rate"])), dict(figures["verdicts"])  # type: ignore[call-overload]


def _verdicts(done: list[dict[str, object]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in done:
        counts[str(event.get("verdict"))] = counts.get(str(event.get("verdict")), 0) + 1
    return counts


def cluster(
    files: list[tuple[str, bytes]], workers: int, pg: postgres.Server, broker: str
) -> tuple[float, dict[str, int]]:
    """files/s and verdicts of a watcher and ``workers`` cluster worker processes split across
    two gateway processes."""
    url = postgres.upgraded_database(pg)
    a_workers, b_workers = (0, 1) if workers == 1 else (workers // 2, workers - workers // 2)
    with tempfile.TemporaryDirectory(prefix="edi-bench-cluster-") as tmp:
        root = Path(tmp)
        shared = root / "shared"
        (shared / "inbound" / "recipient-status").mkdir(parents=True)
        a = _config(root / "a", shared, url, broker, max(1, a_workers))
        b = _config(root / "b", shared, url, broker, b_workers)
        logs = [root / "a" / "var" / "log" / "gateway.jsonl", root / "b" / "var/log/gateway.jsonl"]
        procs = [
            support.start_daemon(a, role="watcher" if a_workers == 0 else "all"),
            support.start_daemon(b, role="worker"),
        ]
        try:
            ready = lambda: sum(len(_events(log, "worker.started")) for log in logs)  # noqa: E731
            if not support.wait_until(lambda: ready() >= workers, 180, 0.2):
                raise RuntimeError("the cluster workers did not start within 180 s")
            dropped = [tree.drop(shared / "inbound", name, data) for name, data in files]
            done = lambda: [e for log in logs for e in _events(log, "flux.done")]  # noqa: E731
            if not support.wait_until(lambda: len(done()) >= len(files), 3600, 0.5):
                raise RuntimeError(f"only {len(done())} of {len(files)} fluxes done")
            events = done()
        finally:
            for process in procs:
                process.send_signal(signal.SIGTERM)
            for process in procs:
                process.wait(timeout=120)
    return len(files) / (max(_stamp(e) for e in events) - min(dropped)), _verdicts(events)


def main() -> None:
    """Parse the options, start PostgreSQL and Redis, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--embedded-workers", type=int, default=2)
    parser.add_argument("--max-bytes", type=int, default=1_000_000, help="skip larger inputs")
    args = parser.parse_args()
    files = tree.distinct_copies(tree.sources(args.max_bytes), args.files)
    pg, why = postgres.start()
    if pg is None:
        raise SystemExit(f"PostgreSQL: {why}")
    redis, why = redis_server.start()
    if redis is None:
        postgres.stop(pg)
        raise SystemExit(f"Redis: {why}")
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"{len(files)} distinct files, {cores} cores, settle 1.0 s; PostgreSQL + Redis local")
    print("| setup | worker processes | files/s | files/s per worker | vs embedded |")
    print("|---|---|---|---|---|")
    try:
        base, verdicts = embedded(files, args.embedded_workers)
        print(
            f"| embedded (SQLite, local pool) | {args.embedded_workers} | {base:.1f} | "
            f"{base / args.embedded_workers:.1f} | 1.00 |",
            flush=True,
        )
        print(f"<!-- verdicts {verdicts} -->")
        for index, workers in enumerate(args.workers):
            time.sleep(1.0)
            rate, verdicts = cluster(files, workers, pg, redis.url(index + 1))
            print(
                f"| cluster (2 gateway processes, PostgreSQL, Redis) | {workers} | {rate:.1f} | "
                f"{rate / workers:.1f} | {rate / base:.2f} |",
                flush=True,
            )
            print(f"<!-- verdicts {verdicts} -->")
    finally:
        redis_server.stop(redis)
        postgres.stop(pg)


if __name__ == "__main__":
    main()
