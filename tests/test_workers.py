"""The worker pool: results, exceptions, killed workers replaced, stop, death with the parent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from edi_gateway.core import config as config_module
from edi_gateway.ingest.claim import Claimer
from edi_gateway.runtime.workers import Died, Finished, WorkerPool, WorkerSpec, summarize
from edi_gateway.store.database import Store
from tests.fixtures.daemon import support

pytestmark = pytest.mark.slow


needs_saxon_to_fail_under_limit = pytest.mark.skipif(
    not support.saxon_fails_under_address_limit(),
    reason="the installed saxonche starts under ulimit -v 6000000: no broken machine to simulate",
)


@pytest.fixture
def setup(tmp_path):
    """Config, store, a claim factory and a started one-worker pool with the fake engine."""
    config = config_module.load(support.write_config(tmp_path))
    store = Store(config.database)
    claimer = Claimer(config, store)

    def claim(name: str, data: bytes):
        path = config.channels[0].folder / name
        path.write_bytes(data)
        return claimer.claim(str(path), config.channels[0])

    spec = WorkerSpec(config=config, factory=support.FAKE, sys_path=(str(support.HERE),))
    pool = WorkerPool(spec, 1)
    pool.start()
    assert pool.wait_ready(30)
    yield config, store, claim, pool
    pool.stop(1.0)
    store.close()


def _collect(pool: WorkerPool, count: int, timeout: float = 30.0) -> list:
    events: list = []
    deadline = time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        events += pool.wait(0.2)
    return events


def test_result_comes_back_with_the_outcome_summary(setup):
    """A processed claim comes back Finished with the engine's verdict and a duration."""
    _config, store, claim, pool = setup
    first = claim("a.xml", b"<a/>")
    pool.submit(first)
    assert pool.idle_count() == 0 and pool.busy() == [first]
    [event] = _collect(pool, 1)
    assert isinstance(event, Finished) and event.ok and event.claim == first
    assert event.summary["verdict"] == "accepted" and event.summary["duration_ms"] >= 0
    assert store.flux(first.id_flux).state == "done"
    assert pool.idle_count() == 1


def test_an_exception_is_a_failed_result_not_a_dead_worker(setup):
    """A processor exception returns ok=False with the error; the same worker goes on."""
    _config, _store, claim, pool = setup
    pool.submit(claim("bad.bin", b"RAISE"))
    [event] = _collect(pool, 1)
    assert isinstance(event, Finished) and not event.ok
    assert event.summary["error"].startswith("RuntimeError")
    pid = pool.slots[0].process.pid
    pool.submit(claim("b.xml", b"<b/>"))
    [event] = _collect(pool, 1)
    assert event.ok and pool.slots[0].process.pid == pid


def test_a_killed_worker_is_replaced_and_its_claim_reported(setup):
    """SIGKILL inside a worker: Died with the claim and -9; a new worker serves the next claim."""
    _config, _store, claim, pool = setup
    doomed = claim("kill.bin", b"KILL")
    pool.submit(doomed)
    [event] = _collect(pool, 1)
    assert isinstance(event, Died) and event.claim == doomed and event.exitcode == -signal.SIGKILL
    assert pool.wait_ready(30)
    pool.submit(claim("c.xml", b"<c/>"))
    [event] = _collect(pool, 1)
    assert isinstance(event, Finished) and event.ok


def test_an_idle_worker_killed_from_outside_is_replaced(setup):
    """Killing an idle worker from outside gives Died(None) and a fresh process."""
    _config, _store, _claim, pool = setup
    old = pool.slots[0].process.pid
    time.sleep(0.5)
    os.kill(old, signal.SIGKILL)
    [event] = _collect(pool, 1)
    assert isinstance(event, Died) and event.claim is None
    assert pool.wait_ready(30)
    assert pool.slots[0].process.pid != old and pool.idle_count() == 1


def test_stop_hands_back_claims_still_in_progress(setup):
    """stop(grace) returns the claim of a worker still busy at the deadline and ends it."""
    _config, _store, claim, pool = setup
    slow = claim("slow.bin", b"SLEEP")
    pool.submit(slow)
    time.sleep(0.3)
    _events, handed_back = pool.stop(0.2)
    assert handed_back == [slow]
    assert all(slot.process is None for slot in pool.slots)


def test_summarize_reads_objects_and_dicts():
    """summarize keeps verdict, recipient, error_count from an object or a dict."""

    class Outcome:
        verdict = "rejected"
        recipient_siret = "11000201100044"
        error_count = 2

    assert summarize(Outcome()) == {
        "verdict": "rejected",
        "recipient": "11000201100044",
        "error_count": 2,
    }
    assert summarize({"verdict": "accepted"}) == {"verdict": "accepted"}


def test_workers_die_with_a_killed_parent(tmp_path):
    """SIGKILL of the process owning the pool takes its workers down (no orphan at work)."""
    config_path = support.write_config(tmp_path)
    script = tmp_path / "owner.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            sys.path.insert(0, {str(Path.cwd())!r})
            from edi_gateway.core import config
            from edi_gateway.runtime.workers import WorkerPool, WorkerSpec
            if __name__ == "__main__":
                spec = WorkerSpec(config=config.load({str(config_path)!r}),
                                  factory="fake_engine:FakeEngine",
                                  sys_path=({str(support.HERE)!r},))
                pool = WorkerPool(spec, 2)
                pool.start()
                print(" ".join(str(s.process.pid) for s in pool.slots), flush=True)
                time.sleep(60)
            """
        )
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert len(pids) == 2
    time.sleep(1.0)
    owner.kill()
    owner.wait(timeout=10)
    assert support.wait_until(lambda: not any(_alive(pid) for pid in pids), timeout=10)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_processor_that_cannot_be_built_never_gets_a_claim(tmp_path):
    """A factory that fails leaves the pool with no idle worker, restarting with a back-off."""
    config = config_module.load(support.write_config(tmp_path))
    spec = WorkerSpec(config=config, factory="fake_engine:Missing", sys_path=(str(support.HERE),))
    pool = WorkerPool(spec, 1)
    pool.start()
    try:
        assert not pool.wait_ready(3.0)
        assert pool.idle_count() == 0
        assert pool.slots[0].quick_deaths >= 2
    finally:
        pool.stop(0.5)


@needs_saxon_to_fail_under_limit
def test_a_worker_whose_saxon_cannot_start_never_reports_ready(tmp_path):
    """Under a 6 GB address-space limit Saxon cannot create its isolate: the worker dies while
    warming up its validator, before it reports ready, so it is never given a file."""
    config = config_module.load(support.write_config(tmp_path))
    spec = WorkerSpec(
        config=config, factory="fake_engine:SaxonLimitedEngine", sys_path=(str(support.HERE),)
    )
    pool = WorkerPool(spec, 1)
    pool.start()
    try:
        assert not pool.wait_ready(8.0)
        assert pool.idle_count() == 0 and pool.started_count() == 0
        assert pool.slots[0].quick_deaths >= 1
    finally:
        pool.stop(0.5)


def test_a_worker_warms_up_the_engine_validator_before_it_is_ready(tmp_path):
    """A real engine worker has compiled the UBL rules before it reports ready (logged)."""
    config = config_module.load(support.write_config(tmp_path))
    spec = WorkerSpec(config=config, factory=support.REAL)
    pool = WorkerPool(spec, 1)
    pool.start()
    try:
        assert pool.wait_ready(60.0)
    finally:
        pool.stop(0.5)
    lines = (tmp_path / "var" / "log" / "gateway.jsonl").read_text().splitlines()
    [started] = [json.loads(line) for line in lines if '"worker.started"' in line]
    assert "EN16931-UBL-validation.xslt" in started["warmed_up"]


def test_a_ready_worker_takes_a_claim_before_it_compiled_the_other_rules(tmp_path):
    """After ``worker.ready`` (spawn -> ready, timed by the parent) the worker compiles the
    rest of the configured rules only while it has no claim: a claim handed over at once is
    done before ``worker.warmed``, which then names no failed artefact."""
    from edi_gateway.core import logs

    config = config_module.load(support.write_config(tmp_path))
    logs.configure(config, console=False)
    store = Store(config.database)
    path = config.channels[0].folder / "02.xml"
    path.write_bytes(
        (support.REPO / "examples" / "02-ok-ubl-mairie-services-techniques.xml").read_bytes()
    )
    claim = Claimer(config, store).claim(str(path), config.channels[0])
    pool = WorkerPool(WorkerSpec(config=config, factory=support.REAL), 1)
    pool.start()
    log = tmp_path / "var" / "log" / "gateway.jsonl"

    def events(name: str) -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines() if f'"{name}"' in line]

    try:
        assert pool.wait_ready(60.0)
        pool.submit(claim)
        [finished] = _collect(pool, 1)
        assert isinstance(finished, Finished) and finished.ok
        assert support.wait_until(lambda: events("worker.warmed"), 60)
    finally:
        pool.stop(0.5)
        store.close()
    [ready], [started], [warmed] = (
        events("worker.ready"),
        events("worker.started"),
        events("worker.warmed"),
    )
    assert ready["startup_ms"] > started["duration_ms"] > 0  # the parent's figure includes start
    assert warmed["failed"] == [] and warmed["duration_ms"] > started["duration_ms"]
    names = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert names.index("flux.done") < names.index("worker.warmed")


def test_a_readable_wake_object_ends_the_wait_at_once(setup):
    """The daemon's hint queue is one of the waitables: a hint put while every worker is idle
    ends ``pool.wait`` long before its timeout, with no event."""
    from edi_gateway.ingest.hint_queue import HintQueue

    _config, _store, _claim, pool = setup
    hints = HintQueue()
    try:
        start = time.monotonic()
        assert pool.wait(0.3, wake=hints) == [] and time.monotonic() - start >= 0.25
        hints.put(("inbound/a.xml", None, True))
        start = time.monotonic()
        assert pool.wait(20.0, wake=hints) == []
        assert time.monotonic() - start < 10.0
        assert hints.drain() == [("inbound/a.xml", None, True)] and hints.drain() == []
    finally:
        hints.close()
