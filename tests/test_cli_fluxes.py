"""``edi-gateway flows``: list, filter by date and verdict, JSON output."""

from __future__ import annotations

import json

import pytest

from edi_gateway import cli
from edi_gateway.cli.fluxes import since_bound
from edi_gateway.core import config as config_module
from edi_gateway.store.database import Store
from tests.fixtures.daemon import support


@pytest.fixture
def cfg(tmp_path):
    """A tmp gateway whose store holds three fluxes (accepted, rejected, still claimed)."""
    path = support.write_config(tmp_path)
    with Store(config_module.load(path).database) as store:
        for index, (when, verdict) in enumerate(
            [
                ("2026-11-01T08:00:00.000+00:00", "accepted"),
                ("2026-11-20T09:30:00.000+00:00", "rejected"),
                ("2026-11-29T10:00:00.000+00:00", None),
            ],
            start=1,
        ):
            id_flux = f"EDIGW1110000000000000000{index}"
            store.add_flux(
                id_flux=id_flux,
                channel="depot-edi",
                original_name=f"facture {index}.xml",
                sha256="0" * 64,
                size=100,
                work_path=None,
                received_at=when,
            )
            if verdict:
                store.update_flux(
                    id_flux,
                    state="done",
                    verdict=verdict,
                    syntax="ubl-invoice",
                    recipient_siret="11000201100044",
                    service_code="SERV1" if verdict == "accepted" else None,
                    error_count=0 if verdict == "accepted" else 2,
                )
    return path


def test_text_table_lists_every_flux(cfg, capsys):
    """The table has a header and one line per flux with its verdict, recipient and errors."""
    assert cli.main(["fluxes", "--config", str(cfg)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["IdFlux", "received", "at"]
    assert len(lines) == 4
    assert "EDIGW11100000000000000001" in lines[1] and "accepted" in lines[1]
    assert "11000201100044/SERV1" in lines[1]
    assert lines[2].rstrip().endswith("2")
    assert "claimed" in lines[3]


def test_json_with_verdict_filter(cfg, capsys):
    """--verdict rejected --format json gives only the rejected flux as a JSON object."""
    assert (
        cli.main(["flows", "--config", str(cfg), "--verdict", "rejected", "--format", "json"]) == 0
    )
    [item] = json.loads(capsys.readouterr().out)
    assert item["id_flux"] == "EDIGW11100000000000000002"
    assert (item["verdict"], item["error_count"], item["recipient"]) == (
        "rejected",
        2,
        "11000201100044",
    )
    assert item["original_name"] == "facture 2.xml"


def test_since_filter(cfg, capsys):
    """--since keeps the fluxes received at or after that date (UTC when naive)."""
    assert (
        cli.main(["flows", "--config", str(cfg), "--since", "2026-11-20", "--format", "json"]) == 0
    )
    ids = [item["id_flux"][-1] for item in json.loads(capsys.readouterr().out)]
    assert ids == ["2", "3"]


def test_since_with_offset_is_converted_to_utc():
    """A local time with an offset is compared in UTC, as the store writes times."""
    assert since_bound("2026-11-20T10:30+01:00") == "2026-11-20T09:30:00.000+00:00"


def test_bad_since_is_a_usage_error(cfg, capsys):
    """--since that is not ISO 8601 exits 2 with a message."""
    assert cli.main(["flows", "--config", str(cfg), "--since", "yesterday"]) == 2
    assert "not an ISO 8601 date" in capsys.readouterr().err


def _corrupt(path) -> None:
    """A real store of 300 fluxes whose table pages are then overwritten (header kept)."""
    with Store(path) as store:
        for index in range(300):
            store.add_flux(
                id_flux=f"EDIGW1{index:019d}",
                channel="depot-edi",
                original_name="x" * 100,
                sha256="0" * 64,
                size=1,
                work_path=None,
            )
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 6] = b"\xff" * 4096 * 3
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "database", ["blocker/gateway.sqlite3", "garbage.sqlite3", "folder.sqlite3", "broken.sqlite3"]
)
def test_a_database_that_cannot_be_read_is_a_state_error(tmp_path, database):
    """A database under a file, not SQLite, a folder, or with corrupt pages: flows raises
    StateError (a clear message and exit 2 in the CLI), never a bare OSError / sqlite3 error."""
    import argparse

    from edi_gateway.cli import fluxes as flows
    from edi_gateway.core.errors import StateError

    path = support.write_config(tmp_path)
    path.write_text(path.read_text().replace('"var/gateway.sqlite3"', f'"{database}"'))
    (tmp_path / "blocker").write_bytes(b"a file")
    (tmp_path / "garbage.sqlite3").write_bytes(b"not a database at all" * 100)
    (tmp_path / "folder.sqlite3").mkdir()
    _corrupt(tmp_path / "broken.sqlite3")
    args = argparse.Namespace(config=str(path), since=None, verdict=None, format="text")
    with pytest.raises(StateError, match="cannot"):
        flows.run(args)


def test_text_escapes_control_characters_in_names() -> None:
    """A stored file name with ESC and a newline prints as visible escapes, on one line."""
    from edi_gateway.cli.fluxes import render_text

    row = {
        "id_flux": "EDIGW11100000000000000001",
        "received_at": "2026-11-29T22:00:00.000+00:00",
        "channel": "depot-edi",
        "original_name": "a\x1b[31m\nFAKE.xml",
        "syntax": "ubl-invoice",
        "verdict": "accepted",
        "recipient": None,
        "error_count": 0,
        "state": "done",
        "reason": None,
    }
    out = render_text([row])
    assert "\x1b" not in out and "a\\x1b[31m\\x0aFAKE" in out
    assert len(out.splitlines()) == 2
