"""What the gateway benchmarks share: input files, a real daemon in a temporary tree, figures.

- :func:`sources` / :func:`distinct_copies`: the shared corpus and ``examples/``, each copy made
  distinct by bytes that change nothing a validator reads (an XML comment after the root
  element, a PDF comment after ``%%EOF``), so no copy is a duplicate flux (CPP-DUP-02,
  inadmissible without validation) of another: every drop costs a full validation.
- :func:`gateway`: a context manager that writes a gateway tree under a temporary folder,
  starts ``python -m edi_gateway run`` on it and waits for its workers.
- :func:`drop`: write ``.name.part`` then rename into ``inbound/``, as a careful sender does
  (inotify ``IN_MOVED_TO``: taken at once, without the settle wait).
- :func:`done_times` / :func:`latencies_ms`: the ``flux.done`` log line of each IdFlux (every
  output published, the original put away), the end of a flux as an operator sees it.
- :func:`rss_mib`: VmRSS / VmHWM of the daemon and its worker processes (Linux ``/proc``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "daemon"))

import support  # noqa: E402  (tests/fixtures/daemon: the tmp config writer, daemon start)

CORPUS = Path(os.environ.get("EDI_GATEWAY_SHARED") or ROOT.parent / "shared") / "corpus"
EXAMPLES = ROOT / "examples"


def sources(limit_bytes: int, *, corpus: bool = True) -> list[tuple[str, bytes]]:
    """(name, bytes) of the corpus files (when ``corpus``) and examples, each at most
    ``limit_bytes``. Raises SystemExit when there is none."""
    files: list[Path] = []
    if corpus and CORPUS.is_dir():
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


def distinct(index: int, data: bytes) -> bytes:
    """``data`` made unique by ``index`` without changing what a validator reads: a comment
    after the XML root element or after a PDF's ``%%EOF``; an empty file stays empty."""
    if not data:
        return data
    if data.startswith(b"%PDF"):
        return data + b"\n%% benchmark copy %d\n" % index
    return data + b"\n<!-- benchmark copy %d -->\n" % index


def distinct_copies(pool: list[tuple[str, bytes]], count: int) -> list[tuple[str, bytes]]:
    """``count`` files cycled from ``pool``, named ``NNNNNN-<name>``, every copy distinct."""
    out = []
    for index in range(count):
        name, data = pool[index % len(pool)]
        out.append((f"{index:06d}-{name}", distinct(index, data)))
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


@dataclass
class Running:
    """A daemon under test: its tree, process and what it logged."""

    root: Path
    process: subprocess.Popen[bytes]
    dropped: dict[str, float] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return self.root / "var" / "log" / "gateway.jsonl"

    @property
    def db(self) -> Path:
        return self.root / "var" / "gateway.sqlite3"

    def events(self, name: str) -> list[dict[str, object]]:
        """Every log line whose ``event`` is ``name``, parsed."""
        if not self.log.exists():
            return []
        marker = f'"event": "{name}"'
        with self.log.open(encoding="utf-8", errors="replace") as lines:
            return [json.loads(line) for line in lines if marker in line]

    def done_count(self) -> int:
        """Fluxes in state ``done``."""
        return support.flux_states(self.db).count("done")


@contextmanager
def gateway(
    workers: int,
    settle: float = 1.0,
    sweep: float = 30.0,
    *,
    before_start: Callable[[Path], None] | None = None,
    wait_for: str = "worker.warmed",
) -> Iterator[Running]:
    """A real daemon on a fresh temporary tree with ``workers`` workers; ``before_start(inbound)``
    runs before the daemon starts (a backlog). Yields once every worker logged ``wait_for``
    (default ``worker.warmed``: all configured rules compiled, as warm as the in-process bound;
    ``worker.ready`` for a backlog, where workers are never idle). Stopped (SIGTERM) and removed
    on exit. Raises RuntimeError when the workers do not get there within 120 s."""
    with tempfile.TemporaryDirectory(prefix="edi-bench-") as tmp:
        root = Path(tmp)
        cfg = support.write_config(root, workers=workers, settle=settle, sweep=sweep)
        if before_start is not None:
            before_start(root / "inbound")
        process = support.start_daemon(cfg)
        running = Running(root, process)
        try:
            if not support.wait_until(lambda: len(running.events(wait_for)) >= workers, 120, 0.1):
                raise RuntimeError(f"the gateway's workers did not log {wait_for} within 120 s")
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=300)


def drop(inbound: Path, name: str, data: bytes) -> float:
    """Write ``data`` as ``inbound/.name.part``, rename it to ``name``; return the wall time."""
    temp = inbound / f".{name}.part"
    temp.write_bytes(data)
    temp.rename(inbound / name)
    return time.time()


def wait_done(running: Running, count: int, timeout: float = 3600) -> bool:
    """Wait until ``count`` fluxes are done; False at the timeout."""
    return support.wait_until(lambda: running.done_count() >= count, timeout, 0.2)


def done_times(running: Running) -> dict[str, float]:
    """File name (as dropped) -> wall time of its ``flux.done`` line (epoch seconds)."""
    times = {}
    for line in running.events("flux.done"):
        stamp = datetime.fromisoformat(str(line["timestamp"]).replace("Z", "+00:00"))
        times[str(line.get("file"))] = stamp.timestamp()
    return times


def latencies_ms(running: Running, names: list[str] | None = None) -> list[float]:
    """Drop -> ``flux.done`` in ms for ``names`` (default: every file dropped)."""
    done = done_times(running)
    wanted = names if names is not None else list(running.dropped)
    return [(done[n] - running.dropped[n]) * 1000 for n in wanted if n in done]


def worker_pids(pid: int) -> list[int]:
    """The worker processes (multiprocessing ``spawn_main``) whose parent is ``pid``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid and b"spawn_main" in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def rss_mib(pid: int, key: str = "VmRSS") -> dict[int, float]:
    """``key`` (VmRSS: now, VmHWM: peak) in MiB of ``pid`` and of each of its workers."""
    result = {}
    for each in [pid, *worker_pids(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith(f"{key}:"):
                    result[each] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return result


def _validate_share(args: tuple[list[tuple[str, bytes]], object]) -> tuple[float, float, int]:
    """One in-process worker: a Validator with every artefact compiled, then, once all workers
    are ready (the barrier), one timed pass over its share. Returns (start, end, files)."""
    share, barrier = args
    from edi_gateway.validation.validator import Validator

    validator = Validator(fr_ctc=False)  # as support.write_config's gateway
    validator.warm_up()
    barrier.wait()  # type: ignore[attr-defined]
    start = time.time()
    for name, data in share:
        validator.validate(data, name)
    return start, time.time(), len(share)


def in_process(files: list[tuple[str, bytes]], processes: int) -> float:
    """The in-process bound: files/s of ``processes`` warm processes validating ``files``
    (round-robin shares, already in memory), from the first start to the last end."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(processes)
        shares = [(files[i::processes], barrier) for i in range(processes)]
        with context.Pool(processes) as pool:
            results = pool.map(_validate_share, shares)
    return sum(r[2] for r in results) / (max(r[1] for r in results) - min(r[0] for r in results))
