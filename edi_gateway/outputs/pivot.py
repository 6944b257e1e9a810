"""Invoice -> ``CPPFacturePivot`` (AIFE ``CPPFacturePivot_V2_02.xsd``), the flow CPP hands to
EDI-connected public recipients (interface ``FEN0036A``, ``../shared/domain/chorus-pro.md`` §1.3,
§3.6).

The mapping lives in one XSLT 1.0 stylesheet per syntax (``xslt/pivot-ubl.xsl``,
``xslt/pivot-cii.xsl``, sharing ``xslt/pivot-common.xsl``), run by lxml and compiled once per
process. The parties come from the envelope extraction and the routing decision (stylesheet
parameters); the original file is attached as the main document (``PJ``, ``TypePJ`` 01, base64
``Contenu``). Every parameter value (the file name above all, which may hold ESC, U+0001 or bytes
that are not UTF-8) goes through :func:`edi_gateway.core.xmltext.xml_compatible` first: a character
XML 1.0 forbids is written ``\\xNN`` / ``\\uNNNN`` (``docs/outputs.md``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import Any

from lxml import etree

from edi_gateway.core import resources, xmlsafe
from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Envelope, Syntax
from edi_gateway.core.xmltext import xml_compatible
from edi_gateway.outputs.statusflow import PLATFORM_ID, PLATFORM_LABEL, supplier_from_envelope

XSLT_DIR = resources.data_root() / "xslt"
STYLESHEETS = {
    Syntax.UBL_INVOICE: "pivot-ubl.xsl",
    Syntax.UBL_CREDIT_NOTE: "pivot-ubl.xsl",
    Syntax.CII: "pivot-cii.xsl",
}
RECIPIENT_PARTNER_ID = (
    "DEST01"  # Recepteur/Id: recipients have no application code in the directory
)
MAX_PJ_NAME = 50
# CategoriePJ of the main attachment, as CPP names the original AFNOR-format file (§3.6).
CATEGORIES = {
    "ubl": "Facture_UBL_AFNOR",
    "cii": "Facture_CII_AFNOR",
    "pdf": "FACTURE_FACTUR-X_AFNOR",
}
MIME_TYPES = {"pdf": "application/pdf", "xml": "application/xml"}


_ACCESS_CONTROL: Any = etree.XSLTAccessControl  # the lxml stubs do not declare its keywords


class PivotError(ArtefactError):
    """A pivot stylesheet cannot be loaded or failed on a document."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PivotInput:
    """Everything one pivot needs.

    Attributes:
        id_flux: IdFlux of the received flux (``IdFlx`` of the envelope).
        syntax: UBL invoice / credit note or CII (Factur-X carries CII).
        invoice_xml: the invoice XML (extracted from the PDF for Factur-X).
        original: the bytes of the file as received (attached as the main document).
        original_name: the name the file was dropped with.
        envelope: routing data of the invoice (supplier block).
        siret: the recipient SIRET the invoice was routed to (14 digits).
        recipient_name: the structure's name from the directory (else BT-44 is used).
        service_code: the routed service code, or None.
        service_name: the service label from the directory, or None.
        invoice_id: the CPP invoice id (``IdCPRO``), or None.
        received: day the flux was received (``DateReception``).
        produced_at: when the pivot is produced (``DtPrd``); now when None.
    """

    id_flux: str
    syntax: Syntax
    invoice_xml: bytes
    original: bytes
    original_name: str
    envelope: Envelope
    siret: str
    recipient_name: str | None = None
    service_code: str | None = None
    service_name: str | None = None
    invoice_id: int | None = None
    received: date | None = None
    produced_at: datetime | None = None


class PivotBuilder:
    """Compiles the pivot stylesheets once and turns invoices into ``CPPFacturePivot`` XML.

    Args:
        xslt_dir: folder holding ``pivot-*.xsl`` (the repository's ``xslt/`` by default).

    Raises:
        PivotError: a stylesheet is missing or does not compile.
    """

    def __init__(self, xslt_dir: Path = XSLT_DIR) -> None:
        access = _ACCESS_CONTROL(
            read_file=True,
            write_file=False,
            create_dir=False,
            read_network=False,
            write_network=False,
        )
        self._transforms: dict[str, etree.XSLT] = {}
        for name in sorted(set(STYLESHEETS.values())):
            path = xslt_dir / name
            try:
                self._transforms[name] = etree.XSLT(etree.parse(str(path)), access_control=access)
            except (OSError, etree.XMLSyntaxError, etree.XSLTParseError) as exc:
                raise PivotError(f"{path}: cannot load the pivot stylesheet: {exc}") from exc

    def build(self, data: PivotInput) -> bytes:
        """Return the ``CPPFacturePivot`` document (UTF-8 XML) for one accepted invoice.

        Raises:
            PivotError: the syntax has no pivot mapping, the invoice XML cannot be parsed, or
                the stylesheet failed (the invoice passed validation, so this is our bug).
        """
        name = STYLESHEETS.get(data.syntax)
        if name is None:
            raise PivotError(f"no pivot mapping for syntax {data.syntax}")
        try:
            tree = xmlsafe.parse(data.invoice_xml)
        except xmlsafe.XmlProblem as exc:
            raise PivotError(f"invoice XML cannot be parsed for the pivot: {exc}") from exc
        try:
            result = self._transforms[name](tree, **_parameters(data))
        except etree.XSLTApplyError as exc:
            raise PivotError(f"{name} failed: {exc}") from exc
        root = result.getroot()
        if root is None:
            raise PivotError(f"{name} produced no document")
        content = root.find("CPPFactures/CPPFacturePivotUnitaire/PJ/Contenu")
        if content is not None:
            content.text = base64.b64encode(data.original).decode("ascii")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def pj_name(original_name: str, limit: int = MAX_PJ_NAME) -> str:
    """Attachment name of at most ``limit`` characters (``NomPJ`` maxLength 50), extension kept.

    CPP requires an extension and 50 characters at most (§1.5). Characters XML 1.0 forbids are
    escaped first (:func:`~edi_gateway.xmltext.xml_compatible`), so the name always fits in XML.
    """
    name = xml_compatible(PurePath(original_name).name) or "facture.xml"
    if len(name) <= limit:
        return name
    suffix = PurePath(name).suffix[:10]
    return name[: limit - len(suffix)] + suffix


def _kind(data: PivotInput) -> str:
    if data.original[:5] == b"%PDF-":
        return "pdf"
    return "cii" if data.syntax is Syntax.CII else "ubl"


def _parameters(data: PivotInput) -> dict[str, Any]:
    supplier = supplier_from_envelope(data.envelope)
    kind = _kind(data)
    produced = data.produced_at or datetime.now(UTC)
    received = data.received or produced.date()
    name = pj_name(data.original_name)
    original = xml_compatible(data.original_name)
    values = {
        "id_flux": data.id_flux,
        "dt_prd": produced.date().isoformat(),
        "emitter_id": PLATFORM_ID,
        "emitter_label": PLATFORM_LABEL,
        "receiver_id": RECIPIENT_PARTNER_ID,
        "receiver_label": data.recipient_name or data.siret,
        "supplier_type": supplier.type_code,
        "supplier_id": supplier.identifier,
        "supplier_name": supplier.name,
        "supplier_country": supplier.country or "FR",
        "debtor_siret": data.siret,
        "debtor_name": data.recipient_name or "",
        "service_code": data.service_code or "",
        "service_name": data.service_name or "",
        "id_cpro": "" if data.invoice_id is None else str(data.invoice_id),
        "date_reception": received.isoformat(),
        "pj_name": name,
        "pj_original_name": "" if name == original else original[:MAX_PJ_NAME],
        "pj_category": CATEGORIES[kind],
        "pj_mime": MIME_TYPES["pdf" if kind == "pdf" else "xml"],
    }
    return {key: etree.XSLT.strparam(xml_compatible(value)) for key, value in values.items()}
