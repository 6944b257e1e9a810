"""One ``flux.done`` per flux even after a kill: the lines a crash left out are logged at start."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edi_gateway.core import config as config_module
from edi_gateway.core import logs
from edi_gateway.pipeline import done_log
from edi_gateway.pipeline.engine import Engine
from tests.conftest import ROOT
from tests.test_examples import tmp_config

EXAMPLES = ROOT / "examples"
FILES = (
    "02-ok-ubl-mairie-services-techniques.xml",
    "11-rej-service-obligatoire.xml",
    "04-ok-facturx-hopital-ej.pdf",
)


def _done_lines(log_file: Path) -> list[dict]:
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.endswith("}")]
    return [line for line in lines if line["event"] == "flux.done"]


@pytest.fixture
def processed(tmp_path: Path):
    """Three examples processed by the real engine, their lines in the JSON log file."""
    config = config_module.load(tmp_config(tmp_path))
    logs.configure(config, console=False)
    engine = Engine(config)
    ids = []
    for name in FILES:
        dropped = config.channels[0].folder / name
        dropped.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLES / name, dropped)
        ids.append(engine.process_path(dropped, config.channels[0]).id_flux)
    yield config, engine.store, ids
    engine.close()
    logs.configure(None, console=False)


def _kill_before_done(log_file: Path, id_flux: str) -> None:
    """What a SIGKILL between the commit and the ``flux.done`` line leaves: no such line."""
    kept = [
        line
        for line in log_file.read_text().splitlines(keepends=True)
        if not ('"flux.done"' in line and id_flux in line)
    ]
    log_file.write_text("".join(kept))


def test_a_flux_killed_before_its_done_line_gets_exactly_one(processed):
    config, store, ids = processed
    assert [line["id_flux"] for line in _done_lines(config.log_file)] == ids
    _kill_before_done(config.log_file, ids[1])
    assert done_log.log_missing_done(config, store) == 1
    lines = _done_lines(config.log_file)
    assert sorted(line["id_flux"] for line in lines) == sorted(ids)
    recovered = lines[-1]
    assert recovered["id_flux"] == ids[1] and recovered["recovered"] is True
    assert recovered["verdict"] == "rejected" and recovered["file"] == FILES[1]
    assert done_log.log_missing_done(config, store) == 0  # never twice


def test_after_a_clean_stop_nothing_is_logged_again(processed):
    config, store, ids = processed
    _kill_before_done(config.log_file, ids[0])  # lost before the clean stop below
    logs.get_logger().info("gateway.stopped", reason="test")
    assert done_log.log_missing_done(config, store) == 0
    assert len(_done_lines(config.log_file)) == 2


def test_a_rotated_log_only_covers_fluxes_finished_after_its_first_line(processed):
    config, store, _ids = processed
    config.log_file.write_text("")  # rotated away: nothing before this run may be re-logged
    assert done_log.log_missing_done(config, store) == 0
    config.log_file.unlink()
    assert done_log.log_missing_done(config, store) == 0


def test_a_torn_last_line_is_read_as_no_line(processed):
    config, store, ids = processed
    _kill_before_done(config.log_file, ids[2])
    with config.log_file.open("a") as handle:
        handle.write('{"event": "flux.done", "id_flux": "' + ids[2][:10])  # cut by a power cut
    assert done_log.log_missing_done(config, store) == 1
    assert _done_lines(config.log_file)[-1]["id_flux"] == ids[2]  # whole, on its own line
    assert done_log.log_missing_done(config, store) == 0


def test_a_worker_killed_after_the_commit_still_gets_its_done_line(processed):
    """A worker SIGKILLed between the commit and put-away (an OOM kill): the daemon's Died
    handling publishes, puts the original away and logs the flux's one flux.done
    (recovered=true), so no later start has to."""
    from edi_gateway.pipeline import recovery
    from edi_gateway.runtime.daemon import Gateway
    from edi_gateway.runtime.workers import Died

    config, store, ids = processed
    _kill_before_done(config.log_file, ids[0])
    [archived] = config.archive_dir.glob(f"{ids[0]}__*")
    work = config.work_dir / archived.name
    archived.rename(work)  # the original as the killed worker left it
    gateway = Gateway(config)
    gateway.store = store
    gateway._handle(Died(claim=recovery.claim_of(store.flux(ids[0]), work), exitcode=-9, worker=0))
    lines = [line for line in _done_lines(config.log_file) if line["id_flux"] == ids[0]]
    assert len(lines) == 1 and lines[0]["recovered"] is True
    assert lines[0]["verdict"] == "accepted" and lines[0]["file"] == FILES[0]
    assert not work.exists() and archived.exists()
    assert done_log.log_missing_done(config, store) == 0
