"""The XML of an invoice entered on the portal: UBL 2.1 (Invoice, or CreditNote for 381) or
UN/CEFACT CII D16B, EN 16931 (``urn:cen.eu:en16931:2017``).

Job: :func:`build` turns a checked :class:`~edi_gateway.web.portal.entry_model.Entry` and its
seller (:class:`~edi_gateway.web.portal.suppliers.Supplier`) into the bytes a supplier would
deposit (:mod:`entry_ubl`, :mod:`entry_cii`); the gateway then detects, validates and routes them
like any other file. Mapping (EN 16931-1 semantic model to the UBL / CII syntax bindings): BT-1
number, BT-2 issue date, BT-3 type, BT-5 EUR, BT-9 due date, BT-10 buyer reference = the service
code, BT-12 contract, BT-13 order reference = the engagement number (Chorus Pro's EJ), BT-20
payment terms, BT-23 billing framework, BG-4 seller (BT-27, BT-29 scheme 0009, BT-30 scheme
0002, BT-31, BG-5), BG-7 buyer (BT-44, BT-46 = the recipient SIRET, scheme 0009), BG-16 credit
transfer (code 30, BT-84), BG-22 totals, BG-23 VAT breakdown, BG-24 attachment, BG-25 lines.
"""

from __future__ import annotations

from lxml import etree

from edi_gateway.reception.structures import Structure
from edi_gateway.web.portal import entry_cii, entry_ubl
from edi_gateway.web.portal.entry_model import Entry
from edi_gateway.web.portal.entry_values import Attachment
from edi_gateway.web.portal.suppliers import Supplier


def build(
    entry: Entry, seller: Supplier, buyer: Structure, attachment: Attachment | None = None
) -> bytes:
    """The invoice's XML (UTF-8, with declaration), UBL or CII as ``entry.syntax`` says, with
    ``attachment`` embedded as BG-24 (BT-122 its name, BT-125 the bytes in base64) when given;
    its name must end with an extension of ``entry_values.MIME``."""
    make = entry_cii.invoice if entry.syntax == "CII" else entry_ubl.invoice
    tree = make(entry, seller, buyer, attachment)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
