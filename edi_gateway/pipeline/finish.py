"""The last steps every flux shares: putting the original away, the ``flux.done`` line, and the
outcome of a flux already done.

Job: protocol step 4 of ``docs/architecture.md`` (:func:`put_away`: accepted and rejected to
``var/archive``, the rest to ``var/error``), the one ``flux.done`` log line of every flux
(:func:`log_done`), and what a re-run of a flux whose verdict is recorded returns
(:func:`already_done`). The engine, the daemon's recovery and set-aside, and ``process`` call
these; nothing else moves an original or logs ``flux.done``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from edi_gateway.core import files, logs, xmlsafe
from edi_gateway.core.config import Config
from edi_gateway.core.model import ValidationReport, Verdict
from edi_gateway.core.records import Claim
from edi_gateway.ingest.claim import is_regular, split_work_name
from edi_gateway.lifecycle.recipient_status import SYNTAX as STATUS_FILE_SYNTAX
from edi_gateway.lifecycle.recipient_status_report import report_status
from edi_gateway.outputs import statusflow
from edi_gateway.outputs.delivery_plan import publish_staged
from edi_gateway.pipeline.outcome import PLATFORM_STATUSES, Outcome, flux_status
from edi_gateway.store.records import FluxRow

KEPT = (Verdict.ACCEPTED, Verdict.REJECTED)  # their originals go to var/archive


def put_away(
    config: Config,
    work_path: Path,
    id_flux: str,
    verdict: Verdict | str | None,
    original_name: str | None = None,
) -> Path | None:
    """Move an original out of ``var/work`` (protocol step 4).

    Args:
        config: gives ``var/archive`` (accepted, rejected) and ``var/error`` (the rest).
        work_path: ``var/work/<IdFlux>__<name>``.
        id_flux: its IdFlux. verdict: the recorded verdict (a :class:`Verdict` or its text).
        original_name: the name to keep; None: read from ``work_path``.

    Returns:
        Where the original is now, or None when nothing was left in ``var/work``. A link or a
        special file is renamed as it is (never opened, never followed).

    Raises:
        OutputError: the original cannot be moved.
    """
    if not work_path.exists() and not work_path.is_symlink():
        return None
    folder = config.archive_dir if verdict in KEPT else config.error_dir
    if not is_regular(work_path):
        folder.mkdir(parents=True, exist_ok=True)
        return Path(work_path.rename(folder / work_path.name))
    if original_name is None:
        parsed = split_work_name(work_path.name)
        original_name = parsed[1] if parsed else work_path.name
    return files.move_original(work_path, folder, id_flux, original_name)


def publish(outputs: Iterable[str | Path]) -> None:
    """Protocol step 3, end: give the staged outputs of a committed flux their final names
    (:func:`~edi_gateway.outputs.delivery_plan.publish_staged`, never replacing a file). For a
    ``done`` flux met again with its original still in ``var/work`` (a crash after the commit);
    outputs already out are skipped. A file that cannot be published is logged
    ``output.failed`` (its staged copy kept, nothing lost). Never raises."""
    for problem in publish_staged(outputs):
        logs.get_logger().error("output.failed", message=problem)


def log_done(log: Any, outcome: Outcome, **extra: object) -> None:
    """Log ``flux.done``, the last line of every flux: verdict, recipient, service code,
    reason, error count, first error rules, duration in ms, plus ``extra`` (``again`` for a
    re-run, ``applied`` / ``refused`` for a recipient status file)."""
    log.info(
        "flux.done",
        verdict=str(outcome.verdict),
        recipient=outcome.recipient_siret,
        service_code=outcome.service_code,
        reason=outcome.reason,
        error_count=outcome.error_count,
        first_rules=outcome.first_rules,
        duration_ms=outcome.duration_ms,
        **extra,
    )


def already_done(config: Config, claim: Claim, row: FluxRow, start: float) -> Outcome:
    """The outcome of a flux whose verdict is already recorded (a re-run after a crash): only
    its staged outputs are published (:func:`publish`) and its original is put away; nothing
    is validated or written again.

    Args:
        config: where originals go. claim: the flux. row: its ``done`` flux row.
        start: ``time.perf_counter()`` when its processing began (for ``duration_ms``).

    Raises:
        OutputError: the original cannot be moved.
    """
    written = tuple(Path(p) for p in row.outputs)
    publish(written)
    verdict = Verdict(row.verdict) if row.verdict else Verdict.INADMISSIBLE
    moved = put_away(config, Path(claim.work_path), claim.id_flux, verdict, claim.original_name)
    is_status_file = row.syntax == STATUS_FILE_SYNTAX
    return Outcome(
        id_flux=claim.id_flux,
        file=claim.original_name,
        channel=claim.channel,
        syntax=row.syntax or "other",
        verdict=verdict,
        reason=row.reason,
        recipient_siret=row.recipient_siret,
        service_code=row.service_code,
        flux_status=reported_status(written, verdict) if is_status_file else flux_status(verdict),
        statuses=PLATFORM_STATUSES if verdict is Verdict.ACCEPTED and not is_status_file else (),
        outputs=(*written, *((moved,) if moved else ())),
        error_count=row.error_count or 0,
        duration_ms=round((time.perf_counter() - start) * 1000, 1),
    )


def reported_status(written: tuple[Path, ...], verdict: Verdict) -> str:
    """``IdStatut`` of the flux report a done recipient status file wrote (its first output),
    or the status its verdict alone gives when that report cannot be read."""
    try:
        report = xmlsafe.parse(written[0].read_bytes()).getroot()
        code = report.findtext("CPPFluxStatuts/CPPFluxStatutUnitaire/DonneesStatut/IdStatut")
    except (IndexError, OSError, xmlsafe.XmlProblem):
        code = None
    if code is not None and code in statusflow.FLUX_STATUSES:
        return code
    return report_status(verdict, 0)


def log_validation(log: Any, report: ValidationReport) -> None:
    """``flux.detected`` (what the file is) then ``flux.validated``, whose ``validation`` key is
    the verdict of the validation layers alone (detect, xml, xsd, schematron, fr-ctc): an
    invoice valid there may still be rejected by the CPP reception rules, which only
    ``flux.rejected`` / ``flux.done`` (key ``verdict``) say."""
    detection = report.detection
    log.info(
        "flux.detected",
        container=str(detection.container),
        syntax=detection.label,
        kind=detection.kind,
        profile=detection.profile,
        flux_syntax=detection.flux_syntax,
        attachment=detection.attachment,
    )
    log.info(
        "flux.validated",
        syntax=report.detection.label,
        profile=report.detection.profile,
        validation=str(report.verdict),
        error_count=len(report.errors),
        layers=list(report.layers_run),
        scenario=report.scenario,
        packs=dict(report.packs),
        artefacts=dict(report.artefacts),
    )
