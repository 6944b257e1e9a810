"""UN/CEFACT CII D16B of a portal entry (CrossIndustryInvoice, EN 16931 CII binding)."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from lxml.builder import ElementMaker  # type: ignore[import-not-found]  # not in lxml-stubs

from edi_gateway.reception.structures import Structure
from edi_gateway.web.portal.entry_model import Entry
from edi_gateway.web.portal.entry_values import EN16931, Attachment, mime, money, number
from edi_gateway.web.portal.suppliers import Supplier

UN = "urn:un:unece:uncefact:data:standard"
RSM, RAM, UDT = (
    f"{UN}:{n}:100"
    for n in (
        "CrossIndustryInvoice",
        "ReusableAggregateBusinessInformationEntity",
        "UnqualifiedDataType",
    )
)
rsm = ElementMaker(namespace=RSM, nsmap={"rsm": RSM, "ram": RAM, "udt": UDT})
ram, udt = ElementMaker(namespace=RAM), ElementMaker(namespace=UDT)


def invoice(entry: Entry, seller: Supplier, buyer: Structure, attachment: Attachment | None) -> Any:
    """The ``CrossIndustryInvoice`` document."""
    return rsm.CrossIndustryInvoice(
        rsm.ExchangedDocumentContext(
            ram.BusinessProcessSpecifiedDocumentContextParameter(ram.ID(entry.framework)),
            ram.GuidelineSpecifiedDocumentContextParameter(ram.ID(EN16931)),
        ),
        rsm.ExchangedDocument(
            ram.ID(entry.number),
            ram.TypeCode(entry.type_code),
            ram.IssueDateTime(_day(entry.issue_date)),
        ),
        rsm.SupplyChainTradeTransaction(
            *_items(entry),
            ram.ApplicableHeaderTradeAgreement(*_agreement(entry, seller, buyer, attachment)),
            ram.ApplicableHeaderTradeDelivery(),
            _settlement(entry, seller),
        ),
    )


def _day(value: object) -> Any:
    text = value.strftime("%Y%m%d") if hasattr(value, "strftime") else ""
    return udt.DateTimeString(text, format="102")


def _tax(rate: Decimal, basis: Decimal | None = None, vat: Decimal | None = None) -> Any:
    parts = [ram.CalculatedAmount(money(vat))] if vat is not None else []
    parts.append(ram.TypeCode("VAT"))
    if basis is not None:
        parts.append(ram.BasisAmount(money(basis)))
    parts += [ram.CategoryCode("Z" if rate == 0 else "S"), ram.RateApplicablePercent(number(rate))]
    return ram.ApplicableTradeTax(*parts)


def _items(entry: Entry) -> list[Any]:
    return [
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
                _tax(line.rate),
                ram.SpecifiedTradeSettlementLineMonetarySummation(
                    ram.LineTotalAmount(money(line.net))
                ),
            ),
        )
        for i, line in enumerate(entry.lines, start=1)
    ]


def _agreement(
    entry: Entry, seller: Supplier, buyer: Structure, attachment: Attachment | None
) -> list[Any]:
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
        content = base64.b64encode(data).decode("ascii")
        agreement.append(
            ram.AdditionalReferencedDocument(
                ram.IssuerAssignedID(name[:100]),
                ram.TypeCode("916"),
                ram.AttachmentBinaryObject(content, mimeCode=mime(name), filename=name),
            )
        )
    return agreement


def _settlement(entry: Entry, seller: Supplier) -> Any:
    terms = []
    if entry.terms or entry.due_date:
        terms = [
            ram.SpecifiedTradePaymentTerms(
                *([ram.Description(entry.terms)] if entry.terms else []),
                *([ram.DueDateDateTime(_day(entry.due_date))] if entry.due_date else []),
            )
        ]
    return ram.ApplicableHeaderTradeSettlement(
        ram.InvoiceCurrencyCode("EUR"),
        ram.SpecifiedTradeSettlementPaymentMeans(
            ram.TypeCode("30"), ram.PayeePartyCreditorFinancialAccount(ram.IBANID(seller.iban))
        ),
        *[_tax(rate, taxable, vat) for rate, taxable, vat in entry.breakdown],
        *terms,
        ram.SpecifiedTradeSettlementHeaderMonetarySummation(
            ram.LineTotalAmount(money(entry.total_net)),
            ram.TaxBasisTotalAmount(money(entry.total_net)),
            ram.TaxTotalAmount(money(entry.total_vat), currencyID="EUR"),
            ram.GrandTotalAmount(money(entry.total)),
            ram.DuePayableAmount(money(entry.total)),
        ),
    )
