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
import stat
from pathlib import Path

from edi_gateway.core.errors import OutputError
from edi_gateway.core.names import NAME_MAX, archive_name


def write_atomic(path: Path, data: bytes, *, root: Path | None = None) -> Path:
    """Write ``data`` to ``path`` so that readers only ever see the whole file, and never
    replace a file already there: :func:`stage` then :func:`publish`, then fsync the folder.

    An existing ``path`` holding exactly ``data`` is accepted as written (a re-run writing what
    a first run wrote); one holding other bytes is refused (``OutputError``), so no bug and no
    crash can overwrite an output. See :func:`stage` for ``root`` and the temporary name.

    Returns:
        ``path``.

    Raises:
        OutputError: the folder or file cannot be written (disk full, permissions ...), a folder
            below ``root`` is a symbolic link, or ``path`` exists with other bytes.
    """
    temp = stage(path, data, root=root)
    publish(temp, path)
    fsync_folder(path.parent)
    return path


def stage(path: Path, data: bytes, *, root: Path | None = None) -> Path:
    """Write ``data`` under the temporary name of ``path`` (:func:`temp_name`, same folder),
    flushed and fsynced, and return that temporary path; ``path`` itself is not touched.

    Whatever sits under the temporary name (an earlier attempt's copy, or a link planted there:
    symbolic or hard) is unlinked first and the file is created anew (``O_CREAT | O_EXCL |
    O_NOFOLLOW``): nothing is ever written through an existing inode. The folder is
    created when missing. With ``root`` (the ``outbound`` folder), a folder between ``root``
    and ``path`` that is a symbolic link is refused, before and after the folders are created:
    no output is ever written outside ``outbound/`` through a planted link.

    Raises:
        OutputError: the folder or the temporary file cannot be written, or a folder below
            ``root`` is a symbolic link, or ``path`` exists and does not hold ``data``.
    """
    temp = path.with_name(temp_name(path.name))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        _refuse_linked_folders(path.parent, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        _refuse_linked_folders(path.parent, root)
        _refuse_taken(path, data)
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()  # an earlier attempt's copy, or anything planted: never written through
        with os.fdopen(os.open(temp, flags, 0o644), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return temp


def _refuse_taken(path: Path, data: bytes) -> None:
    """Raise OutputError when ``path`` exists and is not a regular file holding ``data``: the
    final name is checked before anything is staged (so a flux is refused before its commit),
    and :func:`publish` checks again (a file that appeared meanwhile is never replaced)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(info.st_mode) and info.st_size == len(data) and path.read_bytes() == data:
        return
    what = "a folder" if stat.S_ISDIR(info.st_mode) else "a file with other content"
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        what = "a link or special file"
    raise OutputError(f"{path}: {what} already has this name; never replaced")


def publish(temp: Path, path: Path) -> None:
    """Give the staged file ``temp`` its final name ``path`` without ever replacing a file.

    ``os.link`` (fails when ``path`` exists) then unlink ``temp``; where hard links are not
    supported (``EPERM``, ``ENOTSUP``, ``EMLINK``: some network shares), a checked
    ``os.rename`` instead (weaker: two writers racing on one name). When ``path`` already holds
    the same bytes (a publish interrupted after the link) ``temp`` is only removed. The folder
    is not fsynced here: callers publishing several files fsync each folder once.

    Raises:
        OutputError: ``path`` exists with other bytes (``temp`` is kept, nothing is lost), or
            the link or rename failed.
    """
    try:
        try:
            os.link(temp, path, follow_symlinks=False)
        except FileExistsError:
            if not _same_bytes(temp, path):
                raise OutputError(
                    f"{path}: exists with other content; never replaced (staged copy kept "
                    f"as {temp.name})"
                ) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                raise
            if os.path.lexists(path):
                if not _same_bytes(temp, path):
                    raise OutputError(
                        f"{path}: exists with other content; never replaced"
                    ) from None
            else:
                temp.replace(path)
                return
        temp.unlink()
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _same_bytes(a: Path, b: Path) -> bool:
    """True when the regular files ``a`` and ``b`` hold the same bytes (a link is never read)."""
    try:
        return b.is_file() and not b.is_symlink() and filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def staged_paths(paths: list[Path] | tuple[Path, ...]) -> list[tuple[Path, Path]]:
    """``(temporary path, final path)`` of each of ``paths`` whose staged copy exists."""
    pairs = []
    for path in paths:
        temp = path.with_name(temp_name(path.name))
        if os.path.lexists(temp):
            pairs.append((temp, path))
    return pairs


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
                fsync_folder(folder)  # the new name is on disk before the old one goes
                src.unlink()  # lost at a power cut: recovery finds it moved and unlinks it
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
