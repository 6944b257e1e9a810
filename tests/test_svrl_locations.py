"""locations.py: a ruleset's location -> node, line, value, and the readable prefixed path."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.core import xmlsafe
from edi_gateway.validation import locations

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"


def _ubl():
    return xmlsafe.parse((FIXTURES / "ubl-valid.xml").read_bytes())


@pytest.mark.parametrize(
    ("location", "readable"),
    [
        (  # Saxon form, position 1 everywhere: no [n]
            f"/*:Invoice[namespace-uri()='{UBL}Invoice-2'][1]"
            f"/*:LegalMonetaryTotal[namespace-uri()='{UBL}CommonAggregateComponents-2'][1]",
            "/ubl:Invoice/cac:LegalMonetaryTotal",
        ),
        (  # Q{ns} form with an attribute step
            f"/Q{{{UBL}Invoice-2}}Invoice[1]/Q{{{UBL}CommonAggregateComponents-2}}TaxTotal[1]"
            f"/Q{{{UBL}CommonBasicComponents-2}}TaxAmount[1]/@currencyID",
            "/ubl:Invoice/cac:TaxTotal/cbc:TaxAmount/@currencyID",
        ),
        ("/*/cac:InvoiceLine/cbc:ID", "/ubl:Invoice/cac:InvoiceLine/cbc:ID"),  # libxml2 form
    ],
)
def test_readable_path_of_a_ubl_node(location: str, readable: str) -> None:
    """Saxon, Q{} and libxml2 locations of the same document read the same, with the customary
    UBL prefixes (ubl/cac/cbc) whatever the document's own prefixes."""
    tree = _ubl()
    node = locations.resolve(tree, location, locations.document_prefixes(tree))
    assert node is not None
    assert locations.readable(node) == readable


def test_readable_path_uses_cii_prefixes_and_positions() -> None:
    """A CII node reads /rsm:.../ram:...[2] with [n] only for n > 1, even when the document
    uses other prefixes than rsm/ram."""
    xml = (
        f'<a:CrossIndustryInvoice xmlns:a="{RSM}" xmlns:b="{RAM}"><a:SupplyChainTradeTransaction>'
        "<b:IncludedSupplyChainTradeLineItem/><b:IncludedSupplyChainTradeLineItem>"
        "<b:SpecifiedLineTradeAgreement/></b:IncludedSupplyChainTradeLineItem>"
        "</a:SupplyChainTradeTransaction></a:CrossIndustryInvoice>"
    ).encode()
    tree = xmlsafe.parse(xml)
    node = locations.resolve(
        tree,
        "/a:CrossIndustryInvoice/a:SupplyChainTradeTransaction/b:IncludedSupplyChainTradeLineItem[2]/b:SpecifiedLineTradeAgreement",
        locations.document_prefixes(tree),
    )
    assert locations.readable(node) == (
        "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
        "/ram:IncludedSupplyChainTradeLineItem[2]/ram:SpecifiedLineTradeAgreement"
    )


def test_readable_text_when_the_location_does_not_resolve() -> None:
    """A Saxon path that selects nothing is still shortened by its namespaces; anything else
    is shown as given."""
    location = (
        f"/*:CrossIndustryInvoice[namespace-uri()='{RSM}'][1]"
        f"/*:Nothing[namespace-uri()='{RAM}'][3]/*:Other[namespace-uri()='urn:x'][1]"
    )
    assert locations.readable_text(location) == ("/rsm:CrossIndustryInvoice/ram:Nothing[3]/Other")
    assert locations.readable_text("not a path ((") == "not a path (("
