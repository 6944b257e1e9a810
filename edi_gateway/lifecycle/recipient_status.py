"""Statuses pushed by public recipients, EDI style: one claimed CPPStatut file, handled.

A recipient drops a ``CPPStatut`` document carrying ``CPPFactureStatuts`` on a channel with
``accepts = "recipient-status"`` (``../shared/domain/chorus-pro.md`` §3.5). :func:`handle` is
the engine's stage for such a claimed file (crash-safety protocol steps 2-3 of
``docs/architecture.md``): it reads the file (bounded by ``validation.max_file_bytes``), hands it
to :func:`edi_gateway.lifecycle.recipient_status_apply.process` (which reads the units with
:mod:`edi_gateway.lifecycle.recipient_status_read`, applies them and writes the 90 / 96 / 93 flux
report) and records the flux verdict. Input: a claim; output: a
:class:`~edi_gateway.lifecycle.recipient_status_report.StatusFileOutcome` and the flux row set
``done``. Putting the original away, the ``flux.done`` line and a re-run of a flux already done
are the engine's (:mod:`edi_gateway.pipeline.finish`), as for every other flux.
"""

from __future__ import annotations

from pathlib import Path

from edi_gateway.core.config import Config
from edi_gateway.core.model import Layer, Verdict
from edi_gateway.core.readlimit import read_bounded
from edi_gateway.core.records import Claim
from edi_gateway.lifecycle.recipient_status_apply import process
from edi_gateway.lifecycle.recipient_status_read import bilingual, error_finding
from edi_gateway.lifecycle.recipient_status_report import StatusFileOutcome, answer
from edi_gateway.reception.structures import Directory
from edi_gateway.store.database import Store, utc_now
from edi_gateway.store.records import FluxState

SYNTAX = "cpp-statut"
TOO_LARGE = "GW-RS-07"  # file over validation.max_file_bytes: never read beyond its head


def handle(
    config: Config, store: Store, claim: Claim, directory: Directory | None = None
) -> StatusFileOutcome:
    """Process a claimed recipient status file (protocol steps 2-3).

    Args:
        config: the gateway configuration (channel, outbound, ``max_file_bytes``).
        store: the ledger; the flux row of ``claim`` exists.
        claim: the claimed file in ``var/work``.
        directory: the structures directory (the configured one when None).

    Returns:
        The outcome. The flux row is set ``done`` with verdict, reason, error count and outputs;
        moving the original away is left to the caller (step 4). An unreadable file (GW-RS-04)
        or one over ``validation.max_file_bytes`` (GW-RS-07, ``IRR_TAILLE_F``, never read beyond
        its head) is inadmissible with a 93 report.

    Raises:
        ConfigError / StateError / OutputError: our own failures; the flux stays ``claimed``
            and is retried (protocol step 5).
    """
    channel = config.channel(claim.channel)
    problem, reason = None, "IRR_SYNTAX"
    try:
        read = read_bounded(Path(claim.work_path), config.max_file_bytes)
    except OSError as exc:
        why = exc.strerror or exc
        message = bilingual(f"fichier illisible : {why}", f"cannot read the file: {why}")
        problem = error_finding(Layer.DETECT, "GW-RS-04", message, None)
    else:
        if not read.complete:
            limit = config.max_file_bytes
            message = bilingual(
                f"fichier de {read.size} octets, plus que les {limit} acceptés "
                "(validation.max_file_bytes)",
                f"the file is {read.size} bytes, more than the {limit} bytes accepted "
                "(validation.max_file_bytes)",
            )
            problem, reason = error_finding(Layer.XML, TOO_LARGE, message, None), "IRR_TAILLE_F"
    if problem is not None:
        outcome = answer(
            config.outbound,
            claim.id_flux,
            channel,
            Verdict.INADMISSIBLE,
            (),
            (),
            (problem,),
            reason,
        )
    else:
        outcome = process(
            store, config, read.data, id_flux=claim.id_flux, channel=channel, directory=directory
        )
    store.update_flux(
        claim.id_flux,
        state=FluxState.DONE,
        syntax=SYNTAX,
        verdict=str(outcome.verdict),
        reason=outcome.reason,
        error_count=outcome.error_count,
        outputs=list(outcome.outputs),
        finished_at=utc_now(),
    )
    return outcome
