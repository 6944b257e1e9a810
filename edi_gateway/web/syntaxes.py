"""The ``syntaxeFlux`` codes of a deposit and what the gateway does with each.

Source: ``../shared/domain/chorus-pro.md`` §1.2 (the 13 values of ``DeposerFluxFactureParam``
plus ``IN_DP_E3_UBL_INVOICE``). The gateway processes three of them, the ones its detection
reports (:attr:`edi_gateway.core.model.Detection.flux_syntax`); the others are known to Chorus
Pro and answered with a business error, anything else is a malformed request.
"""

from __future__ import annotations

#: syntaxeFlux -> (processed here, label)
SYNTAXES: dict[str, tuple[bool, str]] = {
    "IN_DP_E1_UBL_INVOICE": (True, "UBL 2.1 Invoice / CreditNote"),
    "IN_DP_E1_CII_16B": (True, "UN/CEFACT CII D16B"),
    "IN_DP_E2_CII_FACTURX": (True, "Factur-X PDF/A-3 (CII embarqué)"),
    "IN_DP_E1_CII": (False, "CII (ancienne version)"),
    "IN_DP_E1_PES_FACTURE": (False, "PES Facture"),
    "IN_DP_E1_XCBL": (False, "xCBL"),
    "IN_DP_E2_UBL_INVOICE_MIN": (False, "UBL minimal + PDF"),
    "IN_DP_E2_CII_MIN": (False, "CII minimal + PDF"),
    "IN_DP_E2_CII_MIN_16B": (False, "CII D16B minimal + PDF"),
    "IN_DP_E2_PES_FACTURE_MIN": (False, "PES minimal"),
    "IN_DP_E2_CPP_FACTURE_MIN": (False, "CPPFactureMixte"),
    "IN_DP_PDFARCHIVE_UBL_INVOICE_MUG": (False, "archive PDF UBL"),
    "IN_DP_PDFARCHIVE_CII_MUG": (False, "archive PDF CII"),
    "IN_DP_E3_UBL_INVOICE": (False, "UBL mémoires de frais de justice"),
}


def processed() -> list[str]:
    """The codes this gateway validates and routes."""
    return [code for code, (ok, _) in SYNTAXES.items() if ok]
