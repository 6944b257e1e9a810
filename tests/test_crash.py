"""Crash safety end to end: the real daemon (``python -m edi_gateway run``) is killed with
SIGKILL at random moments while files arrive, restarted, and finally stopped with SIGTERM.

Then, for every dropped file: exactly one terminal outcome (a ``done`` flux row, processed or
set aside); its original kept exactly once, byte for byte, in var/archive or var/error, as the
row's verdict says; nothing left in inbound/ or var/work/; no temporary file anywhere; every
outbound file complete (parses) and named after a known IdFlux, one flux report per flux.
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from edi_gateway.core import xmlsafe
from tests.conftest import CORPUS, ROOT, need_shared
from tests.fixtures.daemon import support

pytestmark = [pytest.mark.slow, pytest.mark.corpus]

SEED = 20261129
KILLS = 6
SOAK_KILLS = 20
SOAK_DROPS = 1000
MAX_BYTES = 400_000  # keeps the run under ~2 minutes on 2 shared cores
EXAMPLES = ROOT / "examples"


def _sources() -> list[Path]:
    corpus = need_shared(CORPUS)
    files = [
        p
        for p in sorted(corpus.rglob("*"))
        if p.is_file()
        and "LICENSES" not in p.parts
        and p.name not in ("README.md", "manifest.csv")
        and p.stat().st_size <= MAX_BYTES
    ]
    if EXAMPLES.is_dir():
        files += [
            p for p in sorted(EXAMPLES.iterdir()) if p.suffix in (".xml", ".pdf", ".txt", ".json")
        ]
    return files


def _drop(sources: list[Path], inbound: Path, start: int, rng: random.Random) -> dict[str, bytes]:
    """Drop files the way senders do: half written in place, half written then renamed."""
    dropped = {}
    for index, source in enumerate(sources, start=start):
        name = f"{index:04d}-{source.name}"
        data = source.read_bytes()
        if rng.random() < 0.5:
            (inbound / name).write_bytes(data)
        else:
            (inbound / f".{name}.part").write_bytes(data)
            (inbound / f".{name}.part").rename(inbound / name)
        dropped[name] = data
    return dropped


def _rows(db: Path) -> list[sqlite3.Row]:
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            conn.row_factory = sqlite3.Row
            return conn.execute("SELECT * FROM flux").fetchall()
    except sqlite3.Error:
        return []


def _settled(root: Path, db: Path, total: int) -> bool:
    inbound = [p for p in (root / "inbound").iterdir() if not p.is_dir()]
    work = list((root / "var" / "work").iterdir()) if (root / "var" / "work").exists() else []
    rows = _rows(db)
    return (
        not inbound and not work and len(rows) == total and all(r["state"] == "done" for r in rows)
    )


def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path):
    """Six SIGKILLs while ~400 corpus files arrive: each file ends exactly once, complete."""
    sources = _sources()
    assert len(sources) >= 300
    _kill_and_check(tmp_path, sources, kills=KILLS, pause=(0.5, 4.5))


@pytest.mark.soak
def test_soak_1000_drops_20_sigkills(tmp_path):
    """The issue #9 crash test (several minutes, ``pytest -m soak``): 1,000 drops from the
    corpus and the examples over 21 runs, 20 SIGKILLs at random moments while files arrive."""
    sources = _sources()
    drops = [sources[i % len(sources)] for i in range(SOAK_DROPS)]
    _kill_and_check(tmp_path, drops, kills=SOAK_KILLS, pause=(2.0, 12.0))


def _kill_and_check(
    root: Path, sources: list[Path], *, kills: int, pause: tuple[float, float]
) -> None:
    """Drop ``sources`` over ``kills + 1`` runs of the real daemon, SIGKILL each run but the
    last at a random moment (``pause`` seconds after it starts taking its batch, which it
    receives in a few bursts), then check every promise of the crash-safety protocol."""
    rng = random.Random(SEED)
    cfg = support.write_config(root, workers=2, settle=0.1, sweep=0.5)
    inbound, db = root / "inbound", root / "var" / "gateway.sqlite3"
    batches = [sources[i :: kills + 1] for i in range(kills + 1)]
    dropped: dict[str, bytes] = {}
    seen: dict[Path, bytes] = {}  # every complete outbound file seen after a kill
    started = time.monotonic()
    with (root / "console.log").open("ab") as log:
        for cycle in range(kills):
            gateway = support.start_daemon(cfg, stderr=log)
            dropped |= _drop_in_bursts(batches[cycle], inbound, len(dropped), rng, pause)
            if cycle == kills - 1:  # at least one kill lands while outputs are being written,
                # however slow this machine's worker start is against the random pauses
                support.wait_until(lambda: bool(_outbound_files(root)), 120, 0.05)
            gateway.send_signal(signal.SIGKILL)
            assert gateway.wait(timeout=10) == -signal.SIGKILL
            seen |= _outbound_files(root)
        gateway = support.start_daemon(cfg, stderr=log)
        dropped |= _drop(batches[kills], inbound, len(dropped), rng)
        finished = support.wait_until(lambda: _settled(root, db, len(dropped)), 300, 0.5)
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=60) == 0
    assert finished, f"not settled after {time.monotonic() - started:.0f} s"
    rows = _rows(db)
    _check_rows(rows, dropped)
    _check_originals(root, rows, dropped)
    _check_outbound(root, rows)
    _check_not_replaced(root, seen)
    _check_log(root, rows)


def _drop_in_bursts(
    sources: list[Path],
    inbound: Path,
    start: int,
    rng: random.Random,
    pause: tuple[float, float],
) -> dict[str, bytes]:
    """Drop ``sources`` in three bursts spread over a random time in ``pause`` (seconds)."""
    total = rng.uniform(*pause)
    dropped: dict[str, bytes] = {}
    for burst in (sources[0::3], sources[1::3], sources[2::3]):
        dropped |= _drop(burst, inbound, start + len(dropped), rng)
        time.sleep(total / 3)
    return dropped


def _outbound_files(root: Path) -> dict[Path, bytes]:
    """The complete files in ``outbound/`` (temporary names, the lock and the lease left out)."""
    return {
        path: path.read_bytes()
        for path in (root / "outbound").rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and not path.name.endswith(".tmp")
        and path.parent != root / "outbound" / ".idflux"  # the IdFlux lease moves on
    }


def _check_not_replaced(root: Path, seen: dict[Path, bytes]) -> None:
    """Every outbound file seen after a kill is still there at the end, byte for byte."""
    assert seen, "the kills left no outbound file: the test checked nothing"
    now = _outbound_files(root)
    changed = [str(path) for path, data in seen.items() if now.get(path) != data]
    assert not changed, f"outbound files removed or replaced after a kill: {changed[:5]}"


def _check_log(root: Path, rows: list[sqlite3.Row]) -> None:
    """The log file has exactly one ``flux.done`` per flux, and ends with a clean stop."""
    events = [
        json.loads(line)
        for line in (root / "var/log/gateway.jsonl").read_text().splitlines()
        if line.endswith("}")
    ]
    done = collections.Counter(e.get("id_flux") for e in events if e["event"] == "flux.done")
    assert done == collections.Counter(row["id_flux"] for row in rows), [
        (i, n) for i, n in done.items() if n != 1
    ][:5]
    assert events[-1]["event"] == "gateway.stopped"


def _check_rows(rows: list[sqlite3.Row], dropped: dict[str, bytes]) -> None:
    names = sorted(row["original_name"] for row in rows)
    assert names == sorted(dropped), "each dropped file has exactly one flux row"
    for row in rows:
        assert row["state"] == "done"
        assert row["verdict"] in ("accepted", "rejected", "inadmissible"), dict(row)
        assert row["attempts"] <= 3  # gateway.max_attempts


def _check_originals(root: Path, rows: list[sqlite3.Row], dropped: dict[str, bytes]) -> None:
    kept: dict[str, Path] = {}
    for folder in ("archive", "error"):
        for path in (root / "var" / folder).iterdir():
            assert not path.name.startswith("."), f"temporary file {path}"
            _, _, name = path.name.partition("__")
            assert name not in kept, f"{name} kept twice"
            kept[name] = path
    assert sorted(kept) == sorted(dropped)
    for row in rows:
        path = kept[row["original_name"]]
        assert path.name.startswith(row["id_flux"] + "__")
        assert path.read_bytes() == dropped[row["original_name"]]
        expected = "error" if row["verdict"] == "inadmissible" else "archive"
        assert path.parent.name == expected, dict(row)


def _check_outbound(root: Path, rows: list[sqlite3.Row]) -> None:
    ids = {row["id_flux"] for row in rows}
    reports: dict[str, int] = {}
    for path in (root / "outbound").rglob("*"):
        if path.is_dir() or path == root / "outbound" / ".gateway-00.lock":  # held while running
            continue
        if path.parent == root / "outbound" / ".idflux":  # the IdFlux lease: above every id
            assert int(path.read_text()) >= max(int(i[12:]) for i in ids if i[:6] in path.name)
            continue
        assert not path.name.startswith(".") and not path.name.endswith(".tmp"), f"temp {path}"
        owner = next((i for i in ids if i in path.name), None)
        assert owner is not None, f"{path} names no known IdFlux"
        if path.suffix == ".xml":
            xmlsafe.parse(path.read_bytes())  # complete, well-formed
        if path.name.startswith("CSO"):
            reports[owner] = reports.get(owner, 0) + 1
    assert reports == dict.fromkeys(ids, 1), "exactly one flux report per flux"
    accepted = [row for row in rows if row["verdict"] == "accepted"]
    pivots = [p for p in (root / "outbound").rglob("FEN0036A_*")]
    assert len(pivots) == len(accepted)
    assert len({p.name for p in pivots}) == len(pivots)
    os.sync()
