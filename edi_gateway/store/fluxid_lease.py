"""IdFlux blocks leased from the outbound folder, so numbering survives the loss of ``var/``.

Job: the store's counter (``sequence`` table, :mod:`edi_gateway.store.fluxid`) lives in ``var/``;
the outputs it names live in ``outbound/``. A gateway started with a fresh or restored ``var/``, or
a one-shot ``process`` with another ``var/``, used to count from 1 again and reuse names whose
outputs exist. So the numbers are leased in blocks of :data:`BLOCK` from a file in ``outbound/``
itself, ``outbound/.idflux/<application code>-<instance>``, which holds the last number leased
(decimal text). Each lease takes an exclusive ``flock`` on that file, reads it, writes the new top
and fsyncs it before any number of the block is used: two state folders sharing one ``outbound/``
get disjoint blocks even when they run at the same time, and a lost ``var/`` continues above every
number ever leased. A missing or unreadable lease file (an ``outbound/`` from before leases, or the
file removed), and the first lease of a fresh ``var/`` (its counter at 1), also count the highest
IdFlux found in the names under ``outbound/`` (:func:`highest_in_outbound`), so a lease file set
back by hand cannot bring numbers back. A block cut short by a crash is skipped, never reused:
IdFlux numbers may have gaps, never repeats.

Choice (not a Chorus Pro rule): the block size, 1000, costs one small fsynced write per 1000
fluxes on the hot path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from edi_gateway.core import files
from edi_gateway.core.errors import StateError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

LEASE_FOLDER = ".idflux"
BLOCK = 1000


def lease_file(outbound: Path, application_code: str, instance: int) -> Path:
    """``outbound/.idflux/<application code>-<instance, 2 digits>`` (a dot-folder: whoever
    reads ``outbound/`` skips it, as it skips the gateway's lock files)."""
    return outbound / LEASE_FOLDER / f"{application_code}-{instance:02d}"


def lease_block(
    outbound: Path, application_code: str, instance: int, floor: int
) -> tuple[int, int]:
    """Lease the next block of counter values for ``(application_code, instance)``.

    Args:
        outbound: the outbound folder (created when missing).
        application_code: 6 characters ``[A-Z0-9]``. instance: ``gateway.instance``, 0-99.
        floor: the lowest value the caller may use (its own counter's next value).

    Returns:
        ``(first, last)``: :data:`BLOCK` values from ``max(floor, previous top + 1)``.

    Raises:
        StateError: the lease file cannot be opened, locked or written (the caller's store
            transaction rolls back: no number is issued).
    """
    path = lease_file(outbound, application_code, instance)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise StateError(f"{path}: cannot open the IdFlux lease: {exc.strerror or exc}") from exc
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        text = os.pread(fd, 4096, 0).decode("ascii", "replace").strip()
        top = int(text) if text.isascii() and text.isdigit() else -1
        if top < 0 or floor <= 1:  # damaged, or a fresh var/: the names already out count too
            top = max(top, highest_in_outbound(outbound, application_code, instance))
        first = max(floor, top + 1)
        last = first + BLOCK - 1
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{last}\n".encode("ascii"), 0)
        os.fsync(fd)
    except OSError as exc:
        raise StateError(f"{path}: cannot lease IdFlux numbers: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)  # releases the flock
    files.fsync_folder(path.parent)
    return first, last


def highest_in_outbound(outbound: Path, application_code: str, instance: int) -> int:
    """The highest counter of an IdFlux ``<code><4 digits><instance><13 digits>`` named in the
    file names under ``outbound`` (links not followed, the lease folder skipped); 0 when there
    is none. Staged ``.<name>.tmp`` files count too. Only the first IdFlux-shaped run of a name
    counts, at its start or after ``_`` or ``.`` (``CSO1100A_EDIGW1_<IdFlux>.xml``,
    ``<IdFlux>__<dropped name>``): a number inside a sender's own file name never moves it."""
    highest = 0
    for folder, dirs, names in os.walk(outbound, followlinks=False):
        if Path(folder) == outbound and LEASE_FOLDER in dirs:
            dirs.remove(LEASE_FOLDER)
        for name in names:
            match = FIRST_ID.search(name)
            if match is None:
                continue
            id_flux = match.group(1)
            if id_flux[:6] == application_code and int(id_flux[10:12]) == instance:
                highest = max(highest, int(id_flux[12:]))
    return highest


FIRST_ID = re.compile(r"(?:^|[_.])([A-Z0-9]{6}[0-9]{19})(?![0-9])")
