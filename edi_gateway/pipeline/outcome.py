"""The records of one flux's processing: the analysis before anything is written, the outcome after.

Job: hold what the engine computed for one flux (:class:`Analysis`: validation report, verdict,
findings, reason, envelope, recipient structure) and what happened to it (:class:`Outcome`,
returned to workers, the ``process`` command and tests, with its JSON shape; also built from a
recipient status file's result), and map a verdict to the CPPStatut flux status. Input: values
the engine stages produce -> output: frozen records.
It never validates, writes files or touches the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edi_gateway.core.model import Envelope, Finding, Severity, ValidationReport, Verdict
from edi_gateway.core.records import Claim
from edi_gateway.lifecycle.recipient_status import SYNTAX as STATUS_FILE_SYNTAX
from edi_gateway.lifecycle.recipient_status_report import StatusFileOutcome
from edi_gateway.outputs.statusflow import FLUX_RECEIVED, FLUX_RECEPTION_ERROR
from edi_gateway.reception.structures import Structure

PLATFORM_STATUSES = ("01", "02", "03")  # DEPOSEE, EN_COURS_ACHEMINEMENT, MISE_A_DISPOSITION
FIRST_RULES = 5
# A finding rule that names no rule. svrl.py now gives id-less SVRL hits a project id
# (FX-NOT-USED, GW-SCH-02); this label is kept for findings built elsewhere without one.
NO_RULE_ID = "(no id)"
LABEL_CHARS = 60  # a rule without id is named in the logs by the start of its message


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What happened to one flux.

    Attributes:
        id_flux: its IdFlux. file: original name. channel: channel name.
        syntax: detection label (``ubl-invoice``, ``cii``, ``facturx-pdf``, ``other`` ...).
        verdict: accepted, rejected or inadmissible.
        reason: reason code when not accepted (``IRR_*``, ``REJ_*``, ``DEST_INC`` ...).
        recipient_siret / service_code: the routing data the invoice carries (None if absent).
        invoice_number: BT-1. invoice_id: CPP invoice id, only for an accepted invoice.
        flux_status: CPPStatut flux status written (90 or 93).
        statuses: invoice statuses written (01, 02, 03 for an accepted invoice).
        outputs: files written in ``outbound/`` and where the original now is.
        findings: every finding. error_count: findings with severity error.
        duration_ms: processing time in milliseconds.
    """

    id_flux: str
    file: str
    channel: str
    syntax: str
    verdict: Verdict
    reason: str | None = None
    recipient_siret: str | None = None
    service_code: str | None = None
    invoice_number: str | None = None
    invoice_id: int | None = None
    flux_status: str | None = None
    statuses: tuple[str, ...] = ()
    outputs: tuple[Path, ...] = ()
    findings: tuple[Finding, ...] = field(default=(), repr=False)
    error_count: int = 0
    duration_ms: float = 0.0

    @property
    def first_rules(self) -> list[str]:
        """The first distinct error rules (at most 5), for the logs; see :func:`log_rules`."""
        return log_rules(self.findings)

    def as_dict(self) -> dict[str, Any]:
        """JSON shape (one object per file in ``process --format json``)."""
        return {
            "id_flux": self.id_flux,
            "file": self.file,
            "channel": self.channel,
            "syntax": self.syntax,
            "verdict": str(self.verdict),
            "reason": self.reason,
            "recipient_siret": self.recipient_siret,
            "service_code": self.service_code,
            "invoice_number": self.invoice_number,
            "invoice_id": self.invoice_id,
            "flux_status": self.flux_status,
            "statuses": list(self.statuses),
            "outputs": [str(p) for p in self.outputs],
            "error_count": self.error_count,
            "findings": [f.as_dict() for f in self.findings],
            "duration_ms": self.duration_ms,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """Everything computed for one flux before anything is written.

    Attributes:
        report: the validation report (detection included).
        verdict: accepted, rejected or inadmissible.
        findings: validation findings, then reception and duplicate findings.
        reason: reason code when not accepted (``IRR_*``, ``REJ_*``, ``DEST_INC`` ...).
        envelope: the routing data of the invoice (None when the flux is inadmissible).
        structure: the recipient structure found in the directory (None when unknown).
    """

    report: ValidationReport
    verdict: Verdict
    findings: tuple[Finding, ...]
    reason: str | None = None
    envelope: Envelope | None = None
    structure: Structure | None = None

    @property
    def errors(self) -> int:
        """Number of findings with severity error."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)


def flux_status(verdict: Verdict) -> str:
    """CPPStatut flux status of a verdict: 90 Reçu when accepted, else 93 Erreur réception."""
    return FLUX_RECEIVED if verdict is Verdict.ACCEPTED else FLUX_RECEPTION_ERROR


def log_rules(findings: Iterable[Finding]) -> list[str]:
    """Labels of the first distinct error findings, at most :data:`FIRST_RULES`, for the logs.

    The label is the rule id (``BR-CO-10``, ``CPP-DUP-01`` ...); a finding without rule id
    (:data:`NO_RULE_ID`) is named by the first :data:`LABEL_CHARS` characters of its message
    (``Attribute @currencyID' marked as not used in the given context.``), so a Factur-X file
    whose profile checks have no ids does not log ``(no id)`` five times.
    """
    labels: list[str] = []
    for finding in findings:
        if finding.severity is not Severity.ERROR:
            continue
        has_id = finding.rule not in ("", NO_RULE_ID)
        label = finding.rule if has_id else _clip(finding.message)
        if label not in labels:
            labels.append(label)
            if len(labels) == FIRST_RULES:
                break
    return labels


def _clip(message: str) -> str:
    return message if len(message) <= LABEL_CHARS else message[: LABEL_CHARS - 1] + "…"


def status_file_outcome(claim: Claim, result: StatusFileOutcome) -> Outcome:
    """The outcome of a recipient status file (syntax ``cpp-statut``): its flux status 90 / 96 /
    93, the codes of the statuses applied as ``statuses``, the report and status flows written
    as ``outputs`` (the original is added once put away)."""
    return Outcome(
        id_flux=claim.id_flux,
        file=claim.original_name,
        channel=claim.channel,
        syntax=STATUS_FILE_SYNTAX,
        verdict=result.verdict,
        reason=result.reason,
        flux_status=result.flux_status,
        statuses=tuple(a.status.code for a in result.applied),
        outputs=result.outputs,
        findings=result.findings,
        error_count=result.error_count,
    )
