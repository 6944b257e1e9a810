"""Validation of one file through every layer that applies: detect, xml, xsd, schematron, fr-ctc.

Layers run in order and each reports on its own (``model.Layer``):

1. detect: container, syntax, BT-24 profile (``detect.detect``); its findings come first.
2. xml: size bound (``validation.max_file_bytes``), well-formed, safely parsed (``xmlsafe``).
3. xsd: the schema that :func:`artefacts.plan_for` picks (lxml, loaded once per process).
4. schematron: the EN 16931 UBL rules or the Factur-X profile rules (saxonche), only on an
   XSD-valid document.
5. fr-ctc: BR-FR Flux 2 rules, only when switched on (config ``validation.fr_ctc``).

Verdict (``model.Verdict``): INADMISSIBLE when detection failed, the file is too big, not
parseable, not an invoice we take, or XSD-invalid; REJECTED when a usable invoice has error
findings (or a layer that applies could not run); ACCEPTED only when every applicable layer ran
and none gave an error. A layer that applies but did not run is listed in ``layers_skipped`` and
has a finding saying why.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

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
from edi_gateway.validation import artefact_table, artefacts, detect, schematron, xsd
from edi_gateway.validation.artefacts import Artefact, Plan

DEFAULT_MAX_FILE_BYTES = 52_428_800  # 50 MiB, as config.toml ships it
SOURCE = "edi-gateway:validate"
TOO_BIG = "GW-XML-04"  # file larger than validation.max_file_bytes (CPP: IRR_TAILLE_F)
NOT_TAKEN = "GW-VAL-01"  # no invoice XML we take (detection said why, or did not)
ARTEFACT_FAILED = "GW-VAL-02"  # a schema or stylesheet could not be loaded/compiled
LAYER_SKIPPED = "GW-VAL-03"  # a layer that applies did not run because an earlier one failed


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
    """

    def __init__(self, fr_ctc: bool = False, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        self.fr_ctc = fr_ctc
        self.max_file_bytes = max_file_bytes

    def validate(self, data: bytes, name: str) -> ValidationReport:
        """Detect and validate the bytes of one file; never raises for bad input.

        Args:
            data: the whole file (XML, PDF or anything else). name: path or name for the report.
        """
        if len(data) > self.max_file_bytes:
            detection = Detection(
                container=detect.sniff(data[:4096]), syntax=Syntax.OTHER, kind="file too large"
            )
        else:
            detection = detect.detect(data)
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
        )

    def warm_up(self, only: Iterable[Artefact] | None = None) -> dict[str, float]:
        """Load every schema and compile every stylesheet a worker may need, now.

        Args:
            only: the artefacts to prepare; default :func:`artefacts.all_artefacts`.

        Returns:
            Artefact file name -> seconds it took (0.0 when it was already cached).

        Raises:
            ArtefactError: an artefact is missing or does not compile.
        """
        timings: dict[str, float] = {}
        for artefact in only or artefacts.all_artefacts(fr_ctc=self.fr_ctc):
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
        plan = artefacts.plan_for(detection.syntax, detection.profile, fr_ctc=self.fr_ctc)
        run.artefacts["factur-x"] = artefacts.facturx_version()
        if self._xsd(plan, tree, run):
            self._rules(plan, detection.xml, tree, run)

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
        for artefact in (plan.schematron, plan.fr_ctc):
            if artefact is not None:
                message = f"{artefact.file_name} not run: {why}"
                run.skip(artefact.layer, LAYER_SKIPPED, Severity.INFO, message)

    def _rules(self, plan: Plan, xml: bytes, tree: etree._ElementTree, run: _Run) -> None:
        """Run the Schematron layers of ``plan`` (syntax/profile rules, then fr-ctc)."""
        for artefact in (plan.schematron, plan.fr_ctc):
            if artefact is None:
                continue
            run.artefacts[artefact.name] = artefact.version
            try:
                ruleset = _ruleset(artefact)
            except ArtefactError as exc:
                run.skip(artefact.layer, ARTEFACT_FAILED, Severity.ERROR, str(exc))
                continue
            result = ruleset.run(xml, tree=tree, found_values=True)
            findings = result.findings
            if plan.as_cius and artefact.layer is Layer.SCHEMATRON:
                findings = tuple(_waive_cius_bt24(f) for f in findings)
            run.findings.extend(findings)
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


def _waive_cius_bt24(finding: Finding) -> Finding:
    """The Factur-X EN16931 XSLT only allows BT-24 = urn:cen.eu:en16931:2017; another CIUS
    (XRechnung, Peppol ...) is validated against the EN 16931 core, so that check becomes info
    (the ``[[cius.waiver]]`` entries of ``rules/artefacts.toml``)."""
    if finding.severity is not Severity.ERROR:
        return finding
    for waiver in artefact_table.table().waivers:
        if waiver.applies(finding.message, finding.location):
            return replace(finding, severity=Severity.INFO, message=finding.message + waiver.note)
    return finding


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
