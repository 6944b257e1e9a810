"""Editing portal users from the portal (Gestion des utilisateurs), in the users file itself.

Job: a gestionnaire principal of a structure invites a user to it (a new login with a temporary
password, shown once; or an existing user gets a place in the structure), changes a member's
role, spaces and services, or removes a member from the structure (a user left in no structure
is deactivated: ``active = false``, the record kept). Every edit is checked by the users file's
own reader (:func:`edi_gateway.web.portal.users.loads`) before it is written, atomically, with
its comments kept (:mod:`edi_gateway.web.toml_edit`).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import tomlkit

from edi_gateway.core.errors import ConfigError
from edi_gateway.web import toml_edit
from edi_gateway.web.passwords import hash_secret
from edi_gateway.web.portal.users import ROLES, SPACES, loads


def _write(path: Path, doc: tomlkit.TOMLDocument) -> None:
    toml_edit.write_checked(path, doc, lambda text: loads(tomlkit.parse(text).unwrap(), path))


def _membership(siret: str, role: str, spaces: list[str], services: list[str]) -> Any:
    if role not in ROLES or not spaces or any(s not in SPACES for s in spaces):
        raise ConfigError("rôle ou espaces invalides | bad role or spaces")
    table = tomlkit.table()
    table["siret"], table["role"], table["spaces"] = siret, role, spaces
    if services:
        table["services"] = services
    return table


def _user(doc: tomlkit.TOMLDocument, login: str) -> Any:
    return next((u for u in doc.get("user", []) if u.get("login") == login), None)


def invite(
    path: Path,
    siret: str,
    login: str,
    name: str,
    role: str,
    spaces: list[str],
    services: list[str],
) -> str | None:
    """Give ``login`` a place in ``siret``; a new user is created (active) with a temporary
    password, returned (shown once); None for an existing user.

    Raises:
        ConfigError: a bad login, role or space, a user already in the structure, or a file
            the reader would refuse (nothing written).
    """
    if "@" not in login or any(c.isspace() for c in login) or len(login) > 200:
        raise ConfigError("l'identifiant doit être une adresse électronique | login: an e-mail")
    doc = toml_edit.read(path)
    user = _user(doc, login)
    password = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = tomlkit.table()
        user["login"], user["name"] = login, name or login
        user["password_hash"] = hash_secret(password)
        user["structure"] = tomlkit.aot()
        doc.setdefault("user", tomlkit.aot()).append(user)
    elif any(m.get("siret") == siret for m in user.get("structure", [])):
        raise ConfigError(f"{login} est déjà dans cette structure | already a member")
    places = user.get("structure")
    if not isinstance(places, tomlkit.items.AoT):  # none left (a removed user): start again
        places = tomlkit.aot()
        for old in user.get("structure", []) or []:
            places.append(old)
        user["structure"] = places
    places.append(_membership(siret, role, spaces, services))
    user["active"] = True
    _write(path, doc)
    return password


def change(
    path: Path, siret: str, login: str, role: str, spaces: list[str], services: list[str]
) -> None:
    """Set ``login``'s role, spaces and services in ``siret``.

    Raises:
        ConfigError: not a member, a bad role or space.
    """
    doc = toml_edit.read(path)
    user = _user(doc, login)
    found = [m for m in (user.get("structure", []) if user else []) if m.get("siret") == siret]
    if not found:
        raise ConfigError(f"{login} n'est pas dans cette structure | not a member")
    new = _membership(siret, role, spaces, services)
    for key in ("role", "spaces"):
        found[0][key] = new[key]
    if services:
        found[0]["services"] = services
    elif "services" in found[0]:
        del found[0]["services"]
    _write(path, doc)


def remove(path: Path, siret: str, login: str) -> None:
    """Take ``login`` out of ``siret``; deactivate the user when it is in no structure left.

    Raises:
        ConfigError: not a member.
    """
    doc = toml_edit.read(path)
    user = _user(doc, login)
    places = user.get("structure", []) if user else []
    index = next((i for i, m in enumerate(places) if m.get("siret") == siret), None)
    if user is None or index is None:
        raise ConfigError(f"{login} n'est pas dans cette structure | not a member")
    del places[index]
    if not len(places):
        del user["structure"]  # no empty array left behind
        user["active"] = False
    _write(path, doc)
