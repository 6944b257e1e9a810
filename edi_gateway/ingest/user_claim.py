"""Protocol step 1 for the one-shot ``process`` command: a user file becomes a claimed flux.

Job: put a user file into ``var/work/<IdFlux>__<name>`` WITHOUT moving or changing it, and insert
its ``flux`` row (state ``claimed``, attempt 1), as the daemon's claim does for a dropped file
(``claim.Claimer``). Input: the bytes already read with a bound (:mod:`edi_gateway.core.readlimit`)
-> output: the :class:`~edi_gateway.core.records.Claim`. A file over
``validation.max_file_bytes`` is never copied whole and never linked: only its first 4 KiB
(what the engine sniffs) are written to ``var/work``, so nothing the gateway keeps shares the
user's inode (a hard link would let a later edit of either change the other); its sha256 stays
empty, like a daemon claim of such a file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from edi_gateway.core import files
from edi_gateway.core.config import Channel, Config
from edi_gateway.core.readlimit import Bounded
from edi_gateway.core.records import Claim
from edi_gateway.ingest.claim import readable, work_name
from edi_gateway.store.database import Store, utc_now


def record(
    config: Config, store: Store, path: Path, channel: Channel, read: Bounded, id_flux: str
) -> Claim:
    """Write the ``var/work`` entry of ``path`` and insert its ``claimed`` row (attempt 1).

    Args:
        config: gateway configuration (``work_dir``). store: the engine's store.
        path: the user's file (its name may hold bytes that are not UTF-8).
        channel: the channel it is processed on. read: its bounded read. id_flux: drawn for it.

    Returns:
        The claim; its ``original_name`` is the readable form of the name (``claim.readable``).

    Raises:
        OutputError: the entry cannot be written. StateError: the database failed.
    """
    work = config.work_dir / work_name(id_flux, path.name)
    files.write_atomic(work, read.data)  # the whole file, or the head of an oversize one
    claim = Claim(
        id_flux=id_flux,
        channel=channel.name,
        work_path=work,
        original_name=readable(path.name),
        sha256=hashlib.sha256(read.data).hexdigest() if read.complete else "",
        size=read.size,
        received_at=utc_now(),
    )
    store.add_flux(
        id_flux=id_flux,
        channel=channel.name,
        original_name=claim.original_name,
        sha256=claim.sha256,
        size=claim.size,
        work_path=readable(str(work)),
        received_at=claim.received_at,
    )
    store.update_flux(id_flux, attempts=1)
    return claim
