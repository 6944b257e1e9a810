"""CPPStatut status flows (AIFE schema ``CPPStatutPivot_V1_19.xsd``): the one import for callers.

Job: give other modules one stable place to build the two CPPStatut documents the gateway
writes; the work is done in three modules, re-exported here unchanged. Input: verdicts,
findings, invoice statuses -> output: UTF-8 XML bytes. It never writes files.

* :mod:`edi_gateway.outputs.statut_envelope`: the shared root ``CPPStatut`` and its ``Enveloppe``
  (``DtPrd``, ``IdFlx``, ``Emetteur`` = the platform, ``Recepteur`` = the partner).
* :mod:`edi_gateway.outputs.statut_flux_report`: :func:`flux_report`, ``CPPFluxStatuts``, the
  integration report of one received flux (interface ``CSO…``: 90 "Reçu", 93 "Erreur
  réception" with one ``LigneErreurDetail`` per finding, 96 "Reçu – intégration
  partielle"), and :func:`inadmissible_reason`, the ``IRR_*`` reason table of an inadmissible
  flux.
* :mod:`edi_gateway.outputs.statut_invoice`: :func:`invoice_statuses`, ``CPPFactureStatuts``,
  statuses of invoices (interface ``FEN1200A``): 01 Déposée, 02 En cours d'acheminement,
  03 Mise à disposition, ...
"""

from __future__ import annotations

from edi_gateway.outputs.statut_envelope import MAX_TEXT, PLATFORM_ID, PLATFORM_LABEL, VERSION
from edi_gateway.outputs.statut_flux_report import (
    DEFAULT_INADMISSIBLE_REASON,
    FLUX_PARTLY_INTEGRATED,
    FLUX_RECEIVED,
    FLUX_RECEPTION_ERROR,
    FLUX_STATE,
    FLUX_STATUSES,
    INADMISSIBLE_REASONS,
    MAX_DETAIL_LINES,
    NATURE,
    flux_report,
    inadmissible_reason,
)
from edi_gateway.outputs.statut_invoice import (
    INVOICE_STATUS_LABELS,
    Debtor,
    InvoiceStatus,
    Supplier,
    invoice_statuses,
    supplier_from_envelope,
)

__all__ = [
    "DEFAULT_INADMISSIBLE_REASON",
    "FLUX_PARTLY_INTEGRATED",
    "FLUX_RECEIVED",
    "FLUX_RECEPTION_ERROR",
    "FLUX_STATE",
    "FLUX_STATUSES",
    "INADMISSIBLE_REASONS",
    "INVOICE_STATUS_LABELS",
    "MAX_DETAIL_LINES",
    "MAX_TEXT",
    "NATURE",
    "PLATFORM_ID",
    "PLATFORM_LABEL",
    "VERSION",
    "Debtor",
    "InvoiceStatus",
    "Supplier",
    "flux_report",
    "inadmissible_reason",
    "invoice_statuses",
    "supplier_from_envelope",
]
