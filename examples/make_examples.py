"""Generate the trainee kit: small invoices written for this project, one per route and reason.

Run from the repository root (the output is committed; re-running rewrites the same bytes)::

    python examples/make_examples.py

Every invoice is addressed to a demo structure of ``rules/structures.toml`` (fictitious SIRETs in
the 999... range). The seller is a fictitious company. ``examples/expected.toml`` says what each
file shows and the outcome ``edi-gateway process`` must give; ``tests/test_examples.py`` checks
it. The Factur-X PDF is built with the factur-x library from the CII of the same case.

Every file name starts with a two-digit order number, the row of ``examples/expected.toml``: name
order is processing order, so ``edi-gateway process examples/[0-9]*`` (shell glob, sorted) runs
the kit in table order and leaves out this script and ``expected.toml``. The examples that
depend on an earlier one (``25-rej-doublon.xml``, same invoice as ``01-...``;
``30-irr-flux-deja-recu.xml``, same bytes as ``01-...``) come after it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNCEFACT = "urn:un:unece:uncefact:data:standard"

SELLER_SIREN = "999100006"  # fictitious, Luhn-valid
SELLER_SIRET = "99910000600018"
SELLER_VAT = "FR" + f"{(12 + 3 * (int(SELLER_SIREN) % 97)) % 97:02d}" + SELLER_SIREN
SELLER_IBAN = "FR7630006000011234567890189"

MAIRIE = "99900001000010"  # no requirement
LYCEE = "99900002000019"  # service code required
HOPITAL = "99900003000018"  # EJ required
COMMUNAUTE = "99900004000017"  # EJ or service; service VOIRIE needs an EJ
INACTIVE = "99900005000016"  # inactive structure
MOA = "99900006000015"  # public-works invoices only
UNIVERSITE = "99900007000014"  # service and EJ required
UNKNOWN = "99999999999999"  # in no directory


@dataclass(frozen=True)
class Case:
    """One example invoice: who it is addressed to and what it carries."""

    number: str
    siret: str | None = MAIRIE
    service: str | None = None
    ej: str | None = None
    type_code: str = "380"
    issue_date: str = "2025-06-16"
    quantity: str = "10"
    price: str = "12.50"
    grand_total: str | None = None  # set to break BR-CO-15
    preceding: str | None = None
    delivery_date: str = "2025-06-13"  # BT-72 actual delivery date (CII only)


def amounts(case: Case) -> dict[str, str]:
    """Line, VAT (20 %) and totals of a one-line invoice, as 2-decimal strings."""
    net = round(float(case.quantity) * float(case.price), 2)
    vat = round(net * 0.20, 2)
    total = case.grand_total or f"{net + vat:.2f}"
    return {"net": f"{net:.2f}", "vat": f"{vat:.2f}", "total": total, "due": total}


def ubl(case: Case) -> bytes:
    """A UBL 2.1 Invoice (or CreditNote for type 381) following EN 16931."""
    a = amounts(case)
    credit = case.type_code == "381"
    root, line, qty = (
        ("CreditNote", "CreditNoteLine", "CreditedQuantity")
        if credit
        else ("Invoice", "InvoiceLine", "InvoicedQuantity")
    )
    type_element = "" if credit else f"<cbc:InvoiceTypeCode>{case.type_code}</cbc:InvoiceTypeCode>"
    credit_type = (
        f"<cbc:CreditNoteTypeCode>{case.type_code}</cbc:CreditNoteTypeCode>" if credit else ""
    )
    buyer_id = (
        f'<cac:PartyIdentification><cbc:ID schemeID="0009">{case.siret}</cbc:ID>'
        "</cac:PartyIdentification>"
        if case.siret
        else ""
    )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"',
        ' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"',
        ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
        "  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>",
        f"  <cbc:ID>{case.number}</cbc:ID>",
        f"  <cbc:IssueDate>{case.issue_date}</cbc:IssueDate>",
        "  <cbc:DueDate>2025-07-16</cbc:DueDate>" if not credit else "",
        f"  {type_element}{credit_type}",
        "  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
        f"  <cbc:BuyerReference>{case.service}</cbc:BuyerReference>" if case.service else "",
        f"  <cac:OrderReference><cbc:ID>{case.ej}</cbc:ID></cac:OrderReference>" if case.ej else "",
        (
            "  <cac:BillingReference><cac:InvoiceDocumentReference>"
            f"<cbc:ID>{case.preceding}</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>"
            if case.preceding
            else ""
        ),
        "  <cac:AccountingSupplierParty><cac:Party>",
        f'    <cac:PartyIdentification><cbc:ID schemeID="0009">{SELLER_SIRET}</cbc:ID>'
        "</cac:PartyIdentification>",
        "    <cac:PostalAddress><cbc:StreetName>1 rue de l'Exemple</cbc:StreetName>"
        "<cbc:CityName>Lyon</cbc:CityName><cbc:PostalZone>69001</cbc:PostalZone>"
        "<cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>"
        "</cac:PostalAddress>",
        f"    <cac:PartyTaxScheme><cbc:CompanyID>{SELLER_VAT}</cbc:CompanyID>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
        "    <cac:PartyLegalEntity>"
        "<cbc:RegistrationName>Fournitures Démo SARL</cbc:RegistrationName>"
        f'<cbc:CompanyID schemeID="0002">{SELLER_SIREN}</cbc:CompanyID></cac:PartyLegalEntity>',
        "  </cac:Party></cac:AccountingSupplierParty>",
        "  <cac:AccountingCustomerParty><cac:Party>",
        f"    {buyer_id}",
        "    <cac:PostalAddress><cbc:CityName>Exempleville</cbc:CityName>"
        "<cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>"
        "</cac:PostalAddress>",
        "    <cac:PartyLegalEntity><cbc:RegistrationName>Structure publique de démonstration"
        "</cbc:RegistrationName></cac:PartyLegalEntity>",
        "  </cac:Party></cac:AccountingCustomerParty>",
        (
            "  <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"
            f"<cac:PayeeFinancialAccount><cbc:ID>{SELLER_IBAN}</cbc:ID></cac:PayeeFinancialAccount>"
            "</cac:PaymentMeans>"
        ),
        f'  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{a["vat"]}</cbc:TaxAmount>',
        f'    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">{a["net"]}</cbc:TaxableAmount>'
        f'<cbc:TaxAmount currencyID="EUR">{a["vat"]}</cbc:TaxAmount>'
        "<cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>",
        "  </cac:TaxTotal>",
        "  <cac:LegalMonetaryTotal>",
        f'    <cbc:LineExtensionAmount currencyID="EUR">{a["net"]}</cbc:LineExtensionAmount>',
        f'    <cbc:TaxExclusiveAmount currencyID="EUR">{a["net"]}</cbc:TaxExclusiveAmount>',
        f'    <cbc:TaxInclusiveAmount currencyID="EUR">{a["total"]}</cbc:TaxInclusiveAmount>',
        f'    <cbc:PayableAmount currencyID="EUR">{a["due"]}</cbc:PayableAmount>',
        "  </cac:LegalMonetaryTotal>",
        f"  <cac:{line}><cbc:ID>1</cbc:ID>",
        f'    <cbc:{qty} unitCode="C62">{case.quantity}</cbc:{qty}>',
        f'    <cbc:LineExtensionAmount currencyID="EUR">{a["net"]}</cbc:LineExtensionAmount>',
        "    <cac:Item><cbc:Name>Ramette de papier A4</cbc:Name>"
        "<cac:SellersItemIdentification><cbc:ID>PAP-A4</cbc:ID></cac:SellersItemIdentification>"
        "<cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>",
        f'    <cac:Price><cbc:PriceAmount currencyID="EUR">{case.price}</cbc:PriceAmount>'
        "</cac:Price>",
        f"  </cac:{line}>",
        f"</{root}>",
        "",
    ]
    return "\n".join(p for p in parts if p.strip() or p == "").encode("utf-8")


def cii(case: Case, guideline: str = "urn:cen.eu:en16931:2017") -> bytes:
    """A UN/CEFACT CII (D16B shape, Factur-X EN 16931 profile) invoice."""
    a = amounts(case)
    day = case.issue_date.replace("-", "")
    buyer_id = f'<ram:GlobalID schemeID="0009">{case.siret}</ram:GlobalID>' if case.siret else ""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<rsm:CrossIndustryInvoice xmlns:rsm="{UNCEFACT}:CrossIndustryInvoice:100"',
        f' xmlns:ram="{UNCEFACT}:ReusableAggregateBusinessInformationEntity:100"',
        f' xmlns:qdt="{UNCEFACT}:QualifiedDataType:100"',
        f' xmlns:udt="{UNCEFACT}:UnqualifiedDataType:100">',
        "  <rsm:ExchangedDocumentContext>",
        "    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID>"
        "</ram:BusinessProcessSpecifiedDocumentContextParameter>",
        f"    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{guideline}</ram:ID>"
        "</ram:GuidelineSpecifiedDocumentContextParameter>",
        "  </rsm:ExchangedDocumentContext>",
        "  <rsm:ExchangedDocument>",
        f"    <ram:ID>{case.number}</ram:ID>",
        f"    <ram:TypeCode>{case.type_code}</ram:TypeCode>",
        f'    <ram:IssueDateTime><udt:DateTimeString format="102">{day}</udt:DateTimeString>'
        "</ram:IssueDateTime>",
        "  </rsm:ExchangedDocument>",
        "  <rsm:SupplyChainTradeTransaction>",
        "    <ram:IncludedSupplyChainTradeLineItem>",
        "      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID>"
        "</ram:AssociatedDocumentLineDocument>",
        "      <ram:SpecifiedTradeProduct><ram:SellerAssignedID>PAP-A4</ram:SellerAssignedID>"
        "<ram:Name>Ramette de papier A4</ram:Name></ram:SpecifiedTradeProduct>",
        "      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>"
        f"<ram:ChargeAmount>{case.price}</ram:ChargeAmount></ram:NetPriceProductTradePrice>"
        "</ram:SpecifiedLineTradeAgreement>",
        "      <ram:SpecifiedLineTradeDelivery>"
        f'<ram:BilledQuantity unitCode="C62">{case.quantity}</ram:BilledQuantity>'
        "</ram:SpecifiedLineTradeDelivery>",
        "      <ram:SpecifiedLineTradeSettlement>",
        "        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>"
        "<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent>"
        "</ram:ApplicableTradeTax>",
        "        <ram:SpecifiedTradeSettlementLineMonetarySummation>"
        f"<ram:LineTotalAmount>{a['net']}</ram:LineTotalAmount>"
        "</ram:SpecifiedTradeSettlementLineMonetarySummation>",
        "      </ram:SpecifiedLineTradeSettlement>",
        "    </ram:IncludedSupplyChainTradeLineItem>",
        "    <ram:ApplicableHeaderTradeAgreement>",
        f"      <ram:BuyerReference>{case.service}</ram:BuyerReference>" if case.service else "",
        "      <ram:SellerTradeParty>",
        f'        <ram:GlobalID schemeID="0009">{SELLER_SIRET}</ram:GlobalID>',
        "        <ram:Name>Fournitures Démo SARL</ram:Name>",
        f'        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{SELLER_SIREN}</ram:ID>'
        "</ram:SpecifiedLegalOrganization>",
        "        <ram:PostalTradeAddress><ram:PostcodeCode>69001</ram:PostcodeCode>"
        "<ram:LineOne>1 rue de l'Exemple</ram:LineOne><ram:CityName>Lyon</ram:CityName>"
        "<ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>",
        f'        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{SELLER_VAT}</ram:ID>'
        "</ram:SpecifiedTaxRegistration>",
        "      </ram:SellerTradeParty>",
        "      <ram:BuyerTradeParty>",
        f"        {buyer_id}",
        "        <ram:Name>Structure publique de démonstration</ram:Name>",
        "        <ram:PostalTradeAddress><ram:CityName>Exempleville</ram:CityName>"
        "<ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>",
        "      </ram:BuyerTradeParty>",
        (
            "      <ram:BuyerOrderReferencedDocument>"
            f"<ram:IssuerAssignedID>{case.ej}</ram:IssuerAssignedID>"
            "</ram:BuyerOrderReferencedDocument>"
            if case.ej
            else ""
        ),
        "    </ram:ApplicableHeaderTradeAgreement>",
        # BT-72: an empty ApplicableHeaderTradeDelivery raises PEPPOL-EN16931-R008 (no empty
        # elements); the actual delivery date gives it content.
        "    <ram:ApplicableHeaderTradeDelivery>",
        "      <ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime>"
        f'<udt:DateTimeString format="102">{case.delivery_date.replace("-", "")}'
        "</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>",
        "    </ram:ApplicableHeaderTradeDelivery>",
        "    <ram:ApplicableHeaderTradeSettlement>",
        "      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
        "      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>30</ram:TypeCode>"
        f"<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{SELLER_IBAN}</ram:IBANID>"
        "</ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>",
        f"      <ram:ApplicableTradeTax><ram:CalculatedAmount>{a['vat']}</ram:CalculatedAmount>"
        f"<ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{a['net']}</ram:BasisAmount>"
        "<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent>"
        "</ram:ApplicableTradeTax>",
        "      <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>"
        '<udt:DateTimeString format="102">20250716</udt:DateTimeString>'
        "</ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>",
        "      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        f"        <ram:LineTotalAmount>{a['net']}</ram:LineTotalAmount>",
        f"        <ram:TaxBasisTotalAmount>{a['net']}</ram:TaxBasisTotalAmount>",
        f'        <ram:TaxTotalAmount currencyID="EUR">{a["vat"]}</ram:TaxTotalAmount>',
        f"        <ram:GrandTotalAmount>{a['total']}</ram:GrandTotalAmount>",
        f"        <ram:DuePayableAmount>{a['due']}</ram:DuePayableAmount>",
        "      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        "    </ram:ApplicableHeaderTradeSettlement>",
        "  </rsm:SupplyChainTradeTransaction>",
        "</rsm:CrossIndustryInvoice>",
        "",
    ]
    return "\n".join(p for p in parts if p.strip() or p == "").encode("utf-8")


def visible_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` in Helvetica (the human-readable side of a Factur-X)."""
    text = "BT /F1 12 Tf 50 790 Td 16 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
        for line in lines
    )
    stream = text.encode("latin-1") + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def facturx(case: Case) -> bytes:
    """A Factur-X EN 16931 PDF: a visible page plus the CII of ``case`` (factur-x library).

    The library stamps "now" into the PDF and XMP dates; it is given a fixed clock here so that
    re-running the generator rewrites the same bytes.
    """
    import datetime as dt

    import facturx.facturx as fx
    from facturx import generate_from_binary

    class FixedClock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> FixedClock:
            return cls(2025, 6, 16, 12, 0, 0, tzinfo=tz or dt.UTC)

    real_clock, fx.datetime = fx.datetime, FixedClock  # type: ignore[misc]

    a = amounts(case)
    page = visible_pdf(
        [
            "Fournitures Demo SARL - FACTURE " + case.number,
            f"Date : {case.issue_date}   Destinataire SIRET : {case.siret}",
            f"Engagement juridique : {case.ej or '-'}",
            f"10 ramettes de papier A4 x {case.price} EUR HT = {a['net']} EUR HT",
            f"TVA 20 % : {a['vat']} EUR   Total TTC : {a['total']} EUR",
        ]
    )
    try:
        return bytes(
            generate_from_binary(
                page,
                cii(case),
                flavor="factur-x",
                level="en16931",
                check_xsd=True,
                pdf_metadata={"author": "Fournitures Demo SARL", "title": f"Facture {case.number}"},
                lang="fr-FR",
            )
        )
    finally:
        fx.datetime = real_clock  # type: ignore[misc]


BASE = Case(number="EX-2025-001")
CASES: dict[str, tuple[str, Case]] = {
    # accepted: one per route
    "01-ok-ubl-mairie-sans-service.xml": ("ubl", replace(BASE, number="EX-2025-001")),
    "02-ok-ubl-mairie-services-techniques.xml": (
        "ubl",
        replace(BASE, number="EX-2025-002", service="SERVICES-TECHNIQUES"),
    ),
    "03-ok-cii-lycee-intendance.xml": (
        "cii",
        replace(BASE, number="EX-2025-003", siret=LYCEE, service="INTENDANCE"),
    ),
    "04-ok-facturx-hopital-ej.pdf": (
        "facturx",
        replace(BASE, number="EX-2025-004", siret=HOPITAL, ej="EJ-2025-0042"),
    ),
    "05-ok-cii-communaute-voirie-ej.xml": (
        "cii",
        replace(BASE, number="EX-2025-005", siret=COMMUNAUTE, service="VOIRIE", ej="EJ-VOI-7"),
    ),
    "06-ok-ubl-universite-labo-ej.xml": (
        "ubl",
        replace(BASE, number="EX-2025-006", siret=UNIVERSITE, service="LABO-CHIMIE", ej="EJ-LAB-1"),
    ),
    "07-ok-ubl-avoir-mairie.xml": (
        "ubl",
        replace(BASE, number="AV-2025-001", type_code="381", preceding="EX-2025-001"),
    ),
    # rejected by a Chorus Pro reception rule
    "08-rej-siret-absent.xml": ("ubl", replace(BASE, number="EX-2025-101", siret=None)),
    "09-rej-siret-inconnu.xml": ("ubl", replace(BASE, number="EX-2025-102", siret=UNKNOWN)),
    "10-rej-structure-inactive.xml": ("ubl", replace(BASE, number="EX-2025-103", siret=INACTIVE)),
    "11-rej-service-obligatoire.xml": ("cii", replace(BASE, number="EX-2025-104", siret=LYCEE)),
    "12-rej-service-inconnu.xml": (
        "ubl",
        replace(BASE, number="EX-2025-105", siret=LYCEE, service="CANTINE"),
    ),
    "13-rej-service-inactif.xml": (
        "ubl",
        replace(BASE, number="EX-2025-106", siret=LYCEE, service="CDI"),
    ),
    "14-rej-service-ferme.xml": (
        "ubl",
        replace(BASE, number="EX-2025-107", siret=LYCEE, service="ATELIER-2023"),
    ),
    "15-rej-ej-obligatoire.xml": ("cii", replace(BASE, number="EX-2025-108", siret=HOPITAL)),
    "16-rej-ej-obligatoire-service.xml": (
        "ubl",
        replace(BASE, number="EX-2025-109", siret=COMMUNAUTE, service="VOIRIE"),
    ),
    "17-rej-ej-ou-service.xml": ("ubl", replace(BASE, number="EX-2025-110", siret=COMMUNAUTE)),
    "18-rej-moa-uniquement.xml": ("ubl", replace(BASE, number="EX-2025-111", siret=MOA)),
    "19-rej-factures-publiques.xml": (
        "ubl",
        replace(BASE, number="EX-2025-112", service="FACTURES_PUBLIQUES"),
    ),
    "20-rej-numero-trop-long.xml": ("ubl", replace(BASE, number="EX-2025-113-NUMERO-LONG")),
    "21-rej-type-389.xml": ("ubl", replace(BASE, number="EX-2025-114", type_code="389")),
    "22-rej-date-future.xml": ("ubl", replace(BASE, number="EX-2099-115", issue_date="2099-01-15")),
    "23-rej-ej-trop-long.xml": (
        "ubl",
        replace(BASE, number="EX-2025-116", siret=HOPITAL, ej="EJ-" + "0" * 60),
    ),
    # rejected by an EN 16931 business rule (the invoice is readable, its content is wrong)
    "24-rej-total-faux.xml": ("ubl", replace(BASE, number="EX-2025-117", grand_total="999.00")),
    # rejected as a duplicate of 01-ok-ubl-mairie-sans-service.xml (same seller, number, year)
    "25-rej-doublon.xml": ("ubl", replace(BASE, number="EX-2025-001", quantity="2")),
}
RAW: dict[str, bytes] = {
    # inadmissible: the flux as a whole is unusable
    "26-irr-fichier-vide.xml": b"",
    "27-irr-pas-du-xml.txt": "Facture EX-2025-201 : 150,00 EUR à payer.\n".encode(),
    "28-irr-xml-mal-forme.xml": b'<?xml version="1.0"?>\n<Invoice><cbc:ID>EX-2025-202</Invoice>\n',
}


def build() -> dict[str, bytes]:
    """Return every example file name -> bytes, in name order (= processing order)."""
    makers = {"ubl": ubl, "cii": cii, "facturx": facturx}
    files = {name: makers[kind](case) for name, (kind, case) in CASES.items()}
    files.update(RAW)
    xsd_invalid = ubl(replace(BASE, number="EX-2025-203")).replace(
        b"<cbc:DocumentCurrencyCode>", b"<cbc:Devise>EUR</cbc:Devise><cbc:DocumentCurrencyCode>"
    )
    files["29-irr-xsd-invalide.xml"] = xsd_invalid
    files["30-irr-flux-deja-recu.xml"] = files["01-ok-ubl-mairie-sans-service.xml"]
    return dict(sorted(files.items()))


def main() -> None:
    """Write every example beside this script."""
    for name, data in build().items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
