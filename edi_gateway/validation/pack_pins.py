"""The pack pins: ``rules/packs.toml`` read once, checked, as typed records.

Job: turn the data that says which publisher releases the gateway accepts as rule packs (name,
version, publisher, licence, where it comes from, and the SHA-256 of every file by its path in
the release folder) into :class:`PackPin` records. Input: the TOML file -> output: the pins by
name. It never opens an artefact (:mod:`edi_gateway.validation.pack_install` checks the files
against these pins; :mod:`edi_gateway.validation.packs` finds installed packs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from edi_gateway.core import resources
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.toml_tables import read_toml

PINS_FILE = resources.data_file("rules", "packs.toml")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
TEXT_KEYS = ("name", "version", "publisher", "licence", "source")


@dataclass(frozen=True, slots=True)
class PackPin:
    """One publisher release the gateway accepts as a rule pack.

    Attributes:
        name: pack name scenarios refer to (``cen-en16931``). version: the release
            (``1.3.16``). publisher, licence, source: what the operator is told.
        files: path in the release folder (POSIX, relative) -> SHA-256 (64 lowercase hex).
    """

    name: str
    version: str
    publisher: str
    licence: str
    source: str
    files: MappingProxyType[str, str]

    @property
    def folder_name(self) -> str:
        """Folder of the installed pack below the packs folder: ``<name>-<version>``."""
        return f"{self.name}-{self.version}"


@cache
def pins(path: Path = PINS_FILE) -> MappingProxyType[str, PackPin]:
    """Read and check the pins (once per process and path): pack name -> pin.

    Raises:
        ConfigError: missing or not TOML; a pack lacks a key, names a file outside its folder,
            pins a value that is not a SHA-256, or two packs share a name.
    """
    data = read_toml(path)
    entries = data.get("pack")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: no [[pack]] entry")
    found: dict[str, PackPin] = {}
    for index, entry in enumerate(entries, 1):
        pin = _pin(path, index, entry)
        if pin.name in found:
            raise ConfigError(f"{path}: pack {pin.name!r} is pinned twice")
        found[pin.name] = pin
    return MappingProxyType(found)


def _pin(path: Path, index: int, entry: Any) -> PackPin:
    where = f"{path}: [[pack]] #{index}"
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in TEXT_KEYS):
        raise ConfigError(f"{where}: needs the strings {', '.join(TEXT_KEYS)}")
    if not _NAME.match(entry["name"]) or not _NAME.match(entry["version"]):
        raise ConfigError(f"{where}: name and version: lowercase letters, digits, '.', '-'")
    files = entry.get("files")
    if not isinstance(files, dict) or not files:
        raise ConfigError(f"{where}: [pack.files] is missing or empty")
    for rel, digest in files.items():
        parts = PurePosixPath(rel).parts
        if rel.startswith("/") or ".." in parts or not parts:
            raise ConfigError(f"{where}: {rel!r} is not a path inside the pack")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise ConfigError(f"{where}: {rel!r} needs a SHA-256 (64 lowercase hex digits)")
    return PackPin(**{k: entry[k] for k in TEXT_KEYS}, files=MappingProxyType(dict(files)))
