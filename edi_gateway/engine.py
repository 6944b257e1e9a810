"""The pipeline for one flux: validate, route, emit the CPP flows, record, put the original away.

:class:`Engine` is built once per worker process (validator, structures watcher, pivot
stylesheets, store connection). :meth:`Engine.process_claimed` follows the crash-safety protocol
of ``docs/architecture.md``: everything is computed first; then, in ONE store transaction, the
duplicate-invoice rule is checked again (no other writer can slip in meanwhile), every output is
written with :func:`outputs.write_atomic` under names derived from the IdFlux, and the invoice,
its status events and the flux verdict are recorded (state ``done``); last, the original moves to
``var/archive`` or ``var/error``. A re-run after a crash rewrites the same names; a flux already
``done`` is only put away. A bad document never raises; our own failures (disk, configuration,
artefacts, database) raise :class:`~edi_gateway.errors.GatewayError` subclasses.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sqlite3
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import structlog

from edi_gateway import envelope, fluxid, lifecycle, outputs, reception, statusflow
from edi_gateway.claim import Claim, work_name
from edi_gateway.config import Channel, Config
from edi_gateway.errors import GatewayError
from edi_gateway.model import Envelope, Finding, Severity, ValidationReport, Verdict
from edi_gateway.outputs import OutputError
from edi_gateway.pivot import PivotBuilder, PivotInput
from edi_gateway.store import Store, utc_now
from edi_gateway.structures import Structure, Watcher
from edi_gateway.validate import Validator

__all__ = ["Claim", "Engine", "Outcome"]

PLATFORM_STATUSES = ("01", "02", "03")  # DEPOSEE, EN_COURS_ACHEMINEMENT, MISE_A_DISPOSITION
ACTOR = "platform"
FIRST_RULES = 5


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
        """Rule ids of the first error findings (at most 5), for the logs."""
        return [f.rule for f in self.findings if f.severity is Severity.ERROR][:FIRST_RULES]

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
class _Analysis:
    """Everything computed before anything is written."""

    report: ValidationReport
    verdict: Verdict
    findings: tuple[Finding, ...]
    reason: str | None = None
    envelope: Envelope | None = None
    structure: Structure | None = None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)


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
        self.validator = Validator(fr_ctc=config.fr_ctc, max_file_bytes=config.max_file_bytes)
        self.structures = Watcher(config.structures)
        self.pivots = PivotBuilder()
        self.lifecycle = lifecycle.default()
        self.store = Store(config.database)
        self.log = structlog.get_logger("edi_gateway.engine")

    def close(self) -> None:
        """Close the store connection."""
        self.store.close()

    # -- entry points ----------------------------------------------------------------------

    def process_path(self, path: Path, channel: str | Channel) -> Outcome:
        """Run one user file through the pipeline without touching it.

        The bytes are copied into ``var/work/<IdFlux>__<name>`` and recorded as a claimed flux
        (attempt 1), then :meth:`process_claimed` runs on the copy.

        Raises:
            OutputError: the file cannot be read or the copy cannot be written.
            ConfigError: unknown channel. StateError: the database failed.
        """
        chan = channel if isinstance(channel, Channel) else self.config.channel(channel)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise OutputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        id_flux = self._new_id_flux(chan)
        name = Path(path).name
        work = self.config.work_dir / work_name(id_flux, name)
        outputs.write_atomic(work, data)
        received = utc_now()
        sha256 = hashlib.sha256(data).hexdigest()
        self.store.add_flux(
            id_flux=id_flux,
            channel=chan.name,
            original_name=name,
            sha256=sha256,
            size=len(data),
            work_path=str(work),
            received_at=received,
        )
        self.store.update_flux(id_flux, attempts=1)
        claim = Claim(
            id_flux=id_flux,
            channel=chan.name,
            work_path=work,
            original_name=name,
            sha256=sha256,
            size=len(data),
            received_at=received,
        )
        return self.process_claimed(claim)

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
            if channel.accepts == "recipient-status":
                return self._recipient_status(claim)
            row = self.store.flux(claim.id_flux)
            if row is not None and row["state"] == "done":
                return self._already_done(claim, row, start)
            data = self._read(claim)
            analysis = self._analyse(claim, data)
            outcome = self._commit(claim, channel, data, analysis)
            moved = self._put_away(claim, outcome.verdict)
            outcome = replace(
                outcome,
                outputs=(*outcome.outputs, moved),
                duration_ms=round((time.perf_counter() - start) * 1000, 1),
            )
            self.log.info(
                "flux.done",
                verdict=str(outcome.verdict),
                recipient=outcome.recipient_siret,
                service_code=outcome.service_code,
                reason=outcome.reason,
                error_count=outcome.error_count,
                first_rules=outcome.first_rules,
                duration_ms=outcome.duration_ms,
            )
            return outcome

    # -- dispatch point for recipient status files -------------------------------------------

    def _recipient_status(self, claim: Claim) -> Outcome:
        """Channels with ``accepts = "recipient-status"``: CPPStatut files dropped by recipients,
        handled by ``edi_gateway.recipient_status.process_claimed(engine, claim) -> Outcome``.

        Raises:
            GatewayError: that module is not installed in this build.
        """
        try:
            module = importlib.import_module("edi_gateway.recipient_status")
        except ModuleNotFoundError as exc:
            raise GatewayError("recipient-status channels are not handled by this build") from exc
        outcome: Outcome = module.process_claimed(self, claim)
        return outcome

    # -- stages ------------------------------------------------------------------------------

    def _new_id_flux(self, channel: Channel) -> str:
        return fluxid.new_id_flux(self.store, channel.application_code)

    def _read(self, claim: Claim) -> bytes:
        try:
            return Path(claim.work_path).read_bytes()
        except OSError as exc:
            raise OutputError(f"{claim.work_path}: cannot read: {exc.strerror or exc}") from exc

    def _analyse(self, claim: Claim, data: bytes) -> _Analysis:
        """Duplicate flux, validation, envelope, reception rules: the verdict, nothing written."""
        sha256 = claim.sha256 or hashlib.sha256(data).hexdigest()
        duplicate = reception.duplicate_flux(self.store, sha256, claim.id_flux)
        report = self.validator.validate(data, claim.original_name)
        self.log.info(
            "flux.validated",
            syntax=report.detection.label,
            profile=report.detection.profile,
            verdict=str(report.verdict),
            error_count=len(report.errors),
            layers=list(report.layers_run),
        )
        if duplicate is not None:
            self.log.warning("flux.duplicate", rule=duplicate.rule, kind="flux")
            findings = (*report.findings, duplicate)
            return _Analysis(
                report=report,
                verdict=Verdict.INADMISSIBLE,
                findings=findings,
                reason=statusflow.inadmissible_reason(findings),
            )
        if report.verdict is Verdict.INADMISSIBLE or report.detection.xml is None:
            return _Analysis(
                report=report,
                verdict=Verdict.INADMISSIBLE,
                findings=report.findings,
                reason=statusflow.inadmissible_reason(report.findings),
            )
        return self._receive(claim, report)

    def _receive(self, claim: Claim, report: ValidationReport) -> _Analysis:
        xml = report.detection.xml or b""
        env = envelope.extract(xml, report.detection.syntax)
        result = reception.check(
            xml,
            report.detection.syntax,
            env,
            self.structures.current(),
            deposit_date=_day(claim.received_at),
            store=self.store,
            id_flux=claim.id_flux,
        )
        if any(f.rule == reception.DUPLICATE_INVOICE for f in result.findings):
            self.log.warning("flux.duplicate", rule=reception.DUPLICATE_INVOICE, kind="invoice")
        findings = (*report.findings, *result.findings)
        accepted = report.verdict is Verdict.ACCEPTED and result.accepted
        codes = reception.reason_for(findings)
        return _Analysis(
            report=report,
            verdict=Verdict.ACCEPTED if accepted else Verdict.REJECTED,
            findings=findings,
            reason=None if accepted else (codes.reason if codes else None),
            envelope=env,
            structure=result.structure,
        )

    def _commit(self, claim: Claim, channel: Channel, data: bytes, a: _Analysis) -> Outcome:
        """Protocol steps 2-3: re-check the duplicate rule, write every output, record, in one
        transaction. A duplicate that appeared meanwhile turns the verdict into a rejection."""
        with self.store.transaction() as db:
            if a.verdict is Verdict.ACCEPTED and a.envelope is not None:
                late = reception.duplicate_invoice(self.store, a.envelope, claim.id_flux)
                if late is not None:
                    self.log.warning("flux.duplicate", rule=late.rule, kind="invoice")
                    findings = (*a.findings, late)
                    codes = reception.reason_for(findings)
                    a = replace(
                        a,
                        verdict=Verdict.REJECTED,
                        findings=findings,
                        reason=codes.reason if codes else None,
                    )
            self._log_verdict(a)
            invoice_id = self._add_invoice(db, claim, a) if a.verdict is Verdict.ACCEPTED else None
            written, statuses = self._write_outputs(db, claim, channel, data, a, invoice_id)
            outcome = self._outcome(claim, a, invoice_id, statuses, written)
            self.store.update_flux(
                claim.id_flux,
                db=db,
                state="done",
                syntax=a.report.detection.label,
                flux_syntax=a.report.detection.flux_syntax,
                profile=a.report.detection.profile,
                verdict=str(a.verdict),
                reason=a.reason,
                recipient_siret=outcome.recipient_siret,
                service_code=outcome.service_code,
                seller_id=_seller(a.envelope),
                error_count=a.errors,
                outputs=list(written),
                finished_at=utc_now(),
            )
        return outcome

    def _log_verdict(self, a: _Analysis) -> None:
        rules = [f.rule for f in a.findings if f.severity is Severity.ERROR][:FIRST_RULES]
        if a.verdict is Verdict.ACCEPTED:
            env = a.envelope or Envelope()
            self.log.info("flux.routed", recipient=env.buyer_siret, service_code=env.service_code)
        elif a.verdict is Verdict.REJECTED:
            self.log.warning("flux.rejected", reason=a.reason, error_count=a.errors, rules=rules)
        else:
            self.log.warning(
                "flux.inadmissible", reason=a.reason, error_count=a.errors, rules=rules
            )

    def _add_invoice(self, db: sqlite3.Connection, claim: Claim, a: _Analysis) -> int:
        env = a.envelope or Envelope()
        last = self.lifecycle.status(PLATFORM_STATUSES[-1])
        return self.store.add_invoice(
            db,
            id_flux=claim.id_flux,
            seller_key=env.seller_key or "",
            seller_id=env.seller_id,
            seller_scheme=env.seller_id_scheme,
            seller_name=env.seller_name,
            number=env.number or "",
            issue_date=env.issue_date.isoformat() if env.issue_date else None,
            issue_year=env.issue_date.year if env.issue_date else None,
            type_code=env.type_code,
            recipient_siret=(env.buyer_siret or "").strip(),
            service_code=env.service_code,
            engagement=env.engagement,
            currency=env.currency,
            amount_due=str(env.amount_due) if env.amount_due is not None else None,
            status_code=last.code,
            status_name=last.name,
        )

    def _write_outputs(
        self,
        db: sqlite3.Connection,
        claim: Claim,
        channel: Channel,
        data: bytes,
        a: _Analysis,
        invoice_id: int | None,
    ) -> tuple[tuple[Path, ...], tuple[str, ...]]:
        """Write the flux report, and for an accepted invoice the original, the pivot and the
        invoice statuses (with their events); return the paths and the invoice status codes."""
        app = channel.application_code
        inbound = outputs.inbound_interface(a.report.detection)
        supplier_dir = outputs.supplier_folder(self.config.outbound, _seller(a.envelope), app)
        report = statusflow.flux_report(
            id_flux=claim.id_flux,
            receiver_id=app,
            verdict=a.verdict,
            reason=a.reason,
            findings=a.findings,
        )
        name = outputs.flow_name(outputs.report_interface(inbound), app, claim.id_flux)
        written = [outputs.write_atomic(supplier_dir / name, report)]
        self.log.info("status.emitted", kind="flux", status=_flux_status(a.verdict), file=name)
        if a.verdict is not Verdict.ACCEPTED or invoice_id is None or a.envelope is None:
            return tuple(written), ()
        env = a.envelope
        siret = (env.buyer_siret or "").strip()
        service = (
            a.structure.service(env.service_code) if a.structure and env.service_code else None
        )
        recipient_dir = outputs.recipient_folder(self.config.outbound, siret, env.service_code)
        written.append(
            outputs.write_atomic(
                recipient_dir / outputs.archive_name(claim.id_flux, claim.original_name), data
            )
        )
        pivot = self.pivots.build(
            PivotInput(
                id_flux=claim.id_flux,
                syntax=a.report.detection.syntax,
                invoice_xml=a.report.detection.xml or b"",
                original=data,
                original_name=claim.original_name,
                envelope=env,
                siret=siret,
                recipient_name=a.structure.name if a.structure else None,
                service_code=env.service_code,
                service_name=service.label if service else None,
                invoice_id=invoice_id,
                received=_day(claim.received_at),
            )
        )
        pivot_name = outputs.flow_name(outputs.PIVOT_INTERFACE, app, claim.id_flux)
        written.append(outputs.write_atomic(recipient_dir / pivot_name, pivot))
        status_file = self._invoice_statuses(db, claim, app, supplier_dir, a, invoice_id)
        written.append(status_file)
        return tuple(written), PLATFORM_STATUSES

    def _invoice_statuses(
        self,
        db: sqlite3.Connection,
        claim: Claim,
        app: str,
        folder: Path,
        a: _Analysis,
        invoice_id: int,
    ) -> Path:
        """FEN1200A flow with 01, 02, 03 and one status event per status (actor platform)."""
        env = a.envelope or Envelope()
        received = _moment(claim.received_at)
        now = datetime.now(UTC)
        moments = (received, now, now)
        supplier = statusflow.supplier_from_envelope(env)
        debtor = statusflow.Debtor(
            siret=(env.buyer_siret or "").strip(),
            name=a.structure.name if a.structure else env.buyer_name,
            service_code=env.service_code,
        )
        statuses = [
            statusflow.InvoiceStatus(
                supplier=supplier,
                debtor=debtor,
                code=code,
                at=moment,
                invoice_number=env.number or "",
                invoice_date=env.issue_date,
                comment=f"{self.lifecycle.status(code).label_fr} (facture CPP {invoice_id})",
                producer=statusflow.PLATFORM_ID,
            )
            for code, moment in zip(PLATFORM_STATUSES, moments, strict=True)
        ]
        name = outputs.flow_name(outputs.INVOICE_STATUS_INTERFACE, app, claim.id_flux)
        path = outputs.write_atomic(
            folder / name,
            statusflow.invoice_statuses(statuses, id_flux=claim.id_flux, receiver_id=app),
        )
        for status in statuses:
            entry = self.lifecycle.status(status.code)
            self.store.add_event(
                db,
                invoice_id=invoice_id,
                status_code=entry.code,
                status_name=entry.name,
                at=status.at.isoformat(timespec="milliseconds"),
                actor=ACTOR,
                reform_code=entry.reform_code or None,
                id_flux=claim.id_flux,
                flow_file=str(path),
            )
        self.log.info("status.emitted", kind="invoice", statuses=list(PLATFORM_STATUSES), file=name)
        return path

    def _outcome(
        self,
        claim: Claim,
        a: _Analysis,
        invoice_id: int | None,
        statuses: tuple[str, ...],
        written: tuple[Path, ...],
    ) -> Outcome:
        env = a.envelope or Envelope()
        return Outcome(
            id_flux=claim.id_flux,
            file=claim.original_name,
            channel=claim.channel,
            syntax=a.report.detection.label,
            verdict=a.verdict,
            reason=a.reason,
            recipient_siret=(env.buyer_siret or "").strip() or None,
            service_code=env.service_code,
            invoice_number=env.number,
            invoice_id=invoice_id,
            flux_status=_flux_status(a.verdict),
            statuses=statuses,
            outputs=written,
            findings=a.findings,
            error_count=a.errors,
        )

    def _put_away(self, claim: Claim, verdict: Verdict) -> Path:
        """Protocol step 4: accepted and rejected to ``var/archive``, the rest to ``var/error``."""
        keep = verdict in (Verdict.ACCEPTED, Verdict.REJECTED)
        folder = self.config.archive_dir if keep else self.config.error_dir
        return outputs.move_original(
            Path(claim.work_path), folder, claim.id_flux, claim.original_name
        )

    def _already_done(self, claim: Claim, row: sqlite3.Row, start: float) -> Outcome:
        """A re-run of a flux already recorded: only put the original away (protocol step 4)."""
        written = tuple(Path(p) for p in json.loads(row["outputs"] or "[]"))
        verdict = Verdict(row["verdict"]) if row["verdict"] else Verdict.INADMISSIBLE
        if Path(claim.work_path).exists():
            written = (*written, self._put_away(claim, verdict))
        outcome = Outcome(
            id_flux=claim.id_flux,
            file=claim.original_name,
            channel=claim.channel,
            syntax=row["syntax"] or "other",
            verdict=verdict,
            reason=row["reason"],
            recipient_siret=row["recipient_siret"],
            service_code=row["service_code"],
            flux_status=_flux_status(verdict),
            statuses=PLATFORM_STATUSES if verdict is Verdict.ACCEPTED else (),
            outputs=written,
            error_count=row["error_count"] or 0,
            duration_ms=round((time.perf_counter() - start) * 1000, 1),
        )
        self.log.info(
            "flux.done", verdict=str(verdict), again=True, error_count=outcome.error_count
        )
        return outcome


def _flux_status(verdict: Verdict) -> str:
    return (
        statusflow.FLUX_RECEIVED if verdict is Verdict.ACCEPTED else statusflow.FLUX_RECEPTION_ERROR
    )


def _seller(env: Envelope | None) -> str | None:
    """Seller folder key: BT-29, else BT-30 (as the lifecycle actions use)."""
    return (env.seller_id or env.seller_key) if env else None


def _moment(iso: str) -> datetime:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(iso: str) -> date:
    return _moment(iso).date()
