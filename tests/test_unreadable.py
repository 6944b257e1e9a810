"""A file the gateway may not read (mode 000) never stops it (issue #9, found broken).

It used to be claimed into ``var/work/`` with a ``flux.failed`` and an empty ``id_flux``, never
got a status, and every later start died in recovery hashing it. Now it is claimed, set aside
at once with a 93 flux report (``GW-DAEMON-05``), and a start-up that finds one in ``var/work/``
(a crash between the rename and the row) does the same.

The real daemon runs in a child process. As root, the child loses ``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH`` from its bounding set (``prctl(PR_CAPBSET_DROP)``) before ``exec``, so
mode 000 means to it what it means to an operator's service account.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import ROOT
from tests.fixtures.daemon import support

pytestmark = pytest.mark.slow

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
GOOD = ROOT / "examples" / "02-ok-ubl-mairie-services-techniques.xml"


def _drop_dac_capabilities() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _mode_000_is_unreadable(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.write_bytes(b"x")
    probe.chmod(0)
    try:
        result = subprocess.run(
            [sys.executable, "-c", f"open({str(probe)!r}, 'rb')"],
            preexec_fn=_drop_dac_capabilities if os.geteuid() == 0 else None,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        probe.unlink()
    return result.returncode != 0


def _start(cfg: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "edi_gateway", "run", "--config", str(cfg)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_drop_dac_capabilities if os.geteuid() == 0 else None,
    )


def _rows(db: Path) -> dict[str, sqlite3.Row]:
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            conn.row_factory = sqlite3.Row
            return {r["original_name"]: r for r in conn.execute("SELECT * FROM flux")}
    except sqlite3.Error:
        return {}


def _stop(gateway: subprocess.Popen) -> str:
    gateway.send_signal(signal.SIGTERM)
    _, err = gateway.communicate(timeout=60)
    assert gateway.returncode == 0, err.decode(errors="replace")[-2000:]
    return err.decode(errors="replace")


def _assert_set_aside(root: Path, row: sqlite3.Row) -> None:
    assert (row["state"], row["verdict"], row["reason"]) == ("done", "inadmissible", "GW-DAEMON-05")
    kept = root / "var" / "error" / f"{row['id_flux']}__{row['original_name']}"
    assert kept.exists() and kept.stat().st_mode & 0o777 == 0  # the original, untouched
    report = root / "outbound" / "canaux" / "EDIGW1" / f"CSO1100A_EDIGW1_{row['id_flux']}.xml"
    tree = etree.parse(str(report))
    assert tree.findtext(".//IdStatut") == "93"
    assert tree.findtext(".//CodeErreur") == "GW-DAEMON-05"
    assert "Permission denied" in tree.findtext(".//LibelleErreur")


def test_a_mode_000_file_is_set_aside_and_never_stops_the_gateway(tmp_path):
    """Dropped while running, and found in var/work at start-up: both set aside with a 93
    report naming GW-DAEMON-05; a readable file dropped beside them is accepted; the gateway
    starts again and stops cleanly; the log has one flux.done per flux, never an empty id."""
    if not _mode_000_is_unreadable(tmp_path):
        pytest.skip("cannot make a mode 000 file unreadable to a child here (no prctl/caps)")
    root = tmp_path / "gw"
    cfg = support.write_config(root, settle=0.1, sweep=0.5)
    db = root / "var" / "gateway.sqlite3"
    gateway = _start(cfg)
    locked = root / "inbound" / "locked.xml"
    locked.write_bytes(GOOD.read_bytes().replace(b"</Invoice>", b"<!-- a --></Invoice>"))
    locked.chmod(0)
    (root / "inbound" / "good.xml").write_bytes(GOOD.read_bytes())
    names = {"locked.xml", "good.xml"}
    assert support.wait_until(
        lambda: names <= {n for n, r in _rows(db).items() if r["state"] == "done"}, 60, 0.2
    ), _rows(db)
    _stop(gateway)
    rows = _rows(db)
    assert rows["good.xml"]["verdict"] == "accepted"
    _assert_set_aside(root, rows["locked.xml"])

    # A crash between the rename into var/work and the row: the next start must not die.
    orphan = root / "var" / "work" / "EDIGW11100000000000000009__orphan.xml"
    orphan.write_bytes(b"<Invoice/>")
    orphan.chmod(0)
    gateway = _start(cfg)
    assert support.wait_until(
        lambda: (
            _rows(db).get("orphan.xml") is not None and _rows(db)["orphan.xml"]["state"] == "done"
        ),
        60,
        0.2,
    ), "the gateway did not set aside the unreadable orphan at start-up"
    assert gateway.poll() is None
    err = _stop(gateway)
    assert "Traceback" not in err
    _assert_set_aside(root, _rows(db)["orphan.xml"])
    lines = [json.loads(x) for x in (root / "var/log/gateway.jsonl").read_text().splitlines()]
    done = [x["id_flux"] for x in lines if x["event"] == "flux.done"]
    assert sorted(done) == sorted(r["id_flux"] for r in _rows(db).values())
    assert all(x.get("id_flux") != "" for x in lines if x["event"].startswith("flux."))


def test_process_skips_an_unreadable_file_and_processes_the_next(tmp_path):
    """``process a b`` with ``a`` mode 000: ``a`` is named with the reason and skipped (exit
    1), ``b`` is processed and accepted; nothing of ``a`` is claimed (it used to stop at ``a``
    with exit 2)."""
    if not _mode_000_is_unreadable(tmp_path):
        pytest.skip("mode 000 files stay readable here (capabilities cannot be dropped)")
    cfg = support.write_config(tmp_path)
    locked = tmp_path / "a-locked.xml"
    locked.write_bytes(GOOD.read_bytes())
    locked.chmod(0)
    command = [sys.executable, "-m", "edi_gateway", "process", "--config", str(cfg)]
    result = subprocess.run(
        [*command, "--format", "json", str(locked), str(GOOD)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=_drop_dac_capabilities if os.geteuid() == 0 else None,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "a-locked.xml: cannot read: Permission denied; skipped" in result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line)["verdict"] == "accepted"
    assert list(_rows(tmp_path / "var" / "gateway.sqlite3")) == [GOOD.name]


def test_validate_names_an_unreadable_file_and_validates_the_others(tmp_path):
    """``validate`` streams: a mode-000 file among others is named on stderr with the reason,
    the others are reported, exit 2 (a path that cannot be used)."""
    if not _mode_000_is_unreadable(tmp_path):
        pytest.skip("mode 000 files stay readable here (capabilities cannot be dropped)")
    locked = tmp_path / "a-locked.xml"
    locked.write_bytes(GOOD.read_bytes())
    locked.chmod(0)
    command = [sys.executable, "-m", "edi_gateway", "validate", "--format", "json"]
    result = subprocess.run(
        [*command, str(locked), str(GOOD)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=_drop_dac_capabilities if os.geteuid() == 0 else None,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert f"{locked}: cannot read: Permission denied" in result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line)["verdict"] == "accepted"
