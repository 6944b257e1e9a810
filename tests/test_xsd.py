"""xsd.py: lxml XMLSchema loaded once per process, libxml2 errors as findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.core import xmlsafe
from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Layer, Severity, Syntax
from edi_gateway.validation import artefacts, xsd

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
UBL = artefacts.plan_for(Syntax.UBL_INVOICE, "en16931").xsd


def _tree(name: str):
    return xmlsafe.parse((FIXTURES / name).read_bytes())


def test_schema_loaded_once() -> None:
    """The same schema object is returned on the second load in one process."""
    assert UBL is not None
    assert xsd.load(UBL.path) is xsd.load(UBL.path)


def test_valid_ubl_has_no_finding() -> None:
    """A schema-valid UBL invoice gives no XSD finding."""
    assert UBL is not None
    assert xsd.validate(_tree("ubl-valid.xml"), xsd.load(UBL.path), source="s") == ()


def test_element_order_error() -> None:
    """DueDate before IssueDate is SCHEMAV_ELEMENT_CONTENT at line 7 with the element path."""
    assert UBL is not None
    (finding,) = xsd.validate(_tree("ubl-xsd-invalid.xml"), xsd.load(UBL.path), source="s")
    assert finding.layer is Layer.XSD
    assert finding.rule == "SCHEMAV_ELEMENT_CONTENT"
    assert finding.severity is Severity.ERROR
    assert finding.line == 7
    assert finding.location == "/*/cbc:DueDate"
    assert finding.message.startswith("Element 'cbc:DueDate': This element is not expected.")


def test_cii_minimum_against_profile_xsd() -> None:
    """The MINIMUM CII fixture is valid against the Factur-X MINIMUM XSD, not the EN16931 one."""
    minimum = artefacts.plan_for(Syntax.CII, "minimum").xsd
    en16931 = artefacts.plan_for(Syntax.CII, "en16931").xsd
    assert minimum is not None and en16931 is not None
    tree = _tree("cii-minimum.xml")
    assert xsd.validate(tree, xsd.load(minimum.path), source="s") == ()
    assert xsd.validate(tree, xsd.load(en16931.path), source="s") != ()


def test_many_errors_are_capped(tmp_path: Path) -> None:
    """More than MAX_FINDINGS schema errors end with one GW-XSD-01 counting the rest."""
    schema = tmp_path / "ints.xsd"
    schema.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r">'
        '<xs:complexType><xs:sequence><xs:element name="i" type="xs:int" maxOccurs="unbounded"/>'
        "</xs:sequence></xs:complexType></xs:element></xs:schema>"
    )
    doc = "<r>" + "<i>x</i>\n" * (xsd.MAX_FINDINGS + 20) + "</r>"
    findings = xsd.validate(xmlsafe.parse(doc.encode()), xsd.load(schema), source="s")
    assert len(findings) == xsd.MAX_FINDINGS + 1
    assert findings[0].rule == "SCHEMAV_CVC_DATATYPE_VALID_1_2_1"
    assert findings[-1].rule == "GW-XSD-01"
    assert findings[-1].message == "20 more schema errors not listed"


def test_missing_schema_is_artefact_error(tmp_path: Path) -> None:
    """A schema file that does not exist raises ArtefactError."""
    with pytest.raises(ArtefactError, match="not found"):
        xsd.load(tmp_path / "none.xsd")


def test_broken_schema_is_artefact_error(tmp_path: Path) -> None:
    """A schema libxml2 cannot compile raises ArtefactError naming it."""
    bad = tmp_path / "bad.xsd"
    bad.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:nope/></xs:schema>')
    with pytest.raises(ArtefactError, match=r"bad\.xsd"):
        xsd.load(bad)
