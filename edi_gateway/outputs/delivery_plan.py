"""The outputs of one flux, computed before anything is written, then written all-or-nothing.

Job: hold the files :class:`edi_gateway.pipeline.delivery.Delivery` computed for one flux (path and
bytes, in writing order); stage them under temporary names inside the transaction and publish
them (link to the final name, never replacing) once it committed (:meth:`Plan.stage_all`,
:func:`publish_staged`), or write them at once (:meth:`Plan.write_all`); when a write fails,
remove what this plan put on disk so that a retry or a set-aside starts clean (crash-safety
protocol, ``docs/architecture.md``). Every planned name is derived from the flux's IdFlux.
It never decides what to write (the delivery does) and never touches the store.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from edi_gateway.core import files
from edi_gateway.core.errors import OutputError
from edi_gateway.core.model import Envelope
from edi_gateway.outputs import statusflow


@dataclass(slots=True)
class Plan:
    """Files to write for one flux, and the invoice statuses they carry.

    Attributes:
        files: ``(path, bytes)`` in writing order (flux report first).
        codes: invoice status codes written (``01 02 03`` for an accepted invoice, else empty).
        statuses: the invoice statuses of the FEN1200A flow (their events are recorded once it
            is on disk).
        status_file: where that flow goes, or None.
    """

    files: list[tuple[Path, bytes]] = field(default_factory=list)
    codes: tuple[str, ...] = ()
    statuses: list[statusflow.InvoiceStatus] = field(default_factory=list)
    status_file: Path | None = None
    root: Path | None = None  # the outbound folder: no symlinked folder below it is followed
    written: list[Path] = field(default_factory=list)  # final names write_all created

    @property
    def paths(self) -> tuple[Path, ...]:
        """The planned paths, in writing order."""
        return tuple(path for path, _ in self.files)

    def add(self, path: Path, data: bytes) -> Path:
        """Plan ``data`` for ``path``; return ``path``."""
        self.files.append((path, data))
        return path

    def write_all(self) -> None:
        """Write every planned file (:func:`files.write_atomic`: whole or nothing, never
        replacing another file), in order. Used where the files go out inside the transaction
        (a status change draws a new IdFlux each time, so a re-run never meets them).

        Raises:
            OutputError: a file cannot be written; a parent path that is a file is named as
                such (``ENOTDIR``). The caller removes the planned files (:meth:`remove_all`).
        """
        for path, data in self.files:
            self._explain(path, functools.partial(files.write_atomic, path, data, root=self.root))
            self.written.append(path)

    def stage_all(self) -> None:
        """Write every planned file under its temporary name (:func:`files.stage`), fsynced,
        none under its final name yet: a crash now leaves no output, only temporary files a
        re-run overwrites. :meth:`publish_all` (after the commit) gives them their names.

        Raises:
            OutputError: as :meth:`write_all`; the caller removes the staged files.
        """
        for path, data in self.files:
            self._explain(path, functools.partial(files.stage, path, data, root=self.root))

    def publish_all(self) -> list[str]:
        """Publish the staged files (see :func:`publish_staged`); return the problems."""
        return publish_staged(self.paths)

    def _explain(self, path: Path, write: Callable[[], object]) -> None:
        """Run ``write``; an OutputError caused by a file where a folder should be says so."""
        try:
            write()
        except OutputError as exc:
            blocker = file_in_the_way(path.parent)
            if blocker is None:
                raise
            why = os.strerror(errno.ENOTDIR)
            raise OutputError(
                f"{path}: cannot write: {why}: {blocker} is a file, not a folder"
            ) from exc

    def remove_all(self) -> list[Path]:
        """Remove the files :meth:`write_all` wrote and every staged copy on disk (a final
        name this plan did not write, a folder or anything that is no regular file is left
        alone); return the paths removed. Only for a plan whose transaction did not commit.
        Never raises."""
        removed: list[Path] = []
        for path, _ in self.files:
            mine = (path,) if path in self.written else ()
            for candidate in (*mine, path.with_name(files.temp_name(path.name))):
                with contextlib.suppress(OSError):
                    if stat.S_ISREG(os.lstat(candidate).st_mode):
                        candidate.unlink()
                        removed.append(candidate)
        for folder in {path.parent for path in removed}:
            files.fsync_folder(folder)
        return removed


def publish_staged(paths: Iterable[Path | str]) -> list[str]:
    """Give every staged copy among ``paths`` (final paths) its final name, never replacing a
    file (:func:`files.publish`), then fsync each folder once. Idempotent: a path without a
    staged copy is skipped, so this completes a publish cut by a crash.

    Returns:
        One message per file that could not be published (its staged copy is kept); empty when
        all went out. Never raises.
    """
    problems: list[str] = []
    folders: set[Path] = set()
    for temp, path in files.staged_paths([Path(p) for p in paths]):
        try:
            files.publish(temp, path)
        except OutputError as exc:
            problems.append(str(exc))
        folders.add(path.parent)
    for folder in folders:
        files.fsync_folder(folder)
    return problems


def file_in_the_way(folder: Path) -> Path | None:
    """The first component of ``folder`` (from the root down) that exists but is not a folder,
    or None when there is none (the write failed for another reason)."""
    for part in (*reversed(folder.parents), folder):
        try:
            mode = part.stat().st_mode
        except OSError:
            return None
        if not stat.S_ISDIR(mode):
            return part
    return None


def seller_folder_key(env: Envelope | None) -> str | None:
    """Seller folder key: BT-29, else BT-30 (as the lifecycle actions use)."""
    return (env.seller_id or env.seller_key) if env else None


def received_moment(iso: str) -> datetime:
    """The claim's ``received_at`` (ISO 8601) as an aware datetime; now (UTC) when unreadable,
    naive values taken as UTC."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def received_day(iso: str) -> date:
    """The day of :func:`received_moment` (the deposit date of the CPP reception rules)."""
    return received_moment(iso).date()
