"""The portal's readable invoice body (web/portal/invoice_view.py, xslt/invoice-view.xsl) on the
trainee kit's UBL, CII, Factur-X and credit-note examples: lines, VAT breakdown, totals as the
documents write them."""

from __future__ import annotations

from edi_gateway.web.portal.invoice_view import MAX_LINES, body_of
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"


def test_ubl_invoice() -> None:
    body = body_of((EXAMPLES / "02-ok-ubl-mairie-services-techniques.xml").read_bytes())
    assert body is not None
    assert body.lines == [
        {
            "id": "1",
            "name": "Ramette de papier A4",
            "item": "PAP-A4",
            "quantity": "10",
            "unit": "C62",
            "price": "12.50",
            "net": "125.00",
            "vat-category": "S",
            "vat-rate": "20",
        }
    ]
    assert body.vat == [
        {"category": "S", "rate": "20", "base": "125.00", "amount": "25.00", "reason": ""}
    ]
    assert body.totals["without-vat"] == "125.00" and body.totals["vat"] == "25.00"
    assert body.totals["with-vat"] == "150.00" and body.totals["due"] == "150.00"
    assert body.due_date == "2025-07-16"
    assert body.payment == {"means": "30", "account": "FR7630006000011234567890189"}


def test_cii_invoice_and_factur_x_pdf() -> None:
    for name in ("03-ok-cii-lycee-intendance.xml", "04-ok-facturx-hopital-ej.pdf"):
        body = body_of((EXAMPLES / name).read_bytes())
        assert body is not None, name
        assert body.lines and all(line["id"] and line["net"] for line in body.lines), name
        assert body.vat and body.totals["due"], name
        net = sum(float(line["net"]) for line in body.lines)
        assert abs(net - float(body.totals["lines"])) < 0.005, name  # BR-CO-10 holds


def test_credit_note_and_unreadable_input() -> None:
    body = body_of((EXAMPLES / "07-ok-ubl-avoir-mairie.xml").read_bytes())
    assert body is not None and body.lines and body.lines[0]["quantity"]
    assert body_of(b"") is None
    assert body_of(b"not xml at all") is None
    assert body_of((EXAMPLES / "28-irr-xml-mal-forme.xml").read_bytes()) is None


def test_a_long_invoice_is_cut() -> None:
    data = (EXAMPLES / "02-ok-ubl-mairie-services-techniques.xml").read_bytes()
    start = data.index(b"<cac:InvoiceLine>")
    end = data.index(b"</cac:InvoiceLine>") + len(b"</cac:InvoiceLine>")
    many = data[:start] + data[start:end] * (MAX_LINES + 7) + data[end:]
    body = body_of(many)
    assert body is not None and len(body.lines) == MAX_LINES and body.more_lines == 7
