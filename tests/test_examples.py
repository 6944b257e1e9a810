"""The trainee kit: every example gives the outcome examples/expected.toml announces."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from lxml import etree

from edi_gateway import config as config_module
from edi_gateway.engine import Engine, Outcome
from edi_gateway.model import Severity, Verdict
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
EXPECTED = tomllib.loads((EXAMPLES / "expected.toml").read_text(encoding="utf-8"))["example"]


def tmp_config(tmp_path: Path) -> Path:
    """A copy of config.toml whose state and outbound folders live under ``tmp_path``."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for key, value in (
        ("state_dir", tmp_path / "var"),
        ("database", tmp_path / "var" / "gateway.sqlite3"),
        ("log_file", tmp_path / "var" / "log" / "gateway.jsonl"),
        ("outbound", tmp_path / "outbound"),
        ("structures", ROOT / "rules" / "structures.toml"),
    ):
        lines = [
            f'{key} = "{value}"' if line.startswith(f"{key} =") else line
            for line in text.splitlines()
        ]
        text = "\n".join(lines)
    path = tmp_path / "config.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Outcome, Path]]:
    tmp = tmp_path_factory.mktemp("examples")
    engine = Engine(config_module.load(tmp_config(tmp)))
    try:
        return {
            e["file"]: (engine.process_path(EXAMPLES / e["file"], "depot-edi"), tmp / "outbound")
            for e in EXPECTED
        }
    finally:
        engine.close()


def test_every_example_file_is_listed() -> None:
    """expected.toml lists every example file, and every listed file exists."""
    on_disk = {p.name for p in EXAMPLES.iterdir()} - {"make_examples.py", "expected.toml"}
    listed = {e["file"] for e in EXPECTED}
    assert on_disk == listed


def test_examples_are_up_to_date() -> None:
    """The committed files are exactly what make_examples.py generates."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_examples"] = module  # dataclasses need the module registered
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["make_examples"]
    for name, data in module.build().items():
        assert (EXAMPLES / name).read_bytes() == data, name


@pytest.mark.parametrize("example", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_example_outcome(
    outcomes: dict[str, tuple[Outcome, Path]], example: dict[str, str]
) -> None:
    """Verdict, first error rule, reason code and delivery folder are the announced ones."""
    outcome, outbound = outcomes[example["file"]]
    assert str(outcome.verdict) == example["verdict"]
    errors = [f.rule for f in outcome.findings if f.severity is Severity.ERROR]
    if outcome.verdict is Verdict.ACCEPTED:
        assert errors == []
        assert outcome.statuses == ("01", "02", "03")
        folder = outbound / example["recipient"] / example["service"]
        names = sorted(p.name for p in folder.iterdir() if outcome.id_flux in p.name)
        assert names == [
            f"{outcome.id_flux}__{example['file']}",
            f"FEN0036A_EDIGW1_{outcome.id_flux}.xml",
        ]
    else:
        assert errors and errors[0] == example["rule"]
        assert outcome.reason == example["reason"]
        assert outcome.statuses == ()
        report = next(p for p in outcome.outputs if p.name.startswith("CSO"))
        root = etree.parse(str(report)).getroot()
        assert root.findtext(".//DonneesStatut/IdStatut") == "93"
        assert root.findtext(".//DonneesStatut/ComplementStatut") == example["reason"]
