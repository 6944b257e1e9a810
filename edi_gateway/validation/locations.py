"""Where a finding points: resolve a ruleset's location to the node, and say what is there.

Job: turn the location a ruleset gives (a Saxon path such as
``/*:Invoice[namespace-uri()='...'][1]/*:ID[namespace-uri()='...'][1]`` or ``/Q{ns}Invoice[1]``,
a plain XPath with prefixes, or libxml2's element path ``/*/cbc:DueDate``) into the node of the
validated lxml tree, then give its source line and the short value found there. Input: a tree
parsed by :func:`edi_gateway.core.xmlsafe.parse` and a location string; output: a node, a line, a
value, or None. It never raises for a bad path: an unresolvable location gives None.

The readable form (:func:`readable`) is what people read in the text and HTML reports: the node's
path with the customary prefixes of :data:`PREFIXES` (``rsm``/``ram``/``udt``/``qdt`` for CII,
``ubl``/``cn``/``cac``/``cbc``/``ext`` for UBL) whatever prefixes the document itself uses, and
``[n]`` only when the node is the n-th (n > 1) of its name under its parent:
``/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem[2]``.

The value found (``found_value``) is for reports only and is bounded (:data:`MAX_VALUE_CHARS`):
it is never logged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

MAX_VALUE_CHARS = 80  # a longer value is never quoted in a message

#: Namespace -> customary prefix (the ones the CEN and Factur-X rulesets and specs use).
PREFIXES = {
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2": "cbc",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2": "cac",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2": "ext",
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "ubl",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "cn",
    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100": "rsm",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
}

_Q_NAME = re.compile(r"Q\{([^}]*)\}([\w.\-]+)")
_STAR_NAME_NS = re.compile(r"\*:([\w.\-]+)\[namespace-uri\(\)='([^']*)'\]")
_STAR_NAME = re.compile(r"\*:([\w.\-]+)")
_FIRST = re.compile(r"\[1\]")

Node = Any  # an lxml element, or an attribute / text "smart string" with getparent()


def to_xpath1(location: str) -> str:
    """Rewrite a Saxon/SVRL location path into XPath 1.0 that lxml can evaluate.

    ``*:Name[namespace-uri()='ns']`` and ``Q{ns}Name`` become
    ``*[local-name()='Name' and namespace-uri()='ns']``; a bare ``*:Name`` becomes
    ``*[local-name()='Name']``. Anything else (prefixed names, positions) is kept.
    """
    path = _STAR_NAME_NS.sub(r"*[local-name()='\1' and namespace-uri()='\2']", location)
    path = _Q_NAME.sub(r"*[local-name()='\2' and namespace-uri()='\1']", path)
    return _STAR_NAME.sub(r"*[local-name()='\1']", path)


def resolve(
    tree: etree._ElementTree, location: str, prefixes: Mapping[str, str] | None = None
) -> Node | None:
    """Return the first node ``location`` selects in ``tree``, or None.

    Args:
        tree: the validated document. location: a Saxon, XPath 1.0 or libxml2 path.
        prefixes: prefix -> namespace for prefixed steps (SVRL ``ns-prefix-in-attribute-values``
            or the document's own declarations, :func:`document_prefixes`).

    Returns:
        An element, an attribute or text result (lxml smart string), or None when the path is
        not valid XPath, selects nothing, or selects a number / boolean.
    """
    try:
        result = tree.xpath(to_xpath1(location), namespaces=dict(prefixes or {}))
    except (etree.XPathError, TypeError, ValueError):
        return None
    if not isinstance(result, list) or not result:
        return None
    first = result[0]
    if isinstance(first, etree._Element) or hasattr(first, "getparent"):
        return first
    return None


def document_prefixes(tree: etree._ElementTree) -> dict[str, str]:
    """Every prefix declared in the document -> its namespace (first declaration wins).

    libxml2 writes element paths with the document's own prefixes; this maps them back.
    """
    found: dict[str, str] = {}
    for element in tree.iter(tag=etree.Element):
        for prefix, uri in element.nsmap.items():
            if prefix and prefix not in found:
                found[prefix] = uri
    return found


def element_of(node: Node | None) -> etree._Element | None:
    """The element itself, or the element an attribute / text node belongs to."""
    if node is None or isinstance(node, etree._Element):
        return node
    parent = node.getparent()
    return parent if isinstance(parent, etree._Element) else None


def line_of(node: Node | None) -> int | None:
    """1-based source line of ``node`` (its element's line for an attribute or text), or None."""
    element = element_of(node)
    line = getattr(element, "sourceline", None)
    return line if isinstance(line, int) and line > 0 else None


def found_value(node: Node | None, attribute: str | None = None) -> str | None:
    """What is found at ``node``, quoted for a message, or None when nothing short is there.

    Args:
        node: from :func:`resolve`.
        attribute: local name of an attribute of the node's element that the rule is about
            (``schemeID``); when given, only that attribute's value counts.

    Returns:
        ``@name="value"`` for an attribute, ``"text"`` for a leaf element's text (JSON string
        quoting), whitespace-normalised; None for an element with child elements, an empty
        value, a missing attribute, or a value over :data:`MAX_VALUE_CHARS` characters.
    """
    element = element_of(node)
    if node is None or element is None:
        return None
    if attribute is not None:
        for name, value in element.attrib.items():
            if etree.QName(name).localname == attribute:
                return _quoted(str(value), f"@{attribute}=")
        return None
    if not isinstance(node, etree._Element) and getattr(node, "is_attribute", False):
        return _quoted(str(node), f"@{etree.QName(node.attrname).localname}=")
    if len(element):
        return None
    return _quoted("".join(str(t) for t in element.itertext()), "")


def _quoted(value: str, label: str) -> str | None:
    text = " ".join(value.split())
    if not text or len(text) > MAX_VALUE_CHARS:
        return None
    return label + json.dumps(text, ensure_ascii=False)


def readable(node: Node) -> str:
    """The readable path of a node from :func:`resolve` (see the module docstring).

    An attribute ends with ``/@name``, a text node with ``/text()``; an element in a namespace
    without a customary prefix keeps the document's prefix, or its bare name.
    """
    element = element_of(node)
    steps: list[str] = []
    current = element
    while current is not None:
        steps.append(_step(current))
        parent = current.getparent()
        current = parent if isinstance(parent, etree._Element) else None
    path = "/" + "/".join(reversed(steps))
    if node is element:
        return path
    if getattr(node, "is_attribute", False):
        return f"{path}/@{_name(etree.QName(node.attrname), None)}"
    return f"{path}/text()"


def readable_text(location: str) -> str:
    """Shorten a location that did not resolve, from its text alone.

    Saxon steps ``*:Name[namespace-uri()='ns']`` and ``Q{ns}Name`` become ``prefix:Name`` (the
    :data:`PREFIXES` one, else the bare name), ``[1]`` is dropped; anything else is kept.
    """

    def named(match: re.Match[str], local: int, uri: int) -> str:
        prefix = PREFIXES.get(match.group(uri))
        return f"{prefix}:{match.group(local)}" if prefix else match.group(local)

    path = _STAR_NAME_NS.sub(lambda m: named(m, 1, 2), location)
    path = _Q_NAME.sub(lambda m: named(m, 2, 1), path)
    return _FIRST.sub("", _STAR_NAME.sub(r"\1", path))


def _step(element: etree._Element) -> str:
    qname = etree.QName(element)
    step = _name(qname, element.prefix)
    parent = element.getparent()
    if parent is not None:
        position = 1 + sum(1 for s in element.itersiblings(preceding=True) if s.tag == element.tag)
        if position > 1:
            step += f"[{position}]"
    return step


def _name(qname: etree.QName, own_prefix: str | None) -> str:
    prefix = PREFIXES.get(qname.namespace or "") or (own_prefix if qname.namespace else None)
    return f"{prefix}:{qname.localname}" if prefix else qname.localname
