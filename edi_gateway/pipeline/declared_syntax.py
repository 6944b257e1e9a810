"""A deposit's declared ``syntaxeFlux`` against what detection found (Service mode).

Job: Chorus Pro's ``factures/v1/deposer/flux`` names the flux syntax (``syntaxeFlux``,
``../shared/domain/chorus-pro.md`` §1.2) and the file must be of that syntax. A flux dropped in a
folder declares nothing (its channel is its interface); a flux deposited over HTTP has a
``deposit`` row (:mod:`edi_gateway.store.deposits`). Input: the store, the IdFlux, the detection
-> output: the finding ``GW-API-01`` (error, inadmissible: ``IRR_SYNTAX``) or None.
"""

from __future__ import annotations

from edi_gateway.core.model import Detection, Finding, Layer, Severity
from edi_gateway.store.database import Store

RULE = "GW-API-01"


def mismatch(store: Store, id_flux: str, detection: Detection) -> Finding | None:
    """The finding when flux ``id_flux`` was deposited declaring another syntax than the one
    detection found; None when it agrees, declared nothing (a portal upload), or is no invoice (the
    detection findings already say so).

    Raises:
        StateError: the database failed.
    """
    deposit = store.deposit(id_flux)
    found = detection.flux_syntax
    if deposit is None or not deposit.flux_syntax or found is None or deposit.flux_syntax == found:
        return None
    return Finding(
        layer=Layer.DETECT,
        rule=RULE,
        severity=Severity.ERROR,
        message=(
            f"syntaxeFlux déclaré {deposit.flux_syntax}, le fichier est {found} "
            f"({detection.label}) : le redéposer avec syntaxeFlux {found} | EN: syntaxeFlux "
            f"{deposit.flux_syntax} was declared but the file is {found}; deposit it again "
            f"with syntaxeFlux {found}"
        ),
        source="edi-gateway:deposer/flux",
    )
