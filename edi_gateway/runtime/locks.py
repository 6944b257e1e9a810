"""The two locks a running gateway holds, so that two gateways never step on each other.

- ``var/gateway.lock`` (:func:`hold_state_folder`): one gateway per state folder. Start-up
  recovery takes back every ``claimed`` flux of ``var/``: a second gateway there would steal the
  claims of the first.
- On a PostgreSQL ledger, the instance itself (:func:`hold_instance`): one gateway per
  ``(ledger, gateway.instance)``, since a shared ledger tells its gateways' claims apart by the
  instance in their IdFlux (``pipeline.recovery.ours``).
- ``outbound/.gateway-<instance>.lock`` (:func:`hold_outbound`): one gateway per
  ``(outbound folder, gateway.instance)``. Two gateways with separate ``var/`` may share the
  inbound and outbound folders, but each draws its IdFlux from its own database, counting from 1:
  only ``gateway.instance`` (two digits of every IdFlux, :mod:`edi_gateway.store.fluxid`) keeps
  their output names apart. A dot-file: whoever reads ``outbound/`` skips it.

Both are ``flock`` locks (released by the kernel when the process dies, even by SIGKILL); the
file holds the pid of the holder, for the operator. Each function returns the open file
descriptor to keep (close it to release), or None after logging ``gateway.failed`` with what to
do.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi_gateway.core.config import Config
from edi_gateway.core.errors import StateError
from edi_gateway.store.database import Store

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

STATE_LOCK = "gateway.lock"
OUTBOUND_LOCK = ".gateway-{instance:02d}.lock"


def outbound_lock_path(config: Config) -> Path:
    """``outbound/.gateway-<instance, 2 digits>.lock``."""
    return config.outbound / OUTBOUND_LOCK.format(instance=config.instance)


def hold_state_folder(config: Config, log: Any) -> int | None:
    """Hold ``var/gateway.lock``; None (logged) when another gateway uses this state folder."""
    return _hold(config.state_dir / STATE_LOCK, log, "another gateway uses this state folder")


def hold_outbound(config: Config, log: Any) -> int | None:
    """Hold ``outbound/.gateway-<instance>.lock``; None (logged) when another gateway with the
    same ``gateway.instance`` writes into the same outbound folder."""
    path = outbound_lock_path(config)
    taken = (
        f"another gateway with gateway.instance = {config.instance} writes to "
        f"{config.outbound} (it holds {path.name}): give each gateway that shares this outbound "
        "folder its own gateway.instance (0-99) in its config.toml"
    )
    return _hold(path, log, taken)


def _hold(path: Path, log: Any, taken: str) -> int | None:
    """Open (create) ``path``, take an exclusive non-blocking flock, write our pid.

    Opened with ``O_NOFOLLOW | O_CLOEXEC``: a symbolic link planted under the lock's name is
    never followed (its target would be truncated); the gateway refuses to start instead.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        why = exc.strerror or str(exc)
        if path.is_symlink():
            why = "it is a symbolic link, never followed: remove it, the gateway creates the file"
        log.error("gateway.failed", message=f"{path}: cannot open: {why}")
        return None
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            log.error("gateway.failed", message=taken)
            return None
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def open_store(config: Config, log: Any, attempts: int = 20) -> Store | None:
    """Open the database, retrying while another process holds a lock (a reader of a
    database being created gets ``database is locked`` at once); None after ~10 s, logged as
    ``gateway.failed``."""
    for attempt in range(attempts):
        try:
            return Store(config.database)
        except StateError as exc:
            if attempt == attempts - 1:
                log.error("gateway.failed", message=str(exc))
            time.sleep(0.5)
    return None


@dataclass(frozen=True, slots=True)
class Held:
    """What a running gateway holds: both lock descriptors and its store."""

    state_lock: int
    outbound_lock: int
    store: Store

    def release(self) -> None:
        """Close the store, then release both locks."""
        self.store.close()
        os.close(self.outbound_lock)
        os.close(self.state_lock)


def hold_all(config: Config, log: Any) -> Held | None:
    """Take the state-folder lock, the outbound lock and open the store, in that order; None
    (all released again, the reason logged) when one of them fails."""
    lock = hold_state_folder(config, log)
    if lock is None:
        return None
    outbound_lock = hold_outbound(config, log)
    if outbound_lock is None:
        os.close(lock)
        return None
    store = open_store(config, log)
    if store is None or not hold_instance(config, store, log):
        if store is not None:
            store.close()
        os.close(outbound_lock)
        os.close(lock)
        return None
    return Held(lock, outbound_lock, store)


def hold_instance(config: Config, store: Store, log: Any) -> bool:
    """On a PostgreSQL ledger (which several gateways may share), hold ``gateway.instance`` for
    as long as ``store``'s connection lives (a session advisory lock, released by the server
    when the process dies); False (logged) when another gateway holds it. Always True on SQLite
    (its ``var/`` lock already makes it one gateway's)."""
    if store.postgres is None or store.postgres.hold_instance(config.instance):
        return True
    log.error(
        "gateway.failed",
        message=f"another gateway with gateway.instance = {config.instance} runs on the ledger "
        f"{store.path}: give each gateway that shares a ledger its own gateway.instance (0-99)",
    )
    return False
