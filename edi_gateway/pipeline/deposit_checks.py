"""What a deposit over HTTP declared, against the file (Service and Portail modes).

Two checks, each a finding or None: :func:`mismatch` (the declared ``syntaxeFlux`` against
detection, ``GW-API-01``) and :func:`foreign_seller` (the invoice's seller against the
depositor's supplier structures, ``GW-API-02``).


Job: Chorus Pro's ``factures/v1/deposer/flux`` names the flux syntax (``syntaxeFlux``,
``../shared/domain/chorus-pro.md`` §1.2) and the file must be of that syntax. A flux dropped in a
folder declares nothing (its channel is its interface); a flux deposited over HTTP has a
``deposit`` row (:mod:`edi_gateway.store.deposits`). Input: the store, the IdFlux, the detection
-> output: the finding ``GW-API-01`` (error, inadmissible: ``IRR_SYNTAX``) or None.

A technical account or a portal user deposits for its own supplier structures only: an invoice
whose seller (BT-29 SIRET, or the SIREN of BT-30) is none of them is rejected (``GW-API-02``,
error in the CPP layer), so nobody can deposit in another supplier's name.
"""

from __future__ import annotations

from edi_gateway.core.model import Detection, Envelope, Finding, Layer, Severity
from edi_gateway.store.database import Store

RULE = "GW-API-01"
SELLER_RULE = "GW-API-02"


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


def foreign_seller(store: Store, id_flux: str, envelope: Envelope) -> Finding | None:
    """The finding when the seller of the invoice of flux ``id_flux`` is not one of the
    depositor's supplier structures; None for a folder drop, a depositor with no list, or a
    seller that matches (its SIRET, or its SIREN: the first 9 digits of a listed SIRET).

    Raises:
        StateError: the database failed.
    """
    deposit = store.deposit(id_flux)
    if deposit is None or not deposit.sellers:
        return None
    siret = envelope.seller_id if envelope.seller_id_scheme in (None, "0009") else None
    siren = envelope.seller_siren or (siret[:9] if siret else None)
    if siret in deposit.sellers or (siren and any(s[:9] == siren for s in deposit.sellers)):
        return None
    seller = envelope.seller_id or envelope.seller_siren or "-"
    allowed = ", ".join(deposit.sellers)
    return Finding(
        layer=Layer.CPP,
        rule=SELLER_RULE,
        severity=Severity.ERROR,
        message=(
            f"le vendeur {seller} (BT-29 / BT-30) n'est pas une structure fournisseur du "
            f"déposant ({allowed}) | EN: the seller {seller} is not a supplier structure of "
            f"the depositor ({allowed})"
        ),
        source="edi-gateway:deposer/flux",
    )
