"""Rewriting a TOML data file the gateway reads while it runs, safely.

Job: :func:`write_checked` renders a tomlkit document (comments and layout kept), checks the
result with the reader of that file before anything is written (so the file in force is never
one its reader refuses), and replaces the file atomically (a temporary file in the same folder,
flushed and fsynced, then renamed): a reader never sees half a file. :func:`read` parses one.
Used for the accounts file, the portal users and the structures directory.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import tomlkit

from edi_gateway.core.errors import ConfigError

_LOCK = threading.Lock()  # one writer at a time in this process


def read(path: Path) -> tomlkit.TOMLDocument:
    """The document of ``path`` (an empty one when the file does not exist).

    Raises:
        ConfigError: the file cannot be read or is not TOML.
    """
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        return tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc


def write_checked(path: Path, doc: tomlkit.TOMLDocument, check: Callable[[str], object]) -> None:
    """Check the rendered ``doc`` with ``check(text)``, then replace ``path`` with it.

    Raises:
        ConfigError: ``check`` refused the text (nothing written), or the file cannot be written.
    """
    text = tomlkit.dumps(doc)
    check(text)
    with _LOCK:
        try:
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            Path(temp).replace(path)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from exc
