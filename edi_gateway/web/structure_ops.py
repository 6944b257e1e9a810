"""``structures/v1/rechercher``, ``consulter``, ``rechercher/services``, ``consulter/service``:
the directory of public recipient structures as ``rules/structures.toml`` holds it.

Job: answer any authenticated account (the directory is public in Chorus Pro) with the fields of
``../shared/domain/chorus-pro.md`` §2.2. Ids: ``idStructureCPP`` is the SIRET read as a number
(the gateway has no other stable id for a structure); ``idService`` is the 1-based position of the
service in its structure (stable while the file keeps its order).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from edi_gateway.reception.structures import Service, Structure
from edi_gateway.web import invoice_views
from edi_gateway.web.auth import Caller, context
from edi_gateway.web.errors import NOTHING_FOUND, NOTHING_FOUND_LABEL, answer
from edi_gateway.web.invoice_views import Paging
from edi_gateway.web.models import CproModel

router = APIRouter(tags=["structures"])


class StructureCriteria(CproModel):
    """``structure`` criteria of a search (all optional; the label matches a part, any case)."""

    identifiantStructure: str | None = None
    typeIdentifiantStructure: str | None = None
    libelleStructure: str | None = None
    statut: str | None = None


class StructureSearch(CproModel):
    """``structures/v1/rechercher``."""

    structure: StructureCriteria = StructureCriteria()
    restreindreStructuresPrivees: bool = False
    paramRecherche: Paging = Paging()


class StructureQuery(CproModel):
    """One structure, by ``idStructureCPP`` (or ``idStructure``) or ``identifiantStructure``."""

    idStructureCPP: int | None = None
    idStructure: int | None = None
    identifiantStructure: str | None = None
    idService: int | None = Field(default=None, ge=1)


def _id(structure: Structure) -> int:
    return int(structure.siret)


def _listed(s: Structure) -> dict[str, Any]:
    return {
        "idStructureCPP": _id(s),
        "identifiantStructure": s.siret,
        "typeIdentifiantStructure": s.id_type,
        "designationStructure": s.name,
        "statut": "ACTIF" if s.active else "INACTIF",
    }


def _service(index: int, service: Service) -> dict[str, Any]:
    return {
        "idService": index,
        "codeService": service.code,
        "libelleService": service.label,
        "estActif": service.active,
        "dateDbtService": service.start.isoformat() if service.start else None,
        "dateFinService": service.end.isoformat() if service.end else None,
    }


def _find(request: Request, query: StructureQuery) -> Structure | None:
    directory = context(request).directory.current()
    wanted = query.idStructureCPP or query.idStructure
    if query.identifiantStructure is not None:
        return directory.structure(query.identifiantStructure)
    if wanted is not None:
        return directory.structure(str(wanted).zfill(14))
    return None


def _none() -> dict[str, Any]:
    return answer(NOTHING_FOUND, NOTHING_FOUND_LABEL)


@router.post("/cpro/structures/v1/rechercher", summary="Rechercher des structures")
def rechercher(query: StructureSearch, request: Request, _account: Caller) -> Any:
    """Structures matching the criteria, in directory order."""
    c = query.structure
    found = [
        _listed(s)
        for s in context(request).directory.current().structures
        if c.identifiantStructure in (None, s.siret)
        and c.typeIdentifiantStructure in (None, s.id_type)
        and (c.libelleStructure is None or c.libelleStructure.casefold() in s.name.casefold())
        and c.statut in (None, "ACTIF" if s.active else "INACTIF")
    ]
    if not found:
        return _none()
    return answer(**invoice_views.page(found, query.paramRecherche, "listeStructures"))


@router.post("/cpro/structures/v1/consulter", summary="Consulter une structure")
def consulter(query: StructureQuery, request: Request, _account: Caller) -> Any:
    """One structure: general information and the flags that make fields mandatory."""
    s = _find(request, query)
    if s is None:
        return _none()
    return answer(
        idStructureCPP=_id(s),
        informationGenerales={
            "idStructureCPP": _id(s),
            "identifiantStructure": s.siret,
            "typeIdentifiantStructure": s.id_type,
            "libelleStructure": s.name,
            "structurePriveePublique": "PUBLIQUE",
            "statut": "ACTIF" if s.active else "INACTIF",
        },
        parametres={
            "codeServiceDoitEtreRenseigne": s.service_code_required,
            "numeroEJDoitEtreRenseigne": s.engagement_required,
            "gestionNumeroEJOuCodeService": s.engagement_or_service,
            "statutMiseEnPaiementNestPasRemonte": s.payment_status_not_reported,
            "estMoaUniquement": s.moa_only,
        },
    )


@router.post("/cpro/structures/v1/rechercher/services", summary="Services d'une structure")
def rechercher_services(query: StructureQuery, request: Request, _account: Caller) -> Any:
    """The services of one structure."""
    s = _find(request, query)
    if s is None or not s.services:
        return _none()
    services = [_service(i, service) for i, service in enumerate(s.services, start=1)]
    return answer(listeServices=services, parametresRetour={"total": len(services)})


@router.post("/cpro/structures/v1/consulter/service", summary="Consulter un service")
def consulter_service(query: StructureQuery, request: Request, _account: Caller) -> Any:
    """One service of one structure (``idStructure`` and ``idService``)."""
    s = _find(request, query)
    index = query.idService or 0
    if s is None or not 1 <= index <= len(s.services):
        return _none()
    service = s.services[index - 1]
    return answer(
        **_service(index, service),
        idStructureCPP=_id(s),
        parametres={"numeroEngagement": service.engagement_required},
    )
