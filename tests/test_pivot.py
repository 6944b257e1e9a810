"""CPPFacturePivot: XSD-valid for UBL, CII and Factur-X, restricted values mapped."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from edi_gateway.core.model import Envelope, Syntax
from edi_gateway.outputs.pivot import PivotBuilder, PivotError, PivotInput, pj_name
from tests.conftest import CORPUS, PIVOT_XSD, need_shared

UBL = CORPUS / "cen-en16931" / "ubl" / "examples" / "ubl-tc434-example1.xml"
UBL_CREDIT = CORPUS / "cen-en16931" / "ubl" / "examples" / "ubl-tc434-creditnote1.xml"
CII = CORPUS / "cen-en16931" / "cii" / "examples" / "CII_example4.xml"
FACTURX = CORPUS / "akretion-factur-x" / "tests" / "fixtures" / "pdf" / "invoice_EN16931.pdf"
SIRET = "99900001000010"


@pytest.fixture(scope="module")
def builder() -> PivotBuilder:
    return PivotBuilder()


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(need_shared(PIVOT_XSD))))


def _build(
    builder: PivotBuilder,
    syntax: Syntax,
    xml: bytes,
    original: bytes | None = None,
    name: str = "facture.xml",
    **extra: object,
) -> bytes:
    data = PivotInput(
        id_flux="EDIGW11100000000000000009",
        syntax=syntax,
        invoice_xml=xml,
        original=xml if original is None else original,
        original_name=name,
        envelope=Envelope(
            seller_id="12345678900017",
            seller_id_scheme="0009",
            seller_name="ACME",
            seller_country="FR",
        ),
        siret=SIRET,
        recipient_name="Mairie fictive",
        received=date(2026, 3, 2),
        produced_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        **extra,  # type: ignore[arg-type]
    )
    return builder.build(data)


def _valid(schema: etree.XMLSchema, data: bytes) -> etree._Element:
    root = etree.fromstring(data)
    assert schema.validate(root), schema.error_log
    return root.find("CPPFactures/CPPFacturePivotUnitaire")


def test_ubl_invoice_pivot(builder: PivotBuilder, schema: etree.XMLSchema) -> None:
    """A UBL invoice maps to Type 380, totals, VAT breakdown, lines, the original as PJ 01."""
    xml = need_shared(UBL).read_bytes()
    unit = _valid(
        schema, _build(builder, Syntax.UBL_INVOICE, xml, invoice_id=42, service_code="SERV")
    )
    assert unit.findtext("Fournisseur/TypeIdentifiant") == "1"
    assert unit.findtext("Fournisseur/Identifiant") == "12345678900017"
    assert unit.findtext("Fournisseur/ModeEmission") == "flux"
    assert unit.findtext("Debiteur/Identifiant") == SIRET
    assert unit.findtext("Debiteur/Nom") == "Mairie fictive"
    assert unit.findtext("Debiteur/CodeService") == "SERV"
    data = unit.find("DonneesFacture")
    assert data.findtext("Id") == "12115118"
    assert data.findtext("IdCPRO") == "42"
    assert (data.findtext("Type"), data.findtext("Cadre")) == ("380", "A1")
    assert data.findtext("DateEmissionFacture") == "2015-01-09"
    assert data.findtext("DateReception") == "2026-03-02"
    assert data.findtext("ModePaiement/Code") == "30"
    assert data.findtext("Devise") == "EUR"
    assert data.findtext("Montants/MontantHT") == "229.60"
    assert data.findtext("Montants/MontantNetAPayer") == "250.33"
    assert len(data.findall("TVAs/TVA")) == 2
    assert len(data.findall("Lignes/Ligne")) == 20
    pj = unit.find("PJ")
    assert (pj.findtext("TypePJ"), pj.findtext("MimeTypePJ")) == ("01", "application/xml")
    assert pj.findtext("CategoriePJ") == "Facture_UBL_AFNOR"
    assert base64.b64decode(pj.findtext("Contenu")) == xml


def test_ubl_credit_note_is_381(builder: PivotBuilder, schema: etree.XMLSchema) -> None:
    """A UBL CreditNote becomes Type 381 with its preceding invoice in IdFactureOrigine."""
    xml = need_shared(UBL_CREDIT).read_bytes()
    xml = xml.replace(
        b"\t<cac:AccountingSupplierParty>",
        b"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>F-ORIG-1</cbc:ID>"
        b"</cac:InvoiceDocumentReference></cac:BillingReference><cac:AccountingSupplierParty>",
        1,
    )
    data = _valid(schema, _build(builder, Syntax.UBL_CREDIT_NOTE, xml)).find("DonneesFacture")
    assert data.findtext("Type") == "381"
    assert data.findtext("IdFactureOrigine") == "F-ORIG-1"


def test_cii_pivot(builder: PivotBuilder, schema: etree.XMLSchema) -> None:
    """A CII invoice: format-102 dates become ISO dates, totals come from the header summation."""
    xml = need_shared(CII).read_bytes()
    data = _valid(schema, _build(builder, Syntax.CII, xml)).find("DonneesFacture")
    assert data.findtext("Type") == "380"
    assert len(data.findtext("DateEmissionFacture")) == 10
    assert data.findtext("DateEmissionFacture")[4] == "-"
    assert data.find("Montants/MontantTTC") is not None


def test_facturx_pdf_is_attached_as_pdf(builder: PivotBuilder, schema: etree.XMLSchema) -> None:
    """For Factur-X the embedded CII is mapped and the PDF itself is the main attachment."""
    from facturx import get_xml_from_pdf

    pdf = need_shared(FACTURX).read_bytes()
    _name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    unit = _valid(
        schema, _build(builder, Syntax.CII, xml, original=pdf, name="invoice_EN16931.pdf")
    )
    pj = unit.find("PJ")
    assert (pj.findtext("MimeTypePJ"), pj.findtext("NomPJ")) == (
        "application/pdf",
        "invoice_EN16931.pdf",
    )
    assert pj.findtext("CategoriePJ") == "FACTURE_FACTUR-X_AFNOR"
    assert base64.b64decode(pj.findtext("Contenu"))[:5] == b"%PDF-"


@pytest.mark.parametrize(
    ("type_code", "profile", "means", "expected"),
    [
        ("380", "A9", "58", ("380", "A9", "30")),
        ("384", "S5", "59", ("380", "A9", "49")),
        ("381", "B2", "10", ("381", "A2", "10")),
        ("389", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", "ZZZ", ("380", "A1", "30")),
        ("380", "A11", "97", ("380", "A1", "97")),
        ("380", "S6", "54", ("380", "A12", "48")),
    ],
)
def test_restricted_values_are_mapped(
    builder: PivotBuilder,
    schema: etree.XMLSchema,
    type_code: str,
    profile: str,
    means: str,
    expected: tuple[str, str, str],
) -> None:
    """BT-3, BT-23 and BT-81 values outside the pivot lists are mapped to allowed codes."""
    xml = need_shared(UBL).read_bytes()
    xml = xml.replace(b"<cbc:InvoiceTypeCode>380<", f"<cbc:InvoiceTypeCode>{type_code}<".encode())
    xml = xml.replace(b"<cbc:PaymentMeansCode>30<", f"<cbc:PaymentMeansCode>{means}<".encode())
    xml = xml.replace(
        b"<cbc:ID>12115118</cbc:ID>",
        f"<cbc:ProfileID>{profile}</cbc:ProfileID><cbc:ID>12115118</cbc:ID>".encode(),
        1,
    )
    data = _valid(schema, _build(builder, Syntax.UBL_INVOICE, xml)).find("DonneesFacture")
    got = (data.findtext("Type"), data.findtext("Cadre"), data.findtext("ModePaiement/Code"))
    assert got == expected


def test_long_values_are_cut_to_the_xsd_limits(
    builder: PivotBuilder, schema: etree.XMLSchema
) -> None:
    """Invoice number (20), PJ name (50, extension kept) and service code (100) fit the XSD."""
    xml = need_shared(UBL).read_bytes().replace(b"12115118", b"N" * 30)
    unit = _valid(
        schema,
        _build(builder, Syntax.UBL_INVOICE, xml, name="x" * 80 + ".xml", service_code="S" * 150),
    )
    assert unit.findtext("DonneesFacture/Id") == "N" * 20
    assert unit.findtext("PJ/NomPJ") == "x" * 46 + ".xml"
    assert unit.findtext("PJ/NomPJOrigine") == ("x" * 80 + ".xml")[:50]
    assert len(unit.findtext("Debiteur/CodeService")) == 100


def test_pj_name_keeps_short_names() -> None:
    """A short file name is used as is; a path is reduced to its name."""
    assert pj_name("a/b/facture.pdf") == "facture.pdf"


def test_unmapped_syntax_raises(builder: PivotBuilder) -> None:
    """Asking a pivot for a document that is no invoice we take is a PivotError."""
    with pytest.raises(PivotError):
        _build(builder, Syntax.OTHER, b"<x/>")


def test_missing_stylesheet_raises(tmp_path: Path) -> None:
    """A missing stylesheet folder fails at construction, naming the file."""
    with pytest.raises(PivotError, match=r"pivot-cii\.xsl"):
        PivotBuilder(tmp_path)


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_UBL = EXAMPLES / "02-ok-ubl-mairie-services-techniques.xml"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a\x1b[31mb\x01.xml", "a\\x1b[31mb\\x01.xml"),
        ("caf\udce9.xml", "caf\\xe9.xml"),  # a Latin-1 byte, as os.fsdecode gives it
        ("x\ufffe\x7f.xml", "x\\ufffe\x7f.xml"),  # U+FFFE is forbidden, DEL is not
    ],
)
def test_file_name_with_characters_xml_forbids(
    builder: PivotBuilder, name: str, expected: str
) -> None:
    """A file name holding ESC, U+0001, an undecodable byte or U+FFFE gives a pivot whose NomPJ
    writes them as \\xNN / \\uNNNN (XML 1.0 Char), instead of lxml's ValueError."""
    xml = EXAMPLE_UBL.read_bytes()
    unit = etree.fromstring(_build(builder, Syntax.UBL_INVOICE, xml, name=name))
    assert unit.findtext("CPPFactures/CPPFacturePivotUnitaire/PJ/NomPJ") == expected
    assert pj_name(name) == expected


def test_pivot_with_escaped_name_is_xsd_valid(
    builder: PivotBuilder, schema: etree.XMLSchema
) -> None:
    """The escaped file name still fits NomPJ (50 characters, extension kept)."""
    xml = EXAMPLE_UBL.read_bytes()
    unit = _valid(schema, _build(builder, Syntax.UBL_INVOICE, xml, name="\x1b" * 40 + ".xml"))
    assert unit.findtext("PJ/NomPJ") == ("\\x1b" * 40)[:46] + ".xml"
