"""The integration report of a flux as a file to write: its path in ``outbound/`` and its bytes.

Job: the one place that puts a flux report (``CPPFluxStatuts``, :func:`statusflow.flux_report`)
in the outbound layout: ``outbound/fournisseurs/<seller>/`` when the seller is known, else
``outbound/canaux/<application code>/``, named ``<report interface>_<application
code>_<IdFlux>.xml`` (the report interface of the deposit's, :func:`names.report_interface`;
``../shared/domain/chorus-pro.md`` §1.3). Input: the flux and the report's content -> output:
``(path, bytes)``. It never writes: the delivery plan, the set-aside and the recipient status
answer write it with :func:`edi_gateway.core.files.write_atomic`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from edi_gateway.core import names
from edi_gateway.core.model import Finding, Verdict
from edi_gateway.outputs.statut_flux_report import flux_report


def flux_report_file(
    outbound: Path,
    *,
    id_flux: str,
    application_code: str,
    verdict: Verdict,
    inbound_interface: str = names.UBL_INTERFACE,
    seller_key: str | None = None,
    reason: str | None = None,
    status: str | None = None,
    findings: Sequence[Finding] = (),
    comment: str | None = None,
    validated_with: str | None = None,
) -> tuple[Path, bytes]:
    """Path and bytes of the flux report of ``id_flux``.

    Args:
        outbound: the outbound root.
        id_flux: the IdFlux reported on. application_code: the depositing channel's code
            (``Recepteur/Id`` and the name's ``CodeApplication``).
        verdict, reason, status, findings, comment, validated_with: as
            :func:`statusflow.flux_report`.
        inbound_interface: the deposit's interface (``names.inbound_interface``); its report
            interface names the file.
        seller_key: the seller folder key (BT-29, else BT-30) or None (channel folder).

    Returns:
        ``(path, UTF-8 XML)``; the XML validates against ``CPPStatutPivot_V1_19.xsd``.
    """
    folder = names.supplier_folder(outbound, seller_key, application_code)
    interface = names.report_interface(inbound_interface)
    data = flux_report(
        id_flux=id_flux,
        receiver_id=application_code,
        verdict=verdict,
        reason=reason,
        status=status,
        findings=findings,
        comment=comment,
        validated_with=validated_with,
    )
    return folder / names.flow_name(interface, application_code, id_flux), data
