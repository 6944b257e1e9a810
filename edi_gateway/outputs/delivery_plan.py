"""The outputs of one flux, computed before anything is written, then written all-or-nothing.

Job: hold the files :class:`edi_gateway.pipeline.delivery.Delivery` computed for one flux (path and
bytes, in writing order), write them with :func:`edi_gateway.core.files.write_atomic`, and when a
write fails, remove the ones already on disk so that a retry or a set-aside starts clean
(crash-safety protocol, ``docs/architecture.md``). Every planned name is derived from the
flux's IdFlux, so removing them never touches another flux's files. It never decides what to
write (the delivery does) and never touches the store.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
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

    @property
    def paths(self) -> tuple[Path, ...]:
        """The planned paths, in writing order."""
        return tuple(path for path, _ in self.files)

    def add(self, path: Path, data: bytes) -> Path:
        """Plan ``data`` for ``path``; return ``path``."""
        self.files.append((path, data))
        return path

    def write_all(self) -> None:
        """Write every planned file atomically, in order.

        Raises:
            OutputError: a file cannot be written; a parent path that is a file is named as
                such (``ENOTDIR``). The caller removes the planned files (:meth:`remove_all`).
        """
        for path, data in self.files:
            try:
                files.write_atomic(path, data, root=self.root)
            except OutputError as exc:
                blocker = file_in_the_way(path.parent)
                if blocker is None:
                    raise
                why = os.strerror(errno.ENOTDIR)
                raise OutputError(
                    f"{path}: cannot write: {why}: {blocker} is a file, not a folder"
                ) from exc

    def remove_all(self) -> list[Path]:
        """Remove every planned file that is on disk (a folder or anything else that is no
        regular file at a planned path is left alone); return the paths removed. Never raises."""
        removed: list[Path] = []
        for path, _ in self.files:
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.lstat(path).st_mode):
                    path.unlink()
                    removed.append(path)
        for folder in {path.parent for path in removed}:
            files.fsync_folder(folder)
        return removed


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
