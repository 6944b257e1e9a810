"""The outputs of one analysed flux, computed in memory: nothing is written here.

Job: fill a :class:`~edi_gateway.outputs.delivery_plan.Plan` with every file of one flux, in
writing order: the flux report (CPPFluxStatuts) to the supplier side, and for an accepted
invoice the original and its CPPFacturePivot in the recipient's (SIRET, service) folder and the
invoice statuses 01, 02, 03 (CPPFactureStatuts, interface FEN1200A) to the supplier side. Every
name comes from the IdFlux (:mod:`edi_gateway.core.names`). Input: the claim, its channel, the
original bytes, the :class:`~edi_gateway.pipeline.outcome.Analysis` and the CPP invoice id ->
output: the plan. :class:`~edi_gateway.pipeline.delivery.Delivery` writes and records it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from edi_gateway.core import names
from edi_gateway.core.config import Channel, Config
from edi_gateway.core.model import Envelope, ValidationReport, Verdict
from edi_gateway.core.records import Claim
from edi_gateway.lifecycle.table import Lifecycle
from edi_gateway.outputs import statusflow
from edi_gateway.outputs.delivery_plan import Plan, received_day, received_moment, seller_folder_key
from edi_gateway.outputs.pivot import PivotBuilder, PivotInput
from edi_gateway.outputs.report_file import flux_report_file
from edi_gateway.pipeline.outcome import PLATFORM_STATUSES, Analysis
from edi_gateway.validation.render import artefact_versions, scenario_line


class FluxOutputs:
    """Computes the outputs of analysed fluxes; one instance per :class:`Delivery`.

    Args:
        config: the gateway configuration (``outbound`` folder).
        pivots: the pivot builder (compiled stylesheets).
        lifecycle: the status table (labels of 01, 02, 03).
    """

    def __init__(self, *, config: Config, pivots: PivotBuilder, lifecycle: Lifecycle) -> None:
        self.config = config
        self.pivots = pivots
        self.lifecycle = lifecycle

    def plan(
        self,
        plan: Plan,
        claim: Claim,
        channel: Channel,
        data: bytes,
        a: Analysis,
        invoice_id: int | None,
    ) -> None:
        """Compute every output of the flux into ``plan`` (nothing written): the flux report, and
        for an accepted invoice the original, the pivot and the invoice statuses."""
        app = channel.application_code
        report_path, report = flux_report_file(
            self.config.outbound,
            id_flux=claim.id_flux,
            application_code=app,
            verdict=a.verdict,
            inbound_interface=names.inbound_interface(a.report.detection),
            seller_key=seller_folder_key(a.envelope),
            reason=a.reason,
            findings=a.findings,
            checked_with=_checked_with(a.report),
        )
        plan.add(report_path, report)
        supplier_dir = report_path.parent
        if a.verdict is not Verdict.ACCEPTED or invoice_id is None or a.envelope is None:
            return
        self._recipient_outputs(plan, claim, app, data, a, invoice_id)
        self._invoice_statuses(plan, claim, app, supplier_dir, a, invoice_id)
        plan.codes = PLATFORM_STATUSES

    def _recipient_outputs(
        self, plan: Plan, claim: Claim, app: str, data: bytes, a: Analysis, invoice_id: int
    ) -> None:
        """The original and its CPPFacturePivot in the recipient's (SIRET, service) folder."""
        env = a.envelope or Envelope()
        siret = (env.buyer_siret or "").strip()
        service = (
            a.structure.service(env.service_code) if a.structure and env.service_code else None
        )
        recipient_dir = names.recipient_folder(self.config.outbound, siret, env.service_code)
        plan.add(recipient_dir / names.archive_name(claim.id_flux, claim.original_name), data)
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
        pivot_name = names.flow_name(names.PIVOT_INTERFACE, app, claim.id_flux)
        plan.add(recipient_dir / pivot_name, pivot)

    def _invoice_statuses(
        self,
        plan: Plan,
        claim: Claim,
        app: str,
        folder: Path,
        a: Analysis,
        invoice_id: int,
    ) -> None:
        """FEN1200A flow with 01, 02, 03 (its events are recorded once it is written)."""
        now = datetime.now(UTC)
        moments = (received_moment(claim.received_at), now, now)
        plan.statuses = self._platform_statuses(a, invoice_id, moments)
        name = names.flow_name(names.INVOICE_STATUS_INTERFACE, app, claim.id_flux)
        plan.status_file = plan.add(
            folder / name,
            statusflow.invoice_statuses(plan.statuses, id_flux=claim.id_flux, receiver_id=app),
        )

    def _platform_statuses(
        self, a: Analysis, invoice_id: int, moments: tuple[datetime, ...]
    ) -> list[statusflow.InvoiceStatus]:
        """The platform's statuses 01, 02, 03 of a new invoice, at ``moments`` (received,
        then now twice), each commented with its French label and the CPP invoice id."""
        env = a.envelope or Envelope()
        supplier = statusflow.supplier_from_envelope(env)
        debtor = statusflow.Debtor(
            siret=(env.buyer_siret or "").strip(),
            name=a.structure.name if a.structure else env.buyer_name,
            service_code=env.service_code,
        )
        return [
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


def _checked_with(report: ValidationReport) -> str:
    """What the integration report's ``Commentaire`` names: the scenario and its packs, then
    every artefact with its version (empty when nothing was checked)."""
    versions = artefact_versions(report)
    if not report.scenario:
        return versions
    return f"{scenario_line(report)}: {versions}" if versions else scenario_line(report)
