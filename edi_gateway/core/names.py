"""Names of what the gateway writes: the outbound layout, CPP interface codes, file names.

Writing them is :mod:`edi_gateway.core.files`; this module only decides names and folders.

Layout of ``outbound/`` (see ``docs/outputs.md``)::

    outbound/<recipient SIRET>/<service code | _SANS_SERVICE>/  accepted invoice: original + pivot
    outbound/fournisseurs/<seller id>/                         status flows, known seller
    outbound/canaux/<channel application code>/                status flows, unknown seller

Every name is built from the IdFlux (Chorus Pro envelope convention
``<CodeInterface>_<CodeApplication>_<IdFlux>``, ``../shared/domain/chorus-pro.md`` §1.3), so a
re-run after a crash rewrites the same files instead of adding new ones. No value read from an
invoice can leave ``outbound/``: each folder name goes through :func:`safe_component`, which keeps
a safe value as it is and gives any other value a readable form plus a hash of the original, so
two different values never share a folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from edi_gateway.core.model import Container, Detection, Syntax

SUPPLIERS_DIR = "fournisseurs"  # never 14 digits, so never a SIRET folder
CHANNELS_DIR = "canaux"
NO_SERVICE = "_SANS_SERVICE"
UNKNOWN = "_INCONNU"
MAX_COMPONENT = 100  # CodeService maxLength in CPPFacturePivot: every valid service code fits
NAME_MAX = 255  # bytes in one path component (Linux, most filesystems)
#: Longest ``<IdFlux>__<name>``: room is kept for the ``.N`` (up to ``.999``) of a taken name.
ARCHIVE_NAME_MAX = NAME_MAX - 4
MAX_EXTENSION = 16  # bytes of the extension kept when a name is cut (``.xml``, ``.pdf`` ...)
HASH_SEPARATOR = "~"  # never kept by safe_component: a hashed name never equals a kept one
HASH_DIGITS = 8
#: Names the gateway gives itself in outbound/: a value equal to one of them is hashed.
RESERVED_NAMES = frozenset({SUPPLIERS_DIR, CHANNELS_DIR, NO_SERVICE, UNKNOWN})
_KEPT = re.compile(r"[A-Za-z0-9_@][A-Za-z0-9._@-]*")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")
_UNSAFE_IN_FILE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]+")


# Chorus Pro interface codes (``../shared/domain/chorus-pro.md`` §1.2-1.3).
UBL_INTERFACE = "FSO1100A"  # IN_DP_E1_UBL_INVOICE; also the default for undetected files
CII_INTERFACE = "FSO1106A"  # IN_DP_E1_CII_16B
FACTURX_INTERFACE = "FSO1117A"  # IN_DP_E2_CII_FACTURX (any PDF deposit)
INVOICE_STATUS_INTERFACE = "FEN1200A"  # invoice lifecycle flow to the supplier (CPPStatut)
PIVOT_INTERFACE = "FEN0036A"  # pivot invoice flow to an EDI-connected public recipient
#: Every report interface is the deposit's with F turned into C (:func:`report_interface`):
#: CSO1100A, CSO1106A, CSO1117A. No module spells an interface code but this one.


def interface_number(interface_code: str) -> str:
    """The 4 digits of an interface code (``FEN1200A`` -> ``1200``), as an IdFlux carries them
    (``../shared/domain/chorus-pro.md`` §1.3)."""
    return interface_code[3:7]


def inbound_interface(detection: Detection | None) -> str:
    """Interface code of a received flux from its detected content.

    A PDF is Factur-X (FSO1117A), CII XML is FSO1106A, anything else (UBL, undetected, empty,
    not XML) is FSO1100A: the UBL E1 interface is the gateway's default deposit interface.
    """
    if detection is None:
        return UBL_INTERFACE
    if detection.container is Container.PDF:
        return FACTURX_INTERFACE
    if detection.syntax is Syntax.CII:
        return CII_INTERFACE
    return UBL_INTERFACE


def report_interface(inbound: str) -> str:
    """Interface of the integration report about a flux: the inbound code with F turned into C
    (``FSO1100A`` -> ``CSO1100A``, §1.3)."""
    return "C" + inbound[1:] if inbound.startswith("F") else inbound


def is_safe_component(value: str | None, *, limit: int = MAX_COMPONENT) -> bool:
    """Tell whether ``value`` is used unchanged as a folder name by :func:`safe_component`.

    True for 1 to ``limit`` characters of ``A-Z a-z 0-9 . _ - @`` (the PPF routing-code set
    without ``/``, plus ``.``) that do not start with ``.`` or ``-`` and are not one of the
    gateway's own folder names (:data:`RESERVED_NAMES`).
    """
    return (
        bool(value)
        and len(value or "") <= limit
        and _KEPT.fullmatch(value or "") is not None
        and value not in RESERVED_NAMES
    )


def safe_component(
    value: str | None, *, fallback: str = UNKNOWN, limit: int = MAX_COMPONENT
) -> str:
    """Turn an identifier read from an invoice into one safe, unique folder or file name component.

    A value that :func:`is_safe_component` accepts is kept as it is. Any other value is made
    readable (accents folded to ASCII, every character outside ``A-Z a-z 0-9 . _ - @`` turned
    into ``_``, leading ``.`` and ``-`` dropped, ``fallback`` when nothing usable is left), cut,
    and followed by ``~`` and the first 8 hex digits of the SHA-256 of the original value: two
    different values never share a folder (``A/B`` -> ``A_B~…`` while ``A_B`` stays ``A_B``),
    and the same value always gives the same name.

    Args:
        value: the raw value (SIRET, service code, seller id) or None.
        fallback: returned for None or ``""``; the readable part of a value with nothing usable.
        limit: maximum length in characters, hash included (at least 20).

    Returns:
        A non-empty name, never ``.``, ``..``, nor starting with ``.`` or ``-``, that can never
        climb out of its parent folder.
    """
    if not value:
        return fallback
    if is_safe_component(value, limit=limit):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    tag = HASH_SEPARATOR + digest[:HASH_DIGITS]
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    text = _UNSAFE.sub("_", text).lstrip(".-")
    if not text.strip("_"):
        text = fallback
    return text[: limit - len(tag)] + tag


def flow_name(
    interface_code: str, application_code: str, id_flux: str, suffix: str = ".xml"
) -> str:
    """Return the CPP envelope file name ``<CodeInterface>_<CodeApplication>_<IdFlux><suffix>``.

    Example: ``CSO1100A_EDIGW1_EDIGW11100000000000000042.xml`` (§1.3 of the domain facts).
    """
    return f"{interface_code}_{application_code}_{id_flux}{suffix}"


def recipient_folder(outbound: Path, siret: str, service_code: str | None) -> Path:
    """Folder of an accepted invoice: ``outbound/<SIRET>/<service code or _SANS_SERVICE>/``."""
    service = safe_component(service_code) if service_code else NO_SERVICE
    return outbound / safe_component(siret) / service


def supplier_folder(outbound: Path, seller_id: str | None, application_code: str) -> Path:
    """Folder of the status flows of a flux.

    ``outbound/fournisseurs/<seller id>/`` when the seller is known (BT-29, else BT-30), else
    ``outbound/canaux/<application code of the depositing channel>/`` (an inadmissible file).
    """
    if seller_id:
        return outbound / SUPPLIERS_DIR / safe_component(seller_id)
    return outbound / CHANNELS_DIR / safe_component(application_code)


def safe_file_name(name: str, *, fallback: str = "fichier", max_bytes: int = NAME_MAX) -> str:
    """Keep a dropped file's own name, minus path separators, control characters and leading
    dots, cut to ``max_bytes`` bytes with its extension kept (:func:`cut_name`). Spaces, accents
    and bytes that are not UTF-8 (``os.fsdecode`` surrogates) are kept: it is the sender's name.
    """
    text = _UNSAFE_IN_FILE_NAME.sub("_", name).lstrip(".")
    return cut_name(text, max_bytes) if text.strip("_ ") else fallback


def cut_name(name: str, max_bytes: int) -> str:
    """Cut ``name`` to at most ``max_bytes`` bytes (file system encoding), keeping its extension
    (the last ``.xxx``, up to 16 bytes) and never cutting a UTF-8 character in half."""
    raw = os.fsencode(name)
    if len(raw) <= max_bytes:
        return name
    stem, dot, extension = raw.rpartition(b".")
    suffix = dot + extension if dot and stem and len(extension) < MAX_EXTENSION else b""
    head = _whole_characters(raw[: max_bytes - len(suffix)])
    return os.fsdecode(head + suffix)


def _whole_characters(raw: bytes) -> bytes:
    """Drop a UTF-8 sequence cut short at the end of ``raw`` (other bytes are left alone)."""
    for back in range(1, min(4, len(raw)) + 1):
        byte = raw[-back]
        if byte < 0x80:
            return raw
        if byte >= 0xC0:  # lead byte of a sequence of 2, 3 or 4 bytes
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return raw if needed <= back else raw[:-back]
    return raw


def archive_name(id_flux: str, original_name: str) -> str:
    """Name of an original once claimed or put away: ``<IdFlux>__<original name>``, at most
    :data:`ARCHIVE_NAME_MAX` bytes (the name cut with its extension kept, :func:`cut_name`)."""
    prefix = f"{id_flux}__"
    room = ARCHIVE_NAME_MAX - len(os.fsencode(prefix))
    return prefix + safe_file_name(original_name, max_bytes=room)
