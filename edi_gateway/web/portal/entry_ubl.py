"""UBL 2.1 Invoice / CreditNote of a portal entry (OASIS UBL 2.1, EN 16931 UBL binding)."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from lxml.builder import ElementMaker  # type: ignore[import-not-found]  # not in lxml-stubs

from edi_gateway.reception.structures import Structure
from edi_gateway.web.portal.entry_model import Entry
from edi_gateway.web.portal.entry_values import EN16931, Attachment, mime, money, number
from edi_gateway.web.portal.suppliers import Supplier

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
cac, cbc = ElementMaker(namespace=CAC), ElementMaker(namespace=CBC)
EUR = {"currencyID": "EUR"}


def invoice(entry: Entry, seller: Supplier, buyer: Structure, attachment: Attachment | None) -> Any:
    """The document: an ``Invoice``, or a ``CreditNote`` for type 381."""
    credit = entry.type_code == "381"
    root = "CreditNote" if credit else "Invoice"
    space = f"urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
    doc = ElementMaker(namespace=space, nsmap={None: space, "cac": CAC, "cbc": CBC})
    return getattr(doc, root)(
        *_head(entry, credit, attachment),
        *_parties(seller, buyer),
        *_payment(entry, seller),
        _tax(entry),
        _totals(entry),
        *_lines(entry, credit),
    )


def _category(rate: Decimal) -> list[Any]:
    return [
        cbc.ID("Z" if rate == 0 else "S"),
        cbc.Percent(number(rate)),
        cac.TaxScheme(cbc.ID("VAT")),
    ]


def _head(entry: Entry, credit: bool, attachment: Attachment | None) -> list[Any]:
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
        content = base64.b64encode(data).decode("ascii")
        head.append(
            cac.AdditionalDocumentReference(
                cbc.ID(name[:100]),
                cac.Attachment(
                    cbc.EmbeddedDocumentBinaryObject(content, mimeCode=mime(name), filename=name)
                ),
            )
        )
    return head


def _parties(seller: Supplier, buyer: Structure) -> list[Any]:
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
    return [supplier, customer]


def _payment(entry: Entry, seller: Supplier) -> list[Any]:
    payment = [
        cac.PaymentMeans(cbc.PaymentMeansCode("30"), cac.PayeeFinancialAccount(cbc.ID(seller.iban)))
    ]
    if entry.terms:
        payment.append(cac.PaymentTerms(cbc.Note(entry.terms)))
    return payment


def _tax(entry: Entry) -> Any:
    subtotals = [
        cac.TaxSubtotal(
            cbc.TaxableAmount(money(taxable), **EUR),
            cbc.TaxAmount(money(vat), **EUR),
            cac.TaxCategory(*_category(rate)),
        )
        for rate, taxable, vat in entry.breakdown
    ]
    return cac.TaxTotal(cbc.TaxAmount(money(entry.total_vat), **EUR), *subtotals)


def _totals(entry: Entry) -> Any:
    return cac.LegalMonetaryTotal(
        cbc.LineExtensionAmount(money(entry.total_net), **EUR),
        cbc.TaxExclusiveAmount(money(entry.total_net), **EUR),
        cbc.TaxInclusiveAmount(money(entry.total), **EUR),
        cbc.PayableAmount(money(entry.total), **EUR),
    )


def _lines(entry: Entry, credit: bool) -> list[Any]:
    tag, quantity = (
        ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine", "InvoicedQuantity")
    )
    return [
        getattr(cac, tag)(
            cbc.ID(str(i)),
            getattr(cbc, quantity)(number(line.quantity), unitCode="C62"),
            cbc.LineExtensionAmount(money(line.net), **EUR),
            cac.Item(cbc.Name(line.name), cac.ClassifiedTaxCategory(*_category(line.rate))),
            cac.Price(cbc.PriceAmount(number(line.price), **EUR)),
        )
        for i, line in enumerate(entry.lines, start=1)
    ]
