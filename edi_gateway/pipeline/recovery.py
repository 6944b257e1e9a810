"""The daemon's share of steps 4 and 5 of the crash-safety protocol (``docs/architecture.md``).

- :func:`recover` runs at start-up, before any new file is taken: a file in ``var/work/`` with
  no row gets one (crash between rename and insert); a ``claimed`` row is returned to be
  processed again; a ``done`` row whose original is still in ``var/work/`` is only put away.
- :func:`set_aside` ends a flux the engine could not process in ``gateway.max_attempts``
  attempts (retried after ``gateway.retry_seconds``, :mod:`edi_gateway.runtime.backoff`), or a file
  that is no regular file: the original goes to ``var/error/``, a flux report (CPPFluxStatuts,
  status 93, IN_INCIDENTE) goes to ``outbound/canaux/<application code>/``, the row becomes
  ``done`` / ``inadmissible`` with the reason. Nothing is ever deleted.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from edi_gateway.core import files, logs, names
from edi_gateway.core.config import Config
from edi_gateway.core.errors import GatewayError, OutputError
from edi_gateway.core.model import Finding, Layer, Severity, Verdict
from edi_gateway.core.records import Claim
from edi_gateway.ingest.claim import Claimer, is_regular, readable, split_work_name, work_name
from edi_gateway.outputs import statusflow
from edi_gateway.outputs.report_file import flux_report_file
from edi_gateway.pipeline import finish
from edi_gateway.pipeline.outcome import Outcome
from edi_gateway.pipeline.set_aside_reasons import (
    FAILED,
    INCIDENT_COMMENT,
    LOST,
    why_unusable,
)
from edi_gateway.store import fluxid, postgres
from edi_gateway.store.database import Store, utc_now
from edi_gateway.store.records import FluxRow, FluxState


def set_aside(
    config: Config, store: Store, claim: Claim, why: tuple[str, str | None, str], detail: str = ""
) -> Path | None:
    """Give a flux its terminal status without the engine (protocol step 5).

    Args:
        config: gateway configuration (``error_dir``, ``outbound``, channels).
        store: a store connection.
        claim: the flux (its row exists, state ``claimed``).
        why: ``(rule id, CPP reason code or None, message)``, e.g. ``set_aside_reasons.SYMLINK``.
        detail: extra text for the log and the report (exception type, attempts ...).

    Returns:
        Where the original is now in ``var/error/`` (None when it had vanished).

    Raises:
        StateError: the row could not be updated (the flux stays ``claimed``, retried later).
    """
    moved = _move_to_error(config, claim)
    finish_set_aside(config, store, claim, why, detail, moved)
    return moved


def finish_set_aside(
    config: Config,
    store: Store,
    claim: Claim,
    why: tuple[str, str | None, str],
    detail: str,
    moved: Path | None,
) -> None:
    """Write the flux report (93) of a set-aside flux whose original is already at ``moved``
    (``var/error``, or None when it is nowhere), mark the row ``done`` / ``inadmissible`` and
    log ``flux.set_aside`` then ``flux.done`` (protocol step 5, also finished at start-up).

    Raises:
        StateError: the row could not be updated.
    """
    rule, reason, message = why
    text = f"{message} ({detail})" if detail else message
    report = _write_report(config, claim, rule, reason, text)
    store.update_flux(
        claim.id_flux,
        state=FluxState.DONE,
        verdict=str(Verdict.INADMISSIBLE),
        reason=reason or rule,
        error_count=1,
        work_path=None,
        outputs=[readable(str(p)) for p in (moved, report) if p is not None],
        finished_at=utc_now(),
    )
    log = logs.get_logger()
    with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
        log.warning("flux.set_aside", rule=rule, reason=reason, message=text)
        finish.log_done(log, _set_aside_outcome(claim, rule))


def _set_aside_outcome(claim: Claim, rule: str) -> Outcome:
    """What ``flux.done`` says of a set-aside flux: inadmissible, one error, status 93."""
    return Outcome(
        id_flux=claim.id_flux,
        file=claim.original_name,
        channel=claim.channel,
        syntax="other",
        verdict=Verdict.INADMISSIBLE,
        reason=rule,
        flux_status=statusflow.FLUX_RECEPTION_ERROR,
        error_count=1,
    )


def _move_to_error(config: Config, claim: Claim) -> Path | None:
    """Move the original from ``var/work`` to ``var/error``; a link or special file is renamed
    as it is (never opened, never followed)."""
    source = claim.work_path
    if not os.path.lexists(source):
        return None
    if is_regular(source):
        return files.move_original(source, config.error_dir, claim.id_flux, claim.original_name)
    config.error_dir.mkdir(parents=True, exist_ok=True)
    target = config.error_dir / source.name
    source.rename(target)
    return target


def _write_report(
    config: Config, claim: Claim, rule: str, reason: str | None, text: str
) -> Path | None:
    """Write the flux report (93, IN_INCIDENTE) of a set-aside flux; None if it failed."""
    code = _application_code(config, claim.channel)
    finding = Finding(
        layer=Layer.DETECT, rule=rule, severity=Severity.ERROR, message=text, source="gateway"
    )
    try:
        path, data = flux_report_file(
            config.outbound,
            id_flux=claim.id_flux,
            application_code=code,
            verdict=Verdict.INADMISSIBLE,
            reason=reason,
            findings=(finding,),
            comment=INCIDENT_COMMENT if reason is None else None,
        )
        return files.write_atomic(path, data, root=config.outbound)
    except Exception as exc:  # the verdict is still recorded in the store
        logs.get_logger().error("status.failed", error=type(exc).__name__, message=str(exc))
        return None


def _application_code(config: Config, channel_name: str) -> str:
    for channel in config.all_channels:
        if channel.name == channel_name:
            return channel.application_code
    return config.channels[0].application_code if config.channels else "EDIGW0"


def recover(config: Config, store: Store, claimer: Claimer) -> list[Claim]:
    """Start-up recovery; returns the claims to process again (oldest first).

    Raises:
        StateError: the database cannot be read or written.
    """
    log = logs.get_logger()
    config.work_dir.mkdir(parents=True, exist_ok=True)
    found: dict[str, Path] = {}
    for entry in sorted(os.scandir(config.work_dir), key=lambda e: e.name):
        parsed = split_work_name(entry.name)
        if parsed is None:
            log.warning("work.unknown_file", file=readable(entry.name))
            continue
        found[parsed[0]] = Path(entry.path)
    claims: list[Claim] = []
    for id_flux, path in found.items():
        if not ours_id(config, id_flux):  # a shared work/: another gateway's claim
            continue
        row = store.flux(id_flux)
        name = split_work_name(path.name)[1]  # type: ignore[index]
        if row is None:
            claim = claimer.record(id_flux, claimer.channel_of(id_flux), path, name)
            log.info("flux.claimed", id_flux=id_flux, file=claim.original_name, recovered=True)
            claims.append(claim)
        elif row.done:
            finish.publish(row.outputs)
            with contextlib.suppress(OSError, OutputError):
                finish.put_away(config, path, id_flux, row.verdict)
                log.info("flux.put_away", id_flux=id_flux, verdict=row.verdict)
        else:
            claims.append(claim_of(row, path))
    for row in store.fluxes(state=FluxState.CLAIMED):
        if row.id_flux not in found and ours(config, row):
            close_lost(config, store, row)
    return sorted(claims, key=lambda c: c.id_flux)


def ours_id(config: Config, id_flux: str) -> bool:
    """:func:`ours` for an IdFlux alone (a ``work/`` entry with no row yet): on a PostgreSQL
    ledger, whether this gateway's instance drew it."""
    return not postgres.is_url(config.database) or fluxid.instance_in(id_flux) == config.instance


def ours(config: Config, row: FluxRow) -> bool:
    """Whether a ``claimed`` row is this gateway's to recover. An embedded SQLite ledger is one
    gateway's (its ``var/``): every row is. A PostgreSQL ledger may be shared by several
    gateways, each with its own ``var/`` and its own ``gateway.instance``: a row is the
    gateway's whose instance drew its IdFlux (the others' claims are in progress elsewhere and
    must never be closed as lost here)."""
    return not postgres.is_url(config.database) or fluxid.instance_in(row.id_flux) == (
        config.instance
    )


def find_work_file(config: Config, id_flux: str) -> Path | None:
    """The ``var/work`` entry of ``id_flux`` (its name may hold bytes the row shows as \\xNN)."""
    prefix = f"{id_flux}__"
    with os.scandir(config.work_dir) as entries:
        for entry in entries:
            if entry.name.startswith(prefix):
                return Path(entry.path)
    return None


def claim_of(row: FluxRow, path: Path) -> Claim:
    """The claim of a ``claimed`` flux row whose original is at ``path``."""
    return Claim(
        id_flux=row.id_flux,
        channel=row.channel,
        work_path=path,
        original_name=row.original_name,
        sha256=row.sha256,
        size=row.size,
        received_at=row.received_at,
    )


def close_lost(config: Config, store: Store, row: FluxRow) -> None:
    """A ``claimed`` row whose original is no longer in ``var/work``: give it a status.

    Found as ``<IdFlux>__*`` in ``var/error``: a crash between the move and the report of
    :func:`set_aside`; the set-aside is finished (93 report, ``inadmissible``, ``flux.done``),
    with the reason read from the file (link, special file, unreadable, else GW-DAEMON-03).
    Elsewhere or nowhere: closed as ``LOST`` (GW-DAEMON-04) with a 93 report, so every flux has
    a status.

    Raises:
        StateError: the row could not be updated.
    """
    in_error = _find_put_away(config.error_dir, row.id_flux)
    if in_error is not None:
        unusable = why_unusable(in_error)
        why = unusable[0] if unusable is not None else FAILED
        claim = claim_of(row, in_error)
        finish_set_aside(config, store, claim, why, "set-aside finished after a restart", in_error)
        return
    elsewhere = _find_put_away(config.archive_dir, row.id_flux)
    with logs.bound_flux(row.id_flux, row.original_name, row.channel):
        logs.get_logger().error("flux.failed", reason="original missing from var/work")
    claim = claim_of(row, config.work_dir / names.archive_name(row.id_flux, "x"))
    finish_set_aside(config, store, claim, LOST, "", elsewhere)


def _find_put_away(folder: Path, id_flux: str) -> Path | None:
    """The first ``<IdFlux>__*`` entry of ``folder`` (None when absent or unreadable)."""
    prefix = f"{id_flux}__"
    try:
        with os.scandir(folder) as entries:
            found = sorted(e.name for e in entries if e.name.startswith(prefix))
    except OSError:
        return None
    return folder / found[0] if found else None


def give_back(store: Store, claims: Iterable[Claim]) -> None:
    """Claims abandoned at a stop (their worker killed at the deadline): their attempt is not
    counted (``attempts`` - 1), so a stop never brings a flux closer to being set aside. A
    failure to write is ignored (the attempt then stays counted)."""
    for claim in claims:
        with contextlib.suppress(GatewayError):
            row = store.flux(claim.id_flux)
            if row is not None and row.state is FluxState.CLAIMED and row.attempts > 0:
                store.update_flux(claim.id_flux, attempts=row.attempts - 1)


def unqueued(config: Config, store: Store, waiting: Iterable[Claim]) -> list[Claim]:
    """Claims of the ``claimed`` rows that are not in ``waiting`` (queued, in progress or due
    for a retry): a dispatch that failed, or a claim made by another path. The daemon queues
    them again, so no claim waits for the next start."""
    known = {c.id_flux for c in waiting}
    found = []
    for row in store.fluxes(state=FluxState.CLAIMED):
        if row.id_flux not in known and ours(config, row):
            path = config.work_dir / work_name(row.id_flux, row.original_name)
            found.append(claim_of(row, find_work_file(config, row.id_flux) or path))
    return found
