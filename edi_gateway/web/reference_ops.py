"""``transverses/v1/recuperer/*`` reference lists and ``GET transverses/v1/health-check``.

Job: serve the lists the gateway already holds as data (``../shared/domain/chorus-pro.md`` §6):
flux syntaxes (:mod:`edi_gateway.web.syntaxes`), invoice statuses and refusal / suspension
motifs (``rules/lifecycle.toml``), the statuses a recipient may set next
(``recuperer/etats/traitement``), and the billing frameworks (``rules/billing-frameworks.toml``).
The health check needs no credentials and says whether the ledger answers.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from edi_gateway import __version__
from edi_gateway.core import resources, toml_tables
from edi_gateway.web.auth import Caller, context
from edi_gateway.web.errors import NOTHING_FOUND, answer
from edi_gateway.web.models import CproModel
from edi_gateway.web.syntaxes import SYNTAXES

router = APIRouter(tags=["transverses"])


class CurrentStatus(CproModel):
    """``recuperer/etats/traitement``: the current status of an invoice."""

    statutCourant: str


@functools.cache
def billing_frameworks() -> list[dict[str, str]]:
    """The frameworks of ``rules/billing-frameworks.toml``: code, label_fr, label_en, kind."""
    file = resources.data_file("rules", "billing-frameworks.toml")
    data = toml_tables.read_toml(file)
    toml_tables.check_keys(file, "", data, {"framework": list})
    keys = {"code": str, "label_fr": str, "label_en": str, "kind": str}
    for i, row in enumerate(data["framework"]):
        toml_tables.check_keys(file, f"framework[{i}].", row, keys)
    return [dict(row) for row in data["framework"]]


@router.post("/cpro/transverses/v1/recuperer/formatflux", summary="Syntaxes de flux")
def formats(_account: Caller) -> Any:
    """Every ``syntaxeFlux`` and whether this gateway processes it."""
    return answer(
        listeFormatFlux=[
            {"syntaxeFlux": code, "libelle": label, "traiteeParLaPasserelle": ok}
            for code, (ok, label) in SYNTAXES.items()
        ]
    )


@router.post("/cpro/transverses/v1/recuperer/statuts", summary="Statuts de facture")
def statuses(request: Request, _account: Caller) -> Any:
    """Every invoice status: code, name, labels, who may set it."""
    table = context(request).table
    return answer(
        listeStatuts=[
            {
                "code": s.code,
                "statut": s.name,
                "libelle": s.label_fr,
                "libelleEn": s.label_en,
                "positionnePar": sorted(str(a) for a in s.set_by),
                "codeReforme": s.reform_code,
            }
            for s in table.statuses
        ]
    )


@router.post("/cpro/transverses/v1/recuperer/motifs", summary="Motifs de refus / suspension")
def motifs(request: Request, _account: Caller) -> Any:
    """Every motif code a REJETEE / SUSPENDUE status takes, with its AFNOR transcoding."""
    return answer(
        listeMotifs=[
            {"code": m.code, "libelle": m.label_fr, "libelleEn": m.label_en, "codeAfnor": m.afnor}
            for m in context(request).table.motifs.values()
        ]
    )


@router.post("/cpro/transverses/v1/recuperer/etats/traitement", summary="Statuts possibles")
def next_statuses(query: CurrentStatus, request: Request, _account: Caller) -> Any:
    """The statuses a recipient may set on an invoice in ``statutCourant``."""
    table = context(request).table
    current = table.find(query.statutCourant)
    if current is None:
        return answer(NOTHING_FOUND, f"statut inconnu | unknown status {query.statutCourant!r}")
    targets = table.targets(current.name, "recipient")
    return answer(listeStatutsPossiblesPourTraitement=[{"statut": t.name} for t in targets])


@router.post("/cpro/transverses/v1/recuperer/cadrefacturation", summary="Cadres de facturation")
def frameworks(_account: Caller) -> Any:
    """The billing frameworks (BT-23) the gateway knows."""
    return answer(
        listeCadreFacturation=[
            {"codeCadreFacturation": f["code"], "libelle": f["label_fr"], **f}
            for f in billing_frameworks()
        ]
    )


@router.head("/cpro/transverses/v1/health-check", include_in_schema=False)
@router.get("/cpro/transverses/v1/health-check", summary="État du service | health")
def health(request: Request) -> Any:
    """``UP`` when the ledger answers (HTTP 200), else ``DOWN`` (HTTP 503). No credentials."""
    try:
        context(request).store().flux("-")  # one indexed read
    except Exception as exc:  # the health check never raises
        body = answer(503, f"base indisponible | ledger down: {exc}", statut="DOWN")
        return JSONResponse(body, 503)
    return answer(statut="UP", version=__version__)
