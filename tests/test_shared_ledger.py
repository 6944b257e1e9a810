"""Two gateways on one PostgreSQL ledger (issue #12): each with its own ``var/`` and
``gateway.instance``, 2 workers each, sharing ``inbound/`` and ``outbound/``. 500 distinct
invoices are dropped while one gateway is SIGKILLed mid-way and started again; then 20 byte-for-
byte copies of earlier files. Every file ends exactly once (one flux row, done, its original
archived once, its outputs there), no gateway closes the other's claims as lost, the IdFlux are
drawn by both instances from one sequence, and every copy is caught as a duplicate flux
(IRR_UNCITE) whichever gateway took the original. A second gateway with an instance already
running on the ledger refuses to start."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edi_gateway.store.records import FluxRow
from tests.conftest import ROOT
from tests.fixtures.daemon import support

pytestmark = pytest.mark.slow

SOURCE = ROOT / "examples" / "02-ok-ubl-mairie-services-techniques.xml"
FILES, COPIES = 500, 20


def _gateway_config(root: Path, shared: Path, url: str, instance: int) -> Path:
    """A gateway in ``root`` (its own var/) on the shared folders and ledger."""
    path = support.write_config(root, workers=2, settle=0.1, sweep=0.5, database=url)
    support.share_folders(path, shared, instance)
    return path


def _drop(inbound: Path, names: list[str], data: dict[str, bytes]) -> None:
    support.drop_files(inbound, {name: data[name] for name in names})


def test_two_gateways_on_one_ledger_take_each_file_once(postgres_url: str, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "inbound" / "recipient-status").mkdir(parents=True)
    configs = [
        _gateway_config(tmp_path / f"gw{i}", shared, postgres_url, instance=i) for i in (1, 2)
    ]
    template = SOURCE.read_bytes()
    data = {
        f"f{n:04d}.xml": template.replace(b"EX-2025-002", f"SHARED-{n:04d}".encode())
        for n in range(FILES)
    }
    names = sorted(data)
    logs = [(tmp_path / f"gw{i}.log").open("ab") for i in (1, 2)]
    gateways = [support.start_daemon(c, stderr=log) for c, log in zip(configs, logs, strict=True)]
    try:
        _drop(shared / "inbound", names[: FILES // 2], data)
        assert support.wait_until(lambda: support.ledger_done(postgres_url) >= 60, 180, 0.2)
        gateways[0].send_signal(signal.SIGKILL)
        assert gateways[0].wait(timeout=10) == -signal.SIGKILL
        _drop(shared / "inbound", names[FILES // 2 :], data)
        gateways[0] = support.start_daemon(configs[0], stderr=logs[0])
        assert support.wait_until(lambda: support.ledger_done(postgres_url) == FILES, 300, 0.5), (
            support.ledger_done(postgres_url)
        )
        # byte-for-byte copies, both gateways running: each is a duplicate flux
        copies = {f"copie-{n:02d}.xml": data[names[n * 7]] for n in range(COPIES)}
        data |= copies
        _drop(shared / "inbound", sorted(copies), data)
        assert support.wait_until(
            lambda: support.ledger_done(postgres_url) == FILES + COPIES, 120, 0.5
        )
        # a third gateway with a running instance is refused (exit 2), whatever its var/
        third = _gateway_config(tmp_path / "gw3", shared, postgres_url, instance=2)
        third_text = third.read_text(encoding="utf-8")
        third.write_text(third_text.replace(f"{shared}/outbound", f"{tmp_path}/gw3/outbound"))
        refused = subprocess.run(
            [sys.executable, "-m", "edi_gateway", "run", "--config", str(third)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert refused.returncode == 2, refused.stderr[-2000:]
        assert "another gateway with gateway.instance = 2 runs on the ledger" in refused.stderr
    finally:
        for gateway in gateways:
            if gateway.poll() is None:
                gateway.send_signal(signal.SIGTERM)
                assert gateway.wait(timeout=60) == 0
        for log in logs:
            log.close()
    rows = support.ledger_rows(postgres_url)
    by_name: dict[str, list[FluxRow]] = {}
    for row in rows:
        by_name.setdefault(row.original_name, []).append(row)
    assert sorted(by_name) == sorted(data) and all(len(v) == 1 for v in by_name.values())
    assert all(row.done for row in rows)
    verdicts = {name: found[0].verdict for name, found in by_name.items()}
    assert [n for n in names if verdicts[n] != "accepted"] == []
    assert {by_name[n][0].reason for n in copies} == {"IRR_UNCITE"}
    instances = {row.id_flux[10:12] for row in rows}
    assert instances == {"01", "02"}, "both gateways took files"
    crossed = [
        n
        for n in copies
        if by_name[n][0].id_flux[10:12] != by_name[_twin(n, copies, data)][0].id_flux[10:12]
    ]
    assert crossed, "no copy was caught by the gateway that did not take its original"
    assert not [row for row in rows if row.reason == "LOST"], "a claim was closed as lost"
    archived = [p.name for i in (1, 2) for p in (tmp_path / f"gw{i}" / "var").rglob("*__*.xml")]
    assert sorted(a.split("__", 1)[1] for a in archived) == sorted(data)
    assert not list((shared / "inbound").glob("*.xml"))
    for row in rows:
        assert all(Path(p).is_file() for p in row.outputs), row


def _twin(copy: str, copies: dict[str, bytes], data: dict[str, bytes]) -> str:
    return next(n for n, b in data.items() if b == copies[copy] and n != copy)
