"""The XML of an invoice entered on the portal: UBL 2.1 (Invoice, or CreditNote for 381) or
UN/CEFACT CII D16B, EN 16931 (``urn:cen.eu:en16931:2017``).

Job: :func:`build` turns a checked :class:`~edi_gateway.web.portal.entry_model.Entry` and its
seller (:class:`~edi_gateway.web.portal.suppliers.Supplier`) into the bytes a supplier would
deposit; the gateway then detects, validates and routes them like any other file. Mapping
(EN 16931-1 semantic model to the UBL / CII syntax bindings): BT-1 number, BT-2 issue date, BT-3
type, BT-5 EUR, BT-9 due date, BT-10 buyer reference = the service code, BT-12 contract, BT-13
order reference = the engagement number (Chorus Pro's EJ), BT-20 payment terms, BT-23 billing
framework, BG-4 seller (BT-27, BT-29 scheme 0009, BT-30 scheme 0002, BT-31, BG-5), BG-7 buyer
(BT-44, BT-46 = the recipient SIRET, scheme 0009), BG-16 credit transfer (code 30, BT-84),
BG-23 VAT breakdown, BG-22 totals, BG-25 lines.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from lxml import etree
from lxml.builder import ElementMaker  # type: ignore[import-not-found]  # not in lxml-stubs

from edi_gateway.reception.structures import Structure
from edi_gateway.web.portal.entry_model import Entry
from edi_gateway.web.portal.suppliers import Supplier

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UN = "urn:un:unece:uncefact:data:standard"
RSM, RAM, UDT = (
    f"{UN}:{n}:100"
    for n in (
        "CrossIndustryInvoice",
        "ReusableAggregateBusinessInformationEntity",
        "UnqualifiedDataType",
    )
)
EN16931 = "urn:cen.eu:en16931:2017"


def money(value: Decimal) -> str:
    """An amount with two decimals."""
    return f"{value:.2f}"


def number(value: Decimal) -> str:
    """A quantity, price or rate without useless zeros (``10``, ``12.5``, ``5.5``)."""
    text = format(value.normalize(), "f")
    return text


#: BG-24 attachments EN 16931 accepts (BT-125-1 mime codes), by file extension.
MIME = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".csv": "text/csv",
}
Attachment = tuple[str, bytes]  # (file name, bytes)


def build(
    entry: Entry, seller: Supplier, buyer: Structure, attachment: Attachment | None = None
) -> bytes:
    """The invoice's XML (UTF-8, with declaration), UBL or CII as ``entry.syntax`` says, with
    ``attachment`` embedded as BG-24 (BT-122 its name, BT-125 the bytes in base64) when given;
    its name must end with a :data:`MIME` extension."""
    if entry.syntax == "CII":
        tree = _cii(entry, seller, buyer, attachment)
    else:
        tree = _ubl(entry, seller, buyer, attachment)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _mime(name: str) -> str:
    return MIME["." + name.rsplit(".", 1)[-1].lower()]


def _ubl(entry: Entry, seller: Supplier, buyer: Structure, attachment: Attachment | None) -> Any:
    credit = entry.type_code == "381"
    root = "CreditNote" if credit else "Invoice"
    doc = ElementMaker(
        namespace=f"urn:oasis:names:specification:ubl:schema:xsd:{root}-2",
        nsmap={
            None: f"urn:oasis:names:specification:ubl:schema:xsd:{root}-2",
            "cac": CAC,
            "cbc": CBC,
        },
    )
    cac, cbc = ElementMaker(namespace=CAC), ElementMaker(namespace=CBC)
    eur = {"currencyID": "EUR"}

    def category(rate: Decimal) -> list[Any]:
        return [
            cbc.ID("Z" if rate == 0 else "S"),
            cbc.Percent(number(rate)),
            cac.TaxScheme(cbc.ID("VAT")),
        ]

    head = [
        cbc.CustomizationID(EN16931),
        cbc.ProfileID(entry.framework),
        cbc.ID(entry.number),
        cbc.IssueDate(entry.issue_date.isoformat() if entry.issue_date else ""),
    ]
    if entry.due_date and not credit:
        head.append(cbc.DueDate(entry.due_date.isoformat()))
    head.append(cbc.CreditNoteTypeCode("381") if credit else cbc.InvoiceTypeCode(entry.type_code))
    head.append(cbc.DocumentCurrencyCode("EUR"))
    if entry.service:
        head.append(cbc.BuyerReference(entry.service))
    if entry.engagement:
        head.append(cac.OrderReference(cbc.ID(entry.engagement)))
    if entry.contract:
        head.append(cac.ContractDocumentReference(cbc.ID(entry.contract)))
    if attachment is not None:
        name, data = attachment
        head.append(
            cac.AdditionalDocumentReference(
                cbc.ID(name[:100]),
                cac.Attachment(
                    cbc.EmbeddedDocumentBinaryObject(
                        base64.b64encode(data).decode("ascii"), mimeCode=_mime(name), filename=name
                    )
                ),
            )
        )
    supplier = cac.AccountingSupplierParty(
        cac.Party(
            cac.PartyIdentification(cbc.ID(seller.siret, schemeID="0009")),
            cac.PostalAddress(
                cbc.StreetName(seller.street),
                cbc.CityName(seller.city),
                cbc.PostalZone(seller.postcode),
                cac.Country(cbc.IdentificationCode(seller.country)),
            ),
            cac.PartyTaxScheme(cbc.CompanyID(seller.vat), cac.TaxScheme(cbc.ID("VAT"))),
            cac.PartyLegalEntity(
                cbc.RegistrationName(seller.name), cbc.CompanyID(seller.siren, schemeID="0002")
            ),
        )
    )
    customer = cac.AccountingCustomerParty(
        cac.Party(
            cac.PartyIdentification(cbc.ID(buyer.siret, schemeID="0009")),
            cac.PostalAddress(cac.Country(cbc.IdentificationCode("FR"))),
            cac.PartyLegalEntity(cbc.RegistrationName(buyer.name)),
        )
    )
    payment = [
        cac.PaymentMeans(cbc.PaymentMeansCode("30"), cac.PayeeFinancialAccount(cbc.ID(seller.iban)))
    ]
    if entry.terms:
        payment.append(cac.PaymentTerms(cbc.Note(entry.terms)))
    tax = cac.TaxTotal(
        cbc.TaxAmount(money(entry.total_vat), **eur),
        *[
            cac.TaxSubtotal(
                cbc.TaxableAmount(money(taxable), **eur),
                cbc.TaxAmount(money(vat), **eur),
                cac.TaxCategory(*category(rate)),
            )
            for rate, taxable, vat in entry.breakdown
        ],
    )
    totals = cac.LegalMonetaryTotal(
        cbc.LineExtensionAmount(money(entry.total_net), **eur),
        cbc.TaxExclusiveAmount(money(entry.total_net), **eur),
        cbc.TaxInclusiveAmount(money(entry.total), **eur),
        cbc.PayableAmount(money(entry.total), **eur),
    )
    line_tag, qty_tag = (
        ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine", "InvoicedQuantity")
    )
    lines = [
        getattr(cac, line_tag)(
            cbc.ID(str(i)),
            getattr(cbc, qty_tag)(number(line.quantity), unitCode="C62"),
            cbc.LineExtensionAmount(money(line.net), **eur),
            cac.Item(cbc.Name(line.name), cac.ClassifiedTaxCategory(*category(line.rate))),
            cac.Price(cbc.PriceAmount(number(line.price), **eur)),
        )
        for i, line in enumerate(entry.lines, start=1)
    ]
    return getattr(doc, root)(*head, supplier, customer, *payment, tax, totals, *lines)


def _cii(entry: Entry, seller: Supplier, buyer: Structure, attachment: Attachment | None) -> Any:
    rsm = ElementMaker(namespace=RSM, nsmap={"rsm": RSM, "ram": RAM, "udt": UDT})
    ram, udt = ElementMaker(namespace=RAM), ElementMaker(namespace=UDT)

    def day(value: object) -> Any:
        text = value.strftime("%Y%m%d") if hasattr(value, "strftime") else ""
        return udt.DateTimeString(text, format="102")

    def tax(rate: Decimal, basis: Decimal | None = None, vat: Decimal | None = None) -> Any:
        parts = [ram.CalculatedAmount(money(vat))] if vat is not None else []
        parts.append(ram.TypeCode("VAT"))
        if basis is not None:
            parts.append(ram.BasisAmount(money(basis)))
        parts += [
            ram.CategoryCode("Z" if rate == 0 else "S"),
            ram.RateApplicablePercent(number(rate)),
        ]
        return ram.ApplicableTradeTax(*parts)

    items = [
        ram.IncludedSupplyChainTradeLineItem(
            ram.AssociatedDocumentLineDocument(ram.LineID(str(i))),
            ram.SpecifiedTradeProduct(ram.Name(line.name)),
            ram.SpecifiedLineTradeAgreement(
                ram.NetPriceProductTradePrice(ram.ChargeAmount(number(line.price)))
            ),
            ram.SpecifiedLineTradeDelivery(
                ram.BilledQuantity(number(line.quantity), unitCode="C62")
            ),
            ram.SpecifiedLineTradeSettlement(
                tax(line.rate),
                ram.SpecifiedTradeSettlementLineMonetarySummation(
                    ram.LineTotalAmount(money(line.net))
                ),
            ),
        )
        for i, line in enumerate(entry.lines, start=1)
    ]
    agreement = [ram.BuyerReference(entry.service)] if entry.service else []
    agreement += [
        ram.SellerTradeParty(
            ram.GlobalID(seller.siret, schemeID="0009"),
            ram.Name(seller.name),
            ram.SpecifiedLegalOrganization(ram.ID(seller.siren, schemeID="0002")),
            ram.PostalTradeAddress(
                ram.PostcodeCode(seller.postcode),
                ram.LineOne(seller.street),
                ram.CityName(seller.city),
                ram.CountryID(seller.country),
            ),
            ram.SpecifiedTaxRegistration(ram.ID(seller.vat, schemeID="VA")),
        ),
        ram.BuyerTradeParty(
            ram.GlobalID(buyer.siret, schemeID="0009"),
            ram.Name(buyer.name),
            ram.PostalTradeAddress(ram.CountryID("FR")),
        ),
    ]
    if entry.engagement:
        agreement.append(ram.BuyerOrderReferencedDocument(ram.IssuerAssignedID(entry.engagement)))
    if entry.contract:
        agreement.append(ram.ContractReferencedDocument(ram.IssuerAssignedID(entry.contract)))
    if attachment is not None:
        name, data = attachment
        agreement.append(
            ram.AdditionalReferencedDocument(
                ram.IssuerAssignedID(name[:100]),
                ram.TypeCode("916"),
                ram.AttachmentBinaryObject(
                    base64.b64encode(data).decode("ascii"), mimeCode=_mime(name), filename=name
                ),
            )
        )
    terms = []
    if entry.terms or entry.due_date:
        terms = [
            ram.SpecifiedTradePaymentTerms(
                *([ram.Description(entry.terms)] if entry.terms else []),
                *([ram.DueDateDateTime(day(entry.due_date))] if entry.due_date else []),
            )
        ]
    settlement = ram.ApplicableHeaderTradeSettlement(
        ram.InvoiceCurrencyCode("EUR"),
        ram.SpecifiedTradeSettlementPaymentMeans(
            ram.TypeCode("30"), ram.PayeePartyCreditorFinancialAccount(ram.IBANID(seller.iban))
        ),
        *[tax(rate, taxable, vat) for rate, taxable, vat in entry.breakdown],
        *terms,
        ram.SpecifiedTradeSettlementHeaderMonetarySummation(
            ram.LineTotalAmount(money(entry.total_net)),
            ram.TaxBasisTotalAmount(money(entry.total_net)),
            ram.TaxTotalAmount(money(entry.total_vat), currencyID="EUR"),
            ram.GrandTotalAmount(money(entry.total)),
            ram.DuePayableAmount(money(entry.total)),
        ),
    )
    return rsm.CrossIndustryInvoice(
        rsm.ExchangedDocumentContext(
            ram.BusinessProcessSpecifiedDocumentContextParameter(ram.ID(entry.framework)),
            ram.GuidelineSpecifiedDocumentContextParameter(ram.ID(EN16931)),
        ),
        rsm.ExchangedDocument(
            ram.ID(entry.number),
            ram.TypeCode(entry.type_code),
            ram.IssueDateTime(day(entry.issue_date)),
        ),
        rsm.SupplyChainTradeTransaction(
            *items,
            ram.ApplicableHeaderTradeAgreement(*agreement),
            ram.ApplicableHeaderTradeDelivery(),
            settlement,
        ),
    )
