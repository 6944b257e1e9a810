"""The daemon on real folders with the real watchdog observers (native and polling).

Every test runs a gateway (in a thread; workers are real spawned processes) on tmp folders and
checks the folders and the store: each dropped file ends with exactly one ``done`` flux row and
its original, byte for byte, in var/archive or var/error. The engine is the real one, except
where a worker must fail or crash on purpose (the fake engine of tests/fixtures/daemon).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from edi_gateway.core import config as config_module
from edi_gateway.ingest.observer import ChannelObserver
from edi_gateway.runtime import backoff
from edi_gateway.runtime.daemon import Gateway
from edi_gateway.store.database import Store
from tests.fixtures.daemon import support

pytestmark = pytest.mark.slow

ENGINE = support.REAL
INVOICE = (
    b'<?xml version="1.0"?>\n'
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>\n'
)


needs_saxon_to_fail_under_limit = pytest.mark.skipif(
    not support.saxon_fails_under_address_limit(),
    reason="the installed saxonche starts under ulimit -v 6000000: no broken machine to simulate",
)


def _kept(root: Path) -> dict[str, bytes]:
    """Original name (after ``<IdFlux>__``) -> bytes, for each file in var/archive, var/error."""
    kept: dict[str, bytes] = {}
    for folder in ("archive", "error"):
        for path in (root / "var" / folder).glob("*"):
            name = os.fsencode(path.name).split(b"__", 1)[1]
            assert os.fsdecode(name) not in kept, f"{path.name} kept twice"
            kept[os.fsdecode(name)] = b"" if path.is_symlink() else path.read_bytes()
    return kept


def _done(cfg: Path, count: int, timeout: float = 60.0) -> list:
    assert support.wait_until(lambda: len(support.done_rows(cfg)) >= count, timeout), (
        f"{len(support.done_rows(cfg))} of {count} fluxes done"
    )
    time.sleep(0.2)
    rows = support.done_rows(cfg)
    assert len(rows) == count
    return rows


def _quiet(root: Path) -> None:
    """Nothing left in the channel folders (apart from sub-channels) nor in var/work."""
    assert [p.name for p in (root / "inbound").iterdir() if not p.is_dir()] == []
    assert list((root / "var" / "work").iterdir()) == []


def test_files_present_before_start_are_taken(tmp_path):
    """Files already in the channel folders when the gateway starts are all taken."""
    cfg = support.write_config(tmp_path)
    for index in range(5):
        (tmp_path / "inbound" / f"f{index}.xml").write_bytes(INVOICE + str(index).encode())
    with support.running(cfg, ENGINE):
        _done(cfg, 5)
    assert _kept(tmp_path) == {f"f{i}.xml": INVOICE + str(i).encode() for i in range(5)}
    _quiet(tmp_path)


@pytest.mark.parametrize("observer", ["native", "polling"])
def test_a_file_written_slowly_is_taken_once_and_complete(tmp_path, observer):
    """A file written in chunks with pauses shorter than settle_seconds is taken once, whole."""
    cfg = support.write_config(tmp_path, observer=observer, settle=0.6, sweep=0.3)
    chunks = [INVOICE[i : i + 20] for i in range(0, len(INVOICE), 20)]
    with support.running(cfg, ENGINE):
        time.sleep(0.5)
        with (tmp_path / "inbound" / "slow.xml").open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                handle.flush()
                time.sleep(0.25)
        [row] = _done(cfg, 1)
    assert row.size == len(INVOICE)
    assert _kept(tmp_path) == {"slow.xml": INVOICE}


def test_a_closed_or_renamed_file_is_taken_without_the_settle_wait(tmp_path):
    """With inotify, a file its writer closed and one renamed in (from an unwatched folder, and
    from a .part name in the folder) are taken long before settle_seconds (60 s here), whole;
    a file created empty and filled later is not taken while empty (taken once, filled); a file
    held open and written in chunks is not taken before its writer closes it."""
    cfg = support.write_config(tmp_path, settle=60.0, sweep=60.0)
    outside = tmp_path / "staging"
    outside.mkdir()
    (outside / "moved.xml").write_bytes(INVOICE + b"<!-- m -->")
    inbound = tmp_path / "inbound"
    with support.running(cfg, ENGINE):
        time.sleep(0.5)
        (inbound / "closed.xml").write_bytes(INVOICE + b"<!-- c -->")
        (outside / "moved.xml").rename(inbound / "moved.xml")
        (inbound / ".renamed.xml.part").write_bytes(INVOICE + b"<!-- r -->")
        (inbound / ".renamed.xml.part").rename(inbound / "renamed.xml")
        _done(cfg, 3, timeout=20)
        with (inbound / "slow.xml").open("wb") as handle:  # open across pauses: no close yet
            for index in range(0, len(INVOICE), 30):
                handle.write(INVOICE[index : index + 30])
                handle.flush()
                time.sleep(0.4)
            time.sleep(1.0)
            assert len(support.done_rows(cfg)) == 3, "taken while its writer still had it open"
            handle.write(b"<!-- s -->")
        _done(cfg, 4, timeout=20)
        (inbound / "late.xml").write_bytes(b"")  # created empty (closed), filled a moment later
        time.sleep(1.0)
        assert len(support.done_rows(cfg)) == 4, "an empty file was taken before settle_seconds"
        with (inbound / "late.xml").open("ab") as handle:
            handle.write(INVOICE + b"<!-- l -->")
        _done(cfg, 5, timeout=20)
    kept = _kept(tmp_path)
    assert kept == {
        "closed.xml": INVOICE + b"<!-- c -->",
        "moved.xml": INVOICE + b"<!-- m -->",
        "renamed.xml": INVOICE + b"<!-- r -->",
        "slow.xml": INVOICE + b"<!-- s -->",
        "late.xml": INVOICE + b"<!-- l -->",
    }


@pytest.mark.parametrize("observer", ["native", "polling"])
def test_a_file_moved_in_is_taken(tmp_path, observer):
    """A file renamed into the channel folder from elsewhere (same filesystem) is taken."""
    cfg = support.write_config(tmp_path, observer=observer, sweep=30.0)
    outside = tmp_path / "staging"
    outside.mkdir()
    (outside / "moved.xml").write_bytes(INVOICE)
    with support.running(cfg, ENGINE):
        time.sleep(0.5)
        (outside / "moved.xml").rename(tmp_path / "inbound" / "moved.xml")
        _done(cfg, 1, timeout=15)
    assert _kept(tmp_path) == {"moved.xml": INVOICE}


def test_a_burst_of_500_files_is_taken_completely(tmp_path):
    """500 files dropped at once are all taken, each exactly once (two workers)."""
    cfg = support.write_config(tmp_path, workers=2, settle=0.2, sweep=1.0)
    with support.running(cfg, ENGINE):
        time.sleep(0.3)
        for index in range(500):
            (tmp_path / "inbound" / f"burst-{index:03d}.xml").write_bytes(
                INVOICE + b"<!-- %d -->" % index
            )
        rows = _done(cfg, 500, timeout=240)
    assert len({row.id_flux for row in rows}) == 500
    assert len(_kept(tmp_path)) == 500
    _quiet(tmp_path)


def test_failing_and_crashing_files_do_not_stop_the_next_ones(tmp_path):
    """An engine exception and a worker killed by SIGKILL: each such file is tried
    max_attempts times, then set aside with a flux report; the files dropped after them are
    processed normally."""
    cfg = support.write_config(tmp_path, retry_seconds="[0.3]", max_attempts=2)
    inbound = tmp_path / "inbound"
    with support.running(cfg, support.FAKE):
        (inbound / "a-raise.bin").write_bytes(b"RAISE")
        (inbound / "b-kill.bin").write_bytes(b"KILL")
        time.sleep(0.4)
        for index in range(3):
            (inbound / f"c-good-{index}.xml").write_bytes(b"<ok/>")
        rows = _done(cfg, 5)
    by_name = {row.original_name: row for row in rows}
    for name in ("a-raise.bin", "b-kill.bin"):
        assert by_name[name].verdict == "inadmissible"
        assert by_name[name].reason == "GW-DAEMON-03"
        assert by_name[name].attempts == 2
    assert all(by_name[f"c-good-{i}.xml"].verdict == "accepted" for i in range(3))
    reports = list((tmp_path / "outbound" / "canaux" / "EDIGW1").glob("CSO1100A_*.xml"))
    assert len(reports) == 2
    log = (tmp_path / "var" / "log" / "gateway.jsonl").read_text()
    assert '"event": "worker.restarted"' in log and '"signal": "SIGKILL"' in log


def test_a_short_outbound_outage_is_retried_with_a_back_off(tmp_path):
    """A file that fails while outbound/ cannot be written is retried 2 s later (default
    retry_seconds), not within milliseconds, and is accepted once the outage is over."""
    cfg = support.write_config(tmp_path)
    down = tmp_path / "OUTBOUND_DOWN"
    down.write_bytes(b"")
    with support.running(cfg, support.FAKE):
        (tmp_path / "inbound" / "facture.xml").write_bytes(b"<ok/>")
        log = tmp_path / "var" / "log" / "gateway.jsonl"
        assert support.wait_until(lambda: log.exists() and "flux.retrying" in log.read_text(), 15)
        time.sleep(0.5)
        with Store(config_module.load(cfg).database) as store:
            [row] = store.fluxes()
        assert (row.state, row.attempts) == ("claimed", 1)
        down.unlink()
        [row] = _done(cfg, 1)
    assert (row.verdict, row.attempts) == ("accepted", 2)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    [retry] = [line for line in lines if line["event"] == "flux.retrying"]
    assert (retry["attempt"], retry["max_attempts"], retry["delay_s"]) == (1, 3, 2.0)


def test_the_retry_delays_follow_retry_seconds_then_the_file_is_set_aside(tmp_path):
    """retry_seconds [0.5, 1.5] with max_attempts 3: attempts 0.5 s then 1.5 s apart, then the
    file is set aside (GW-DAEMON-03) after its third failure."""
    cfg = support.write_config(tmp_path, retry_seconds="[0.5, 1.5]", max_attempts=3)
    with support.running(cfg, support.FAKE):
        (tmp_path / "inbound" / "bad.bin").write_bytes(b"RAISE")
        [row] = _done(cfg, 1, timeout=30)
    assert (row.verdict, row.reason, row.attempts) == ("inadmissible", "GW-DAEMON-03", 3)
    lines = (tmp_path / "var" / "log" / "gateway.jsonl").read_text().splitlines()
    failed = [json.loads(line) for line in lines if '"flux.failed"' in line]
    times = [datetime.fromisoformat(line["timestamp"]) for line in failed]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert len(gaps) == 2 and 0.45 <= gaps[0] < 1.4 and 1.45 <= gaps[1] < 2.5


@needs_saxon_to_fail_under_limit
def test_files_wait_in_inbound_while_no_worker_can_start_saxon(tmp_path):
    """Workers whose Saxon cannot start (ulimit -v 6000000) never report ready: a dropped file
    stays in inbound/, untouched, instead of burning its attempts."""
    cfg = support.write_config(tmp_path, workers=2)
    with support.running(cfg, "fake_engine:SaxonLimitedEngine"):
        (tmp_path / "inbound" / "facture.xml").write_bytes(INVOICE)
        time.sleep(5.0)
        assert (tmp_path / "inbound" / "facture.xml").read_bytes() == INVOICE
        with Store(config_module.load(cfg).database) as store:
            assert store.fluxes() == []
    log = (tmp_path / "var" / "log" / "gateway.jsonl").read_text()
    assert '"started": false' in log and '"worker.started"' not in log


def test_every_worker_dying_pauses_the_gateway_instead_of_burning_attempts(tmp_path, monkeypatch):
    """While every worker dies on every file (a fault of the machine), the gateway pauses with a
    growing back-off (gateway.paused) and those deaths cost no attempt: once the fault is gone
    the files are accepted, though max_attempts is 2."""
    monkeypatch.setattr(backoff, "FIRST_PAUSE", 1.0)
    cfg = support.write_config(tmp_path, workers=2, retry_seconds="[0.2]", max_attempts=2)
    fault = tmp_path / "WORKERS_DIE"
    fault.write_bytes(b"")
    log = tmp_path / "var" / "log" / "gateway.jsonl"
    with support.running(cfg, support.FAKE):
        for index in range(3):
            (tmp_path / "inbound" / f"f{index}.xml").write_bytes(b"<ok/>")
        assert support.wait_until(lambda: log.exists() and log.read_text().count("paused") >= 2)
        fault.unlink()
        rows = _done(cfg, 3, timeout=60)
    assert [row.verdict for row in rows] == ["accepted"] * 3
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    pauses = [line["pause_s"] for line in lines if line["event"] == "gateway.paused"]
    assert pauses[:2] == [1.0, 2.0]
    assert not [line for line in lines if line["event"] == "flux.set_aside"]


def test_a_new_file_is_not_starved_by_a_backlog_found_at_start(tmp_path):
    """300 files wait in inbound/ at start (only the sweep finds them); a file dropped once the
    drain has begun arrives by an observer event and is claimed next, ahead of the backlog: at
    most the files already claimed (in progress and one spare per worker) go before it."""
    cfg = support.write_config(tmp_path, workers=2)
    for index in range(300):
        (tmp_path / "inbound" / f"old{index:03d}.xml").write_bytes(b"<ok n='%d'/>" % index)
    with support.running(cfg, support.FAKE):
        assert support.wait_until(lambda: len(support.done_rows(cfg)) >= 5)
        (tmp_path / "inbound" / "new.xml").write_bytes(b"<ok n='new'/>")
        done_when_dropped = len(support.done_rows(cfg))  # the fake engine is fast: read it now
        rows = _done(cfg, 301)
    ids = {row.original_name: row.id_flux for row in rows}
    claimed_before = sorted(ids.values()).index(ids["new.xml"])
    assert claimed_before < done_when_dropped + 40, f"{claimed_before} claims before the new file"
    assert claimed_before < 300 - 200


def test_a_broken_idflux_lease_pauses_claims_and_keeps_the_files(tmp_path, monkeypatch):
    """outbound/.idflux is not a folder (an operator's mistake): no IdFlux can be issued, so no
    file can be claimed. The gateway pauses taking files with a growing back-off (one
    gateway.paused error each, naming the lease), leaves the file in inbound/ untouched, logs no
    flux.failed, and takes the file once the lease folder can be made again."""
    monkeypatch.setattr(backoff, "FIRST_PAUSE", 0.5)
    cfg = support.write_config(tmp_path, sweep=0.2)
    lease = tmp_path / "outbound" / ".idflux"
    lease.parent.mkdir(parents=True, exist_ok=True)
    lease.write_bytes(b"not a folder")
    log = tmp_path / "var" / "log" / "gateway.jsonl"
    dropped = tmp_path / "inbound" / "f.xml"
    with support.running(cfg, support.FAKE):
        dropped.write_bytes(b"<ok/>")
        assert support.wait_until(lambda: log.exists() and log.read_text().count("paused") >= 3)
        assert dropped.read_bytes() == b"<ok/>"
        lease.unlink()
        [row] = _done(cfg, 1)
    assert row.verdict == "accepted"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    pauses = [line for line in lines if line["event"] == "gateway.paused"]
    assert [line["pause_s"] for line in pauses[:3]] == [0.5, 1.0, 2.0]
    assert "IdFlux lease" in pauses[0]["message"] and pauses[0]["file"] == "f.xml"
    assert not [line for line in lines if line["event"] == "flux.failed"]


def test_an_exhausted_idflux_lease_pauses_claims_with_a_reason(tmp_path, monkeypatch):
    """A lease file set by hand to the last 13-digit counter: the next IdFlux would not fit,
    so claims pause (gateway.paused naming the exhausted sequence) and the file stays whole in
    inbound/; nothing is claimed, no flux.failed, no traceback."""
    monkeypatch.setattr(backoff, "FIRST_PAUSE", 0.3)
    cfg = support.write_config(tmp_path, sweep=0.2)
    lease = tmp_path / "outbound" / ".idflux" / "EDIGW1-00"
    lease.parent.mkdir(parents=True)
    lease.write_text("9" * 13 + "\n")
    log = tmp_path / "var" / "log" / "gateway.jsonl"
    dropped = tmp_path / "inbound" / "f.xml"
    with support.running(cfg, support.FAKE):
        dropped.write_bytes(b"<ok/>")
        assert support.wait_until(lambda: log.exists() and log.read_text().count("paused") >= 2)
    assert dropped.read_bytes() == b"<ok/>"
    assert support.done_rows(cfg) == []
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    [first, *_] = [line for line in lines if line["event"] == "gateway.paused"]
    assert "exhausted" in first["message"] and first["error"] == "ConfigError"
    assert not [line for line in lines if line["event"] in ("flux.failed", "gateway.error")]


def test_a_garbage_file_does_not_stop_the_next_ones(tmp_path):
    """Binary garbage gets its terminal outcome and the next file is still processed."""
    cfg = support.write_config(tmp_path)
    with support.running(cfg, ENGINE):
        (tmp_path / "inbound" / "garbage.xml").write_bytes(os.urandom(3000))
        (tmp_path / "inbound" / "empty.xml").write_bytes(b"")
        time.sleep(0.3)
        (tmp_path / "inbound" / "next.xml").write_bytes(INVOICE)
        rows = _done(cfg, 3)
    assert {row.original_name for row in rows} == {"garbage.xml", "empty.xml", "next.xml"}
    assert all(row.verdict for row in rows)
    _quiet(tmp_path)


@pytest.mark.parametrize("name", [".hidden.xml", "upload.xml.part", "upload.xml.tmp"])
def test_temporary_names_are_ignored_until_renamed(tmp_path, name):
    """A dot-file / *.part / *.tmp is left alone; once renamed to its final name it is taken."""
    cfg = support.write_config(tmp_path, sweep=0.3)
    temp = tmp_path / "inbound" / name
    with support.running(cfg, ENGINE):
        temp.write_bytes(INVOICE)
        time.sleep(1.5)
        assert temp.exists() and support.done_rows(cfg) == []
        temp.rename(tmp_path / "inbound" / "final.xml")
        _done(cfg, 1)
    assert _kept(tmp_path) == {"final.xml": INVOICE}


def test_a_symlink_is_set_aside_not_followed(tmp_path):
    """A symbolic link is moved as a link to var/error, its target untouched, with a status."""
    cfg = support.write_config(tmp_path)
    target = tmp_path / "secret.xml"
    target.write_bytes(INVOICE)
    with support.running(cfg, ENGINE):
        (tmp_path / "inbound" / "link.xml").symlink_to(target)
        [row] = _done(cfg, 1)
    assert (row.verdict, row.reason) == ("inadmissible", "IRR_TYPE_F")
    [moved] = (tmp_path / "var" / "error").iterdir()
    assert moved.is_symlink() and os.readlink(moved) == str(target)
    assert target.read_bytes() == INVOICE
    log = (tmp_path / "var" / "log" / "gateway.jsonl").read_text()
    assert '"event": "flux.set_aside"' in log


def test_a_fifo_is_set_aside_without_being_opened(tmp_path):
    """A named pipe (nobody writing) is set aside; opening it would block the gateway."""
    cfg = support.write_config(tmp_path)
    with support.running(cfg, ENGINE):
        os.mkfifo(tmp_path / "inbound" / "pipe.xml")
        (tmp_path / "inbound" / "after.xml").write_bytes(INVOICE)
        rows = _done(cfg, 2)
    by_name = {row.original_name: row for row in rows}
    assert by_name["pipe.xml"].reason == "IRR_TYPE_F"


def test_non_utf8_and_spaced_names_work(tmp_path):
    """Names with spaces, accents and non-UTF-8 bytes are taken; the store has readable names."""
    cfg = support.write_config(tmp_path)
    inbound = os.fsencode(tmp_path / "inbound")
    names = [b"facture 2026 \xc3\xa9t\xc3\xa9.xml", b"caf\xe9 latin1.xml"]
    with support.running(cfg, ENGINE):
        for raw in names:
            with open(os.path.join(inbound, raw), "wb") as handle:
                handle.write(INVOICE)
        rows = _done(cfg, 2)
    assert {row.original_name for row in rows} == {"facture 2026 été.xml", "caf\\xe9 latin1.xml"}
    assert len(_kept(tmp_path)) == 2
    _quiet(tmp_path)


def test_names_keep_their_bytes_and_extension_from_inbound_to_var(tmp_path):
    """A non-UTF-8 name keeps its own bytes in var/archive|error (the store shows \\xNN); a
    255-byte name is cut once, extension kept, and fits with room for a '.N' suffix."""
    cfg = support.write_config(tmp_path)
    inbound = os.fsencode(tmp_path / "inbound")
    names = [b"bad\xff\xfeutf8.xml", b"L" * 251 + b".xml"]
    with support.running(cfg, ENGINE):
        for raw in names:
            with open(os.path.join(inbound, raw), "wb") as handle:
                handle.write(INVOICE)
        rows = _done(cfg, 2)
    assert "bad\\xff\\xfeutf8.xml" in {row.original_name for row in rows}
    kept = [
        name.split(b"__", 1)[1]
        for folder in ("archive", "error")
        if (tmp_path / "var" / folder).is_dir()
        for name in os.listdir(os.fsencode(tmp_path / "var" / folder))
    ]
    assert b"bad\xff\xfeutf8.xml" in kept
    [long] = [name for name in kept if name.startswith(b"LLLL")]
    assert long.endswith(b"L.xml") and len(long) + 27 <= 251
    _quiet(tmp_path)


def test_the_recipient_status_subfolder_is_its_own_channel(tmp_path):
    """A file in inbound/recipient-status/ is claimed on that channel with its application code."""
    cfg = support.write_config(tmp_path)
    with support.running(cfg, support.FAKE):
        (tmp_path / "inbound" / "recipient-status" / "statut.xml").write_bytes(b"<CPPStatut/>")
        [row] = _done(cfg, 1)
    assert row.channel == "statuts-destinataires"
    assert row.id_flux.startswith("EDIGW2")


def test_a_second_gateway_on_the_same_state_folder_is_refused(tmp_path):
    """Two gateways must never share var/ (start-up recovery would steal running claims)."""
    cfg = support.write_config(tmp_path)
    with support.running(cfg, support.FAKE):
        time.sleep(0.3)
        config = config_module.load(cfg)
        assert Gateway(config).run() == 2


def _second_gateway(root: Path, outbound: Path, instance: int) -> Path:
    """A gateway tree of its own (var/, inbound/) writing into another gateway's outbound/."""
    cfg = support.write_config(root)
    text = cfg.read_text().replace('outbound = "outbound"', f'outbound = "{outbound.as_posix()}"')
    cfg.write_text(text.replace("[validation]", f"instance = {instance}\n\n[validation]"))
    return cfg


def test_two_gateways_sharing_outbound_need_their_own_instance(tmp_path):
    """Same outbound/, separate var/: with the same gateway.instance the second refuses to start
    and says which key to set; with its own instance both run and no output overwrites another."""
    first = support.write_config(tmp_path / "a")
    outbound = tmp_path / "a" / "outbound"
    same = _second_gateway(tmp_path / "b", outbound, 0)
    other = _second_gateway(tmp_path / "c", outbound, 1)
    with support.running(first, ENGINE):
        time.sleep(0.3)
        with capture_logs() as captured:
            assert Gateway(config_module.load(same)).run() == 2
        [failed] = [e for e in captured if e["event"] == "gateway.failed"]
        assert (
            "gateway.instance = 0" in failed["message"] and ".gateway-00.lock" in failed["message"]
        )
        with support.running(other, ENGINE):
            (tmp_path / "a" / "inbound" / "one.xml").write_bytes(INVOICE)
            (tmp_path / "c" / "inbound" / "two.xml").write_bytes(INVOICE)
            [one] = _done(first, 1)
            [two] = _done(other, 1)
    assert one.id_flux == "EDIGW11100000000000000001"
    assert two.id_flux == "EDIGW11100010000000000001"
    reports = sorted(p.name for p in (outbound / "canaux" / "EDIGW1").glob("CSO1100A_*.xml"))
    assert reports == [
        f"CSO1100A_EDIGW1_{one.id_flux}.xml",
        f"CSO1100A_EDIGW1_{two.id_flux}.xml",
    ]
    assert sorted(p.name for p in outbound.glob(".gateway-*.lock")) == [
        ".gateway-00.lock",
        ".gateway-01.lock",
    ]


def test_stop_hands_back_a_file_in_progress(tmp_path):
    """Stopping with a slow file in progress past the grace hands it back (claimed, attempts
    not counted); the next start processes it."""
    cfg = support.write_config(tmp_path)
    with support.running(cfg, support.FAKE, grace=0.2):
        (tmp_path / "inbound" / "slow.bin").write_bytes(b"SLEEP <x/>")
        work = tmp_path / "var" / "work"
        assert support.wait_until(lambda: work.is_dir() and list(work.iterdir()), 10)
        time.sleep(0.3)
    with Store(config_module.load(cfg).database) as store:
        [row] = store.fluxes()
        assert (row.state, row.attempts) == ("claimed", 0)
    with support.running(cfg, support.FAKE):
        [row] = _done(cfg, 1)
    assert row.attempts == 1
    assert not threading.current_thread().daemon


def test_an_observer_that_cannot_start_is_retried_and_then_queues_hints(tmp_path):
    """A missing channel folder makes the observer fail (observer.failed); check() restarts it
    only after sweep_seconds (observer.restarted), and it then queues (path, channel, complete)
    hints."""
    cfg = config_module.load(support.write_config(tmp_path, sweep=0.3))
    shutil.rmtree(tmp_path / "inbound")
    hints: queue.SimpleQueue = queue.SimpleQueue()
    watch = ChannelObserver(cfg, hints)
    try:
        with capture_logs() as captured:
            watch.start()
            watch.check()  # before the retry time: nothing happens
            assert watch.observer is None
            (tmp_path / "inbound" / "recipient-status").mkdir(parents=True)
            time.sleep(0.35)
            watch.check()
        assert [e["event"] for e in captured] == ["observer.failed", "observer.restarted"]
        assert watch.observer is not None and watch.observer.is_alive()
        (tmp_path / "inbound" / "a.xml").write_bytes(INVOICE)
        path, channel, complete = hints.get(timeout=5)
        assert Path(path) == tmp_path / "inbound" / "a.xml"
        assert channel.name == "depot-edi"
        assert complete is False  # the create comes first; its close-write hint says True
        hints_after = [hints.get(timeout=5) for _ in range(2)]
        assert hints_after[-1][2] is True
    finally:
        watch.stop()


def test_a_subfolder_in_a_channel_is_logged_once_per_name(tmp_path):
    """A folder dropped into a channel folder is left alone and logged once
    (channel.subfolder_ignored), not on every sweep; a channel's own folder is not reported."""
    cfg = config_module.load(support.write_config(tmp_path))
    (tmp_path / "inbound" / "lot-2026").mkdir()
    (tmp_path / "inbound" / "recipient-status" / "archives").mkdir()
    gateway = Gateway(cfg)
    with capture_logs() as captured:
        for _ in range(3):
            gateway.sweep()
        (tmp_path / "inbound" / "autre").mkdir()
        gateway.sweep()
    ignored = [e for e in captured if e["event"] == "channel.subfolder_ignored"]
    assert [(e["channel"], e["folder"], e["log_level"]) for e in ignored] == [
        ("depot-edi", "lot-2026", "warning"),
        ("statuts-destinataires", "archives", "warning"),
        ("depot-edi", "autre", "warning"),
    ]
    assert (tmp_path / "inbound" / "lot-2026").is_dir() and len(gateway.settler) == 0
