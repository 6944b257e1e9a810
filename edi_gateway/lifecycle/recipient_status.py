"""Statuses pushed by public recipients, EDI style: the engine's dispatch for CPPStatut files.

A recipient drops a ``CPPStatut`` document carrying ``CPPFactureStatuts`` on a channel with
``accepts = "recipient-status"`` (``../shared/domain/chorus-pro.md`` §3.5). This module is the
engine's entry point for such a claimed file (crash-safety protocol steps 2-4 of
``docs/architecture.md``): it reads the file, hands it to
:func:`edi_gateway.recipient_status_apply.process` (which reads the units with
:mod:`edi_gateway.lifecycle.recipient_status_read`, applies them and writes the 90 / 96 / 93 flux
report), records the flux verdict, moves the original away and returns the engine's ``Outcome``.
Input: a claim; output: an ``Outcome`` and the flux row set ``done``. It never parses XML or
applies a status itself. The names of the two modules it builds on stay importable from here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import structlog

from edi_gateway.core import files, xmlsafe
from edi_gateway.core.config import Config
from edi_gateway.core.model import Layer, Verdict
from edi_gateway.lifecycle.recipient_status_apply import REPORT_INTERFACE as REPORT_INTERFACE
from edi_gateway.lifecycle.recipient_status_apply import StatusFileOutcome as StatusFileOutcome
from edi_gateway.lifecycle.recipient_status_apply import answer, report_status
from edi_gateway.lifecycle.recipient_status_apply import apply_unit as apply_unit
from edi_gateway.lifecycle.recipient_status_apply import process as process
from edi_gateway.lifecycle.recipient_status_read import UNIT as UNIT
from edi_gateway.lifecycle.recipient_status_read import Malformed as Malformed
from edi_gateway.lifecycle.recipient_status_read import Unit as Unit
from edi_gateway.lifecycle.recipient_status_read import bilingual, error_finding
from edi_gateway.lifecycle.recipient_status_read import read_units as read_units
from edi_gateway.outputs import statusflow
from edi_gateway.reception.structures import Directory
from edi_gateway.store.database import Store, utc_now

SYNTAX = "cpp-statut"

log = structlog.get_logger("edi_gateway.lifecycle.recipient_status")


def handle(context: Any, claim: Any) -> StatusFileOutcome:
    """Process a claimed recipient status file: the engine's dispatch for ``recipient-status``.

    Args:
        context: an object with ``config`` (:class:`~edi_gateway.config.Config`) and ``store``
            (:class:`~edi_gateway.store.Store`) attributes (the engine), optionally
            ``directory`` (a :class:`~edi_gateway.structures.Directory`) or ``structures``
            (a watcher with ``current()``).
        claim: the claim (``id_flux``, ``channel``, ``work_path``, ``original_name`` ...).

    Returns:
        The outcome. The flux row is set ``done`` with verdict, reason, error count and outputs
        (protocol step 3); moving the original away is left to the caller (step 4).

    Raises:
        ConfigError / StateError / OutputError: our own failures; the flux stays ``claimed``
            and is retried (protocol step 5).
    """
    config: Config = context.config
    store: Store = context.store
    channel = config.channel(claim.channel)
    try:
        data = Path(claim.work_path).read_bytes()
    except OSError as exc:
        why = exc.strerror or exc
        message = bilingual(f"fichier illisible : {why}", f"cannot read the file: {why}")
        finding = error_finding(Layer.DETECT, "GW-RS-04", message, None)
        outcome = answer(config, claim.id_flux, channel, Verdict.INADMISSIBLE, (), (), (finding,))
    else:
        outcome = process(
            store,
            config,
            data,
            id_flux=claim.id_flux,
            channel=channel,
            directory=_directory(context),
        )
    store.update_flux(
        claim.id_flux,
        state="done",
        syntax=SYNTAX,
        verdict=str(outcome.verdict),
        reason=outcome.reason,
        error_count=outcome.error_count,
        outputs=list(outcome.outputs),
        finished_at=utc_now(),
    )
    return outcome


def _directory(context: Any) -> Directory | None:
    directory = getattr(context, "directory", None)
    if isinstance(directory, Directory):
        return directory
    watcher = getattr(context, "structures", None)
    current = getattr(watcher, "current", None)
    if callable(current):
        found = current()
        return found if isinstance(found, Directory) else None
    return None


def process_claimed(engine: Any, claim: Any) -> Any:
    """The engine's dispatch for ``recipient-status`` channels (``Engine._recipient_status``).

    Runs :func:`handle` (protocol steps 2-3), moves the original to ``var/archive`` (accepted,
    rejected) or ``var/error`` (inadmissible) (step 4) and returns an
    :class:`edi_gateway.pipeline.engine.Outcome` (``syntax`` ``cpp-statut``, ``flux_status`` 90 /
    96 / 93, ``statuses`` = codes applied). A flux already ``done`` (re-run after a crash) is only
    put away.

    Raises:
        ConfigError / StateError / OutputError: our own failures (the flux is retried).
    """
    from edi_gateway.pipeline.engine import Outcome  # the engine imports this module lazily too

    start = time.perf_counter()
    row = engine.store.flux(claim.id_flux)
    if row is not None and row["state"] == "done":
        verdict = Verdict(row["verdict"]) if row["verdict"] else Verdict.INADMISSIBLE
        written = tuple(Path(p) for p in json.loads(row["outputs"] or "[]"))
        result = StatusFileOutcome(
            verdict=verdict,
            reason=row["reason"],
            outputs=written,
            flux_status=_reported_status(written, verdict),
        )
    else:
        result = handle(engine, claim)
    moved = _put_away(engine.config, claim, result.verdict)
    outcome = Outcome(
        id_flux=claim.id_flux,
        file=claim.original_name,
        channel=claim.channel,
        syntax=SYNTAX,
        verdict=result.verdict,
        reason=result.reason,
        flux_status=result.flux_status,
        statuses=tuple(a.status.code for a in result.applied),
        outputs=(*result.outputs, *((moved,) if moved else ())),
        findings=result.findings,
        error_count=result.error_count,
        duration_ms=round((time.perf_counter() - start) * 1000, 1),
    )
    log.info(
        "flux.done",
        verdict=str(result.verdict),
        applied=len(result.applied),
        refused=len(result.refused),
        error_count=result.error_count,
        first_rules=result.first_rules,
        duration_ms=outcome.duration_ms,
    )
    return outcome


def _reported_status(written: tuple[Path, ...], verdict: Verdict) -> str:
    """``IdStatut`` of the flux report a done flux already wrote (its first output), or the
    status its verdict alone gives when that report cannot be read."""
    try:
        report = xmlsafe.parse(written[0].read_bytes()).getroot()
        code = report.findtext("CPPFluxStatuts/CPPFluxStatutUnitaire/DonneesStatut/IdStatut")
    except (IndexError, OSError, xmlsafe.XmlProblem):
        code = None
    if code is not None and code in statusflow.FLUX_STATUSES:
        return code
    return report_status(verdict, 0)


def _put_away(config: Config, claim: Any, verdict: Verdict) -> Path | None:
    """Protocol step 4: accepted / rejected to ``var/archive``, inadmissible to ``var/error``."""
    work = Path(claim.work_path)
    if not work.exists():
        return None
    keep = verdict in (Verdict.ACCEPTED, Verdict.REJECTED)
    folder = config.archive_dir if keep else config.error_dir
    return files.move_original(work, folder, claim.id_flux, claim.original_name)
