"""A flux deposited over HTTP becomes a claim, by the daemon's own claimer.

Job: the Service mode's ``factures/v1/deposer/flux`` must answer with the IdFlux
(``numeroFluxDepot``) only once the flux is durably the gateway's, and a flux must enter the
pipeline exactly as a dropped file does. So the HTTP side (any thread) only *stages* the body
(:func:`stage`: ``var/api-staging/<random>/<nomFichier>``, written, fsynced, renamed) and puts a
:class:`PendingDeposit` on the daemon's hint queue; the daemon's loop (one thread, the only
claimer) *takes* it (:func:`take`): the usual claim (IdFlux drawn, rename into ``var/work``,
folder fsynced, ``flux`` row, state ``claimed``) with the ``deposit`` row in the same
transaction, then the answer.

Crash safety: a SIGKILL before :func:`take` leaves a staged body nobody was answered for; the
next start removes it (:func:`discard_stale`) and the client, which got no ``numeroFluxDepot``,
deposits again. A SIGKILL after the answer finds the claim in ``var/work`` and its row: the
start-up recovery processes it like any claimed file. A client that stopped waiting (its
future cancelled) is never claimed for: its staged body is removed.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from edi_gateway.core import files, logs
from edi_gateway.core.config import Channel, Config
from edi_gateway.core.records import Claim
from edi_gateway.ingest.claim import Claimer
from edi_gateway.store.database import Store


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingDeposit:
    """A staged HTTP deposit waiting for the daemon's claim.

    Attributes:
        path: the staged body, ``var/api-staging/<random>/<nomFichier>``.
        account: login of the technical account that deposited it.
        flux_syntax: the ``syntaxeFlux`` the request declared.
        signed: the request's ``avecSignature``.
        sellers: the SIRETs the depositor may invoice as (its supplier structures).
        answer: resolved with the :class:`Claim`, or with the exception that stopped it.
    """

    path: Path
    account: str
    flux_syntax: str
    signed: bool = False
    sellers: tuple[str, ...] = ()
    answer: Future[Claim] = field(default_factory=Future)


def stage(config: Config, name: str, data: bytes) -> Path:
    """Write ``data`` durably as ``var/api-staging/<random>/<name>`` and return that path.

    ``name`` must already be one safe path component (the API checks it).

    Raises:
        OutputError: the state folder cannot be written (disk full, permissions ...).
    """
    path = config.api_channel.folder / secrets.token_hex(8) / name
    # The bytes are fsynced; the staging folder is not: the claim renames the file into
    # var/work and fsyncs that folder before the answer, which is what makes it durable.
    files.publish(files.stage(path, data), path)
    return path


def take(claimer: Claimer, store: Store, channel: Channel, pending: PendingDeposit) -> Claim | None:
    """Claim a staged deposit (daemon loop only) and answer its request.

    Returns:
        The claim to dispatch, or None when the client stopped waiting or the claim failed
        (the request then gets the exception; nothing is left staged). The ``flux`` and
        ``deposit`` rows are one transaction: both or neither.
    """
    claim = None
    try:
        if not pending.answer.set_running_or_notify_cancel():
            return None  # the request timed out: no flux it was not answered for
        claim = claimer.claim(
            str(pending.path),
            channel,
            also=lambda db, id_flux: store.add_deposit(
                id_flux,
                account=pending.account,
                flux_syntax=pending.flux_syntax,
                signed=pending.signed,
                sellers=pending.sellers,
                db=db,
            ),
        )
        if claim is None:
            raise FileNotFoundError(f"{pending.path}: the staged deposit is gone")
    except Exception as exc:  # the request answers it; the loop goes on
        if pending.answer.running():
            pending.answer.set_exception(exc)
        return None
    finally:
        with contextlib.suppress(OSError):
            pending.path.unlink(missing_ok=True)  # still there when it was not claimed
            pending.path.parent.rmdir()
    with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
        logs.get_logger().info(
            "flux.claimed", size=claim.size, sha256=claim.sha256[:16], account=pending.account
        )
    pending.answer.set_result(claim)
    return claim


def discard_stale(config: Config) -> int:
    """Remove every staged body left by a stop before its claim (start-up); returns how many
    were removed. Nobody was answered for them."""
    staging = config.api_channel.folder
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in staging.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
            removed += 1
    return removed
