"""Load figures of the file-drop gateway: throughput, drop-to-status latency, peak memory.

For each worker count (default 1 and 2) the script builds a temporary gateway tree, starts the
real daemon (``python -m edi_gateway run --config <tmp>/config.toml``) as a subprocess, waits for
its workers, drops N files (default 1,000: the shared corpus and examples/, cycled) as fast as it
can (write to ``.name.part`` then rename, as a careful sender does), waits until every flux is
``done``, and prints:

- throughput: files / (last status flow written - first drop), files/s;
- latency per file: drop -> mtime of the last status flow (outbound file) naming its IdFlux,
  p50 / p95 / p99 in ms (includes ``settle_seconds``, printed too);
- peak RSS (VmHWM) of the daemon and of each worker process, MiB (Linux /proc).

Then the raw cost of the same validation in-process
(``edi_gateway.validation.validator.Validator``, one
process, warm caches) on the same files, for comparison.

Usage: ``python benchmarks/gateway.py [--files 1000] [--workers 1 2] [--settle 0.2]``
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "daemon"))

import support  # noqa: E402  (tests/fixtures/daemon: the tmp config writer)

CORPUS = Path(os.environ.get("EDI_GATEWAY_SHARED") or ROOT.parent / "shared") / "corpus"
EXAMPLES = ROOT / "examples"
ID_FLUX = re.compile(r"[A-Z0-9]{6}[0-9]{19}")


def sources(limit_bytes: int) -> list[tuple[str, bytes]]:
    """(name, bytes) of the corpus files and examples, each at most ``limit_bytes``."""
    files: list[Path] = []
    if CORPUS.is_dir():
        files += [
            p
            for p in sorted(CORPUS.rglob("*"))
            if p.is_file()
            and "LICENSES" not in p.parts
            and p.name not in ("README.md", "manifest.csv")
        ]
    if EXAMPLES.is_dir():
        files += [p for p in sorted(EXAMPLES.iterdir()) if p.suffix in (".xml", ".pdf", ".txt")]
    chosen = [(p.name, p.read_bytes()) for p in files if p.stat().st_size <= limit_bytes]
    if not chosen:
        raise SystemExit("no input files: needs ../shared/corpus or examples/")
    return chosen


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def peak_rss(pid: int) -> dict[int, float]:
    """VmHWM in MiB of ``pid`` and of its worker processes (Linux /proc; the multiprocessing
    resource tracker, also a child, is left out)."""
    pids = [pid] + [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _ppid(int(p.name)) == pid and b"spawn_main" in _cmdline(p)
    ]
    result = {}
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    result[each] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return result


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _log_events(root: Path, event: str) -> int:
    log = root / "var" / "log" / "gateway.jsonl"
    if not log.exists():
        return 0
    return log.read_text(encoding="utf-8", errors="replace").count(f'"event": "{event}"')


def _done(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            return conn.execute("SELECT count(*) FROM flux WHERE state = 'done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def run_gateway(
    files: list[tuple[str, bytes]], workers: int, settle: float, rate: float = 0.0
) -> dict[str, object]:
    """Drop ``files`` into a fresh gateway with ``workers`` workers, all at once (``rate`` 0)
    or ``rate`` files per second; return the figures."""
    with tempfile.TemporaryDirectory(prefix="edi-bench-") as tmp:
        root = Path(tmp)
        cfg = support.write_config(root, workers=workers, settle=settle, sweep=5.0)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "edi_gateway", "run", "--config", str(cfg)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while _log_events(root, "worker.started") < workers and time.monotonic() < deadline:
                time.sleep(0.1)
            dropped: dict[str, float] = {}
            inbound = root / "inbound"
            for index, (name, data) in enumerate(files):
                final = f"{index:05d}-{name}"
                temp = inbound / f".{final}.part"
                temp.write_bytes(data)
                temp.rename(inbound / final)
                dropped[final] = time.time()
                if rate > 0:
                    time.sleep(max(0.0, index / rate - (time.time() - min(dropped.values()))))
            db = root / "var" / "gateway.sqlite3"
            finish_by = time.monotonic() + 1800
            while _done(db) < len(files) and time.monotonic() < finish_by:
                time.sleep(0.2)
            rss = peak_rss(daemon.pid)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=120)
        return _figures(root, dropped, rss, daemon.pid, settle)


def _figures(
    root: Path, dropped: dict[str, float], rss: dict[int, float], pid: int, settle: float
) -> dict[str, object]:
    last_flow: dict[str, float] = {}
    for path in (root / "outbound").rglob("*.xml"):
        match = ID_FLUX.search(path.name)
        if match:
            mtime = path.stat().st_mtime
            last_flow[match.group(0)] = max(last_flow.get(match.group(0), 0.0), mtime)
    with sqlite3.connect(root / "var" / "gateway.sqlite3") as conn:
        rows = conn.execute("SELECT id_flux, original_name, verdict FROM flux").fetchall()
    latencies = [
        (last_flow[id_flux] - dropped[name]) * 1000
        for id_flux, name, _ in rows
        if id_flux in last_flow and name in dropped
    ]
    verdicts: dict[str, int] = {}
    for _, _, verdict in rows:
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    span = max(last_flow.values()) - min(dropped.values())
    return {
        "files": len(rows),
        "verdicts": verdicts,
        "throughput": len(rows) / span,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "settle": settle,
        "daemon_rss": rss.pop(pid, 0.0),
        "worker_rss": sorted(rss.values()),
    }


def run_inprocess(files: list[tuple[str, bytes]]) -> dict[str, float]:
    """Validate the same files with one in-process Validator (caches warmed on a first pass)."""
    from edi_gateway.validation.validator import Validator

    validator = Validator()
    for name, data in files[:60]:
        validator.validate(data, name)
    times = []
    start = time.perf_counter()
    for name, data in files:
        t0 = time.perf_counter()
        validator.validate(data, name)
        times.append((time.perf_counter() - t0) * 1000)
    total = time.perf_counter() - start
    return {
        "throughput": len(files) / total,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "rss": _self_rss(),
    }


def _self_rss() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """Parse the options, run the gateway for each worker count, then in-process; print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--settle", type=float, default=0.2)
    parser.add_argument("--rate", type=float, default=0.0, help="files/s dropped; 0 = burst")
    parser.add_argument("--max-bytes", type=int, default=1_000_000, help="skip larger inputs")
    args = parser.parse_args()
    pool = sources(args.max_bytes)
    files = [pool[i % len(pool)] for i in range(args.files)]
    size = sum(len(d) for _, d in files) / 1e6
    how = f"{args.rate:g} files/s" if args.rate else "all at once"
    print(f"{len(files)} files ({len(pool)} distinct, {size:.1f} MB) dropped {how}, ", end="")
    print(f"settle {args.settle} s")
    print("| setting | files/s | p50 ms | p95 ms | p99 ms | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for workers in args.workers:
        f = run_gateway(files, workers, args.settle, args.rate)
        rss = ", ".join(f"{r:.0f}" for r in f["worker_rss"])  # type: ignore[union-attr]
        print(
            f"| gateway, {workers} worker(s) | {f['throughput']:.1f} | {f['p50']:.0f} | "
            f"{f['p95']:.0f} | {f['p99']:.0f} | daemon {f['daemon_rss']:.0f}; workers {rss} |"
        )
        print(f"<!-- verdicts {f['verdicts']} -->")
    raw = run_inprocess(files)
    print(
        f"| Validator in-process (no claim, routing, outputs) | {raw['throughput']:.1f} | "
        f"{raw['p50']:.1f} | {raw['p95']:.1f} | {raw['p99']:.1f} | {raw['rss']:.0f} |"
    )


if __name__ == "__main__":
    main()
