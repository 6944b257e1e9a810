"""The answer to a recipient status file: its flux report (90 / 96 / 93) and outcome record.

Job: :func:`answer` writes the ``CPPFluxStatuts`` report of one recipient CPPStatut file to
``outbound/canaux/<application code>/`` and returns the :class:`StatusFileOutcome` the
pipeline records and logs; :func:`report_status` says which flux status it carries: 90 "Reçu"
when every status was applied, 96 "Reçu – intégration partielle" when some were applied and
some refused, 93 "Erreur réception" when none was applied or the file is unusable
(``../shared/domain/chorus-pro.md`` §3.4-§3.5). Input: what became of the file's units; it never
reads the file nor applies a status (that is :mod:`edi_gateway.lifecycle.recipient_status_apply`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edi_gateway.core import files
from edi_gateway.core.config import Channel
from edi_gateway.core.model import Finding, Verdict
from edi_gateway.lifecycle.actions import Applied
from edi_gateway.lifecycle.refusals import Refusal
from edi_gateway.outputs import statusflow
from edi_gateway.outputs.report_file import flux_report_file


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusFileOutcome:
    """What became of one recipient status file (the fields ``flux.done`` logs).

    Attributes:
        verdict: accepted (every status applied), rejected (at least one refused), inadmissible
            (the file is not a usable CPPStatut with CPPFactureStatuts).
        applied: statuses applied, in file order.
        refused: ``(unit number, refusal)`` of each refused status.
        findings: one error finding per refused status or shape problem (the report's lines).
        report: the flux report written, or None when it could not be written.
        reason: ``IRR_SYNTAX`` for an inadmissible file, else None.
        outputs: the report, then every status flow written (what the flux row records).
        flux_status: the report's ``IdStatut``: 90 every status applied, 96 some applied and
            some refused, 93 none applied or the file unusable.
    """

    verdict: Verdict
    applied: tuple[Applied, ...] = ()
    refused: tuple[tuple[int, Refusal], ...] = ()
    findings: tuple[Finding, ...] = ()
    report: Path | None = None
    reason: str | None = None
    outputs: tuple[Path, ...] = field(default=())
    flux_status: str = statusflow.FLUX_RECEPTION_ERROR

    @property
    def error_count(self) -> int:
        """Number of error findings."""
        return len(self.findings)

    @property
    def first_rules(self) -> list[str]:
        """Rule ids of the first five findings (for the log line)."""
        return [f.rule for f in self.findings[:5]]


def answer(
    outbound: Path,
    id_flux: str,
    channel: Channel,
    verdict: Verdict,
    applied: tuple[Applied, ...],
    refused: tuple[tuple[int, Refusal], ...],
    findings: tuple[Finding, ...],
    reason: str = "IRR_SYNTAX",
) -> StatusFileOutcome:
    """Write the flux report (90 / 96 / 93) and build the outcome.

    Args:
        outbound: the outbound folder (config ``gateway.outbound``).
        id_flux, channel: the flux and the ``recipient-status`` channel it came in on (its
            application code names the report's folder).
        verdict: accepted (90), rejected (96 when ``applied`` is not empty, else 93) or
            inadmissible (93 with reason ``IRR_SYNTAX``).
        applied, refused: what became of the units (counted in the report's comment).
        findings: the report's ``LigneErreurDetail`` lines.
        reason: the CPP reason code of an inadmissible file (``IRR_SYNTAX``; ``IRR_TAILLE_F``
            for a file over ``validation.max_file_bytes``); ignored otherwise.

    Raises:
        OutputError: the report could not be written.
    """
    reason_code = reason if verdict is Verdict.INADMISSIBLE else None
    if verdict is Verdict.INADMISSIBLE:
        comment = f"Flux de statuts irrecevable : {len(findings)} erreur(s)"
    else:
        comment = f"{len(applied)} statut(s) appliqué(s), {len(refused)} refusé(s)"
    status = report_status(verdict, len(applied))
    target, report = flux_report_file(
        outbound,
        id_flux=id_flux,
        application_code=channel.application_code,
        verdict=verdict,
        reason=reason_code,
        status=status,
        findings=findings,
        comment=comment,
    )
    path = files.write_atomic(target, report, root=outbound)
    flows = tuple(flow for a in applied for flow in a.flows)
    return StatusFileOutcome(
        verdict=verdict,
        applied=applied,
        refused=refused,
        findings=findings,
        report=path,
        reason=reason_code,
        outputs=(path, *flows),
        flux_status=status,
    )


def report_status(verdict: Verdict, applied: int) -> str:
    """Flux status of a recipient status file (``CPPFluxStatuts/IdStatut``, chorus-pro.md §3.4).

    Returns:
        ``90`` Reçu when accepted; ``96`` Reçu – intégration partielle when rejected with
        ``applied`` > 0 statuses applied; ``93`` Erreur réception otherwise (none applied,
        or the file inadmissible).
    """
    if verdict is Verdict.ACCEPTED:
        return statusflow.FLUX_RECEIVED
    if verdict is Verdict.REJECTED and applied > 0:
        return statusflow.FLUX_PARTLY_INTEGRATED
    return statusflow.FLUX_RECEPTION_ERROR
