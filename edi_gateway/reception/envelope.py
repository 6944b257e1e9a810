"""Invoice XML -> :class:`~edi_gateway.model.Envelope` (the routing data, one EN 16931 term each).

The XPaths live in ``xslt/envelope.xsl`` only (one variable per BT id); this module runs that
stylesheet with lxml (XSLT 1.0, compiled once per process) and converts the ``<term>`` strings
into typed values. Nothing here raises on bad input: an amount or a date that cannot be read
becomes None, and bytes that cannot be parsed safely give an empty envelope.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from edi_gateway.core import resources, xmlsafe
from edi_gateway.core.model import Envelope, Syntax

ENVELOPE_XSL = resources.data_file("xslt", "envelope.xsl")

# BT-23 values kept as they are: historic CPP cadres (CPPFacturePivot: A1..A10, A12..A25; the API
# adds A11) and the 2026 reform billing frameworks (FNFE-MPE Flux 2 schematron v1.4, BR-FR-08).
# Anything else (no BT-23, a Peppol profile URN ...) means the historic default A1 (Factur-X 1.08
# "CHORUS PRO" note). ../shared/domain/chorus-pro.md §1.4, §3.6, §5.7.
HISTORIC_FRAMEWORKS = frozenset(f"A{n}" for n in range(1, 26))
REFORM_FRAMEWORKS = frozenset(
    "B1 S1 M1 B2 S2 S3 M2 B4 S4 M4 S5 S6 B7 S7 B8 S8 M8 B9 S9 M9".split()  # noqa: SIM905
)
DEFAULT_FRAMEWORK = "A1"

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_UBL_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")
_CII_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SIRET = re.compile(r"^\d{14}$")
_NO_SPACE = re.compile(r"[\s\u00a0\u202f]+")  # spaces, no-break and narrow no-break spaces
_AMOUNTS = frozenset({"total_without_vat", "total_vat", "total_with_vat", "amount_due"})


@functools.cache
def _transform() -> etree.XSLT:
    """The compiled envelope stylesheet (once per process)."""
    return etree.XSLT(etree.parse(str(ENVELOPE_XSL), parser=xmlsafe.new_parser()))


def terms(tree: etree._ElementTree) -> list[tuple[str, str, str | None, str]]:
    """Run ``xslt/envelope.xsl`` and return its terms as (bt, field, scheme, value), in order.

    Args:
        tree: a document parsed by :func:`edi_gateway.core.xmlsafe.parse`.
    """
    result = _transform()(tree)
    root = result.getroot()
    if root is None:
        return []
    return [
        (t.get("bt", ""), t.get("field", ""), t.get("scheme"), t.text or "")
        for t in root.iter("term")
    ]


def extract(xml: bytes | etree._ElementTree, syntax: Syntax) -> Envelope:
    """Read the envelope of a UBL 2.1 Invoice / CreditNote or CII (also from Factur-X) invoice.

    Args:
        xml: the invoice XML bytes (parsed with :func:`edi_gateway.core.xmlsafe.parse`) or a tree
            already parsed that way.
        syntax: the detected syntax; ``Syntax.OTHER`` gives an empty envelope.

    Returns:
        The envelope. Absent terms are None; BT-23 is normalised (see ``billing_framework``);
        amounts (BT-109, BT-110, BT-112, BT-115) are ``Decimal`` and dates ``date``, or None when
        unreadable; ``seller_siren`` is normalised by :func:`siren`. Never raises for bad input:
        unparseable bytes give ``Envelope()``.
    """
    if syntax is Syntax.OTHER:
        return Envelope()
    if isinstance(xml, bytes):
        try:
            tree = xmlsafe.parse(xml)
        except xmlsafe.XmlProblem:
            return Envelope()
    else:
        tree = xml
    values: dict[str, object] = {}
    for _bt, name, scheme, value in terms(tree):
        if name == "seller_id":
            values["seller_id_scheme"] = scheme
        values[name] = _convert(name, value)
    if isinstance(values.get("buyer_siret"), str):  # "999 000 010 00010": spaces are layout
        values["buyer_siret"] = _NO_SPACE.sub("", str(values["buyer_siret"]))
    values["billing_framework"] = billing_framework(values.get("billing_framework"))
    values["seller_siren"] = siren(values.get("seller_siren"), values)
    return Envelope(**values)  # type: ignore[arg-type]


def _convert(name: str, value: str) -> object:
    if name in _AMOUNTS:
        return amount(value)
    if name == "issue_date":
        return issue_date(value)
    return value


def amount(text: str) -> Decimal | None:
    """Parse an XSD decimal amount (``1234.56``; no exponent, no comma), or None."""
    text = text.strip()
    if not _DECIMAL.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes these
        return None


def issue_date(text: str) -> date | None:
    """Parse BT-2: UBL ``YYYY-MM-DD`` (optional zone) or CII format 102 ``YYYYMMDD``, or None."""
    text = text.strip()
    iso = _UBL_DATE.match(text)
    cii = _CII_DATE.match(text)
    try:
        if iso:
            return date.fromisoformat(iso.group(1))
        if cii:
            return date(int(cii.group(1)), int(cii.group(2)), int(cii.group(3)))
    except ValueError:
        return None
    return None


def siren(bt30: object, values: dict[str, object]) -> str | None:
    """Seller SIREN for the duplicate key (§4.4): BT-30; a 14-digit SIRET given as BT-30, or as
    BT-29 with scheme 0009 when BT-30 is absent, gives its first 9 digits (the SIREN)."""
    if isinstance(bt30, str) and bt30:
        return bt30[:9] if _SIRET.match(bt30) else bt30
    seller_id = values.get("seller_id")
    if values.get("seller_id_scheme") == "0009" and isinstance(seller_id, str):
        return seller_id[:9] if _SIRET.match(seller_id) else None
    return None


def billing_framework(value: object) -> str:
    """Normalise BT-23: a historic cadre (``A1``..``A25``, also as ``A1_FACTURE_FOURNISSEUR``)
    or a reform code (``B1``..``M9``) is kept; anything else, or nothing, is ``A1``."""
    if not isinstance(value, str):
        return DEFAULT_FRAMEWORK
    code = value.strip().upper().split("_", 1)[0]
    if code in HISTORIC_FRAMEWORKS or code in REFORM_FRAMEWORKS:
        return code
    return DEFAULT_FRAMEWORK
