"""The structures directory in force: ``rules/structures.toml`` re-read when it changes.

Job: :class:`Watcher` keeps a :class:`~edi_gateway.structures_records.Directory` in step with its
file so a running gateway picks up an edit without a restart, and keeps the last good directory
when an edit is broken. Input: the file path; output: the directory in force
(``Watcher.current()``) and the log events ``structures.reloaded`` / ``structures.reload_failed``.
It never checks the file itself (:mod:`edi_gateway.reception.structures_toml` does) and never stops
the gateway over a broken edit.

This module is also the import point of the directory: the records (:mod:`structures_records`)
and ``load`` / ``loads`` / ``luhn_ok`` (:mod:`structures_toml`) are re-exported here.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import structlog

from edi_gateway.core.errors import ConfigError
from edi_gateway.reception.structures_records import Directory as Directory
from edi_gateway.reception.structures_records import Service as Service
from edi_gateway.reception.structures_records import Structure as Structure
from edi_gateway.reception.structures_toml import SERVICE_CODE_MAX as SERVICE_CODE_MAX
from edi_gateway.reception.structures_toml import load as load
from edi_gateway.reception.structures_toml import loads as loads
from edi_gateway.reception.structures_toml import luhn_ok as luhn_ok
from edi_gateway.reception.structures_toml import read
from edi_gateway.reception.structures_toml import siret_ok as siret_ok

log = structlog.get_logger(__name__)


class Watcher:
    """Keep a :class:`Directory` in step with its file while the gateway runs.

    ``current()`` costs one ``stat`` when nothing changed. When the file's mtime or size changed,
    it is read and hashed; a new content is loaded and, when valid, replaces the directory
    (log event ``structures.reloaded``). A broken edit is logged once
    (``structures.reload_failed`` with the error) and the last good directory stays in force.
    Safe to share between threads.

    Args:
        path: the structures file.

    Raises:
        ConfigError: the file is missing or invalid when the watcher is created.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        data = read(self.path)
        self._signature = self._stat()
        self._digest = hashlib.sha256(data).hexdigest()
        self._directory = loads(data, self.path)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def current(self) -> Directory:
        """Return the directory in force, re-reading the file first when it changed."""
        signature = self._stat()
        if signature == self._signature:
            return self._directory
        with self._lock:
            if signature != self._signature:
                self._signature = signature
                self._reload()
            return self._directory

    def _reload(self) -> None:
        try:
            data = read(self.path)
            digest = hashlib.sha256(data).hexdigest()
            if digest == self._digest:
                return
            directory = loads(data, self.path)
        except ConfigError as exc:
            log.warning("structures.reload_failed", file=str(self.path), error=str(exc))
            return
        self._digest = digest
        self._directory = directory
        log.info("structures.reloaded", file=str(self.path), structures=len(directory.structures))
