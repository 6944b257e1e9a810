"""The trainee kit: `edi-gateway process examples/[0-9]*` gives what examples/expected.toml says."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from edi_gateway.validation.detect import detect
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
EXPECTED = tomllib.loads((EXAMPLES / "expected.toml").read_text(encoding="utf-8"))["example"]
KIT_GLOB = "examples/[0-9]*"  # what the README tells trainees to type


def tmp_config(tmp_path: Path, database: Path | str | None = None) -> Path:
    """A copy of config.toml whose state and outbound folders live under ``tmp_path``, on the
    ledger ``database`` when given (a SQLite path or a ``postgresql://`` URL)."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for key, value in (
        ("state_dir", tmp_path / "var"),
        ("database", database or tmp_path / "var" / "gateway.sqlite3"),
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
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], Path]]:
    """Run the trainee command through a real shell glob on a fresh state: file -> (JSON, outbound).

    The files are processed in the order the shell expands the glob, as a trainee runs them.
    """
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is needed to expand the shell glob of the trainee command")
    tmp = tmp_path_factory.mktemp("examples")
    command = (
        f"exec {sys.executable} -m edi_gateway process --config {tmp_config(tmp)} "
        f"--format json {KIT_GLOB}"
    )
    run = subprocess.run(
        [bash, "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 1, run.stderr  # the kit contains rejections
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["file"] for r in records] == [e["file"] for e in EXPECTED]  # table order
    return {r["file"]: (r, tmp / "outbound") for r in records}


def test_every_example_file_is_listed_in_name_order() -> None:
    """expected.toml lists every example file in name order, each named NN-... after its row;
    the trainee glob takes exactly those files (not the generator nor expected.toml)."""
    on_disk = sorted(p.name for p in EXAMPLES.iterdir())
    kit = sorted(p.name for p in EXAMPLES.glob("[0-9]*"))
    listed = [e["file"] for e in EXPECTED]
    assert kit == listed
    assert set(on_disk) - set(kit) == {"make_examples.py", "expected.toml"}
    assert [name[:3] for name in listed] == [f"{n:02d}-" for n in range(1, len(listed) + 1)]


def test_dependent_examples_come_after_the_one_they_repeat() -> None:
    """The duplicate invoice (same seller/number/year) and the duplicate flux (same bytes) come
    after the accepted example they repeat, so they are processed after it."""
    order = [e["file"] for e in EXPECTED]
    first = EXAMPLES / order[0]
    assert (EXAMPLES / "30-irr-flux-deja-recu.xml").read_bytes() == first.read_bytes()
    assert b"<cbc:ID>EX-2025-001</cbc:ID>" in (EXAMPLES / "25-rej-doublon.xml").read_bytes()
    assert b"<cbc:ID>EX-2025-001</cbc:ID>" in first.read_bytes()
    assert order.index("25-rej-doublon.xml") > 0 and order.index("30-irr-flux-deja-recu.xml") > 0


def test_examples_are_up_to_date() -> None:
    """The committed files are exactly what make_examples.py generates (a PDF by the invoice XML
    it embeds: the PDF wrapper around it varies with the factur-x release that writes it)."""
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
        committed = (EXAMPLES / name).read_bytes()
        if name.endswith(".pdf"):
            assert detect(committed).xml == detect(data).xml is not None, name
        else:
            assert committed == data, name


@pytest.mark.parametrize("example", EXPECTED, ids=[e["file"] for e in EXPECTED])
def test_example_outcome(
    outcomes: dict[str, tuple[dict[str, Any], Path]], example: dict[str, str]
) -> None:
    """Verdict, first error rule, reason code and delivery folder are the announced ones."""
    outcome, outbound = outcomes[example["file"]]
    id_flux = outcome["id_flux"]
    assert outcome["verdict"] == example["verdict"]
    errors = [f["rule"] for f in outcome["findings"] if f["severity"] == "error"]
    if outcome["verdict"] == "accepted":
        assert errors == []
        assert outcome["statuses"] == ["01", "02", "03"]
        folder = outbound / example["recipient"] / example["service"]
        names = sorted(p.name for p in folder.iterdir() if id_flux in p.name)
        assert names == [f"{id_flux}__{example['file']}", f"FEN0036A_EDIGW1_{id_flux}.xml"]
    else:
        assert errors and errors[0] == example["rule"]
        assert outcome["reason"] == example["reason"]
        assert outcome["statuses"] == []
        report = next(Path(p) for p in outcome["outputs"] if Path(p).name.startswith("CSO"))
        root = etree.parse(str(report)).getroot()
        assert root.findtext(".//DonneesStatut/IdStatut") == "93"
        assert root.findtext(".//DonneesStatut/ComplementStatut") == example["reason"]


def test_accepted_examples_have_no_finding_at_all(
    outcomes: dict[str, tuple[dict[str, Any], Path]],
) -> None:
    """The ok-* examples are clean models: no error, no warning, and as information only the
    scenario note saying the CEN pack is not installed (GW-VAL-05; no pack in this test)."""
    accepted = [e["file"] for e in EXPECTED if e["verdict"] == "accepted"]
    assert accepted and all("-ok-" in name for name in accepted)
    found = {
        name: [(f["rule"], f["severity"]) for f in outcomes[name][0]["findings"]]
        for name in accepted
    }
    pdf = {name for name in accepted if name.endswith(".pdf")}  # Factur-X: its profile rules
    assert pdf and found == {
        name: [] if name in pdf else [("GW-VAL-05", "info")] for name in accepted
    }
    notes = {
        f["message"].split(" not installed")[0]
        for n in accepted
        for f in outcomes[n][0]["findings"]
    }
    assert notes == {
        "the CEN EN 16931 UBL rules 1.3.16",
        "the CEN CII D16B XSD and the CEN EN 16931 CII rules 1.3.16",
    }


def test_accepted_flux_reports_name_the_scenario_and_packs(
    outcomes: dict[str, tuple[dict[str, Any], Path]],
) -> None:
    """The integration report (90 Reçu) of an accepted invoice says in its Commentaire which
    scenario and packs checked it (issue 8 / 9: accepted reports name the rule sets)."""
    accepted = [e["file"] for e in EXPECTED if e["verdict"] == "accepted"]
    comments = set()
    for name in accepted:
        outcome, outbound = outcomes[name]
        [report] = outbound.glob(f"fournisseurs/*/CSO*_{outcome['id_flux']}.xml")
        comments.add(etree.parse(str(report)).getroot().findtext(".//DonneesStatut/Commentaire"))
    fx = f"factur-x {version('factur-x')}"
    head = "Flux reçu et intégré : facture mise à disposition du destinataire ; contrôles | checks:"
    assert {c.split(": factur-x")[0] for c in comments} == {
        f"{head} ubl-en16931 (packs {fx})",
        f"{head} cii-facturx (packs {fx})",
    }
