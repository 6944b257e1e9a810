"""SVRL -> findings: map a Schematron report to :class:`~edi_gateway.model.Finding` records.

Job: read the SVRL (ISO/IEC 19757-3 Annex D) that a compiled Schematron stylesheet produced and
give one finding per ``svrl:failed-assert`` / ``svrl:successful-report``, with its rule id,
severity, location and source line. Input: SVRL bytes and, optionally, the validated document's
lxml tree; output: a tuple of findings. It never runs a stylesheet
(:mod:`edi_gateway.validation.schematron` does) and never raises: unreadable SVRL is one
``GW-SCH-01`` error.

Mapping:

- every ``svrl:failed-assert`` and ``svrl:successful-report`` is one finding;
- rule: the business-rule id in brackets at the start of ``svrl:text`` (``[BR-CO-10]-...``) when
  there is one, else ``@id``; the Factur-X XSLTs give every assert a generic ``FX-SCH-A-nnnnnn``
  id, which is then kept at the end of the message. A hit with neither gets a project id:
  :data:`NOT_USED` (``FX-NOT-USED``) for the Factur-X profile XSLTs' id-less reports "... marked
  as not used in the given context", else :data:`NO_ID` (``GW-SCH-02``); the upstream text is
  kept and, when it tells something the text does not, the SVRL ``@test`` is added as
  ``(test: ...)``;
- severity from ``@flag``, else ``@role`` (fatal/error -> error, warning/warn -> warning,
  information/info -> info); missing or unknown -> error. Computed per element, never carried
  over from the previous one;
- location: ``@location``; line: the source line of the node that location selects in the lxml
  tree (Saxon paths such as ``/*:Invoice[namespace-uri()='...'][1]`` or ``/Q{ns}Invoice[1]`` are
  rewritten to XPath 1.0 first, :mod:`edi_gateway.validation.locations`), or None when it cannot be
  resolved; readable_location: that node's path with the customary prefixes
  (:func:`edi_gateway.validation.locations.readable`), or None;
- value found (only when asked, ``found_values=True``: the ``validate`` layers, not the CPP
  rules whose messages already quote their values): `` (found: "...")`` for a leaf element's
  text, `` (found: @name="...")`` for the attribute the text or ``@test`` names, added after the
  upstream text when the value is at most 80 characters; an element with children, an empty or
  longer value adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from edi_gateway.core import logs, xmlsafe
from edi_gateway.core.model import Finding, Layer, Severity
from edi_gateway.validation import locations
from edi_gateway.validation.locations import to_xpath1 as to_xpath1

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
RUN_FAILED = "GW-SCH-01"  # the stylesheet stopped on this document, or its SVRL is unreadable
NO_ID = "GW-SCH-02"  # an SVRL hit the ruleset left with neither @id nor [ID] in its text
NOT_USED = "FX-NOT-USED"  # Factur-X profile XSLTs: "... marked as not used in the given context"
_NOT_USED_TEXT = re.compile(r"marked as not used in the given context", re.IGNORECASE)
_CONSTANT_TEST = frozenset({"", "true()", "false()", "1", "0"})
MAX_TEST_CHARS = 120  # a longer @test is not added to the message
_ATTRIBUTE_IN_TEXT = re.compile(r"(?:^|[\s'\"])@([A-Za-z_][\w.\-]*)'")
_ATTRIBUTE_IN_TEST = re.compile(r"(?<![\w/\[:.@-])@([A-Za-z_][\w.\-]*)")
_SVRL = {"svrl": SVRL_NS}
_HITS = etree.XPath("//svrl:failed-assert | //svrl:successful-report", namespaces=_SVRL)
_RULE_IN_TEXT = re.compile(r"^\[([A-Za-z][\w.\-]*)\]")
_SEVERITY = {
    "fatal": Severity.ERROR,
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "information": Severity.INFO,
    "info": Severity.INFO,
}


def severity_of(flag: str | None, role: str | None) -> Severity:
    """Map SVRL ``@flag`` (first) or ``@role`` to a severity; missing or unknown -> ERROR.

    fatal/error -> ERROR, warning/warn -> WARNING, information/info -> INFO (case-insensitive).
    """
    for value in (flag, role):
        if value and value.strip().lower() in _SEVERITY:
            return _SEVERITY[value.strip().lower()]
    return Severity.ERROR


def svrl_findings(
    svrl: bytes,
    *,
    layer: Layer,
    source: str,
    tree: etree._ElementTree | None = None,
    found_values: bool = False,
) -> tuple[Finding, ...]:
    """Turn SVRL output into findings (see the module docstring for the mapping).

    Args:
        svrl: an SVRL document (our own Saxon output, so parsed without xmlsafe's checks).
        layer: layer of the findings. source: ``Finding.source`` of every finding.
        tree: the validated document, used to give each finding its line; None -> no lines.
        found_values: add `` (found: ...)`` to the message when the location resolves to a
            short value (:func:`edi_gateway.validation.locations.found_value`); for reports, never
            logs.

    Returns:
        One finding per ``svrl:failed-assert`` / ``svrl:successful-report``, in document order.
        Unparseable SVRL gives a single ``GW-SCH-01`` error finding.
    """
    try:
        root = etree.fromstring(svrl, parser=xmlsafe.new_parser())
    except etree.XMLSyntaxError as exc:
        return (
            Finding(
                layer=layer,
                rule=RUN_FAILED,
                severity=Severity.ERROR,
                message=f"unreadable SVRL output: {exc.msg}",
                source=source,
            ),
        )
    prefixes = {
        e.get("prefix", ""): e.get("uri", "")
        for e in root.iterfind("svrl:ns-prefix-in-attribute-values", _SVRL)
        if e.get("prefix")
    }
    hits: list[etree._Element] = _HITS(root)  # type: ignore[assignment]
    return tuple(
        _finding(hit, layer, source, tree, prefixes, found_values=found_values) for hit in hits
    )


def _finding(
    hit: etree._Element,
    layer: Layer,
    source: str,
    tree: etree._ElementTree | None,
    prefixes: Mapping[str, str],
    *,
    found_values: bool,
) -> Finding:
    text_node = hit.find("svrl:text", _SVRL)
    raw = "".join(str(t) for t in text_node.itertext()) if text_node is not None else ""
    text = " ".join(raw.split())
    test = hit.get("test")
    rule, note = rule_of(text, hit.get("id"), test)
    location = hit.get("location")
    node = locations.resolve(tree, location, prefixes) if tree is not None and location else None
    found = locations.found_value(node, attribute_named(text, test)) if found_values else None
    message = (text or "(no message)") + (f" (found: {found})" if found else "") + note
    severity = severity_of(hit.get("flag"), hit.get("role"))
    _log_unknown_severity(hit.get("flag"), hit.get("role"), rule, source, severity)
    return Finding(
        layer=layer,
        rule=rule,
        severity=severity,
        message=message,
        location=location,
        line=locations.line_of(node),
        source=source,
        readable_location=locations.readable(node) if node is not None else None,
    )


_UNKNOWN_SEEN: set[tuple[str, str, str]] = set()


def _log_unknown_severity(
    flag: str | None, role: str | None, rule: str, source: str, severity: Severity
) -> None:
    """Log ``schematron.unknown_severity`` (warning) once per process for each ruleset,
    attribute and value outside the flag/role vocabulary: the finding keeps the severity the
    other attribute or the default (error) gives, and the operator learns the ruleset speaks a
    word this gateway does not map."""
    for attribute, value in (("flag", flag), ("role", role)):
        if not value or value.strip().lower() in _SEVERITY:
            continue
        key = (source, attribute, value)
        if key in _UNKNOWN_SEEN:
            continue
        _UNKNOWN_SEEN.add(key)
        logs.get_logger().warning(
            "schematron.unknown_severity",
            ruleset=source,
            attribute=attribute,
            value=value[:60],
            rule=rule,
            severity=str(severity),
        )


def rule_of(text: str, assert_id: str | None, test: str | None) -> tuple[str, str]:
    """Return (rule id, note to append to the message) of one SVRL hit from its normalised
    text, ``@id`` and ``@test``.

    ``[ID]`` at the start of the text wins (a different ``@id`` is noted as `` (assert ...)``);
    else ``@id``; else :data:`NOT_USED` or :data:`NO_ID`, noting `` (test: ...)`` when the test
    is not a constant, at most :data:`MAX_TEST_CHARS` long and not already in the text.
    """
    match = _RULE_IN_TEXT.match(text)
    if match:
        rule = match.group(1)
        return rule, (f" (assert {assert_id})" if assert_id and assert_id != rule else "")
    if assert_id:
        return assert_id, ""
    rule = NOT_USED if _NOT_USED_TEXT.search(text) else NO_ID
    told = " ".join((test or "").split())
    if told not in _CONSTANT_TEST and len(told) <= MAX_TEST_CHARS and told not in text:
        return rule, f" (test: {told})"
    return rule, ""


def location_line(
    tree: etree._ElementTree, location: str, prefixes: Mapping[str, str] | None = None
) -> int | None:
    """Return the 1-based line of the node ``location`` selects in ``tree``, or None.

    Attributes and text nodes give their parent element's line. The first selected node wins.
    Nothing is cached between calls. ``prefixes`` maps prefixes used in the path to namespaces.
    """
    return locations.line_of(locations.resolve(tree, location, prefixes))


def attribute_named(text: str, test: str | None) -> str | None:
    """The attribute a rule is about, for the value found: the one its text names
    (``Value of '@schemeID' ...``, ``Attribute @currencyID' ...``), else the only attribute of
    the context node its ``@test`` reads (``normalize-space(@schemeID)``); None otherwise."""
    named = _ATTRIBUTE_IN_TEXT.search(text)
    if named:
        return named.group(1)
    read = set(_ATTRIBUTE_IN_TEST.findall(test or ""))
    return read.pop() if len(read) == 1 else None
