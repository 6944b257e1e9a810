"""IdFlux numbering survives the loss of ``var/`` (issue #9): blocks leased from ``outbound/``.

End to end with the real daemon: a first run, ``var/`` removed, a second run on the same
``outbound/``: no output of the first run is replaced and every IdFlux of the second run is new;
then a one-shot ``process`` with yet another ``var/`` on the same ``outbound/`` does the same.
Unit cases: the lease file rebuilt from the names under ``outbound/`` (missing or damaged), a
sender's own file name never moves the counter, two state folders get disjoint blocks.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from edi_gateway.cli import main
from edi_gateway.store import fluxid, fluxid_lease
from edi_gateway.store.database import Store
from tests.conftest import ROOT
from tests.fixtures.daemon import support

EXAMPLES = ROOT / "examples"
FIRST = ["02-ok-ubl-mairie-services-techniques.xml", "03-ok-cii-lycee-intendance.xml"]
SECOND = ["05-ok-cii-communaute-voirie-ej.xml", "06-ok-ubl-universite-labo-ej.xml"]
THIRD = "07-ok-ubl-avoir-mairie.xml"


def _outbound(root: Path) -> dict[Path, bytes]:
    out = root / "outbound"
    return {
        p: p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.parent != out / ".idflux"
    }


def _ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT id_flux FROM flux")}


def _run_daemon(cfg: Path, root: Path, names: list[str]) -> set[str]:
    db = root / "var" / "gateway.sqlite3"
    gateway = support.start_daemon(cfg)
    try:
        for name in names:
            shutil.copy(EXAMPLES / name, root / "inbound" / name)

        def done() -> bool:
            states = support.flux_states(db)
            return len(states) == len(names) and set(states) == {"done"}

        assert support.wait_until(done, 90, 0.2), "the gateway did not finish the drops"
    finally:
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=60) == 0
    return _ids(db)


@pytest.mark.slow
def test_removing_var_between_runs_replaces_nothing_and_issues_new_ids(tmp_path):
    """Run, remove var/, run again, then `process` with another var/: all IdFlux distinct,
    every file of an earlier run still there byte for byte, each run's outputs complete."""
    cfg = support.write_config(tmp_path, settle=0.1, sweep=0.5)
    first_ids = _run_daemon(cfg, tmp_path, FIRST)
    first_files = _outbound(tmp_path)
    assert len(first_ids) == 2 and len(first_files) == 8  # 4 outputs per accepted invoice
    shutil.rmtree(tmp_path / "var")

    second_ids = _run_daemon(cfg, tmp_path, SECOND)
    assert len(second_ids) == 2 and not second_ids & first_ids, (first_ids, second_ids)
    after = _outbound(tmp_path)
    assert {p: after.get(p) for p in first_files} == first_files
    assert len(after) == 16

    other = tmp_path / "other.toml"
    other.write_text(
        cfg.read_text()
        .replace('"var/', '"other-var/')
        .replace('state_dir = "var"', 'state_dir = "other-var"'),
        encoding="utf-8",
    )
    assert main(["process", "--config", str(other), "--format", "json", str(EXAMPLES / THIRD)]) == 0
    third_ids = _ids(tmp_path / "other-var" / "gateway.sqlite3")
    assert len(third_ids) == 1 and not third_ids & (first_ids | second_ids)
    final = _outbound(tmp_path)
    assert {p: final.get(p) for p in after} == after
    assert len(final) == 20


def _store(tmp_path: Path, name: str) -> Store:
    return Store(tmp_path / name / "gateway.sqlite3")


def test_two_state_folders_on_one_outbound_get_disjoint_blocks(tmp_path):
    """Interleaved draws from two databases on one outbound/: never the same IdFlux; the lease
    file holds the top of the last block."""
    out = tmp_path / "outbound"
    a, b = _store(tmp_path, "a"), _store(tmp_path, "b")
    drawn = [
        fluxid.new_id_flux(store, "EDIGW1", outbound=out) for _ in range(3) for store in (a, b)
    ]
    assert len(set(drawn)) == 6
    counters = sorted(int(i[12:]) for i in drawn)
    assert counters == [1, 2, 3, 1001, 1002, 1003]
    assert (out / ".idflux" / "EDIGW1-00").read_text() == "2000\n"


def test_a_lost_lease_file_is_rebuilt_from_the_names_out(tmp_path):
    """No lease file (or a damaged one): the highest IdFlux of this code and instance named
    under outbound/ counts; other codes, other instances and a number inside a sender's own
    name do not."""
    out = tmp_path / "outbound"
    folder = out / "99900001000010" / "SERVICES"
    folder.mkdir(parents=True)
    (folder / "EDIGW11100000000000000041__facture.xml").write_bytes(b"x")
    (out / "CSO1100A_EDIGW1_EDIGW11100000000000000040.xml").write_bytes(b"x")
    (folder / "EDIGW11100000000000000007__EDIGW11100000000009999999.xml").write_bytes(b"x")
    (out / "CSO1100A_EDIGW2_EDIGW21100000000000000500.xml").write_bytes(b"x")  # other code
    (out / "CSO1100A_EDIGW1_EDIGW11100070000000000900.xml").write_bytes(b"x")  # instance 7
    assert fluxid_lease.highest_in_outbound(out, "EDIGW1", 0) == 41
    store = _store(tmp_path, "var")
    assert fluxid.new_id_flux(store, "EDIGW1", outbound=out) == "EDIGW11100000000000000042"
    (out / ".idflux" / "EDIGW1-00").write_text("garbage")
    fresh = _store(tmp_path, "var2")
    assert fluxid.new_id_flux(fresh, "EDIGW1", outbound=out) == "EDIGW11100000000000000042"


def test_the_lease_is_a_plain_file_that_readers_of_outbound_skip(tmp_path):
    """The lease lives in a dot-folder; a link planted under its name is never followed."""
    out = tmp_path / "outbound"
    (out / ".idflux").mkdir(parents=True)
    target = tmp_path / "secret"
    target.write_text("keep")
    (out / ".idflux" / "EDIGW1-00").symlink_to(target)
    store = _store(tmp_path, "var")
    with pytest.raises(Exception, match="lease"):
        fluxid.new_id_flux(store, "EDIGW1", outbound=out)
    assert target.read_text() == "keep"
    assert store.next_value("other") == 1  # the store still works


def test_a_lease_set_back_cannot_bring_numbers_back_to_a_fresh_var(tmp_path):
    """A lease file rewritten to 0 (or 64 zeros and a digit) while var/ is lost: the first
    lease of the fresh store also counts the names already out, so no IdFlux repeats."""
    out = tmp_path / "outbound"
    out.mkdir()
    (out / "CSO1100A_EDIGW1_EDIGW11100000000000000001.xml").write_bytes(b"x")
    (out / ".idflux").mkdir()
    for index, text in enumerate(["0\n", "0" * 64 + "1\n"]):
        (out / ".idflux" / "EDIGW1-00").write_text(text)
        fresh = _store(tmp_path, f"var{index}")
        assert fluxid.new_id_flux(fresh, "EDIGW1", outbound=out) == "EDIGW11100000000000000002"
