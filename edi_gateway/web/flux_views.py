"""A flux as ``consulterCR`` / ``consulterCRDetaille`` show it: state, interface, report lines.

Job: turn a ``flux`` row (and its integration report file, the CPPStatut ``CPPFluxStatuts``
the pipeline wrote) into Chorus Pro's fields (``../shared/domain/chorus-pro.md`` §3.1, §6):
``etatCourantDepotFlux`` (``IN_EN_ATTENTE_TRAITEMENT_CPP`` claimed and not yet tried,
``IN_EN_COURS_TRAITEMENT_CPP`` being processed, then ``IN_INTEGRE`` accepted, ``IN_REJETE``
rejected, ``IN_INCIDENTE`` inadmissible), the interface code, and the report's error lines.
Reads files, never writes.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from edi_gateway.core import names, xmlsafe
from edi_gateway.store.records import FluxRow, FluxState

STATE = {"accepted": "IN_INTEGRE", "rejected": "IN_REJETE", "inadmissible": "IN_INCIDENTE"}
INTERFACE = {
    "IN_DP_E1_UBL_INVOICE": names.UBL_INTERFACE,
    "IN_DP_E1_CII_16B": names.CII_INTERFACE,
    "IN_DP_E2_CII_FACTURX": names.FACTURX_INTERFACE,
}


def state(row: FluxRow) -> str:
    """``etatCourantDepotFlux`` of the flux."""
    if row.state is FluxState.DONE:
        return STATE.get(row.verdict or "", "IN_INCIDENTE")
    return "IN_EN_COURS_TRAITEMENT_CPP" if row.attempts else "IN_EN_ATTENTE_TRAITEMENT_CPP"


def interface(row: FluxRow, declared: str | None) -> str:
    """``codeInterfaceDepotFlux``: from what detection found, else what the deposit declared."""
    return INTERFACE.get(row.flux_syntax or declared or "", names.UBL_INTERFACE)


def minute(text: str | None) -> str | None:
    """``YYYY-MM-DD HH:MM`` of an ISO 8601 time, Chorus Pro's date-time shape."""
    return text[:16].replace("T", " ") if text else None


def report_file(row: FluxRow) -> Path | None:
    """The integration report (``CSO...`` file) among the flux's outputs, if written."""
    for output in row.outputs:
        path = Path(output)
        if path.name.startswith("CSO") and row.id_flux in path.name and path.is_file():
            return path
    return None


def report_lines(data: bytes) -> list[dict[str, str | None]]:
    """The ``LigneErreurDetail`` lines of a report: nature, code, label, description."""
    try:
        root = xmlsafe.parse(data).getroot()
    except xmlsafe.XmlProblem:
        return []
    lines = []
    for line in root.iter("LigneErreurDetail"):
        lines.append(
            {
                "natureErreur": _child(line, "NatureErreur"),
                "codeErreur": _child(line, "CodeErreur"),
                "libelleErreur": _child(line, "LibelleErreur"),
                "descriptionErreur": _child(line, "DescriptionErreur"),
            }
        )
    return lines


def _child(element: Any, name: str) -> str | None:
    found = element.find(name)
    return found.text if found is not None else None


def report_html(row: FluxRow, lines: list[dict[str, str | None]]) -> bytes:
    """A readable HTML page of the integration report (UTF-8), every value escaped."""
    e = html.escape
    cells = "".join(
        "<tr>" + "".join(f"<td>{e(line[k] or '')}</td>" for k in line) + "</tr>" for line in lines
    )
    page = (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
        f"<title>Compte rendu {e(row.id_flux)}</title></head><body>"
        f"<h1>Compte rendu d'intégration du flux {e(row.id_flux)}</h1>"
        f"<p>Fichier : {e(row.original_name)}<br>État : {e(state(row))}<br>"
        f"Motif : {e(row.reason or '-')}<br>Reçu : {e(minute(row.received_at) or '')}</p>"
        "<table border='1'><tr><th>Nature</th><th>Code</th><th>Libellé</th>"
        f"<th>Description</th></tr>{cells}</table></body></html>"
    )
    return page.encode("utf-8")
