"""Write the outputs of one analysed flux and record it, in ONE store transaction.

Job: protocol steps 2-3 of ``docs/architecture.md``. Inside one ``BEGIN IMMEDIATE`` transaction:
re-check the duplicate-invoice rule (no other writer can slip in meanwhile), write the flux report
(CPPFluxStatuts) to the supplier side, and for an accepted invoice the original and its
CPPFacturePivot to the recipient folder and the invoice statuses 01, 02, 03 (CPPFactureStatuts)
to the supplier side, every file with :func:`outputs.write_atomic` under names derived from the
IdFlux; then record the invoice, its status events and the flux verdict (state ``done``).
Input: the claim, its channel, the original bytes and the :class:`~edi_gateway.outcome.Analysis`
-> output: the :class:`~edi_gateway.outcome.Outcome`. It never validates, never moves the
original (the engine puts it away after the commit) and never deletes anything.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from edi_gateway import outputs, reception, statusflow
from edi_gateway.claim import Claim
from edi_gateway.config import Channel, Config
from edi_gateway.lifecycle import Lifecycle
from edi_gateway.model import Envelope, Verdict
from edi_gateway.outcome import PLATFORM_STATUSES, Analysis, Outcome, flux_status, log_rules
from edi_gateway.pivot import PivotBuilder, PivotInput
from edi_gateway.store import Store, utc_now

ACTOR = "platform"


class Delivery:
    """Writes and records analysed fluxes; one instance per engine (per worker process).

    Args:
        config: the gateway configuration (``outbound`` folder).
        store: the engine's store connection.
        pivots: the pivot builder (compiled stylesheets).
        lifecycle: the status table (names, labels, reform codes of 01, 02, 03).
        log: the engine's structlog logger (events ``flux.duplicate``, ``flux.routed``,
            ``flux.rejected``, ``flux.inadmissible``, ``status.emitted``). ``status.emitted``
            names the written flow ``output``: ``file`` stays the bound inbound file name.
    """

    def __init__(
        self, *, config: Config, store: Store, pivots: PivotBuilder, lifecycle: Lifecycle, log: Any
    ) -> None:
        self.config = config
        self.store = store
        self.pivots = pivots
        self.lifecycle = lifecycle
        self.log = log

    def commit(self, claim: Claim, channel: Channel, data: bytes, a: Analysis) -> Outcome:
        """Protocol steps 2-3: re-check the duplicate rule, write every output, record, in one
        transaction. A duplicate that appeared meanwhile turns the verdict into a rejection.

        Raises:
            OutputError: an output cannot be written (the transaction is rolled back).
            StateError: the database failed (nothing is recorded; a re-run is safe).
        """
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
                seller_id=seller_folder_key(a.envelope),
                error_count=a.errors,
                outputs=list(written),
                finished_at=utc_now(),
            )
        return outcome

    def _log_verdict(self, a: Analysis) -> None:
        rules = log_rules(a.findings)
        if a.verdict is Verdict.ACCEPTED:
            env = a.envelope or Envelope()
            self.log.info("flux.routed", recipient=env.buyer_siret, service_code=env.service_code)
        elif a.verdict is Verdict.REJECTED:
            self.log.warning("flux.rejected", reason=a.reason, error_count=a.errors, rules=rules)
        else:
            self.log.warning(
                "flux.inadmissible", reason=a.reason, error_count=a.errors, rules=rules
            )

    def _add_invoice(self, db: sqlite3.Connection, claim: Claim, a: Analysis) -> int:
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
        a: Analysis,
        invoice_id: int | None,
    ) -> tuple[tuple[Path, ...], tuple[str, ...]]:
        """Write the flux report, and for an accepted invoice the original, the pivot and the
        invoice statuses (with their events); return the paths and the invoice status codes."""
        app = channel.application_code
        inbound = outputs.inbound_interface(a.report.detection)
        supplier_dir = outputs.supplier_folder(
            self.config.outbound, seller_folder_key(a.envelope), app
        )
        report = statusflow.flux_report(
            id_flux=claim.id_flux,
            receiver_id=app,
            verdict=a.verdict,
            reason=a.reason,
            findings=a.findings,
        )
        name = outputs.flow_name(outputs.report_interface(inbound), app, claim.id_flux)
        written = [outputs.write_atomic(supplier_dir / name, report)]
        self.log.info("status.emitted", kind="flux", status=flux_status(a.verdict), output=name)
        if a.verdict is not Verdict.ACCEPTED or invoice_id is None or a.envelope is None:
            return tuple(written), ()
        written.extend(self._recipient_outputs(claim, app, data, a, invoice_id))
        status_file = self._invoice_statuses(db, claim, app, supplier_dir, a, invoice_id)
        written.append(status_file)
        return tuple(written), PLATFORM_STATUSES

    def _recipient_outputs(
        self, claim: Claim, app: str, data: bytes, a: Analysis, invoice_id: int
    ) -> list[Path]:
        """The original and its CPPFacturePivot in the recipient's (SIRET, service) folder."""
        env = a.envelope or Envelope()
        siret = (env.buyer_siret or "").strip()
        service = (
            a.structure.service(env.service_code) if a.structure and env.service_code else None
        )
        recipient_dir = outputs.recipient_folder(self.config.outbound, siret, env.service_code)
        original = outputs.write_atomic(
            recipient_dir / outputs.archive_name(claim.id_flux, claim.original_name), data
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
                received=received_day(claim.received_at),
            )
        )
        pivot_name = outputs.flow_name(outputs.PIVOT_INTERFACE, app, claim.id_flux)
        return [original, outputs.write_atomic(recipient_dir / pivot_name, pivot)]

    def _invoice_statuses(
        self,
        db: sqlite3.Connection,
        claim: Claim,
        app: str,
        folder: Path,
        a: Analysis,
        invoice_id: int,
    ) -> Path:
        """FEN1200A flow with 01, 02, 03 and one status event per status (actor platform)."""
        env = a.envelope or Envelope()
        received = received_moment(claim.received_at)
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
        self._record_events(db, claim, statuses, invoice_id, path)
        self.log.info(
            "status.emitted", kind="invoice", statuses=list(PLATFORM_STATUSES), output=name
        )
        return path

    def _record_events(
        self,
        db: sqlite3.Connection,
        claim: Claim,
        statuses: list[statusflow.InvoiceStatus],
        invoice_id: int,
        path: Path,
    ) -> None:
        """One status event per status written (actor platform, 2026 reform code if any)."""
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

    def _outcome(
        self,
        claim: Claim,
        a: Analysis,
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
            flux_status=flux_status(a.verdict),
            statuses=statuses,
            outputs=written,
            findings=a.findings,
            error_count=a.errors,
        )


def seller_folder_key(env: Envelope | None) -> str | None:
    """Seller folder key: BT-29, else BT-30 (as the lifecycle actions use)."""
    return (env.seller_id or env.seller_key) if env else None


def received_moment(iso: str) -> datetime:
    """The claim's ``received_at`` (ISO 8601) as an aware datetime; now (UTC) when unreadable,
    naive values taken as UTC."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def received_day(iso: str) -> date:
    """The day of :func:`received_moment` (the deposit date of the CPP reception rules)."""
    return received_moment(iso).date()
