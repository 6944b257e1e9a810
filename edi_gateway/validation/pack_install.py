"""``artefacts install``: check a publisher's release against its pins and install it, atomically.

Job: take a folder or a zip of one publisher release (the layout as published, e.g. the folder
``cen-en16931-1.3.16/`` or a zip of it), find which pinned pack it is (the pin of
``rules/packs.toml`` whose files it holds most of, at its top or in a sub-folder), check that
every pinned file is there with its SHA-256, and copy exactly those files into
``<packs folder>/<name>-<version>/`` with a ``pack.toml`` manifest. Input: a path and the packs
folder -> output: the installed :class:`~edi_gateway.validation.packs.Pack`.

Nothing is downloaded. All or nothing: the files are copied into a temporary folder
(``.install-*``) beside the target, hashed again there, and the folder is renamed into place only
when every file matches; any missing file or other hash refuses the pack and installs nothing.
A zip is read with :mod:`zipfile` into a temporary folder first (absolute names, ``..`` and
links are refused; the total size is bounded).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from edi_gateway.core.errors import ArtefactError
from edi_gateway.validation import pack_pins, packs
from edi_gateway.validation.pack_pins import PackPin

MAX_ZIP_BYTES = 500 * 1024 * 1024  # uncompressed total accepted from one zip
_SEARCH_DEPTH = 3  # sub-folder levels searched for the release folder


def install(source: Path, packs_dir: Path) -> tuple[packs.Pack, bool]:
    """Install the release at ``source`` (folder or zip) into ``packs_dir``.

    Returns:
        ``(pack, newly_installed)``; False when the same pinned release was already installed.

    Raises:
        ArtefactError: ``source`` is neither a folder nor a zip, holds no pinned release, lacks a
            pinned file, has a file whose SHA-256 differs from its pin, or cannot be copied; the
            message names the pack and the files. Nothing is installed then.
    """
    packs_dir.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        return _install_folder(source, packs_dir)
    if zipfile.is_zipfile(source):
        with tempfile.TemporaryDirectory(prefix=".unzip-", dir=packs_dir) as tmp:
            try:
                _extract(source, Path(tmp))
                return _install_folder(Path(tmp), packs_dir)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise ArtefactError(f"{source}: damaged zip file: {exc}") from exc
            except ArtefactError as exc:  # name the zip, not its temporary copy
                raise ArtefactError(str(exc).replace(tmp, f"{source} (unzipped)")) from exc
    raise ArtefactError(f"{source}: neither a folder nor a zip file")


def _install_folder(source: Path, packs_dir: Path) -> tuple[packs.Pack, bool]:
    pin, root = find_release(source)
    check(pin, root)
    target = packs_dir / pin.folder_name
    if target.exists():
        installed = packs.survey(packs_dir).packs
        if any(p.root == target for p in installed) and not packs.modified_files(
            packs.Pack(pin.name, pin.version, target)
        ):
            return packs.Pack(pin.name, pin.version, target), False
        raise ArtefactError(f"{target} exists and is not an intact {pin.folder_name}: move it away")
    tmp = Path(tempfile.mkdtemp(prefix=f".install-{pin.folder_name}-", dir=packs_dir))
    try:
        _copy(pin, root, tmp)
        check(pin, tmp)  # the copies, not only the originals
        (tmp / packs.MANIFEST).write_text(manifest_text(pin, source), encoding="utf-8")
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # our own temporary folder, never installed
        raise
    return packs.Pack(pin.name, pin.version, target), True


def find_release(source: Path) -> tuple[PackPin, Path]:
    """The pinned release ``source`` holds and its folder: the (pin, folder) pair with the most
    pinned files present, the folder being ``source`` or a sub-folder up to 3 levels down.

    Raises:
        ArtefactError: no pinned file of any pack is found.
    """
    best: tuple[int, PackPin, Path] | None = None
    for folder in _folders(source, _SEARCH_DEPTH):
        for pin in pack_pins.pins().values():
            present = sum((folder / rel).is_file() for rel in pin.files)
            if present and (best is None or present > best[0]):
                best = (present, pin, folder)
    if best is None:
        known = ", ".join(p.folder_name for p in pack_pins.pins().values())
        raise ArtefactError(f"{source}: holds no pinned rule pack (pinned: {known})")
    return best[1], best[2]


def check(pin: PackPin, root: Path) -> None:
    """Every pinned file of ``pin`` is under ``root`` with its SHA-256.

    Raises:
        ArtefactError: naming the missing files and those with another hash (first five each).
    """
    missing, wrong = [], []
    for rel, digest in pin.files.items():
        file = root / rel
        if not file.is_file() or file.is_symlink():
            missing.append(rel)
        elif _sha256(file) != digest:
            wrong.append(rel)
    if missing or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} pinned file(s) missing: {', '.join(missing[:5])}")
        if wrong:
            parts.append(
                f"{len(wrong)} file(s) differ from their SHA-256 pin: {', '.join(wrong[:5])}"
            )
        raise ArtefactError(f"{pin.folder_name} refused, nothing installed: {'; '.join(parts)}")


def manifest_text(pin: PackPin, source: Path) -> str:
    """The ``pack.toml`` of an installed pack: name, version, publisher, licence, source, where
    it was installed from, and the SHA-256 of each file (TOML; strings JSON-escaped)."""
    lines = [f"{key} = {json.dumps(getattr(pin, key))}" for key in pack_pins.TEXT_KEYS]
    lines.append(f"installed_from = {json.dumps(str(source))}")
    lines += ["", "[files]"]
    lines += [f"{json.dumps(rel)} = {json.dumps(digest)}" for rel, digest in pin.files.items()]
    return "\n".join(lines) + "\n"


def _folders(source: Path, depth: int) -> list[Path]:
    found, level = [source], [source]
    for _ in range(depth):
        level = [c for f in level for c in sorted(f.iterdir()) if c.is_dir() and not c.is_symlink()]
        found += level
    return found


def _copy(pin: PackPin, root: Path, target: Path) -> None:
    for rel in pin.files:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, dest)


def _extract(archive: Path, target: Path) -> None:
    """Extract ``archive`` into ``target``, refusing names outside it and links, size bounded."""
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise ArtefactError(f"{archive}: more than {MAX_ZIP_BYTES} bytes uncompressed")
        for member in members:
            name = PurePosixPath(member.filename)
            link = (member.external_attr >> 16) & 0o170000 == 0o120000
            if name.is_absolute() or ".." in name.parts or link:
                raise ArtefactError(f"{archive}: refused member {member.filename!r}")
            dest = target.joinpath(*name.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out)


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
