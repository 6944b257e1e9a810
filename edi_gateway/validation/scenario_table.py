"""The scenario table: ``rules/scenarios.toml`` read once, checked, as typed records.

Job: turn the data that says which XSD and which ordered rule sets check which invoice (artefacts
named by pack, version and file; scenarios with what they match) into a :class:`ScenarioTable`.
Input: the TOML file -> output: the table. It never opens an artefact nor looks at installed
packs (:mod:`edi_gateway.validation.scenarios` chooses; :mod:`edi_gateway.validation.packs`
finds packs). Every artefact a scenario names must be defined, and every pack other than the
built-in one must be pinned in ``rules/packs.toml`` with that version.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from edi_gateway.core import resources
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.toml_tables import read_toml
from edi_gateway.validation import pack_pins

TABLE_FILE = resources.data_file("rules", "scenarios.toml")
BUILTIN = "factur-x"
SYNTAXES = ("ubl-invoice", "ubl-creditnote", "cii")
PROFILE = "{profile}"
_MATCH_KEYS = ("syntax", "profile", "container", "version")


@dataclass(frozen=True, slots=True)
class ArtefactRef:
    """One file of one pack. version: the pinned release, "" for the built-in pack."""

    pack: str
    version: str
    file: str


@dataclass(frozen=True, slots=True)
class Scenario:
    """One way of checking a document.

    Attributes:
        id: short name reports carry (``cii-en16931-cen``). title: what it runs, for people
            (may hold ``{profile}``). note: a limit of the scenario said in every report, or "".
        match: key (syntax, profile, container, version) -> accepted values; a key left out
            accepts anything. xsd: syntax -> artefact id. rules: artefact ids, in run order.
    """

    id: str
    title: str
    note: str
    match: MappingProxyType[str, frozenset[str]]
    xsd: MappingProxyType[str, str]
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScenarioTable:
    """Artefacts by id, scenarios in preference order, fr-ctc artefact by ``ubl`` / ``cii``."""

    artefacts: MappingProxyType[str, ArtefactRef]
    scenarios: tuple[Scenario, ...]
    fr_ctc: MappingProxyType[str, str]


@cache
def table(path: Path = TABLE_FILE) -> ScenarioTable:
    """Read and check the scenario table (once per process and path).

    Raises:
        ConfigError: missing or not TOML; an artefact lacks pack/file or names a pack or version
            that is not pinned; a scenario lacks a key, matches an unknown syntax, or names an
            artefact that is not defined; two scenarios share an id.
    """
    data = read_toml(path)
    refs = {k: _artefact(path, k, v) for k, v in _table(path, data, "artefact").items()}
    scenarios = [_scenario(path, i, s) for i, s in enumerate(data.get("scenario", []), 1)]
    if not scenarios:
        raise ConfigError(f"{path}: no [[scenario]] entry")
    ids = [s.id for s in scenarios]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{path}: two scenarios share an id")
    fr_ctc = {k: str(v) for k, v in _table(path, data, "fr-ctc").items()}
    for scenario in scenarios:
        for ref in (*scenario.xsd.values(), *scenario.rules):
            _known(path, scenario.id, ref, refs)
    for ref in fr_ctc.values():
        _known(path, "fr-ctc", ref, refs)
    return ScenarioTable(MappingProxyType(refs), tuple(scenarios), MappingProxyType(fr_ctc))


def _table(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{path}: section [{key}] is missing or empty")
    return value


def _artefact(path: Path, key: str, entry: Any) -> ArtefactRef:
    where = f"{path}: [artefact.{key}]"
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(k), str) for k in ("pack", "file")
    ):
        raise ConfigError(f"{where}: needs the strings pack and file")
    version = entry.get("version", "")
    if entry["pack"] != BUILTIN:
        pin = pack_pins.pins().get(entry["pack"])
        if pin is None or pin.version != version:
            raise ConfigError(f"{where}: pack {entry['pack']!r} {version!r} is not pinned")
        if entry["file"] not in pin.files:
            raise ConfigError(f"{where}: {entry['file']!r} is not a pinned file of the pack")
    return ArtefactRef(entry["pack"], str(version), entry["file"])


def _scenario(path: Path, index: int, entry: Any) -> Scenario:
    where = f"{path}: [[scenario]] #{index}"
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(k), str) for k in ("id", "title")
    ):
        raise ConfigError(f"{where}: needs the strings id and title")
    match = entry.get("match")
    if not isinstance(match, dict) or not {"syntax", "profile"} <= set(match):
        raise ConfigError(f"{where}: match needs syntax and profile")
    if set(match) - set(_MATCH_KEYS) or not all(isinstance(v, list) for v in match.values()):
        raise ConfigError(f"{where}: match keys are lists among {', '.join(_MATCH_KEYS)}")
    if set(match["syntax"]) - set(SYNTAXES):
        raise ConfigError(f"{where}: syntax must be among {', '.join(SYNTAXES)}")
    xsd = entry.get("xsd")
    by_syntax = {s: xsd for s in match["syntax"]} if isinstance(xsd, str) else xsd
    if not isinstance(by_syntax, dict) or set(by_syntax) != set(match["syntax"]):
        raise ConfigError(f"{where}: xsd is one artefact id or one per matched syntax")
    rules = entry.get("rules")
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
        raise ConfigError(f"{where}: rules is a non-empty list of artefact ids")
    return Scenario(
        id=entry["id"],
        title=entry["title"],
        note=str(entry.get("note", "")),
        match=MappingProxyType({k: frozenset(map(str, v)) for k, v in match.items()}),
        xsd=MappingProxyType({str(k): str(v) for k, v in by_syntax.items()}),
        rules=tuple(rules),
    )


def _known(path: Path, owner: str, ref: str, refs: dict[str, ArtefactRef]) -> None:
    """``ref`` is defined (for every profile when it holds ``{profile}``: checked on use)."""
    if PROFILE not in ref and ref not in refs:
        raise ConfigError(f"{path}: {owner} names the undefined artefact {ref!r}")
