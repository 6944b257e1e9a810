"""Safe XML parsing: the only way the gateway turns untrusted bytes into an lxml tree.

The parser never loads a DTD, never expands entities, never touches the network and refuses
huge trees. A document that still carries a DOCTYPE is refused outright: Saxon resolves
external entities by itself, so nothing with a DTD may ever reach it
(``../shared/guides/measured-facts.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree


@dataclass(frozen=True, slots=True)
class XmlProblem(Exception):
    """Why bytes could not be parsed safely.

    Attributes:
        code: project rule id (``GW-XML-01`` not well-formed, ``GW-XML-02`` DOCTYPE present,
            ``GW-XML-03`` empty).
        message: the parser's message, or ours.
        line: 1-based line where the parser stopped, when known.
    """

    code: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.code}: {self.message}{where}"


def new_parser(*, huge_tree: bool = False) -> etree.XMLParser:
    """Return a hardened lxml parser: no DTD, no entities, no network.

    Args:
        huge_tree: lift libxml2's limits (10 MB text nodes, depth 256). Only for documents that
            carry no DOCTYPE at all, so no entity can be declared (see :func:`parse`).
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge_tree,
        remove_blank_text=False,
        collect_ids=False,
    )


class _NothingResolver(etree.Resolver):
    """Answers every external load (DTD, external or parameter entity, XInclude) with empty
    text, so libxml2 never opens a file, a device or a URL named in untrusted bytes.

    ``load_dtd=False`` and ``resolve_entities=False`` are not enough: libxml2 2.14 still loads
    an external *parameter* entity referenced in the internal subset
    (``<!ENTITY % p SYSTEM "file:///dev/zero"> %p;`` reads forever, ``file:///etc/passwd`` is
    opened). The document is then refused anyway (GW-XML-02: it has a DOCTYPE).
    """

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]  # lxml-stubs lack context
        """Return an empty document for ``system_url`` (never opened)."""
        return self.resolve_string("", context)  # type: ignore[call-arg]  # stubs: base_url is optional


def untrusted_parser(*, huge_tree: bool = False) -> etree.XMLParser:
    """:func:`new_parser` that also loads nothing from outside the bytes (see
    :class:`_NothingResolver`).

    For bytes from a sender only; the gateway's own stylesheets and schemas (which import each
    other) are parsed with :func:`new_parser`.
    """
    parser = new_parser(huge_tree=huge_tree)
    parser.resolvers.add(_NothingResolver())
    return parser


def _parse_root(data: bytes) -> etree._Element:
    """Parse with libxml2's default limits; past a limit, parse again without them if safe.

    An invoice may legitimately embed a base64 attachment larger than libxml2's 10 MB text-node
    limit (UBL ``EmbeddedDocumentBinaryObject``). Without a DOCTYPE anywhere in the bytes no
    entity can be declared, so lifting the limits cannot expand anything; the file size itself
    is bounded by ``validation.max_file_bytes`` before parsing.
    """
    try:
        return etree.fromstring(data, parser=untrusted_parser())
    except etree.XMLSyntaxError as exc:
        # libxml2 says "try XML_PARSE_HUGE" (newer) or "huge text node" (older releases).
        if "huge" not in str(exc).lower() or _contains_doctype(data):
            raise
    return etree.fromstring(data, parser=untrusted_parser(huge_tree=True))


def parse(data: bytes) -> etree._ElementTree:
    """Parse ``data`` safely and return the tree (line numbers kept on every element).

    Args:
        data: the raw bytes of an XML document (any encoding it declares; BOMs are fine).

    Returns:
        The parsed document.

    Raises:
        XmlProblem: empty input (GW-XML-03), not well-formed (GW-XML-01), or a DOCTYPE /
            entity declaration (GW-XML-02).
    """
    if not data.strip():
        raise XmlProblem("GW-XML-03", "the file is empty")
    try:
        root = _parse_root(data)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno and exc.lineno > 0 else None
        if _declares_doctype(data):  # e.g. libxml2's entity-amplification guard fired first
            raise XmlProblem("GW-XML-02", f"{_DOCTYPE_REFUSED} ({exc.msg})", line) from exc
        raise XmlProblem("GW-XML-01", f"not well-formed XML: {exc.msg}", line) from exc
    except ValueError as exc:  # e.g. unicode strings with an encoding declaration
        raise XmlProblem("GW-XML-01", f"not well-formed XML: {exc}") from exc
    tree = root.getroottree()
    docinfo: Any = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlProblem("GW-XML-02", _DOCTYPE_REFUSED, 1)
    return tree


_DOCTYPE_REFUSED = "a DOCTYPE / DTD is not allowed in an invoice (entities are never expanded)"
_DOCTYPE_MARKS = tuple("<!DOCTYPE".encode(codec) for codec in ("ascii", "utf-16-le", "utf-16-be"))


def _declares_doctype(data: bytes) -> bool:
    """Tell whether the prolog (first 64 KiB) declares a DOCTYPE, in UTF-8 or UTF-16."""
    return _contains_doctype(data[:65536])


def _contains_doctype(data: bytes) -> bool:
    """Tell whether ``<!DOCTYPE`` appears anywhere in ``data``, in UTF-8 or UTF-16."""
    return any(mark in data for mark in _DOCTYPE_MARKS)
