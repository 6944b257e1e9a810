"""Envelope extraction (xslt/envelope.xsl): every EN 16931 term on UBL, CII and Factur-X."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from edi_gateway.core import xmlsafe
from edi_gateway.core.model import Envelope, Syntax
from edi_gateway.reception import envelope
from edi_gateway.validation import detect
from tests.conftest import CORPUS, need_shared

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reception"
BASE = {"ubl": FIXTURES / "base-ubl.xml", "cii": FIXTURES / "base-cii.xml"}
SYNTAX = {"ubl": Syntax.UBL_INVOICE, "cii": Syntax.CII}

EXPECTED_BASE = Envelope(
    number="FAC-2026-0001",
    type_code="380",
    issue_date=date(2026, 2, 10),
    currency="EUR",
    billing_framework="A1",
    seller_name="Fournitures Fictives SARL",
    seller_id="99910000000010",
    seller_id_scheme="0009",
    seller_siren="999100000",
    seller_country="FR",
    buyer_name="Mairie fictive d'Exempleville",
    buyer_siret="99900001000010",
    service_code="SERVICES-TECHNIQUES",
    engagement="EJ-2026-000123",
    contract="MARCHE-2025-07",
    preceding_invoice="FAC-2025-0099",
    total_without_vat=Decimal("1000.00"),
    total_vat=Decimal("200.00"),
    total_with_vat=Decimal("1200.00"),
    amount_due=Decimal("1200.00"),
    payment_means="30",
)


def edited(kind: str, old: str, new: str) -> bytes:
    data = BASE[kind].read_bytes()
    assert old.encode() in data, old
    return data.replace(old.encode(), new.encode())


@pytest.mark.parametrize("kind", ["ubl", "cii"])
def test_base_fixture_gives_every_term(kind: str) -> None:
    """The UBL and CII twins give the same envelope, every term with its exact value."""
    assert envelope.extract(BASE[kind].read_bytes(), SYNTAX[kind]) == EXPECTED_BASE


def test_terms_carry_the_bt_id() -> None:
    """The stylesheet output names each term by its BT id (one place for the XPaths)."""
    terms = envelope.terms(xmlsafe.parse(BASE["cii"].read_bytes()))
    by_bt = {bt: (field, scheme, value) for bt, field, scheme, value in terms}
    assert by_bt["BT-1"] == ("number", None, "FAC-2026-0001")
    assert by_bt["BT-46"] == ("buyer_siret", "0009", "99900001000010")
    assert by_bt["BT-10"] == ("service_code", None, "SERVICES-TECHNIQUES")
    assert by_bt["BT-30"] == ("seller_siren", "0002", "999100000")


def test_tree_input_is_accepted() -> None:
    """extract takes an already parsed tree as well as bytes."""
    tree = xmlsafe.parse(BASE["ubl"].read_bytes())
    assert envelope.extract(tree, Syntax.UBL_INVOICE) == EXPECTED_BASE


def test_ubl_reform_invoice_from_corpus() -> None:
    """Reform UBL (akretion EXTENDED-CTC-FR): cadre S1, SIREN scheme 0002, buyer BT-46 0009."""
    path = need_shared(CORPUS / "akretion-factur-x/tests/fixtures/xml/ubl-21-extended-ctc-fr.xml")
    env = envelope.extract(path.read_bytes(), Syntax.UBL_INVOICE)
    assert env.number == "F124212"
    assert env.billing_framework == "S1"
    assert env.seller_siren == "999999998"
    assert (env.seller_id, env.seller_id_scheme) == ("99999999800019", "0009")
    assert env.buyer_siret == "78787878400018"
    assert (env.engagement, env.contract) == ("PO1242", "Contrat_du_siècle")
    assert (env.total_vat, env.amount_due) == (Decimal("35.03"), Decimal("208.03"))


def test_ubl_credit_note_from_corpus() -> None:
    """UBL CreditNote (CEN max content): BT-3 from CreditNoteTypeCode, foreign BT-23 -> A1."""
    path = need_shared(CORPUS / "cen-en16931/test/testfiles/CreditNote-Max_content.xml")
    env = envelope.extract(path.read_bytes(), Syntax.UBL_CREDIT_NOTE)
    assert (env.number, env.type_code, env.currency) == ("2018210", "381", "SEK")
    assert env.issue_date == date(2018, 2, 8)
    assert env.billing_framework == "A1"
    assert env.preceding_invoice == "Preceding invoice no.1"
    assert env.seller_siren is None and env.seller_key == "7350000001204"
    assert env.total_with_vat == Decimal("12500")


def test_facturx_pdf_from_corpus() -> None:
    """The CII inside a Factur-X PDF (akretion EN16931) gives its envelope."""
    path = need_shared(CORPUS / "akretion-factur-x/tests/fixtures/pdf/invoice_EN16931.pdf")
    found = detect.detect(path.read_bytes())
    assert found.xml is not None
    env = envelope.extract(found.xml, found.syntax)
    assert (env.number, env.issue_date) == ("F20260023", date(2026, 1, 31))
    assert (env.service_code, env.engagement) == ("SERVEXEC", "PO201925478")
    assert env.buyer_siret == "987654321"  # BT-47 (a SIREN here: the CPP rules will refuse it)
    assert env.total_without_vat == Decimal("100.00")


def test_siret_given_as_bt30_gives_its_siren() -> None:
    """A 14-digit SIRET in BT-30 (FNFE examples) gives the 9-digit SIREN for the duplicate key."""
    data = edited(
        "cii", '<ram:ID schemeID="0002">999100000</ram:ID>', "<ram:ID>99910000000010</ram:ID>"
    )
    assert envelope.extract(data, Syntax.CII).seller_siren == "999100000"


def test_siren_from_bt29_siret_when_bt30_absent() -> None:
    """Without BT-30, a BT-29 SIRET (scheme 0009) gives the SIREN."""
    data = edited("ubl", '<cbc:CompanyID schemeID="0002">999100000</cbc:CompanyID>', "")
    env = envelope.extract(data, Syntax.UBL_INVOICE)
    assert env.seller_siren == "999100000" and env.seller_key == "999100000"


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        (
            "ubl",
            '<cbc:ID schemeID="0009">99900001000010</cbc:ID>\n      </cac:PartyIdentification>',
            '<cbc:ID schemeID="0009">99900001000010</cbc:ID>\n      </cac:PartyIdentification>'
            '<cac:PartyIdentification><cbc:ID schemeID="0224">VOIRIE</cbc:ID>'
            "</cac:PartyIdentification>",
        ),
        (
            "cii",
            '<ram:GlobalID schemeID="0009">99900001000010</ram:GlobalID>',
            '<ram:GlobalID schemeID="0009">99900001000010</ram:GlobalID>'
            '<ram:GlobalID schemeID="0224">VOIRIE</ram:GlobalID>',
        ),
    ],
)
def test_routing_code_0224_wins_over_bt10(kind: str, old: str, new: str) -> None:
    """A BT-46 with scheme 0224 (reform routing code) is the service code, before BT-10."""
    env = envelope.extract(edited(kind, old, new), SYNTAX[kind])
    assert env.service_code == "VOIRIE"
    assert env.buyer_siret == "99900001000010"


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        (
            "ubl",
            '<cbc:ID schemeID="0009">99900001000010</cbc:ID>',
            '<cbc:ID schemeID="0088">123</cbc:ID>',
        ),
        ("cii", '<ram:GlobalID schemeID="0009">99900001000010</ram:GlobalID>', ""),
    ],
)
def test_bt47_is_the_siret_without_bt46_0009(kind: str, old: str, new: str) -> None:
    """Without a BT-46 of scheme 0009, the buyer legal registration id (BT-47) is the SIRET."""
    data = edited(kind, old, new)
    legal = {
        "ubl": ("<cbc:RegistrationName>Mairie fictive d'Exempleville</cbc:RegistrationName>",
                "<cbc:RegistrationName>Mairie fictive d'Exempleville</cbc:RegistrationName>"
                "<cbc:CompanyID>99900003000018</cbc:CompanyID>"),
        "cii": ("<ram:Name>Mairie fictive d'Exempleville</ram:Name>",
                "<ram:Name>Mairie fictive d'Exempleville</ram:Name><ram:SpecifiedLegalOrganization>"
                "<ram:ID>99900003000018</ram:ID></ram:SpecifiedLegalOrganization>"),
    }[kind]  # fmt: skip
    env = envelope.extract(data.replace(legal[0].encode(), legal[1].encode()), SYNTAX[kind])
    assert env.buyer_siret == "99900003000018"
    assert envelope.extract(data, SYNTAX[kind]).buyer_siret is None


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("ubl", ">1000.00</cbc:TaxExclusiveAmount>", ">1 000,00</cbc:TaxExclusiveAmount>"),
        ("cii", "<ram:TaxBasisTotalAmount>1000.00<", "<ram:TaxBasisTotalAmount>1e3<"),
    ],
)
def test_bad_amount_becomes_none(kind: str, old: str, new: str) -> None:
    """An amount that is not an XSD decimal becomes None; the other terms are still read."""
    env = envelope.extract(edited(kind, old, new), SYNTAX[kind])
    assert env.total_without_vat is None
    assert env.total_with_vat == Decimal("1200.00")


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("ubl", "<cbc:IssueDate>2026-02-10<", "<cbc:IssueDate>2026-02-30<"),
        ("ubl", "<cbc:IssueDate>2026-02-10<", "<cbc:IssueDate>10/02/2026<"),
        ("cii", ">20260210</udt:DateTimeString>", ">20261310</udt:DateTimeString>"),
    ],
)
def test_bad_date_becomes_none(kind: str, old: str, new: str) -> None:
    """An impossible or misformatted issue date becomes None."""
    env = envelope.extract(edited(kind, old, new), SYNTAX[kind])
    assert env.issue_date is None
    assert env.number == "FAC-2026-0001"


def test_date_with_zone_is_read() -> None:
    """A UBL date with a time-zone suffix (xs:date allows it) is read."""
    assert envelope.issue_date("2026-02-10+01:00") == date(2026, 2, 10)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "A1"),
        ("", "A1"),
        ("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", "A1"),
        ("A9", "A9"),
        ("A1_FACTURE_FOURNISSEUR", "A1"),
        ("b2", "B2"),
        ("M9", "M9"),
        ("A26", "A1"),
        ("B3", "A1"),
    ],
)
def test_billing_framework_normalised(value: str | None, expected: str) -> None:
    """BT-23: historic cadres and reform codes are kept, anything else is the A1 default."""
    assert envelope.billing_framework(value) == expected


def test_absent_bt23_is_a1() -> None:
    """An invoice without BT-23 gets billing framework A1."""
    data = edited("ubl", "<cbc:ProfileID>A1</cbc:ProfileID>", "")
    assert envelope.extract(data, Syntax.UBL_INVOICE).billing_framework == "A1"


def test_bad_input_gives_empty_envelope() -> None:
    """Unparseable bytes, a DOCTYPE, or Syntax.OTHER give an empty envelope, never an error."""
    assert envelope.extract(b"<Invoice", Syntax.UBL_INVOICE) == Envelope()
    doctype = b'<!DOCTYPE x [<!ENTITY a "b">]><x/>'
    assert envelope.extract(doctype, Syntax.UBL_INVOICE) == Envelope()
    assert envelope.extract(BASE["ubl"].read_bytes(), Syntax.OTHER) == Envelope()
    other = etree.ElementTree(etree.fromstring(b"<Order/>"))
    assert envelope.extract(other, Syntax.UBL_INVOICE) == Envelope()


def _valid_corpus_invoices() -> list[tuple[str, str]]:
    manifest = CORPUS / "manifest.csv"
    if not manifest.exists():
        return []
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    kinds = {"ubl-invoice", "ubl-creditnote", "cii"}
    return [
        (r["file"], r["syntax"]) for r in rows if r["syntax"] in kinds and r["expected"] == "valid"
    ]


@pytest.mark.corpus
def test_every_valid_corpus_invoice_has_its_mandatory_terms() -> None:
    """Every valid UBL/CII corpus invoice gives BT-1, BT-2, BT-3, BT-5 and BT-115 (mandatory)."""
    files = _valid_corpus_invoices()
    if not files:
        pytest.skip(f"needs {CORPUS / 'manifest.csv'}")
    syntaxes = {"ubl-invoice": Syntax.UBL_INVOICE, "ubl-creditnote": Syntax.UBL_CREDIT_NOTE}
    missing = []
    for name, label in files:
        env = envelope.extract((CORPUS / name).read_bytes(), syntaxes.get(label, Syntax.CII))
        if None in (env.number, env.issue_date, env.type_code, env.currency, env.amount_due):
            missing.append(name)
    assert len(files) > 50
    assert missing == []
