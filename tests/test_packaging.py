"""Which configuration is in force, and a normal (wheel) install that runs outside the checkout.

The wheel test builds the project's wheel, unpacks it into a folder put first on ``PYTHONPATH``
(so the editable install of the checkout is not what runs), and walks the README's trainee steps
from an empty folder with the packaged demo config.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from edi_gateway.cli import build_parser
from edi_gateway.core import config, resources
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"


def test_option_then_current_folder_then_packaged_demo(tmp_path: Path) -> None:
    """``--config`` wins; else ./config.toml; else the packaged demo config."""
    given = tmp_path / "given.toml"
    assert config.choose(str(given), tmp_path) == (given.resolve(), config.FROM_OPTION)
    assert config.choose(None, tmp_path) == (resources.demo_config(), config.FROM_PACKAGED_DEMO)
    (tmp_path / "config.toml").write_text(ROOT.joinpath("config.toml").read_text("utf-8"), "utf-8")
    assert config.choose(None, tmp_path) == (
        (tmp_path / "config.toml").resolve(),
        config.FROM_CURRENT_FOLDER,
    )


def test_packaged_demo_keeps_its_state_in_the_current_folder(tmp_path: Path) -> None:
    """The demo config's state, inbound and outbound are the current folder's; its structures
    file is the shipped one."""
    loaded = config.load(None, cwd=tmp_path)
    assert loaded.source == config.FROM_PACKAGED_DEMO
    assert loaded.state_dir == tmp_path.resolve() / "var"
    assert loaded.database == tmp_path.resolve() / "var" / "gateway.sqlite3"
    assert loaded.outbound == tmp_path.resolve() / "outbound"
    assert [c.folder for c in loaded.channels] == [
        tmp_path.resolve() / "inbound",
        tmp_path.resolve() / "inbound" / "recipient-status",
    ]
    assert loaded.structures == resources.data_file("rules", "structures.toml")
    assert loaded.structures.is_file()


def test_a_config_file_keeps_paths_relative_to_itself(tmp_path: Path) -> None:
    """./config.toml (or --config) resolves every path against its own folder, as before."""
    (tmp_path / "config.toml").write_text(ROOT.joinpath("config.toml").read_text("utf-8"), "utf-8")
    loaded = config.load(None, cwd=tmp_path)
    assert loaded.source == config.FROM_CURRENT_FOLDER
    assert loaded.state_dir == tmp_path.resolve() / "var"
    assert loaded.structures == tmp_path.resolve() / "rules" / "structures.toml"


def test_help_names_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    """``run --help`` says how the default is chosen and prints the packaged demo's path."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "./config.toml when the current folder has one" in out
    assert str(resources.demo_config()) in out.replace(" ", "")


def test_shipped_data_files_exist() -> None:
    """Every data file the package names is where :mod:`resources` says."""
    for folder, name in [
        ("rules", "lifecycle.toml"),
        ("rules", "structures.toml"),
        ("rules", "cpp-reception.xsl"),
        ("xslt", "envelope.xsl"),
        ("xslt", "pivot-cii.xsl"),
        ("xsd", "cpp-statut-destinataire.xsd"),
    ]:
        assert resources.data_file(folder, name).is_file(), (folder, name)
    with pytest.raises(ValueError, match="no shipped data folder"):
        resources.data_file("..", "config.toml")


def _wheel(tmp_path: Path) -> Path:
    out = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if built.returncode != 0:
        pytest.skip(f"cannot build the wheel here (pip wheel failed): {built.stderr[-400:]}")
    wheel = next(out.glob("edi_gateway-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


@pytest.mark.slow
def test_wheel_install_runs_the_trainee_walk(tmp_path: Path) -> None:
    """From the wheel, in an empty folder: accepted, rejected (CPP-REC-04) and unusable files,
    then a status change, all on the packaged demo config, state in the current folder."""
    site = _wheel(tmp_path)
    names = {
        n.replace("\\", "/")
        for n in zipfile.ZipFile(next((tmp_path / "dist").glob("*.whl"))).namelist()
    }
    for data in (
        "config.toml",
        "rules/structures.toml",
        "xslt/pivot-ubl.xsl",
        "xsd/cpp-statut-destinataire.xsd",
    ):
        assert f"edi_gateway/_data/{data}" in names
    work = tmp_path / "trainee"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}

    def gateway(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "edi_gateway", *argv],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    where = gateway("validate", "--help")
    # argparse wraps long words, even paths: compare without the white space it adds
    assert str(site / "edi_gateway" / "_data" / "config.toml") in "".join(where.stdout.split())
    ok = gateway(
        "process", "--format", "json", str(EXAMPLES / "02-ok-ubl-mairie-services-techniques.xml")
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["verdict"] == "accepted"
    rejected = gateway(
        "process", "--format", "json", str(EXAMPLES / "11-rej-service-obligatoire.xml")
    )
    assert rejected.returncode == 1
    assert "CPP-REC-04" in rejected.stdout
    broken = gateway("process", "--format", "json", str(EXAMPLES / "28-irr-xml-mal-forme.xml"))
    assert json.loads(broken.stdout)["verdict"] == "inadmissible"
    changed = gateway("status", "set", "1", "SUSPENDUE", "--motif", "LIVR_INCOMP")
    assert changed.returncode == 0, changed.stderr
    service = work / "outbound" / "99900001000010" / "SERVICES-TECHNIQUES"
    assert len(list(service.glob("FEN0036A_EDIGW1_*.xml"))) == 1
    supplier = work / "outbound" / "fournisseurs" / "99910000600018"
    assert len(list(supplier.glob("FEN1200A_*.xml"))) == 2  # 01-03 at reception, then SUSPENDUE
    assert len(list((work / "var" / "archive").iterdir())) == 2
    assert len(list((work / "var" / "error").iterdir())) == 1
    first = (work / "var" / "log" / "gateway.jsonl").read_text("utf-8").splitlines()[0]
    assert json.loads(first)["event"] == "gateway.config"
    assert json.loads(first)["source"] == config.FROM_PACKAGED_DEMO
    which = subprocess.run(
        [sys.executable, "-c", "import edi_gateway; print(edi_gateway.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert which.stdout.strip() == str(site / "edi_gateway" / "__init__.py")
