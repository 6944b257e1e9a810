"""Editing a fiche structure from the portal ("paramétrage d'une fiche structure").

Job: change a structure's flags and status, a service's label, status, dates and engagement
flag, or add a service, in the structures directory file itself (``gateway.structures``,
comments kept), so the next invoice sees the change. Every edit is checked by the directory's own
reader (:func:`edi_gateway.reception.structures.loads`: the same checks as a hand edit) before
it is written, atomically (:mod:`edi_gateway.web.toml_edit`); a bad edit is refused with the
reason and the last good file stays. Returns the changes made, ``(what, old, new)``, for the
record (``structure_change``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit

from edi_gateway.core.errors import ConfigError
from edi_gateway.reception import structures
from edi_gateway.reception.structures_records import FLAG_KEYS
from edi_gateway.web import toml_edit

Changes = list[tuple[str, str, str]]


def _check(path: Path) -> Any:
    return lambda text: structures.loads(text.encode("utf-8"), path)


def _structure_table(doc: tomlkit.TOMLDocument, siret: str) -> Any:
    for table in doc.get("structure", []):
        if table.get("identifiantStructure") == siret:
            return table
    raise ConfigError(f"structure {siret} is not in the directory file")


def _set(table: Any, key: str, value: Any, what: str, changes: Changes) -> None:
    old = table.get(key)
    if old != value:
        table[key] = value
        changes.append((what, "" if old is None else str(old), str(value)))


def edit_structure(path: Path, siret: str, flags: dict[str, bool], active: bool) -> Changes:
    """Set the flags (:data:`FLAG_KEYS`, missing ones false) and the status of ``siret``.

    Raises:
        ConfigError: no such structure, or the directory would be invalid (nothing written).
    """
    doc = toml_edit.read(path)
    table = _structure_table(doc, siret)
    changes: Changes = []
    for key in FLAG_KEYS:
        _set(table, key, bool(flags.get(key, False)), key, changes)
    _set(table, "statut", "ACTIF" if active else "INACTIF", "statut", changes)
    if changes:
        toml_edit.write_checked(path, doc, _check(path))
    return changes


def edit_service(path: Path, siret: str, code: str, values: dict[str, Any]) -> Changes:
    """Set a service's ``libelleService``, ``estActif``, ``numeroEngagement`` and dates
    (``dateDbtService`` / ``dateFinService``: a ``date`` or None to remove); adds the service
    (code ``code``) when the structure has none by that code.

    Raises:
        ConfigError: no such structure, a bad code, or the directory would be invalid.
    """
    doc = toml_edit.read(path)
    table = _structure_table(doc, siret)
    services = table.get("service")
    if services is None:
        services = tomlkit.aot()
        table["service"] = services
    current = next((s for s in services if s.get("codeService") == code), None)
    changes: Changes = []
    if current is None:
        current = tomlkit.table()
        current["codeService"] = code
        services.append(current)
        changes.append((f"service {code}", "", "créé"))
    for key in ("libelleService", "estActif", "numeroEngagement"):
        if key in values:
            _set(current, key, values[key], f"service {code} {key}", changes)
    for key in ("dateDbtService", "dateFinService"):
        if key in values:
            if values[key] is None and key in current:
                changes.append((f"service {code} {key}", str(current[key]), ""))
                del current[key]
            elif values[key] is not None:
                _set(current, key, values[key], f"service {code} {key}", changes)
    if changes:
        toml_edit.write_checked(path, doc, _check(path))
    return changes
