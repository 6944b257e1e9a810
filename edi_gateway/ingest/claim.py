"""Taking a file from an inbound channel: which names count, when a file is complete, the claim.

Rules (crash-safety protocol step 1, ``docs/architecture.md``):

- Writers' temporary names are never taken (:func:`is_temporary`): dot-files, ``*.tmp``,
  ``*.part``, ``*.partial``, ``*.crdownload``, ``*.filepart``, ``*.swp``, ``*~`` and Office
  ``~$`` lock files. The file is taken once renamed to its final name.
- A file is complete when its size, mtime and inode have not changed for ``settle_seconds``
  (:class:`Settler`). Events are only hints; the sweeps feed the same settler.
- The claim draws an IdFlux, renames the file to ``var/work/<IdFlux>__<name>`` (atomic on one
  filesystem: the loser of a race between two gateways gets ``FileNotFoundError`` and moves on),
  then inserts the ``flux`` row (state ``claimed``). Nothing is followed: the rename moves a
  symbolic link itself, never its target, and a non-regular file is never opened.

Names are handled as the OS gives them (``os.fsdecode``, surrogateescape): any bytes work. The
database and the logs get the readable form (:func:`readable`: undecodable bytes as ``\\xNN``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from edi_gateway.core import files, names
from edi_gateway.core.config import Channel, Config
from edi_gateway.core.records import Claim
from edi_gateway.store import fluxid
from edi_gateway.store.database import Store, Transaction, utc_now

TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart", ".swp", "~")
NAME_MAX = names.NAME_MAX  # bytes in one path component (Linux, most filesystems)
SEPARATOR = "__"
#: Writes more rows in the claim's own transaction: ``also(db, id_flux)``.
Also = Callable[[Transaction, str], None]


def is_temporary(name: str) -> bool:
    """True for names writers use while a file is incomplete (see the module docstring)."""
    lower = name.lower()
    return name.startswith((".", "~$")) or lower.endswith(TEMP_SUFFIXES)


def readable(name: str) -> str:
    """The name as valid text: undecodable bytes (surrogateescape) become ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def work_name(id_flux: str, name: str) -> str:
    """``<IdFlux>__<name>`` (``names.archive_name``): the name cut so that the whole component
    fits in 255 bytes with room for a ``.N`` suffix; the extension is kept."""
    return names.archive_name(id_flux, name)


def split_work_name(name: str) -> tuple[str, str] | None:
    """``(IdFlux, original name)`` from a ``var/work`` entry name, or None when it is not one."""
    id_flux, sep, original = name.partition(SEPARATOR)
    if not sep or not original or not fluxid.is_id_flux(id_flux):
        return None
    return id_flux, original


def is_regular(path: Path | str) -> bool:
    """True when ``path`` is a regular file (a symbolic link is never followed)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def digest(path: Path) -> tuple[str, int]:
    """``(sha256 hex, size in bytes)`` of a regular file, read without following a link.

    Raises:
        OSError: the file cannot be read (``ELOOP`` for a symbolic link).
    """
    sha = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


class Settler:
    """Candidate files waiting to be complete.

    ``note(path, channel, complete)`` registers a hint (event or sweep); ``ripe()`` returns the
    candidates whose ``(size, mtime_ns, inode, kind)`` stayed the same for ``settle_seconds``, and
    at once those an inotify close-write or moved-in event vouched for (``complete``) that are not
    empty; they are then held (not noted again) until ``release(path)``. Vanished candidates,
    folders and temporary names are dropped. :meth:`ripe_by_source` tells the candidates an
    observer event noted (a file that arrived while the gateway runs) from those only a sweep
    found (a backlog), so that the daemon can take new files first.
    """

    def __init__(self, settle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle_seconds = settle_seconds
        self.clock = clock
        self.pending: dict[str, tuple[Channel, tuple[int, int, int, int] | None, float]] = {}
        self.deferred: dict[str, float] = {}
        self.held: set[str] = set()
        self.complete: set[str] = set()
        self.evented: set[str] = set()

    def __len__(self) -> int:
        return len(self.pending)

    def note(
        self, path: str, channel: Channel, complete: bool = False, *, event: bool = False
    ) -> None:
        """Register ``path`` (a file directly in ``channel.folder``) as a candidate.

        ``complete``: an event vouched that the file is whole (inotify ``IN_CLOSE_WRITE`` or
        ``IN_MOVED_TO``): :meth:`ripe` returns it at once, without ``settle_seconds``, unless
        it is empty (an empty file still waits the settle time: its writer may fill it).
        ``event``: the hint came from the observer, not from a sweep (:meth:`ripe_by_source`)."""
        if is_temporary(Path(path).name) or path in self.held:
            return
        if self.deferred.get(path, 0.0) > self.clock():
            return
        if complete:
            self.complete.add(path)
        if event:
            self.evented.add(path)
        if path not in self.pending:
            self.pending[path] = (channel, None, self.clock())

    def release(self, path: str) -> None:
        """Forget a ripe path once the caller took it (or failed to)."""
        self.held.discard(path)

    def defer(self, path: str, seconds: float) -> None:
        """Ignore ``path`` for ``seconds`` (a claim failed; the next sweep brings it back)."""
        self._forget(path)
        self.deferred[path] = self.clock() + seconds

    def _forget(self, path: str) -> None:
        self.pending.pop(path, None)
        self.complete.discard(path)
        self.evented.discard(path)

    def ripe(self) -> list[tuple[str, Channel]]:
        """Return (and forget) the candidates that kept the same state for settle_seconds, or
        that an event vouched complete (:meth:`note`) and are not empty: ``[(path, channel)]``,
        those an event noted first, each group in the order first noted."""
        fresh, swept = self.ripe_by_source()
        return fresh + swept

    def ripe_by_source(self) -> tuple[list[tuple[str, Channel]], list[tuple[str, Channel]]]:
        """:meth:`ripe`, split: ``(noted by an observer event, found by a sweep only)``."""
        fresh: list[tuple[str, Channel]] = []
        swept: list[tuple[str, Channel]] = []
        for path, channel in self._ripen():
            (fresh if path in self.evented else swept).append((path, channel))
            self.evented.discard(path)
        return fresh, swept

    def _ripen(self) -> list[tuple[str, Channel]]:
        now = self.clock()
        done: list[tuple[str, Channel]] = []
        for path, (channel, seen, since) in list(self.pending.items()):
            try:
                st = os.lstat(path)
            except OSError:
                self._forget(path)
                continue
            if stat.S_ISDIR(st.st_mode):
                self._forget(path)
                continue
            state = (st.st_size, st.st_mtime_ns, st.st_ino, stat.S_IFMT(st.st_mode))
            # vouched whole by its writer's close or its rename (never an empty file)
            vouched = path in self.complete and stat.S_ISREG(st.st_mode) and st.st_size > 0
            if state != seen and not vouched:
                self.pending[path] = (channel, state, now)
            elif vouched or now - since >= self.settle_seconds:
                del self.pending[path]
                self.complete.discard(path)  # evented is read by ripe_by_source
                self.held.add(path)
                done.append((path, channel))
        self.deferred = {p: t for p, t in self.deferred.items() if t > now}
        return done


class Claimer:
    """Claims files for one gateway (protocol step 1).

    Args:
        config: gateway configuration (``work_dir``).
        store: the daemon's store connection.
        new_id: IdFlux source, ``fluxid.new_id_flux`` by default.
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        new_id: Callable[[Store, str], str] = fluxid.new_id_flux,
    ) -> None:
        self.config = config
        self.store = store
        self.new_id = new_id
        config.work_dir.mkdir(parents=True, exist_ok=True)

    def claim(self, path: str, channel: Channel, also: Also | None = None) -> Claim | None:
        """Take ``path``: IdFlux, rename into ``var/work/``, then the ``claimed`` row (and, in
        the same transaction, what ``also(db, id_flux)`` writes: an HTTP deposit's row).

        Returns:
            The claim, or None when the file was gone (another gateway took it first).

        Raises:
            OSError: the rename failed for another reason (e.g. ``EXDEV``: inbound and var/
                are on different filesystems); the file stays where it was.
            StateError: the database refused the IdFlux or the row.
        """
        name = Path(path).name
        if not os.path.lexists(path):
            return None
        id_flux = self.new_id(self.store, channel.application_code)
        target = self.config.work_dir / work_name(id_flux, name)
        try:
            Path(path).rename(target)
        except FileNotFoundError:
            return None
        files.fsync_folder(self.config.work_dir)
        return self.record(id_flux, channel, target, name, also)

    def record(
        self, id_flux: str, channel: Channel, work_path: Path, name: str, also: Also | None = None
    ) -> Claim:
        """Insert the ``claimed`` row of a file already in ``var/work/`` and return its claim.

        Never raises for the file itself: one the gateway may not read (mode 000) is recorded
        with an empty sha256, and set aside when dispatched (``set_aside_reasons.why_unusable``).

        Raises:
            StateError: the database refused the row.
        """
        sha256, size = ("", 0)
        if is_regular(work_path):
            with contextlib.suppress(OSError):
                size = work_path.stat().st_size
                if size <= self.config.max_file_bytes:  # an oversized file is not read here
                    sha256, size = digest(work_path)
        claim = Claim(
            id_flux=id_flux,
            channel=channel.name,
            work_path=work_path,
            original_name=readable(name),
            sha256=sha256,
            size=size,
            received_at=utc_now(),
        )
        with self.store.transaction() as db:
            self.store.add_flux(
                id_flux=id_flux,
                channel=channel.name,
                original_name=claim.original_name,
                sha256=sha256,
                size=size,
                work_path=readable(str(work_path)),
                received_at=claim.received_at,
                db=db,
            )
            if also is not None:
                also(db, id_flux)
        return claim

    def channel_of(self, id_flux: str) -> Channel:
        """The channel whose application code starts ``id_flux`` (the first channel if none)."""
        for channel in self.config.all_channels:
            if id_flux.startswith(channel.application_code):
                return channel
        return self.config.channels[0]
