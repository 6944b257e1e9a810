"""The optional ``cpp`` layer of ``edi-gateway validate --cpp``: what Chorus Pro reception says.

Job: add to a :class:`~edi_gateway.model.ValidationReport` the findings of the project's Chorus
Pro reception rules (``rules/cpp-reception.xsl``, ``CPP-REC-01`` .. ``CPP-REC-18``), run by
:func:`edi_gateway.reception.rules.check` against a structures directory and a deposit date, as the
engine does for a deposited flux. Input: a report, a directory, a date; output: a new report
(nothing is written, no state is read). The duplicate rules (``CPP-DUP-01``, ``CPP-DUP-02``) need
the gateway's state and do not run here.

Verdict, as in the engine (``docs/architecture.md``): the CPP rules run on every usable invoice
(also one the Schematron layers rejected); an inadmissible file does not reach them (layer
skipped with a ``GW-VAL-03`` info finding); the report is accepted only when it was accepted and
no CPP rule gave an error, else rejected. A rules stylesheet that cannot be compiled
(``GW-VAL-02``) or that stopped on the document (``GW-SCH-01``) leaves the layer skipped and the
report rejected.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Finding, Layer, Severity, Syntax, ValidationReport, Verdict
from edi_gateway.reception import envelope
from edi_gateway.reception import rules as reception
from edi_gateway.reception.structures import Directory
from edi_gateway.validation.svrl import RUN_FAILED
from edi_gateway.validation.validator import ARTEFACT_FAILED, LAYER_SKIPPED, SOURCE

LAYER = str(Layer.CPP)


def with_reception(
    report: ValidationReport, directory: Directory, deposit_date: date
) -> ValidationReport:
    """Return ``report`` with the CPP reception rules' findings, layer and verdict added.

    Args:
        report: from :meth:`edi_gateway.validation.validator.Validator.validate`.
        directory: the structures directory (config ``gateway.structures``).
        deposit_date: the day taken as deposit date (CPP-REC-15 refuses a later issue date).

    Returns:
        A new report: findings of layer ``cpp`` appended, ``cpp`` in ``layers_run`` (or in
        ``layers_skipped`` with a finding saying why), ``cpp-reception`` in ``artefacts`` and
        ``svrl``. Never raises for bad input.
    """
    detection = report.detection
    if (
        report.verdict is Verdict.INADMISSIBLE
        or detection.xml is None
        or detection.syntax is Syntax.OTHER
    ):
        why = f"{reception.RULES_XSL.name} not run: the file is inadmissible"
        return _skipped(report, _note(LAYER_SKIPPED, Severity.INFO, why), report.verdict)
    artefacts = {**report.artefacts, reception.RULESET_NAME: reception.RULESET_VERSION}
    try:
        result = reception.check(
            detection.xml,
            detection.syntax,
            envelope.extract(detection.xml, detection.syntax),
            directory,
            deposit_date=deposit_date,
            store=None,
            id_flux=None,
        )
    except ArtefactError as exc:
        failed = _note(ARTEFACT_FAILED, Severity.ERROR, str(exc))
        return _skipped(replace(report, artefacts=artefacts), failed, Verdict.REJECTED)
    completed = not any(f.rule == RUN_FAILED for f in result.findings)
    accepted = report.verdict is Verdict.ACCEPTED and result.accepted and completed
    return replace(
        report,
        verdict=Verdict.ACCEPTED if accepted else Verdict.REJECTED,
        findings=(*report.findings, *result.findings),
        layers_run=(*report.layers_run, LAYER) if completed else report.layers_run,
        layers_skipped=report.layers_skipped if completed else (*report.layers_skipped, LAYER),
        artefacts=artefacts,
        svrl={**report.svrl, reception.RULESET_NAME: result.svrl} if completed else report.svrl,
    )


def _note(rule: str, severity: Severity, message: str) -> Finding:
    return Finding(layer=Layer.CPP, rule=rule, severity=severity, message=message, source=SOURCE)


def _skipped(report: ValidationReport, finding: Finding, verdict: Verdict) -> ValidationReport:
    return replace(
        report,
        verdict=verdict,
        findings=(*report.findings, finding),
        layers_skipped=(*report.layers_skipped, LAYER),
    )
