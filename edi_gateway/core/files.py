"""Writing files safely: atomic writes, folder fsyncs, and moving an original away.

Job: put bytes on disk so that a reader (or a crash) only ever sees the whole file or nothing
(:func:`write_atomic`), and move an original out of ``var/work`` without losing or replacing
anything (:func:`move_original`). Names come from :mod:`edi_gateway.core.names`; this module
never decides a name or a folder itself. Errors are :class:`~edi_gateway.core.errors.OutputError`.
"""

from __future__ import annotations

import contextlib
import errno
import filecmp
import hashlib
import os
import shutil
from pathlib import Path

from edi_gateway.core.errors import OutputError
from edi_gateway.core.names import NAME_MAX, archive_name


def write_atomic(path: Path, data: bytes, *, root: Path | None = None) -> Path:
    """Write ``data`` to ``path`` so that readers only ever see the whole file or the old one.

    Protocol: write ``.<name>.tmp`` in the same folder, flush, fsync, ``os.replace`` onto the
    final name, fsync the folder. The folder is created when missing. Writing the same path twice
    replaces it (re-runs after a crash rewrite the same names). When ``.<name>.tmp`` would pass
    :data:`NAME_MAX` bytes (an ``<IdFlux>__<name>`` cut to :data:`ARCHIVE_NAME_MAX`), the
    temporary name is ``.<sha256 of the name>.tmp`` instead (:func:`temp_name`).

    With ``root`` (the ``outbound`` folder), a folder between ``root`` and ``path`` that is a
    symbolic link is refused, before and after the folders are created: no output is ever
    written outside ``outbound/`` through a planted link (``root`` itself may be a link).

    Returns:
        ``path``.

    Raises:
        OutputError: the folder or file cannot be written (disk full, permissions ...), or a
            folder below ``root`` is a symbolic link.
    """
    temp = path.with_name(temp_name(path.name))
    try:
        _refuse_linked_folders(path.parent, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        _refuse_linked_folders(path.parent, root)
        with temp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
        fsync_folder(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return path


def _refuse_linked_folders(folder: Path, root: Path | None) -> None:
    """Raise OutputError when a component of ``folder`` below ``root`` is a symbolic link."""
    if root is None:
        return
    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        return
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise OutputError(f"{current}: symbolic link inside the outbound folder, not followed")


def temp_name(name: str) -> str:
    """The temporary name :func:`write_atomic` writes ``name`` under: ``.<name>.tmp``, or
    ``.<sha256 hex of name>.tmp`` when that would pass :data:`NAME_MAX` bytes (a long name
    already cut to fit once, whose temporary form would be ``File name too long``)."""
    temp = f".{name}.tmp"
    if len(os.fsencode(temp)) <= NAME_MAX:
        return temp
    return f".{hashlib.sha256(os.fsencode(name)).hexdigest()}.tmp"


def fsync_folder(folder: Path) -> None:
    """Flush a folder entry to disk (after a rename or a create); ignored where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _own_name(src: Path, id_flux: str, original_name: str) -> str:
    """The name to archive ``src`` under: a ``var/work`` entry ``<IdFlux>__<name>`` of this
    flux keeps its own ``<name>`` (the bytes of the dropped name, already made safe and cut by
    :func:`archive_name`, while ``original_name`` may be their readable ``\\xNN`` form);
    any other file gets ``original_name``."""
    prefix = f"{id_flux}__"
    own = src.name[len(prefix) :] if src.name.startswith(prefix) else ""
    return own or original_name


def move_original(src: Path, folder: Path, id_flux: str, original_name: str) -> Path:
    """Move an original file into ``var/archive`` or ``var/error`` as ``<IdFlux>__<name>``.

    Never overwrites and never deletes: when the name is taken, ``.1``, ``.2`` ... is appended.
    When ``src`` is named ``<IdFlux>__<that same name>`` (a ``var/work`` entry), its own bytes
    are kept, including bytes that are not UTF-8 (``original_name`` is then their readable
    ``\\xNN`` form). A move across filesystems copies, fsyncs, then removes the source.

    Args:
        src: the file to move (normally in ``var/work/``).
        folder: the destination folder (created when missing).
        id_flux: the flux IdFlux.
        original_name: the name the file had when it was dropped.

    Returns:
        The new path.

    Raises:
        OutputError: the file cannot be moved.
    """
    base = archive_name(id_flux, _own_name(src, id_flux, original_name))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(1000):
            target = folder / (base if index == 0 else f"{base}.{index}")
            if _already_moved(src, target) or _link_or_copy(src, target):
                src.unlink()
                fsync_folder(folder)
                fsync_folder(src.parent)
                return target
    except OSError as exc:
        raise OutputError(f"{src}: cannot move into {folder}: {exc.strerror or exc}") from exc
    raise OutputError(f"{src}: no free name left in {folder}")


def _link_or_copy(src: Path, target: Path) -> bool:
    """Create ``target`` with the content of ``src`` without replacing anything; False if taken."""
    try:
        os.link(src, target)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
            raise
    part = target.with_name(f".{target.name}.part-{os.getpid()}")
    with src.open("rb") as source, part.open("wb") as handle:
        shutil.copyfileobj(source, handle)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(part, target)  # never replaces; a partial copy is never under the final name
    except FileExistsError:
        return False
    finally:
        part.unlink()
    return True


def _already_moved(src: Path, target: Path) -> bool:
    """Tell whether ``target`` already holds ``src``: a move interrupted after the link (same
    inode) or after the copy (same bytes) is completed instead of adding a ``.1`` copy."""
    try:
        if not target.is_file() or target.stat().st_size != src.stat().st_size:
            return False
        return src.samefile(target) or filecmp.cmp(src, target, shallow=False)
    except OSError:
        return False
