"""Load figures of the file-drop gateway beside the in-process cost of the same validation.

For each worker count N (default 1 and 2), in one run:

1. throughput: a real daemon (``python -m edi_gateway run``, see :mod:`gateway_tree`) with N
   workers takes ``--files`` distinct files (the shared corpus and ``examples/``, cycled, every
   copy made distinct so none is a duplicate flux) dropped at once; files / (last ``flux.done``
   - first drop), files/s;
2. in-process bound (:func:`gateway_tree.in_process`): N processes, each with its own
   :class:`edi_gateway.validation.validator.Validator` with every artefact compiled, validate
   the same files (split between them) with no claim, routing, outputs or ledger; files/s,
   and the ratio gateway / in-process (target: at least 0.85);
3. latency at half the measured maximum rate: a fresh daemon, files dropped one by one at
   half of the rate of step 1, drop -> ``flux.done`` p50 / p95 / p99 in ms (target p95: at most
   150 ms);
4. worker start-up: ``worker.ready`` ``startup_ms`` (spawn -> ready, measured by the daemon;
   target: at most 3 s) and ``worker.warmed`` (every configured rule compiled, in idle time;
   the daemon takes files only once warmed here, so the gateway is as warm as the in-process
   bound), and peak RSS (VmHWM) of the daemon and workers.

The 100,000-file backlog (memory over time, a new file's latency meanwhile) is
``benchmarks/gateway_backlog.py``.

Usage: ``python benchmarks/gateway.py [--files 1000] [--workers 1 2] [--latency-files 300]``
"""

from __future__ import annotations

import argparse
import time

import gateway_tree as tree


def throughput(files: list[tuple[str, bytes]], workers: int) -> dict[str, object]:
    """Drop every file at once into a fresh daemon; files/s, verdicts, start-up, peak RSS."""
    with tree.gateway(workers) as running:
        inbound = running.root / "inbound"
        for name, data in files:
            running.dropped[name] = tree.drop(inbound, name, data)
        if not tree.wait_done(running, len(files)):
            raise RuntimeError(f"only {running.done_count()} of {len(files)} fluxes done")
        tree.support.wait_until(lambda: len(tree.done_times(running)) >= len(files), 30)
        peak = tree.rss_mib(running.process.pid, "VmHWM")
        done = tree.done_times(running)
        verdicts: dict[str, int] = {}
        for line in running.events("flux.done"):
            verdicts[str(line.get("verdict"))] = verdicts.get(str(line.get("verdict")), 0) + 1
        startup = [float(str(e["startup_ms"])) for e in running.events("worker.ready")]
        warmed = [float(str(e["duration_ms"])) for e in running.events("worker.warmed")]
    span = max(done.values()) - min(running.dropped.values())
    return {
        "rate": len(files) / span,
        "verdicts": verdicts,
        "startup_ms": max(startup),
        "warmed_ms": max(warmed),
        "daemon_rss": peak.pop(running.process.pid, 0.0),
        "worker_rss": sorted(peak.values()),
    }


def latency(files: list[tuple[str, bytes]], workers: int, rate: float) -> list[float]:
    """Drop ``files`` one by one at ``rate`` files/s into a fresh daemon; drop -> done, ms."""
    with tree.gateway(workers) as running:
        inbound = running.root / "inbound"
        start = time.time()
        for index, (name, data) in enumerate(files):
            time.sleep(max(0.0, start + index / rate - time.time()))
            running.dropped[name] = tree.drop(inbound, name, data)
        tree.wait_done(running, len(files))
        tree.support.wait_until(lambda: len(tree.done_times(running)) >= len(files), 30)
        return tree.latencies_ms(running)


def main() -> None:
    """Parse the options, run every figure for each worker count, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--latency-files", type=int, default=300)
    parser.add_argument("--max-bytes", type=int, default=1_000_000, help="skip larger inputs")
    args = parser.parse_args()
    pool = tree.sources(args.max_bytes)
    files = tree.distinct_copies(pool, args.files)
    probes = [(f"lat-{n}", d) for n, d in tree.distinct_copies(pool, args.latency_files)]
    size = sum(len(d) for _, d in files) / 1e6
    print(f"{len(files)} distinct files ({len(pool)} sources, {size:.1f} MB), settle 1.0 s")
    print("| workers | gateway files/s | in-process files/s | ratio | latency at half rate "
          "p50 / p95 / p99 ms | worker start-up s | peak RSS MiB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for workers in args.workers:
        gw = throughput(files, workers)
        raw = tree.in_process(files, workers)
        half = float(str(gw["rate"])) / 2
        lat = latency(probes, workers, half)
        rss = ", ".join(f"{r:.0f}" for r in gw["worker_rss"])  # type: ignore[attr-defined]
        print(
            f"| {workers} | {gw['rate']:.1f} | {raw:.1f} | {float(str(gw['rate'])) / raw:.2f} | "
            f"at {half:.0f}/s: {tree.percentile(lat, 50):.0f} / {tree.percentile(lat, 95):.0f}"
            f" / {tree.percentile(lat, 99):.0f} | {float(str(gw['startup_ms'])) / 1000:.2f} "
            f"(all rules {float(str(gw['warmed_ms'])) / 1000:.2f}) | "
            f"daemon {gw['daemon_rss']:.0f}; workers {rss} |"
        )
        print(f"<!-- verdicts {gw['verdicts']} -->", flush=True)


if __name__ == "__main__":
    main()
