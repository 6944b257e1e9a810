"""Detection over the whole shared corpus, compared with manifest.csv (syntax and profile).

The comparison is exact: the set of rows where detection and manifest differ must equal the
explicit dicts below, so a fix and a regression both make the test fail.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from edi_gateway.core.model import Container, Detection, Severity, Syntax
from edi_gateway.validation.detect import detect
from tests.conftest import CORPUS, need_shared

pytestmark = pytest.mark.corpus

#: Manifest rows whose ``syntax`` we do not reproduce, and why.
KNOWN_SYNTAX_DISAGREEMENTS: dict[str, str] = {
    "mustangproject/Mustang-CLI/corrupt-factur-x-waytoosmall.pdf": (
        "15-byte truncated PDF: no XML can be read, detection says other (unreadable PDF, "
        "GW-PDF-01); the manifest labels it by intent (facturx-pdf)"
    ),
    "mustangproject/validator/invalidXMP-ParseError.pdf": (
        "embeds ZUGFeRD-invoice.xml (ZUGFeRD 1.0) and factur-x.xml (CII), both /Alternative in "
        "the catalog /AF: ambiguous, other (GW-PDF-09); the manifest labels the first one"
    ),
    "zugferd-corpus/ZUGFeRDv2/fail/MustangRE-20171118_506_ZUGFeRD1and2.pdf": (
        "same two attachments as invalidXMP-ParseError.pdf, both /Alternative: ambiguous"
    ),
    "mustangproject/validator/corruptedV2PDF.pdf": (
        "name tree broken; its catalog /AF lists factur-x.xml (CII) and ZUGFeRD-invoice.xml "
        "(ZUGFeRD 1.0), both /Alternative: ambiguous, other (GW-PDF-05, GW-PDF-09); the "
        "manifest labels it facturx-pdf (no verdict: expected unknown)"
    ),
}

#: Manifest ``profile`` label -> normalised profile detect() must give.
PROFILE_OF_LABEL: dict[str, str | None] = {
    "EN16931": "en16931",
    "Factur-X/ZUGFeRD 2.x MINIMUM": "minimum",
    "Factur-X/ZUGFeRD 2.x BASIC WL": "basicwl",
    "Factur-X/ZUGFeRD 2.x BASIC": "basic",
    "Factur-X/ZUGFeRD 2.x EXTENDED": "extended",
    "ZUGFeRD 2.0 MINIMUM": "minimum",
    "ZUGFeRD 2.0 BASIC": "basic",
    "ZUGFeRD 2.0 EXTENDED": "extended",
    "EXTENDED-CTC-FR (France)": "extended-ctc-fr",
    "CII D16B carrying a ZUGFeRD-1.0 guideline ID (comfort)": "zugferd-1.0-on-cii",
    "plain UBL 2.1 (no CustomizationID)": None,
    # ZUGFeRD 1.0 is refused (syntax other), so no profile is given
    "ZUGFeRD 1.0 BASIC": None,
    "ZUGFeRD 1.0 COMFORT": None,
    "ZUGFeRD 1.0 KOMFORT": None,
    "ZUGFeRD 1.0 EXTENDED": None,
}

#: Manifest rows whose profile we do not reproduce, and why.
KNOWN_PROFILE_DISAGREEMENTS: dict[str, str] = {}

ZUGFERD_NAMES = {"zugferd-invoice.xml", "xrechnung.xml"}  # ZUGFeRD-invoice.xml once lowered


def corpus_label(d: Detection) -> str:
    """The manifest's syntax vocabulary: ``zugferd-pdf`` is a PDF whose invoice attachment is
    zugferd-invoice.xml, ZUGFeRD-invoice.xml or xrechnung.xml (corpus README), else the label."""
    if d.container is Container.PDF and (d.attachment or "").lower() in ZUGFERD_NAMES:
        return "zugferd-pdf"
    return d.label


def expected_profile(label: str) -> tuple[bool, str | None]:
    """``(known, profile)`` for a manifest profile label (XRechnung*/Peppol* by prefix)."""
    if label.startswith("XRechnung"):
        return True, "xrechnung"
    if label.startswith("Peppol"):
        return True, "peppol"
    if label in PROFILE_OF_LABEL:
        return True, PROFILE_OF_LABEL[label]
    return False, None


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    """The manifest rows (skips when ../shared/corpus is absent)."""
    manifest = need_shared(CORPUS / "manifest.csv")
    with manifest.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def detections(rows) -> dict[str, Detection]:
    """detect() on every corpus file, by manifest path (an exception fails the whole module)."""
    return {row["file"]: detect((CORPUS / row["file"]).read_bytes()) for row in rows}


def test_manifest_covers_every_corpus_file(rows):
    """Every data file of the corpus folder has a manifest row, and every row a file."""
    root = need_shared(CORPUS)
    skip = {"manifest.csv", "README.md"}
    files = {
        p.relative_to(root).as_posix()
        for p in Path(root).rglob("*")
        if p.is_file() and p.name not in skip and p.relative_to(root).parts[0] != "LICENSES"
    }
    assert files == {row["file"] for row in rows}


def test_every_file_keeps_the_detection_contract(detections):
    """No exception on any file; OTHER always carries an error, a taken invoice its XML + flux."""
    for name, d in detections.items():
        errors = [f for f in d.findings if f.severity is Severity.ERROR]
        assert all(f.rule.startswith("GW-") for f in d.findings), name
        if d.syntax is Syntax.OTHER:
            assert errors and d.flux_syntax is None and d.profile is None, name
        else:
            assert d.xml and d.flux_syntax, name


def test_syntax_agrees_with_manifest(rows, detections):
    """Detected syntax label equals the manifest's on every row but the documented ones."""
    disagreements = {
        row["file"]: (row["syntax"], corpus_label(detections[row["file"]]))
        for row in rows
        if corpus_label(detections[row["file"]]) != row["syntax"]
    }
    assert set(disagreements) == set(KNOWN_SYNTAX_DISAGREEMENTS), disagreements


def test_profile_agrees_with_manifest(rows, detections):
    """BT-24 profile equals the manifest's (Factur-X levels, XRechnung, Peppol ...) bar notes."""
    checked = 0
    disagreements = {}
    for row in rows:
        known, profile = expected_profile(row["profile"])
        if not known:
            continue
        checked += 1
        if detections[row["file"]].profile != profile:
            disagreements[row["file"]] = (row["profile"], detections[row["file"]].profile)
    assert checked > 250
    assert set(disagreements) == set(KNOWN_PROFILE_DISAGREEMENTS), disagreements


def test_other_rows_are_named(rows, detections):
    """Rows the manifest calls other are named: Order-X, CDAR, FatturaPA, VEFA, ZUGFeRD 1.0 ..."""
    kinds = {
        detections[row["file"]].kind
        for row in rows
        if row["syntax"] == "other" and row["file"] not in KNOWN_SYNTAX_DISAGREEMENTS
    }
    assert kinds == {
        "Order-X order",
        "PDF with embedded Order-X order",
        "CDAR lifecycle message",
        "FatturaPA invoice",
        "VEFA testSet wrapper (CEN unit-test file)",
        "ZUGFeRD 1.0 invoice",
        "EDIFACT-XML message M_INVOIC",
        "PDF without invoice XML",
        "unknown XML document (root element "
        "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}myinvoice)",
    }
