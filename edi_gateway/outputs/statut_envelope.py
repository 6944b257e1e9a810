"""The shared skeleton of every CPPStatut document (AIFE ``CPPStatutPivot_V1_19.xsd``).

Job: build the root ``CPPStatut`` (no namespace, attribute ``Version``) with its ``Enveloppe``
(parameters ``DtPrd`` production date and ``IdFlx`` flux id; partners ``Emetteur`` = the
platform, ``Recepteur`` = the partner's application code), and provide the small lxml helpers the
flux report (:mod:`edi_gateway.outputs.statut_flux_report`) and the invoice statuses
(:mod:`edi_gateway.outputs.statut_invoice`) share: element and text builders that drop characters
XML 1.0 cannot carry, text clipping, timestamps and serialisation. Input: ids and values ->
output: lxml elements and UTF-8 bytes. It never decides which status or value goes where.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lxml import etree

VERSION = "V1_19"
PLATFORM_ID = "CPP001"  # Emetteur/Id of every flow the gateway writes (as real CPP flows do)
PLATFORM_LABEL = "CPP"
MAX_TEXT = 2000


def root(id_flux: str, receiver_id: str, when: datetime) -> etree._Element:
    """Return a ``CPPStatut`` root with its ``Enveloppe`` filled in.

    Args:
        id_flux: ``IdFlx`` parameter (the flux the document is about).
        receiver_id: ``Recepteur/Id`` and ``Libelle`` (the partner's application code).
        when: production moment; its date is the ``DtPrd`` parameter.
    """
    top = etree.Element("CPPStatut", Version=VERSION)
    unit = sub(sub(top, "Enveloppe"), "EnveloppeUnitaire", NumOrdre="1")
    parameters = sub(unit, "Parametres")
    for index, (code, value) in enumerate(
        (("DtPrd", when.date().isoformat()), ("IdFlx", id_flux)), 1
    ):
        parameter = sub(parameters, "ParametreIndiv", NumOrdre=f"{index:04d}")
        text(parameter, "Code", code)
        text(parameter, "Valeurparametre", value)
    partners = sub(unit, "Partenaires")
    receiver = sub(partners, "Recepteur")
    text(receiver, "Id", receiver_id)
    text(receiver, "Libelle", receiver_id)
    emitter = sub(partners, "Emetteur")
    text(emitter, "Id", PLATFORM_ID)
    text(emitter, "Libelle", PLATFORM_LABEL)
    return top


def sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    """Append an empty child element ``tag`` with ``attributes`` to ``parent``."""
    return etree.SubElement(parent, tag, attributes)


def text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    """Append a child element ``tag`` holding ``value`` (cleaned by :func:`xml_text`)."""
    element = etree.SubElement(parent, tag)
    element.text = xml_text(value)
    return element


def optional(parent: etree._Element, tag: str, value: str | None) -> None:
    """Append ``tag`` holding ``value`` only when ``value`` is neither None nor empty."""
    if value:
        text(parent, tag, value)


# Characters outside the XML 1.0 Char production (W3C XML 1.0 fifth edition, section 2.2).
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """Drop characters XML 1.0 cannot carry (a finding message may quote raw bytes): C0
    controls but tab, LF and CR, lone surrogates, U+FFFE and U+FFFF."""
    return _NOT_XML_CHAR.sub("", value)


def clip(value: str) -> str:
    """Cut ``value`` to :data:`MAX_TEXT` characters, the last one an ellipsis when cut."""
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def aware(moment: datetime | None) -> datetime:
    """Return ``moment`` timezone-aware (naive values are taken as UTC; None is now, UTC)."""
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def timestamp(moment: datetime) -> str:
    """``Horodatage`` shape: ISO 8601 to the second with offset (``2026-03-02T09:30:00+00:00``)."""
    return moment.isoformat(timespec="seconds")


def serialise(top: etree._Element) -> bytes:
    """Serialise a document as UTF-8 with an XML declaration, pretty-printed."""
    return etree.tostring(top, xml_declaration=True, encoding="UTF-8", pretty_print=True)
