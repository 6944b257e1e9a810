"""The readable body of an invoice for the portal's invoice page: lines, VAT, totals, notes.

Job: read the flux's original (``var/archive``; for a Factur-X PDF, the CII it embeds, found by
:func:`edi_gateway.validation.detect.detect`), parse it safely and run ``xslt/invoice-view.xsl``
(XSLT 1.0, lxml, compiled once per process), which holds every XPath (EN 16931 BG-25 lines,
BG-23 VAT breakdown, BG-22 totals, BT-22 notes, BT-20 / BT-9 payment terms, BG-16 means).
Input: the configuration and the invoice's flux row; output: an :class:`InvoiceBody` of plain
strings as the document writes them (the page escapes them), or None when the original is gone,
larger than the excerpt limit, or cannot be read. Never raises for a bad file.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field

from lxml import etree

from edi_gateway.core import resources, xmlsafe
from edi_gateway.core.config import Config
from edi_gateway.store.records import FluxRow
from edi_gateway.validation import detect
from edi_gateway.web.portal.views import EXCERPT_BYTES, original_path

VIEW_XSL = resources.data_file("xslt", "invoice-view.xsl")
#: Lines shown at most (a 10,000-line invoice stays a page, not a download).
MAX_LINES = 500


@dataclass(frozen=True, slots=True)
class InvoiceBody:
    """What the page shows below the invoice's header. Each entry maps the stylesheet's
    attribute names (``id``, ``name``, ``quantity`` ... see ``xslt/invoice-view.xsl``) to the
    document's text ("" when absent).

    Attributes:
        lines: BG-25, in document order (at most :data:`MAX_LINES`).
        more_lines: how many lines were left out past :data:`MAX_LINES`.
        vat: BG-23 breakdown. totals: BG-22 (empty dict when absent).
        notes: BT-22. terms: BT-20. due_date: BT-9 as written. payment: BG-16 (means, account).
    """

    lines: list[dict[str, str]] = field(default_factory=list)
    more_lines: int = 0
    vat: list[dict[str, str]] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    terms: str = ""
    due_date: str = ""
    payment: dict[str, str] = field(default_factory=dict)


@functools.cache
def _transform() -> etree.XSLT:
    return etree.XSLT(etree.parse(str(VIEW_XSL), parser=xmlsafe.new_parser()))


def invoice_body(config: Config, flux: FluxRow | None) -> InvoiceBody | None:
    """The readable body of the invoice of ``flux`` (see the module docstring), or None."""
    if flux is None:
        return None
    path = original_path(config, flux)
    data = b""
    with contextlib.suppress(OSError):
        if path is not None and path.stat().st_size <= EXCERPT_BYTES:
            data = path.read_bytes()
    return body_of(data) if data else None


def body_of(data: bytes) -> InvoiceBody | None:
    """The readable body of an invoice file's bytes (UBL, CII or Factur-X PDF), or None when
    no invoice XML can be read from them."""
    xml = detect.detect(data).xml
    if not xml:
        return None
    try:
        root = _transform()(xmlsafe.parse(xml)).getroot()
    except (xmlsafe.XmlProblem, etree.XSLTError):
        return None
    return _body(root) if root is not None else None


def _attrs(element: etree._Element | None) -> dict[str, str]:
    """An element's attributes as text (an empty dict for None)."""
    if element is None:
        return {}
    return {str(k): str(v) for k, v in element.attrib.items()}


def _body(root: etree._Element) -> InvoiceBody:
    lines = list(root.iterfind("line"))
    return InvoiceBody(
        lines=[_attrs(line) for line in lines[:MAX_LINES]],
        more_lines=max(0, len(lines) - MAX_LINES),
        vat=[_attrs(e) for e in root.iterfind("vat")],
        totals=_attrs(root.find("totals")),
        notes=[e.text or "" for e in root.iterfind("note") if (e.text or "").strip()],
        terms=root.findtext("terms") or "",
        due_date=root.findtext("due-date") or "",
        payment=_attrs(root.find("payment")),
    )
