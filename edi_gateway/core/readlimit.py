"""Read a file with a size bound, so that an oversize or endless input is never loaded.

Job: open a path without blocking (a FIFO with no writer does not hang the open), refuse what is
no regular file, take the size from ``fstat`` before reading, and read at most ``limit + 1``
bytes: a file over ``limit`` gives only its first :data:`HEAD` bytes (enough to sniff PDF / XML
magic), never its whole content (``truncate -s 5G`` costs nothing here). Used by the engine
(``validation.max_file_bytes``, Chorus Pro ``IRR_TAILLE_F``) and by ``status set --attach``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

HEAD = 4096  # bytes kept of an oversize file: what detect.sniff looks at

_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


class NotRegularFile(OSError):
    """The path is no regular file (folder, FIFO, socket, device); ``strerror`` says which."""


@dataclass(frozen=True, slots=True)
class Bounded:
    """What :func:`read_bounded` read.

    Attributes:
        data: the whole file when ``complete``, else its first :data:`HEAD` bytes.
        size: the file size in bytes (``fstat``; the bytes seen when the file grew meanwhile).
        complete: False when the file is over the limit.
    """

    data: bytes
    size: int
    complete: bool


def kind_of(mode: int) -> str:
    """Readable kind of a non-regular file mode (``FIFO``, ``socket`` ...)."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "special file"


def read_bounded(path: Path | str, limit: int) -> Bounded:
    """Read ``path`` if it is a regular file of at most ``limit`` bytes.

    Args:
        path: the file (a symbolic link to a regular file is followed).
        limit: the most bytes read as content (for example ``validation.max_file_bytes``).

    Returns:
        The content and size; over ``limit``, only the first :data:`HEAD` bytes
        (``complete=False``), and never more than ``limit + 1`` bytes are held in memory.

    Raises:
        NotRegularFile: a folder, FIFO, socket or device (never read).
        OSError: the file cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotRegularFile(0, f"not a regular file ({kind_of(info.st_mode)})", str(path))
    size = info.st_size
    with os.fdopen(fd, "rb") as handle:
        if size > limit:
            return Bounded(handle.read(HEAD), size, complete=False)
        data = handle.read(size + 1)  # a buffer of the file's size, not of the limit
        if size < len(data) <= limit:  # it grew since fstat: read on, still bounded
            data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        return Bounded(data[:HEAD], len(data), complete=False)
    return Bounded(data, len(data), complete=True)
