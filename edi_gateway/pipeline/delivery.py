"""Write the outputs of one analysed flux and record it, in ONE store transaction.

Job: protocol steps 2-3 of ``docs/architecture.md``. Inside one ``BEGIN IMMEDIATE`` transaction: re-
check the duplicate-flux and duplicate-invoice rules (no other writer can slip in meanwhile),
compute every output in memory (the flux report, CPPFluxStatuts, to the supplier side; for an
accepted invoice the original and its CPPFacturePivot to the recipient folder and the invoice
statuses 01, 02, 03, CPPFactureStatuts, to the supplier side), stage them (written and fsynced under
their temporary names, :meth:`Plan.stage_all`) under names derived from the IdFlux; then record the
invoice, its status events and the flux verdict (state ``done``) with the final paths; after the
commit, publish them (:func:`~edi_gateway.outputs.delivery_plan.publish_staged`: a hard link to the
final name, which never replaces a file).

Delivery is all-or-nothing: before the commit no output exists under its final name. When a
write or the transaction fails, the staged copies are removed before the error rises, so a retry
or a set-aside starts clean and the supplier never sees a 90 and a 93 for one flux. A hard crash
before the commit leaves only temporary files, which the re-run overwrites; after it, the
recorded outputs are published by whoever finishes the flux (the engine, or the daemon's
recovery: ``finish.publish``). Input: the claim, its channel, the original bytes and the
:class:`~edi_gateway.outcome.Analysis` -> output: the :class:`~edi_gateway.outcome.Outcome`. It
never validates and never moves the original (the engine puts it away after the commit).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from edi_gateway.core.config import Channel, Config
from edi_gateway.core.model import Envelope, Verdict
from edi_gateway.core.records import Claim
from edi_gateway.lifecycle.table import Lifecycle
from edi_gateway.outputs import statusflow
from edi_gateway.outputs.delivery_plan import Plan, seller_folder_key
from edi_gateway.outputs.delivery_plan import received_day as received_day
from edi_gateway.outputs.pivot import PivotBuilder
from edi_gateway.pipeline.flux_outputs import FluxOutputs
from edi_gateway.pipeline.outcome import (
    PLATFORM_STATUSES,
    Analysis,
    Outcome,
    flux_status,
    log_rules,
)
from edi_gateway.reception import duplicates, reasons
from edi_gateway.store.connection import Transaction
from edi_gateway.store.database import Store, utc_now
from edi_gateway.store.records import FluxState

ACTOR = "platform"


class AlreadyDone(Exception):
    """The flux row was ``done`` when the write transaction began: another run of the same
    flux (a cluster task delivered twice, a worker thought dead) committed first. Nothing of
    this run is recorded or published; the ledger decided. Args: the IdFlux."""


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
        self.planner = FluxOutputs(config=config, pivots=pivots, lifecycle=lifecycle)
        self.lifecycle = lifecycle
        self.log = log

    def commit(self, claim: Claim, channel: Channel, data: bytes, a: Analysis) -> Outcome:
        """Protocol steps 2-3: re-check the duplicate rules, compute then stage every output,
        record, in one transaction; then publish the outputs. A file that cannot be published
        (another file under its name: never replaced) is logged ``output.failed`` and its
        staged copy kept. A duplicate that appeared meanwhile turns the verdict into a
        rejection.

        Raises:
            AlreadyDone: the flux was recorded ``done`` by another run before this one's
                transaction (nothing written).
            OutputError: an output cannot be written (the transaction is rolled back and the
                outputs of this flux already written are removed).
            StateError: the database failed (nothing is recorded, the outputs are removed; a
                re-run is safe).
        """
        plan = Plan(root=self.config.outbound)
        try:
            with self.store.transaction() as db:
                row = self.store.flux(claim.id_flux)
                if row is not None and row.done:
                    raise AlreadyDone(claim.id_flux)
                a = self._recheck_duplicate_flux(claim, data, a)
                a = self._recheck_duplicate(claim, a)
                self._log_verdict(a)
                invoice_id = (
                    self._add_invoice(db, claim, a) if a.verdict is Verdict.ACCEPTED else None
                )
                self.planner.plan(plan, claim, channel, data, a, invoice_id)
                plan.stage_all()
                if plan.statuses and invoice_id is not None:
                    self._record_events(db, claim, plan.statuses, invoice_id, plan.status_file)
                self._log_emitted(plan, a)
                outcome = self._outcome(claim, a, invoice_id, plan.codes, plan.paths)
                self._record_flux(db, claim, a, outcome, plan.paths)
        except BaseException:
            plan.remove_all()
            raise
        for problem in plan.publish_all():
            self.log.error("output.failed", message=problem)
        return outcome

    def _recheck_duplicate_flux(self, claim: Claim, data: bytes, a: Analysis) -> Analysis:
        """CPP-DUP-02 again inside the write transaction: another worker may have taken in the
        same bytes since the analysis (two identical files dropped at the same instant end with
        exactly one taken in; the other is inadmissible, IRR_UNCITE)."""
        if a.verdict is Verdict.INADMISSIBLE:
            return a
        sha256 = claim.sha256 or hashlib.sha256(data).hexdigest()
        late = duplicates.duplicate_flux(self.store, sha256, claim.id_flux)
        if late is None:
            return a
        self.log.warning("flux.duplicate", rule=late.rule, kind="flux")
        findings = (late, *a.findings)
        return Analysis(
            report=a.report,
            verdict=Verdict.INADMISSIBLE,
            findings=findings,
            reason=statusflow.inadmissible_reason(findings),
        )

    def _recheck_duplicate(self, claim: Claim, a: Analysis) -> Analysis:
        """CPP-DUP-01 again inside the write transaction: another writer may have accepted the
        same invoice since the analysis."""
        if a.verdict is not Verdict.ACCEPTED or a.envelope is None:
            return a
        late = duplicates.duplicate_invoice(self.store, a.envelope, claim.id_flux)
        if late is None:
            return a
        self.log.warning("flux.duplicate", rule=late.rule, kind="invoice")
        findings = (*a.findings, late)
        codes = reasons.reason_for(findings)
        return replace(
            a, verdict=Verdict.REJECTED, findings=findings, reason=codes.reason if codes else None
        )

    def _record_flux(
        self,
        db: Transaction,
        claim: Claim,
        a: Analysis,
        outcome: Outcome,
        written: tuple[Path, ...],
    ) -> None:
        """Protocol step 3: the flux verdict, state ``done``, in the caller's transaction."""
        self.store.update_flux(
            claim.id_flux,
            db=db,
            state=FluxState.DONE,
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

    def _add_invoice(self, db: Transaction, claim: Claim, a: Analysis) -> int:
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

    def _log_emitted(self, plan: Plan, a: Analysis) -> None:
        """``status.emitted`` once the flows are on disk (``output``: the flow's file name)."""
        self.log.info(
            "status.emitted", kind="flux", status=flux_status(a.verdict), output=plan.paths[0].name
        )
        if plan.status_file is not None:
            self.log.info(
                "status.emitted",
                kind="invoice",
                statuses=list(plan.codes),
                output=plan.status_file.name,
            )

    def _record_events(
        self,
        db: Transaction,
        claim: Claim,
        statuses: list[statusflow.InvoiceStatus],
        invoice_id: int,
        path: Path | None,
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
                flow_file=str(path) if path else None,
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
