"""A TOML file of the web stage kept in force while the server runs (accounts, portal users).

Job: :class:`WatchedToml` reads and checks a file once, then on each :meth:`WatchedToml.current`
costs one ``stat``; when the file changed it is read again and, when valid, replaces the
version in force (log ``<name>.reloaded``); a broken edit is logged (``<name>.reload_failed``)
and the last good version stays (the structures directory behaves the same). Thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import structlog

from edi_gateway.core import toml_tables
from edi_gateway.core.errors import ConfigError

T = TypeVar("T")
log = structlog.get_logger(__name__)


class WatchedToml(Generic[T]):
    """The parsed content of ``path`` in force.

    Args:
        path: the file; None or a missing file gives ``empty``.
        parse: checks the parsed TOML and builds the content (raises ConfigError).
        empty: the content when there is no file.
        name: log event prefix (``accounts`` -> ``accounts.reloaded``).
        changed: called after each successful reload (e.g. to forget remembered passwords).

    Raises:
        ConfigError: the file is present but invalid when the object is created.
    """

    def __init__(
        self,
        path: Path | None,
        parse: Callable[[dict[str, Any], Path], T],
        empty: T,
        name: str,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.path, self.parse, self.empty, self.name, self.changed = (
            path,
            parse,
            empty,
            name,
            changed,
        )
        self._lock = threading.Lock()
        self._signature: tuple[int, int] | None = None
        self._content = empty
        self.error: str | None = None
        self._refresh(strict=True)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat() if self.path else None
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size) if st else None

    def _refresh(self, strict: bool = False) -> T:
        signature = self._stat()
        if signature == self._signature:
            return self._content
        with self._lock:
            if signature == self._signature:
                return self._content
            self._signature = signature
            try:
                content = (
                    self.parse(toml_tables.read_toml(self.path), self.path)
                    if self.path and signature
                    else self.empty
                )
            except ConfigError as exc:
                if strict:
                    raise
                self.error = str(exc)
                log.warning(f"{self.name}.reload_failed", file=str(self.path), error=str(exc))
                return self._content
            if not strict:
                log.info(f"{self.name}.reloaded", file=str(self.path))
            self._content, self.error = content, None
            self.changed()
        return self._content

    def current(self) -> T:
        """The content in force (one ``stat`` when the file did not change)."""
        return self._refresh()
