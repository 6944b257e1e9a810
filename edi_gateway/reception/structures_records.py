"""Records of the structures directory ("fiche structure") and its XML view for the rules.

Job: hold the public recipient structures (:class:`Structure`, each with its :class:`Service`
records) in a :class:`Directory` indexed by SIRET, and render that directory as the XML that
``rules/cpp-reception.xsl`` reads. Input: records built by
:mod:`edi_gateway.reception.structures_toml`
(or in code); output: look-ups by SIRET / service code and ``Directory.to_xml()`` bytes. Field
names are Chorus Pro's own (API ``structures/v1/consulter`` and
``structures/v1/rechercher/services``, ``../shared/domain/chorus-pro.md`` §2.2-2.3). It never
reads or checks a file: that is :mod:`edi_gateway.reception.structures_toml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lxml import etree

#: The structure flags, by their TOML key / XML attribute name, in :class:`Structure` field order.
FLAG_KEYS = (
    "codeServiceDoitEtreRenseigne",
    "numeroEJDoitEtreRenseigne",
    "gestionNumeroEJOuCodeService",
    "statutMiseEnPaiementNestPasRemonte",
    "estMoaUniquement",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """One service of a structure (CPP "service exécutant").

    Attributes:
        code: ``codeService`` (1-100 characters), what BT-10 / BT-46 scheme 0224 carries.
        label: ``libelleService``.
        active: ``estActif``.
        start: ``dateDbtService``, first day the service may be invoiced, or None (no limit).
        end: ``dateFinService``, last day the service may be invoiced, or None (no limit).
        engagement_required: ``numeroEngagement``: an EJ (BT-13) is required for this service.
    """

    code: str
    label: str = ""
    active: bool = True
    start: date | None = None
    end: date | None = None
    engagement_required: bool = False

    def valid_on(self, day: date) -> bool:
        """True when ``day`` lies within [dateDbtService, dateFinService] (bounds included)."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Structure:
    """One public structure that receives invoices (always identified by a SIRET, §2.1).

    Attributes:
        siret: ``identifiantStructure``, 14 digits with a valid Luhn check digit.
        id_type: ``typeIdentifiantStructure``; always ``SIRET`` for a recipient.
        name: ``libelleStructure``.
        active: ``statut`` is ``ACTIF``.
        service_code_required: ``codeServiceDoitEtreRenseigne``.
        engagement_required: ``numeroEJDoitEtreRenseigne``.
        engagement_or_service: ``gestionNumeroEJOuCodeService`` (EJ or service code, at least one).
        payment_status_not_reported: ``statutMiseEnPaiementNestPasRemonte`` (no MISE_EN_PAIEMENT).
        moa_only: ``estMoaUniquement`` (receives public-works invoices only).
        services: the structure's services, in file order.
    """

    siret: str
    name: str
    id_type: str = "SIRET"
    active: bool = True
    service_code_required: bool = False
    engagement_required: bool = False
    engagement_or_service: bool = False
    payment_status_not_reported: bool = False
    moa_only: bool = False
    services: tuple[Service, ...] = ()

    def service(self, code: str) -> Service | None:
        """Return the service whose ``codeService`` is exactly ``code``, or None."""
        return next((s for s in self.services if s.code == code), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Directory:
    """All recipient structures, indexed by SIRET.

    Attributes:
        structures: every structure, in file order.
        source: the file it was read from, or None when built in code.
    """

    structures: tuple[Structure, ...] = ()
    source: Path | None = None
    _by_siret: dict[str, Structure] = field(init=False, repr=False, compare=False)
    _xml: list[bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_siret", {s.siret: s for s in self.structures})
        object.__setattr__(self, "_xml", [])

    def structure(self, siret: str | None) -> Structure | None:
        """Return the structure whose SIRET is ``siret`` (surrounding spaces ignored), or None."""
        return self._by_siret.get(siret.strip()) if siret else None

    def to_xml(self) -> bytes:
        """Return the directory as the XML ``rules/cpp-reception.xsl`` reads (built once).

        ``<annuaire><structure identifiantStructure=… statut="ACTIF|INACTIF" <flags>="true|false">
        <libelleStructure/><service codeService=… estActif=… numeroEngagement=…
        [dateDbtService=…] [dateFinService=…]><libelleService/></service></structure></annuaire>``:
        the TOML key names, no namespace, dates ``YYYY-MM-DD`` (docs/reception.md §1).
        """
        if not self._xml:
            self._xml.append(self._build_xml())
        return self._xml[0]

    def _build_xml(self) -> bytes:
        root = etree.Element("annuaire")
        for s in self.structures:
            flags = (
                s.service_code_required,
                s.engagement_required,
                s.engagement_or_service,
                s.payment_status_not_reported,
                s.moa_only,
            )
            node = etree.SubElement(root, "structure", identifiantStructure=s.siret)
            node.set("typeIdentifiantStructure", s.id_type)
            node.set("statut", "ACTIF" if s.active else "INACTIF")
            for key, value in zip(FLAG_KEYS, flags, strict=True):
                node.set(key, _xb(value))
            etree.SubElement(node, "libelleStructure").text = s.name
            for sv in s.services:
                snode = etree.SubElement(node, "service", codeService=sv.code)
                snode.set("estActif", _xb(sv.active))
                snode.set("numeroEngagement", _xb(sv.engagement_required))
                for key, day in (("dateDbtService", sv.start), ("dateFinService", sv.end)):
                    if day:
                        snode.set(key, day.isoformat())
                etree.SubElement(snode, "libelleService").text = sv.label
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _xb(value: bool) -> str:
    return "true" if value else "false"
