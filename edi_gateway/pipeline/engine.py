"""The pipeline for one flux: validate, route, emit the CPP flows, record, put the original away.

:class:`Engine` is built once per worker process (validator, structures watcher, pivot
stylesheets, store connection). :meth:`Engine.process_claimed` follows the crash-safety protocol
of ``docs/architecture.md``: everything is computed first (duplicate flux, validation, envelope,
CPP reception rules -> :class:`~edi_gateway.outcome.Analysis`); then
:meth:`edi_gateway.pipeline.delivery.Delivery.commit` writes every output and records the flux in
ONE store transaction; last, the original moves to ``var/archive`` or ``var/error``. A re-run after
a crash rewrites the same names; a flux already ``done`` is only put away. Input: a claimed file
-> output: an :class:`~edi_gateway.outcome.Outcome`. It never writes outputs itself. A bad
document never raises; our own failures (disk, configuration, artefacts, database) raise
:class:`~edi_gateway.errors.GatewayError` subclasses.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from pathlib import Path

import structlog
from lxml import etree

from edi_gateway.core import xmlsafe
from edi_gateway.core.config import Channel, Config
from edi_gateway.core.errors import InputUnreadable, OutputError
from edi_gateway.core.model import Finding, ValidationReport, Verdict
from edi_gateway.core.readlimit import HEAD, Bounded, read_bounded
from edi_gateway.core.records import Claim
from edi_gateway.ingest import user_claim
from edi_gateway.lifecycle import recipient_status
from edi_gateway.lifecycle import table as lifecycle
from edi_gateway.outputs import statusflow
from edi_gateway.outputs.pivot import PivotBuilder
from edi_gateway.pipeline import deposit_checks, finish
from edi_gateway.pipeline.delivery import AlreadyDone, Delivery, received_day
from edi_gateway.pipeline.outcome import Analysis, Outcome, status_file_outcome
from edi_gateway.reception import duplicates, envelope, reasons
from edi_gateway.reception import rules as reception
from edi_gateway.reception.structures import Watcher
from edi_gateway.store import fluxid
from edi_gateway.store.database import Store
from edi_gateway.validation import detect
from edi_gateway.validation.validator import Validator

__all__ = ["Claim", "Engine", "Outcome"]


class Engine:
    """The processing pipeline, one instance per worker process.

    Args:
        config: the gateway configuration.

    Raises:
        ConfigError: the structures directory or the lifecycle table is missing or invalid.
        ArtefactError: the pivot stylesheets cannot be compiled.
        StateError: the database cannot be opened.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.validator = Validator(
            fr_ctc=config.fr_ctc, max_file_bytes=config.max_file_bytes, packs_dir=config.packs_dir
        )
        self.structures = Watcher(config.structures)
        self.pivots = PivotBuilder()
        self.lifecycle = lifecycle.default()
        self.store = Store(config.database)
        self.log = structlog.get_logger("edi_gateway.pipeline.engine")
        self.delivery = Delivery(
            config=config,
            store=self.store,
            pivots=self.pivots,
            lifecycle=self.lifecycle,
            log=self.log,
        )

    def close(self) -> None:
        """Close the store connection."""
        self.store.close()

    # -- entry points ----------------------------------------------------------------------

    def process_path(self, path: Path, channel: str | Channel) -> Outcome:
        """Run one user file through the pipeline without touching it: :meth:`claim_path` then
        :meth:`process_claimed`.

        Raises:
            OutputError / ConfigError / StateError: as those two methods.
        """
        return self.process_claimed(self.claim_path(path, channel))

    def claim_path(self, path: Path, channel: str | Channel) -> Claim:
        """Copy a user file into ``var/work/<IdFlux>__<name>`` and record it as a claimed flux
        (attempt 1), the one-shot ``process`` command's protocol step 1.

        The user's file is never moved nor changed, and never read beyond
        ``validation.max_file_bytes``: of a larger file only the first 4 KiB are copied into
        ``var/work`` (never a hard link to the user's file); its sha256 stays empty (the daemon
        does the same). The flux row and the claim carry the
        name's readable form (``claim.readable``: undecodable bytes as ``\\xNN``), as the
        daemon's claims do.

        Raises:
            InputUnreadable: the user's file cannot be read (an ``OutputError``).
            OutputError: the copy cannot be written.
            ConfigError: unknown channel. StateError: the database failed.
        """
        chan = channel if isinstance(channel, Channel) else self.config.channel(channel)
        try:
            read = read_bounded(Path(path), self.config.max_file_bytes)
        except OSError as exc:
            raise InputUnreadable(f"{path}: cannot read: {exc.strerror or exc}") from exc
        return user_claim.record(
            self.config, self.store, Path(path), chan, read, self._new_id_flux(chan)
        )

    def process_claimed(self, claim: Claim) -> Outcome:
        """Process a flux already claimed into ``var/work`` (its ``flux`` row exists).

        Returns:
            The outcome; a bad document gives a rejected or inadmissible outcome, never raises.

        Raises:
            OutputError: an output or the original cannot be written or moved.
            StateError: the database failed (nothing is recorded; a re-run is safe).
            ArtefactError: a schema or stylesheet cannot be compiled.
            ConfigError: the channel is unknown.
        """
        start = time.perf_counter()
        channel = self.config.channel(claim.channel)
        with structlog.contextvars.bound_contextvars(
            id_flux=claim.id_flux, file=claim.original_name, channel=claim.channel
        ):
            row = self.store.flux(claim.id_flux)
            try:
                if row is not None and row.done:
                    raise AlreadyDone(claim.id_flux)
                outcome, extra = self._run_stages(claim, channel)
            except AlreadyDone:  # done before, or another run committed first
                row = self.store.flux(claim.id_flux)
                assert row is not None
                outcome = finish.already_done(self.config, claim, row, start)
                finish.log_done(self.log, outcome, again=True)
                return outcome
            moved = finish.put_away(
                self.config,
                Path(claim.work_path),
                claim.id_flux,
                outcome.verdict,
                claim.original_name,
            )
            outcome = replace(
                outcome,
                outputs=(*outcome.outputs, *((moved,) if moved else ())),
                duration_ms=round((time.perf_counter() - start) * 1000, 1),
            )
            finish.log_done(self.log, outcome, **extra)
            return outcome

    def _run_stages(self, claim: Claim, channel: Channel) -> tuple[Outcome, dict[str, object]]:
        """Protocol steps 2-3 for one claimed flux: the outcome, and what ``flux.done`` adds.

        A recipient-status channel hands the file to the lifecycle
        (:func:`edi_gateway.lifecycle.recipient_status.handle`); any other channel analyses the
        invoice then delivers it in one transaction (:class:`Delivery`)."""
        if channel.accepts == "recipient-status":
            result = recipient_status.handle(
                self.config, self.store, claim, self.structures.current()
            )
            counts: dict[str, object] = {
                "applied": len(result.applied),
                "refused": len(result.refused),
            }
            return status_file_outcome(claim, result), counts
        read = self._read_claimed(claim)
        analysis = self._analyse(claim, read)
        return self.delivery.commit(claim, channel, read.data, analysis), {}

    # -- stages ------------------------------------------------------------------------------

    def _new_id_flux(self, channel: Channel) -> str:
        return fluxid.new_id_flux(
            self.store,
            channel.application_code,
            instance=self.config.instance,
            outbound=self.config.outbound,
        )

    def _read_claimed(self, claim: Claim) -> Bounded:
        """The claimed file, bounded; a claim recorded over the limit stays over it (the
        one-shot ``var/work`` entry of such a file may be its head only)."""
        read = self._read_bounded(Path(claim.work_path))
        if read.complete and claim.size > self.config.max_file_bytes:
            return Bounded(read.data[:HEAD], claim.size, complete=False)
        return read

    def _read_bounded(self, path: Path) -> Bounded:
        """The file's bytes, or only its head when over ``validation.max_file_bytes``."""
        try:
            return read_bounded(path, self.config.max_file_bytes)
        except OSError as exc:
            raise OutputError(f"{path}: cannot read: {exc.strerror or exc}") from exc

    def _analyse(self, claim: Claim, read: Bounded) -> Analysis:
        """Duplicate flux, validation, envelope, reception rules: the verdict, nothing written.

        A file over ``validation.max_file_bytes`` is judged on its size and head alone
        (GW-XML-04, IRR_TAILLE_F): no digest, no duplicate check, never read further."""
        if not read.complete:
            too_large = detect.too_large(read.data)
            report = self.validator.validate_detected(too_large, claim.original_name, read.size)
            finish.log_validation(self.log, report)
            return _inadmissible(report, report.findings)
        sha256 = claim.sha256 or hashlib.sha256(read.data).hexdigest()
        duplicate = duplicates.duplicate_flux(self.store, sha256, claim.id_flux)
        report = self.validator.validate(read.data, claim.original_name)
        finish.log_validation(self.log, report)
        declared = deposit_checks.mismatch(self.store, claim.id_flux, report.detection)
        if declared is not None:  # HTTP deposit of another syntax than it said (GW-API-01)
            return _inadmissible(report, (declared, *report.findings))
        if duplicate is not None:
            # First, so the first error and the reason (IRR_UNCITE) agree whatever the layers
            # found in the bytes already processed.
            self.log.warning("flux.duplicate", rule=duplicate.rule, kind="flux")
            return _inadmissible(report, (duplicate, *report.findings))
        if report.verdict is Verdict.INADMISSIBLE or report.detection.xml is None:
            return _inadmissible(report, report.findings)
        return self._receive(claim, report)

    def _receive(self, claim: Claim, report: ValidationReport) -> Analysis:
        xml = report.detection.xml or b""
        tree: etree._ElementTree | None = report.tree  # as the XML layer parsed it
        if tree is None:
            try:
                tree = xmlsafe.parse(xml)  # once for both stages below
            except xmlsafe.XmlProblem:
                tree = None
        env = envelope.extract(tree if tree is not None else xml, report.detection.syntax)
        result = reception.check(
            xml,
            report.detection.syntax,
            env,
            self.structures.current(),
            deposit_date=received_day(claim.received_at),
            store=self.store,
            id_flux=claim.id_flux,
            tree=tree,
        )
        if any(f.rule == duplicates.DUPLICATE_INVOICE for f in result.findings):
            self.log.warning("flux.duplicate", rule=duplicates.DUPLICATE_INVOICE, kind="invoice")
        foreign = deposit_checks.foreign_seller(self.store, claim.id_flux, env)  # GW-API-02
        findings = (*report.findings, *result.findings, *((foreign,) if foreign else ()))
        accepted = report.verdict is Verdict.ACCEPTED and result.accepted and foreign is None
        codes = reasons.reason_for(findings)
        return Analysis(
            report=report,
            verdict=Verdict.ACCEPTED if accepted else Verdict.REJECTED,
            findings=findings,
            reason=None if accepted else (codes.reason if codes else None),
            envelope=env,
            structure=result.structure,
        )


def _inadmissible(report: ValidationReport, findings: tuple[Finding, ...]) -> Analysis:
    """The analysis of an inadmissible flux: its ``IRR_*`` reason from the findings."""
    return Analysis(
        report=report,
        verdict=Verdict.INADMISSIBLE,
        findings=findings,
        reason=statusflow.inadmissible_reason(findings),
    )
