"""Every corpus file through the whole engine: no crash, a verdict, a flux report, never routed.

The corpus invoices are addressed to real or foreign structures that are not in the demo
directory, so a file that passes validation ends as a routing rejection (a CPP-* rule), never
as an accepted invoice and never as a traceback.
"""

from __future__ import annotations

import csv

import pytest
from lxml import etree

from edi_gateway.core import config as config_module
from edi_gateway.core.model import Verdict
from edi_gateway.pipeline.engine import Engine, Outcome
from tests.conftest import CORPUS, STATUT_XSD
from tests.test_examples import tmp_config

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def _rows() -> list[dict[str, str]]:
    manifest = CORPUS / "manifest.csv"
    if not manifest.exists():
        return []
    with manifest.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ROWS = _rows()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    if not ROWS:
        pytest.skip(f"needs {CORPUS} (the shared corpus beside the repository)")
    tmp = tmp_path_factory.mktemp("corpus")
    engine = Engine(config_module.load(tmp_config(tmp)))
    try:
        return {row["file"]: engine.process_path(CORPUS / row["file"], "depot-edi") for row in ROWS}
    finally:
        engine.close()


def test_every_file_gets_a_verdict_and_a_flux_report(results: dict[str, Outcome]) -> None:
    """No file crashes the engine; each has a CSO flux report and its original kept."""
    for name, outcome in results.items():
        reports = [p for p in outcome.outputs if p.name.startswith("CSO")]
        assert len(reports) == 1, name
        kept = outcome.outputs[-1]
        assert kept.exists() and kept.read_bytes() == (CORPUS / name).read_bytes(), name


def test_nothing_is_routed_to_an_unknown_structure(results: dict[str, Outcome]) -> None:
    """A corpus invoice is never accepted: the recipients are not in the demo directory."""
    accepted = [name for name, o in results.items() if o.verdict is Verdict.ACCEPTED]
    assert accepted == []


def test_valid_invoices_end_as_routing_rejections(results: dict[str, Outcome]) -> None:
    """Files the manifest calls valid and that pass validation are rejected by a CPP rule."""
    checked = 0
    for row in ROWS:
        outcome = results[row["file"]]
        if row["expected"] != "valid" or outcome.verdict is Verdict.INADMISSIBLE:
            continue
        validation_errors = [f for f in outcome.findings if f.layer in ("xsd", "schematron")]
        if any(f.severity == "error" for f in validation_errors):
            continue
        assert outcome.verdict is Verdict.REJECTED, row["file"]
        assert outcome.first_rules[0].startswith("CPP-"), (row["file"], outcome.first_rules)
        checked += 1
    assert checked >= 20


def test_a_sample_of_reports_is_schema_valid(results: dict[str, Outcome]) -> None:
    """Every 10th flux report (any verdict) is valid against CPPStatutPivot_V1_19.xsd."""
    if not STATUT_XSD.exists():
        pytest.skip(f"needs {STATUT_XSD}")
    schema = etree.XMLSchema(etree.parse(str(STATUT_XSD)))
    for outcome in list(results.values())[::10]:
        report = next(p for p in outcome.outputs if p.name.startswith("CSO"))
        assert schema.validate(etree.parse(str(report))), (report, schema.error_log)
