"""The duplicate rules: CPP-DUP-01 (invoice already received) and CPP-DUP-02 (same file twice).

Job: the two reception rules that need the gateway's ledger, so they are Python here and not
in ``rules/cpp-reception.xsl``; each returns an error finding of layer DUPLICATE, French then
English (``[RULE] <français> | EN: <English>``). The duplicate key of an invoice is (seller
SIREN BT-30 else BT-29, BT-1 through :func:`number_key`, year of BT-2)
(``../shared/domain/chorus-pro.md`` §4.4, S-DGFIP-CPRO §3.2.1.4.2). Input: the store and an
envelope or a digest -> output: a finding or None. The SQL is in :mod:`edi_gateway.store`.
"""

from __future__ import annotations

import unicodedata

from edi_gateway.core.model import Envelope, Finding, Layer, Severity
from edi_gateway.store.database import Store

DUPLICATE_INVOICE = "CPP-DUP-01"
DUPLICATE_FLUX = "CPP-DUP-02"
A_RECYCLER = "04"  # CPPStatut IdStatut: the recipient sent it back for routing data (§3.4)
# Flux verdicts whose bytes make a later identical file a duplicate flux (CPP-DUP-02).
TAKEN_IN = frozenset({"accepted", "rejected"})
NO_DUPLICATE_CHECK = frozenset({"S3"})  # B2G direct-payment requests (§4.4, S-DGFIP-CPRO §6.13)
EN_SEPARATOR = " | EN: "  # between the French and the English message of a reception finding


def _finding(rule: str, french: str, english: str, location: str | None = None) -> Finding:
    return Finding(
        layer=Layer.DUPLICATE,
        rule=rule,
        severity=Severity.ERROR,
        message=f"[{rule}] {french}{EN_SEPARATOR}{english}",
        location=location,
        source="edi_gateway.reception.duplicates",
    )


# Characters that do not show in an invoice number (the same set as CPP-REC-20 in
# rules/cpp-reception.xsl): Unicode default-ignorable code points that are not Cf (Unicode 15
# DerivedCoreProperties), and the blank braille pattern U+2800 (our choice: it draws nothing).
_INVISIBLE_RANGES = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2800, 0x2800),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF),
)  # fmt: skip
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))


def _invisible(char: str) -> bool:
    """True for a character CPP-REC-20 refuses inside BT-1: control (Cc), format (Cf), line or
    paragraph separator, any space other than U+0020, a default-ignorable code point, U+2800."""
    if char == " ":
        return False
    if unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def number_key(number: str) -> str:
    """BT-1 as the duplicate key compares it (``docs/reception.md`` §4, our choice): invisible
    characters removed (:func:`_invisible`: controls, format characters, default-ignorable code
    points, U+2800, every space other than U+0020), Unicode NFKC (fullwidth and compatibility
    forms folded), invisible characters removed again, dashes U+2010..U+2015 and U+2212 folded to
    ``-``, ordinary spaces trimmed, then case-folded (``str.casefold``: ``ex-2025-001`` and
    ``EX-2025-001`` are one number)."""
    text = "".join(ch for ch in number if not _invisible(ch))
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if not _invisible(ch)).translate(_DASHES)
    return text.strip().casefold()


def duplicate_invoice(store: Store, envelope: Envelope, id_flux: str | None) -> Finding | None:
    """CPP-DUP-01: the same invoice was already accepted (motif DOUBLE_FACT, reason REJ_UNI).

    Key: (seller SIREN BT-30, else seller identifier BT-29 = ``Envelope.seller_key``; invoice
    number BT-1 compared through :func:`number_key`; year of the issue date BT-2) (§4.4,
    S-DGFIP-CPRO §3.2.1.4.2). An earlier row
    counts when its flux was accepted, it is not of ``id_flux`` (a crash re-run of the same flux)
    and its current status is not A_RECYCLER (04): an invoice sent back for routing data may be
    re-sent with the same number (§3.2). Billing framework S3 is never checked (§4.4).

    Returns:
        The error finding, or None (also when the seller key or BT-1 is missing).
    """
    key = number_key(envelope.number or "")
    if not envelope.seller_key or not key:
        return None
    if envelope.billing_framework in NO_DUPLICATE_CHECK:
        return None
    year = envelope.issue_date.year if envelope.issue_date else None
    for row in store.invoices_of_seller_year(envelope.seller_key, year):
        if number_key(row.number) != key:
            continue
        if row.id_flux == id_flux or row.status_code == A_RECYCLER:
            continue
        flux = store.flux(row.id_flux)
        if flux is not None and flux.verdict not in (None, "accepted"):
            continue
        return _finding(
            DUPLICATE_INVOICE,
            f"La facture n° {envelope.number} du fournisseur {envelope.seller_key} "
            f"(année {year}) a déjà été reçue : facture CPP {row.id}, flux {row.id_flux}, "
            f"statut {row.status_name}.",
            f"Invoice {envelope.number} of supplier {envelope.seller_key} (year {year}) was "
            f"already received: CPP invoice {row.id}, flux {row.id_flux}, "
            f"status {row.status_name}.",
        )
    return None


def duplicate_flux(store: Store, sha256: str, id_flux: str | None) -> Finding | None:
    """CPP-DUP-02: the same file bytes were already deposited and taken in (reason IRR_UNCITE,
    §4.3).

    Only an earlier flux that was NOT inadmissible counts: one accepted (integrated) or rejected
    (processed, its flux report sent). Bytes whose earlier fluxes were all inadmissible (an
    empty file, malformed XML ...), or closed without verdict, are no duplicate: they were never
    taken in, so the new flux is processed and gets the same inadmissibility again, with its own
    reason (a gateway choice where the CPP documentation is silent, ``docs/reception.md`` §4).

    Args:
        store: gateway state. sha256: hex digest of the deposited bytes.
        id_flux: the flux being processed (never compared with itself).

    Returns:
        An error finding naming the first earlier accepted or rejected IdFlux, or None.
    """
    earlier = [
        row for row in store.fluxes_with_sha256(sha256, exclude=id_flux) if row.verdict in TAKEN_IN
    ]
    if not earlier:
        return None
    first = earlier[0]
    return _finding(
        DUPLICATE_FLUX,
        f"Ce fichier a déjà été déposé à l'identique : flux {first.id_flux} "
        f"({first.original_name}, reçu le {first.received_at}).",
        f"This exact file was already deposited: flux {first.id_flux} "
        f"({first.original_name}, received {first.received_at}).",
    )
