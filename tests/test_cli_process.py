"""`edi-gateway process`: text and JSON output, exit codes, folders, the user's files untouched."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from edi_gateway.cli import main
from edi_gateway.outputs.pivot import PivotBuilder, PivotError
from edi_gateway.store.database import Store
from tests.conftest import ROOT
from tests.test_examples import tmp_config

EXAMPLES = ROOT / "examples"


def test_accepted_file_exits_0_and_prints_the_route(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One accepted file: exit 0, flux id, verdict, recipient/service, statuses, outputs."""
    config = tmp_config(tmp_path)
    code = main(
        ["process", "--config", str(config), str(EXAMPLES / "03-ok-cii-lycee-intendance.xml")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "verdict     accepted" in out
    assert "recipient   99900002000019 / INTENDANCE" in out
    assert "statuses    90 01 02 03" in out
    assert out.count("output      ") == 5  # report, original, pivot, statuses, archived original


def test_json_lines_and_exit_1_for_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder is walked recursively; one JSON object per file; any rejection gives exit 1."""
    drop = tmp_path / "drop" / "sub"
    drop.mkdir(parents=True)
    for name in ("01-ok-ubl-mairie-sans-service.xml", "09-rej-siret-inconnu.xml"):
        shutil.copyfile(EXAMPLES / name, drop / name)
    config = tmp_config(tmp_path)
    code = main(["process", "--config", str(config), "--format", "json", str(tmp_path / "drop")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [(d["file"], d["verdict"]) for d in lines] == [
        ("01-ok-ubl-mairie-sans-service.xml", "accepted"),
        ("09-rej-siret-inconnu.xml", "rejected"),
    ]
    assert lines[1]["reason"] == "DEST_INC"
    assert next(f["rule"] for f in lines[1]["findings"] if f["severity"] == "error") == "CPP-REC-02"
    assert sorted(p.name for p in drop.iterdir()) == [
        "01-ok-ubl-mairie-sans-service.xml",
        "09-rej-siret-inconnu.xml",
    ]


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist: exit 2 and a message on stderr."""
    config = tmp_config(tmp_path)
    assert main(["process", "--config", str(config), str(tmp_path / "nope.xml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_an_empty_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder with no file: exit 2 and a message (as ``validate``), not a silent 0."""
    config = tmp_config(tmp_path)
    (tmp_path / "empty").mkdir()
    assert main(["process", "--config", str(config), str(tmp_path / "empty")]) == 2
    assert "no file to process" in capsys.readouterr().err


def test_unknown_channel_is_a_configuration_error(tmp_path: Path) -> None:
    """--channel with a name the config does not have: exit 2."""
    config = tmp_config(tmp_path)
    args = [
        "process",
        "--config",
        str(config),
        "--channel",
        "nope",
        str(EXAMPLES / "26-irr-fichier-vide.xml"),
    ]
    assert main(args) == 2


def test_text_output_prints_every_message_in_full(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Long finding messages are wrapped on word boundaries, never cut: the duplicate-flux
    message (over 200 characters) appears whole, with the earlier file name and IdFlux."""
    config = tmp_config(tmp_path)
    first = EXAMPLES / "01-ok-ubl-mairie-sans-service.xml"
    assert main(["process", "--config", str(config), str(first)]) == 0
    capsys.readouterr()
    code = main(["process", "--config", str(config), str(EXAMPLES / "30-irr-flux-deja-recu.xml")])
    out = capsys.readouterr().out
    assert code == 1
    [error_line] = [i for i, line in enumerate(out.splitlines()) if line.startswith("  error ")]
    lines = out.splitlines()
    block = [lines[error_line]]
    block += [line for line in lines[error_line + 1 :] if line.startswith("              ")]
    assert all(len(line) <= 100 for line in block)
    text = " ".join(" ".join(block).split())
    assert text.startswith("error CPP-DUP-02: [CPP-DUP-02] Ce fichier a déjà été déposé")
    assert len(text) > 250
    assert "This exact file was already deposited: flux EDIGW11100000000000000001" in text
    assert "(01-ok-ubl-mairie-sans-service.xml, received 20" in text
    assert text.endswith(").")  # the last words of the English message are there


@pytest.mark.parametrize("error", [PivotError("stylesheet failed (simulated)"), ValueError("bug")])
def test_engine_failure_sets_the_flux_aside(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    """An engine exception (ours or a bug) on one file: no traceback, one clear line on
    stderr, the flux set aside like the daemon does (done / inadmissible / GW-DAEMON-03, copy in
    var/error, one 93 report in canaux/), the next file still processed, exit 1."""

    def fail(*args: object, **kwargs: object) -> bytes:
        raise error

    monkeypatch.setattr(PivotBuilder, "build", fail)
    config = tmp_config(tmp_path)
    accepted = EXAMPLES / "01-ok-ubl-mairie-sans-service.xml"
    rejected = EXAMPLES / "09-rej-siret-inconnu.xml"
    code = main(["process", "--config", str(config), str(accepted), str(rejected)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    [line] = captured.err.splitlines()
    assert line.startswith(f"edi-gateway process: {accepted}: could not be processed (")
    assert str(error) in line and "set aside" in line
    assert "verdict     inadmissible  [GW-DAEMON-03]" in captured.out
    assert "verdict     rejected" in captured.out
    with Store(tmp_path / "var" / "gateway.sqlite3") as store:
        rows = {row.original_name: row for row in store.fluxes()}
    row = rows[accepted.name]
    assert (row.state, row.verdict, row.reason) == ("done", "inadmissible", "GW-DAEMON-03")
    i = row.id_flux
    assert (tmp_path / "var" / "error" / f"{i}__{accepted.name}").exists()
    reports = sorted(p.name for p in (tmp_path / "outbound" / "canaux").rglob("*.xml"))
    assert reports == [f"CSO1100A_EDIGW1_{i}.xml"]
    assert not (tmp_path / "outbound" / "99900001000010").exists()
    assert accepted.exists()


def test_fifo_is_named_and_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A FIFO given as PATH (or found in a folder) is said to be no regular file and skipped,
    never opened; the other files are processed; exit 1."""
    drop = tmp_path / "drop"
    drop.mkdir()
    os.mkfifo(drop / "pipe.xml")
    shutil.copyfile(EXAMPLES / "01-ok-ubl-mairie-sans-service.xml", drop / "ok.xml")
    config = tmp_config(tmp_path)
    code = main(["process", "--config", str(config), str(drop / "pipe.xml"), str(drop)])
    captured = capsys.readouterr()
    assert code == 1
    expected = f"edi-gateway process: {drop / 'pipe.xml'}: not a regular file (FIFO); skipped"
    assert captured.err.splitlines() == [expected, expected]
    assert captured.out.count("verdict     accepted") == 1


def test_text_output_escapes_control_characters_from_names_and_invoices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name with ESC and a newline, and a service code with a C1 CSI and a bidi override,
    are printed escaped (terminal.printable): no raw control character reaches the terminal and
    the name cannot forge an output line."""
    name = "a\x1b[31mRED\nFAKE verdict accepted.xml"
    source = tmp_path / name
    data = (EXAMPLES / "02-ok-ubl-mairie-services-techniques.xml").read_bytes()
    source.write_bytes(data.replace(b"SERVICES-TECHNIQUES", "SERV\u009b31m\u202eX".encode()))
    config = tmp_config(tmp_path)
    code = main(["process", "--config", str(config), str(source)])
    out = capsys.readouterr().out
    assert code == 1
    assert not any(c in out for c in ("\x1b", "\x9b", "\u202e"))
    lines = out.splitlines()
    assert lines[0] == str(tmp_path) + "/a\\x1b[31mRED\\x0aFAKE verdict accepted.xml"
    assert not any(line.startswith("FAKE") for line in lines)
    assert "  recipient   99900001000010 / SERV\\x9b31m\\u202eX" in lines
    assert any("Le code service SERV\\x9b31m\\u202eX n'existe pas" in line for line in lines)
    assert all(line.startswith(("/", "  ")) for line in lines)


def test_stderr_lines_escape_the_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The skip line of a FIFO named with ESC and a newline is one escaped line."""
    fifo = tmp_path / "p\x1b]0;title\x07\nx.xml"
    os.mkfifo(fifo)
    config = tmp_config(tmp_path)
    assert main(["process", "--config", str(config), str(fifo)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert "\x1b" not in line and "\x07" not in line
    assert line.endswith("p\\x1b]0;title\\x07\\x0ax.xml: not a regular file (FIFO); skipped")
