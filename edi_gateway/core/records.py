"""Records shared by the stages: what one stage hands the next.

:class:`Claim` is made by ``ingest`` (a file taken into ``var/work``), read by the ``pipeline``
engine, the ``runtime`` daemon and ``process``; it lives here so that no stage imports a later
one to get it. The document records (detection, findings, reports) are in
:mod:`edi_gateway.core.model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """A file the gateway owns: moved into ``var/work/`` and recorded (state ``claimed``).

    Attributes:
        id_flux: the 25-character IdFlux drawn for it.
        channel: name of the channel it came from.
        work_path: where it is now, ``var/work/<IdFlux>__<name>``.
        original_name: its name when dropped, readable form (undecodable bytes as ``\\xNN``,
            :func:`edi_gateway.ingest.claim.readable`).
        sha256: hex digest of its bytes ("" for a non-regular file, never opened, and for a
            file over ``max_file_bytes``: the engine declares it inadmissible).
        size: bytes (0 for a non-regular file).
        received_at: ISO 8601 UTC time of the claim.
    """

    id_flux: str
    channel: str
    work_path: Path
    original_name: str
    sha256: str
    size: int
    received_at: str
