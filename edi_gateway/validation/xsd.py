"""XSD layer: lxml ``etree.XMLSchema`` (libxml2), each schema loaded once per process.

lxml is about 65x faster per document than xmlschema (``../shared/guides/measured-facts.md``),
so xmlschema stays off the hot path. A schema error becomes a :class:`~edi_gateway.model.Finding`
whose rule is libxml2's error type name (``SCHEMAV_ELEMENT_CONTENT``,
``SCHEMAV_CVC_ENUMERATION_VALID`` ...), with the line libxml2 reports and the element path lxml
gives (kept as the finding's ``location``; ``readable_location`` is the same element with the
customary prefixes, :func:`edi_gateway.validation.locations.readable`). Clark names of the usual
UBL / CII namespaces are shortened to their customary prefixes (``cbc:DueDate``) in messages.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lxml import etree

from edi_gateway.core.errors import ArtefactError
from edi_gateway.core.model import Finding, Layer, Severity
from edi_gateway.validation import locations

MAX_FINDINGS = 100  # a broken document can yield thousands of schema errors; the rest is counted
TOO_MANY = "GW-XSD-01"

_CLARK = re.compile(r"\{([^}]*)\}")

_lock = threading.Lock()
_schemas: dict[str, etree.XMLSchema] = {}


def load(path: Path) -> etree.XMLSchema:
    """Return the compiled schema for ``path``, loading it on first use in this process.

    The schema files are trusted package files; they are read with a parser that never touches
    the network (their ``xs:import`` / ``xs:include`` are relative local files).

    Raises:
        ArtefactError: the file is missing or libxml2 cannot compile it.
    """
    key = str(Path(path).resolve())
    with _lock:
        schema = _schemas.get(key)
        if schema is None:
            if not Path(key).is_file():
                raise ArtefactError(f"XML schema not found: {key}")
            parser = etree.XMLParser(no_network=True, resolve_entities=False)
            try:
                schema = etree.XMLSchema(etree.parse(key, parser))
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise ArtefactError(f"cannot load XML schema {Path(key).name}: {exc}") from exc
            _schemas[key] = schema
    return schema


def validate(
    tree: etree._ElementTree, schema: etree.XMLSchema, *, source: str
) -> tuple[Finding, ...]:
    """Validate a safely parsed document against ``schema``.

    Args:
        tree: the document (from :func:`edi_gateway.core.xmlsafe.parse`).
        schema: from :func:`load`.
        source: ``Finding.source`` for every finding (artefact file and package version).

    Returns:
        One error finding per libxml2 schema error (at most :data:`MAX_FINDINGS`, then one
        ``GW-XSD-01`` finding counting the rest); empty when the document is valid.
    """
    if schema.validate(tree):
        return ()
    entries: list[etree._LogEntry] = [*schema.error_log]  # type: ignore[misc]
    prefixes = locations.document_prefixes(tree)
    findings = [_finding(entry, source, tree, prefixes) for entry in entries[:MAX_FINDINGS]]
    if len(entries) > MAX_FINDINGS:
        findings.append(
            Finding(
                layer=Layer.XSD,
                rule=TOO_MANY,
                severity=Severity.ERROR,
                message=f"{len(entries) - MAX_FINDINGS} more schema errors not listed",
                source=source,
            )
        )
    if not findings:  # invalid without a logged reason: still an error
        findings.append(
            Finding(
                layer=Layer.XSD,
                rule="SCHEMAV_INVALID",
                severity=Severity.ERROR,
                message="the document is not valid against the schema",
                source=source,
            )
        )
    return tuple(findings)


def _finding(
    entry: etree._LogEntry,
    source: str,
    tree: etree._ElementTree,
    prefixes: dict[str, str],
) -> Finding:
    node = locations.resolve(tree, entry.path, prefixes) if entry.path else None
    return Finding(
        layer=Layer.XSD,
        rule=entry.type_name or "SCHEMAV_ERROR",
        severity=Severity.ERROR,
        message=_CLARK.sub(_prefix, " ".join(entry.message.split())),
        location=entry.path or None,
        line=entry.line if entry.line and entry.line > 0 else None,
        source=source,
        readable_location=locations.readable(node) if node is not None else None,
    )


def _prefix(match: re.Match[str]) -> str:
    prefix = locations.PREFIXES.get(match.group(1))
    return f"{prefix}:" if prefix else match.group(0)
