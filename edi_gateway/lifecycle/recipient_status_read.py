"""Read and shape-check a recipient's CPPStatut file into status units.

Job: a ``CPPStatut`` document carrying ``CPPFactureStatuts`` (AIFE ``CPPStatutPivot_V1_19.xsd``;
recipients push statuses with it, ``../shared/domain/chorus-pro.md`` §3.5) is parsed with
:mod:`edi_gateway.core.xmlsafe` and its shape checked in code (the AIFE XSD is not shipped). Input:
the file's bytes; after the readable checks it is validated against our own schema
``xsd/cpp-statut-destinataire.xsd`` (``GW-RS-07``). Output: one :class:`Unit` per
``CPPFactureStatutUnitaire``, in file order, or
:class:`Malformed` carrying one error finding (with its line) per problem, its message French then
`` | EN: `` English (``GW-RS-01``, the CPP-facing convention of ``rules/cpp-reception.xsl``;
parser findings ``GW-XML-*`` keep the parser's text). It never looks an
invoice up, applies a status or writes anything (that is
:mod:`edi_gateway.lifecycle.recipient_status_apply`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from edi_gateway.core import resources, xmlsafe
from edi_gateway.core.model import Finding, Layer, Severity
from edi_gateway.lifecycle.refusals import EN

UNIT = "CPPFactureStatutUnitaire"
#: Our own schema of what a recipient may send (a stricter subset of AIFE's CPPStatut V1_19).
SCHEMA = resources.data_file("xsd", "cpp-statut-destinataire.xsd")


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    """One ``CPPFactureStatutUnitaire`` as read from the file (texts stripped, None if absent)."""

    index: int
    line: int | None
    supplier_id: str
    debtor_siret: str
    code: str
    complement: str | None
    comment: str | None
    at: datetime
    invoice_number: str
    mandate: str | None


class Malformed(Exception):
    """The file is not a usable CPPStatut: carries the findings that say why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].message if findings else "malformed")
        self.findings = findings


def read_units(data: bytes) -> list[Unit]:
    """Parse and shape-check a recipient CPPStatut file.

    Returns:
        The status units, in file order.

    Raises:
        Malformed: not XML, a DOCTYPE, not ``CPPStatut``, no ``CPPFactureStatuts`` (a
            ``CPPFluxStatuts`` acknowledgement is not taken here), or a unit missing a mandatory
            element or carrying a bad value (``Horodatage`` not a date-time, ``IdStatut`` not
            two digits, ``Debiteur/Identifiant`` not 14 characters). Findings carry the line.
    """
    root, block = _status_block(data)
    problems: list[Finding] = []
    if root.find("Enveloppe/EnveloppeUnitaire/Parametres") is None:
        where = "Enveloppe/EnveloppeUnitaire/Parametres"
        problems.append(_shape(root, f"{where} est absent", f"{where} is missing"))
    units = []
    for index, element in enumerate(block.findall(UNIT), start=1):
        unit = _unit(index, element, problems)
        if unit is not None:
            units.append(unit)
    if not units and not problems:
        problems.append(
            _shape(
                block,
                f"CPPFactureStatuts ne contient aucun {UNIT}",
                f"CPPFactureStatuts holds no {UNIT}",
            )
        )
    if problems:
        raise Malformed(problems)
    problems = _schema_findings(root)  # what the readable checks above do not cover
    if problems:
        raise Malformed(problems)
    return units


def _status_block(data: bytes) -> tuple[etree._Element, etree._Element]:
    """The ``CPPStatut`` root and its ``CPPFactureStatuts`` block.

    Raises:
        Malformed: not XML (xmlsafe code and line), another root, or no ``CPPFactureStatuts``.
    """
    try:
        root = xmlsafe.parse(data).getroot()
    except xmlsafe.XmlProblem as problem:
        raise Malformed(
            [error_finding(Layer.XML, problem.code, problem.message, problem.line)]
        ) from None
    if root.tag != "CPPStatut":
        french = f"l'élément racine est {root.tag!r}, CPPStatut attendu"
        raise Malformed([_shape(root, french, f"root element is {root.tag!r}, expected CPPStatut")])
    block = root.find("CPPFactureStatuts")
    if block is None:
        flux = root.find("CPPFluxStatuts") is not None
        what_fr = "contient CPPFluxStatuts (accusé de flux)" if flux else "ne contient rien"
        what_en = "CPPFluxStatuts (flux acknowledgement)" if flux else "nothing"
        french = f"CPPStatut {what_fr} ; ce canal prend CPPFactureStatuts"
        english = f"CPPStatut carries {what_en}; this channel takes CPPFactureStatuts"
        raise Malformed([_shape(root, french, english)])
    return root, block


def _unit(index: int, element: etree._Element, problems: list[Finding]) -> Unit | None:
    def problem(french: str, english: str) -> None:
        problems.append(_shape(element, f"{UNIT} {index} : {french}", f"{UNIT} {index}: {english}"))

    def text(path: str, required: bool = True) -> str | None:
        value = element.findtext(path)
        value = value.strip() if value else None
        if required and not value:
            problem(f"{path} absent ou vide", f"{path} is missing or empty")
        return value

    supplier, debtor = text("Fournisseur/Identifiant"), text("Debiteur/Identifiant")
    code, stamp = text("DonneesStatut/IdStatut"), text("DonneesStatut/Horodatage")
    number = text("DonneesStatut/IdFacture")
    before = len(problems)
    if code and not (code.isdigit() and len(code) <= 2):
        problem(
            f"IdStatut {code!r} n'est pas un code de statut",
            f"IdStatut {code!r} is not a status code",
        )
    if debtor and len(debtor) != 14:
        problem(
            "Debiteur/Identifiant doit être un SIRET (14 caractères)",
            "Debiteur/Identifiant must be a SIRET (14 characters)",
        )
    at = _datetime(stamp)
    if stamp and at is None:
        problem(
            f"Horodatage {stamp!r} n'est pas une date-heure",
            f"Horodatage {stamp!r} is not a date-time",
        )
    if len(problems) > before or not (supplier and debtor and code and number and at):
        return None
    return Unit(
        index=index,
        line=_line(element),
        supplier_id=supplier,
        debtor_siret=debtor,
        code=code.zfill(2),
        complement=text("DonneesStatut/ComplementStatut", False),
        comment=text("DonneesStatut/Commentaire", False),
        at=at,
        invoice_number=number,
        mandate=text("DonneesStatut/IdMandatDP", False),
    )


@functools.cache
def _schema() -> etree.XMLSchema:
    """Our schema of recipient status files, loaded once per process."""
    return etree.XMLSchema(etree.parse(str(SCHEMA), parser=xmlsafe.new_parser()))


def _schema_findings(root: etree._Element) -> list[Finding]:
    """Validate against :data:`SCHEMA`; one ``GW-RS-07`` finding per error (at most 50)."""
    schema = _schema()
    if schema.validate(root.getroottree()):
        return []
    entries: list[etree._LogEntry] = [*schema.error_log]  # type: ignore[misc]  # lxml-stubs
    return [
        error_finding(
            Layer.XSD,
            "GW-RS-07",
            bilingual(
                f"le fichier ne respecte pas {SCHEMA.name} : {error.type_name}",
                error.message,
            ),
            error.line or None,
            error.path or None,
        )
        for error in entries[:50]
    ]


def _line(element: etree._Element) -> int | None:
    line: object = element.sourceline
    return line if isinstance(line, int) else None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def error_finding(
    layer: Layer, rule: str, message: str, line: int | None, where: str | None = None
) -> Finding:
    """An error finding about a recipient status file (source ``edi-gateway recipient-status``).

    ``rule`` is a project id (``GW-RS-nn``), a parser code or a refusal code; ``line`` is the
    1-based line in the file and ``where`` the XPath of the element, when known.
    """
    return Finding(
        layer=layer,
        rule=rule,
        severity=Severity.ERROR,
        message=message,
        line=line,
        location=where,
        source="edi-gateway recipient-status",
    )


def bilingual(french: str, english: str) -> str:
    """``<français> | EN: <English>``: the CPP-facing message convention
    (``rules/cpp-reception.xsl``)."""
    return f"{french}{EN}{english}"


def _shape(element: etree._Element, french: str, english: str) -> Finding:
    """A GW-RS-01 shape finding on ``element`` (its path and line), French | EN English."""
    where = element.getroottree().getpath(element)
    return error_finding(Layer.XSD, "GW-RS-01", bilingual(french, english), _line(element), where)
