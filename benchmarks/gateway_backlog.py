"""A backlog drained by the real gateway: memory over time and a new file's latency meanwhile.

``--files`` small files (default 100,000: ``examples/`` and the corpus files of at most
``--max-bytes``, every copy distinct, see :mod:`gateway_tree`) are written into ``inbound/``
before the daemon starts; the daemon finds them by its start sweep. While it drains them:

- every ``--sample`` seconds (default 1) the RSS (VmRSS) of the daemon and of each worker
  process is read from ``/proc``; printed: min / max per process after the first ``--skip``
  seconds (the workers compile their rules on first use), and the spread (max / min - 1) of the
  total (target: flat within 10 %);
- every ``--probe-every`` seconds (default 2) a new file is dropped (``.part`` then rename, an
  inotify ``IN_MOVED_TO``): its drop -> ``flux.done`` latency shows that new files are not
  starved by the backlog (the daemon claims files an event reported before files only a sweep
  found: ``edi_gateway/ingest/intake_order.py``). Printed: p50 / p95 / max.

Usage: ``python benchmarks/gateway_backlog.py [--files 100000] [--workers 2]``
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import gateway_tree as tree


def fill(files: list[tuple[str, bytes]]):
    """A ``before_start`` callback writing ``files`` straight into the inbound folder."""

    def write(inbound: Path) -> None:
        for name, data in files:
            (inbound / name).write_bytes(data)

    return write


def sample(running: tree.Running, every: float, stop: threading.Event, out: list) -> None:
    """Append ``(seconds since start, {pid: VmRSS MiB}, done count)`` every ``every`` s."""
    start = time.monotonic()
    while not stop.is_set():
        out.append((time.monotonic() - start, tree.rss_mib(running.process.pid)))
        stop.wait(every)


def probe(running: tree.Running, pool: list, every: float, stop: threading.Event) -> None:
    """Drop a new distinct file every ``every`` seconds until ``stop``."""
    inbound = running.root / "inbound"
    index = 0
    while not stop.wait(every):
        name, data = pool[index % len(pool)]
        final = f"probe-{index:05d}-{name}"
        running.dropped[final] = tree.drop(inbound, final, tree.distinct(10**7 + index, data))
        index += 1


def spread(values: list[float]) -> str:
    """``min - max MiB (+x %)``."""
    low, high = min(values), max(values)
    return f"{low:.0f} - {high:.0f} MiB (+{(high / low - 1) * 100:.1f} %)"


def main() -> None:
    """Fill the backlog, start the daemon, sample and probe until drained, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-bytes", type=int, default=20_000, help="small files only")
    parser.add_argument("--sample", type=float, default=1.0)
    parser.add_argument("--probe-every", type=float, default=2.0)
    parser.add_argument("--skip", type=float, default=20.0, help="s of start-up not counted")
    args = parser.parse_args()
    pool = tree.sources(args.max_bytes)
    files = tree.distinct_copies(pool, args.files)
    print(f"backlog of {len(files)} distinct files ({len(pool)} sources), {args.workers} workers")
    stop = threading.Event()
    samples: list = []
    with tree.gateway(args.workers, before_start=fill(files), wait_for="worker.ready") as running:
        started = time.time()
        threads = [
            threading.Thread(target=sample, args=(running, args.sample, stop, samples)),
            threading.Thread(target=probe, args=(running, pool, args.probe_every, stop)),
        ]
        for thread in threads:
            thread.start()
        tree.support.wait_until(lambda: running.done_count() >= len(files), 24 * 3600, 1.0)
        stop.set()
        for thread in threads:
            thread.join()
        tree.wait_done(running, len(files) + len(running.dropped), 120)
        drained = time.time() - started
        probes = tree.latencies_ms(running)
    steady = [rss for at, rss in samples if at >= args.skip] or [rss for _, rss in samples]
    pid = running.process.pid
    print(f"drained in {drained:.0f} s ({len(files) / drained:.1f} files/s)")
    print(f"RSS total (daemon + workers), every {args.sample:g} s after {args.skip:g} s: "
          f"{spread([sum(r.values()) for r in steady])}")  # fmt: skip
    tenths = [steady[len(steady) * k // 10] for k in range(10)] + [steady[-1]]
    print("RSS total at each tenth of the drain, MiB: " + ", ".join(
        f"{sum(r.values()):.0f}" for r in tenths))  # fmt: skip
    print(f"RSS daemon: {spread([r.get(pid, 0.0) for r in steady if pid in r])}")
    workers = sorted({p for r in steady for p in r if p != pid})
    for each in workers:
        print(f"RSS worker {each}: {spread([r[each] for r in steady if each in r])}")
    print(
        f"new file during the backlog ({len(probes)} probes, one every {args.probe_every:g} s): "
        f"drop -> flux.done p50 {tree.percentile(probes, 50):.0f} ms, "
        f"p95 {tree.percentile(probes, 95):.0f} ms, max {max(probes, default=0):.0f} ms"
    )


if __name__ == "__main__":
    main()
