"""Editing the accounts file: add or remove a technical account or an OAuth2 client.

Job: the writes behind ``edi-gateway accounts add|remove``, keeping the file's comments and
layout and replacing it atomically, each edit checked by :func:`edi_gateway.web.accounts.loads`
before it is written (:mod:`edi_gateway.web.toml_edit`).
"""

from __future__ import annotations

from pathlib import Path

import tomlkit

from edi_gateway.core.errors import ConfigError
from edi_gateway.web import toml_edit
from edi_gateway.web.accounts import ROLES, StructureRight, hash_secret, loads


def parse_right(text: str) -> StructureRight:
    """``SIRET:ROLE[:SERVICE,SERVICE...]`` (``--structure``) as a right.

    Raises:
        ConfigError: a SIRET that is not 14 digits or an unknown role.
    """
    siret, _, rest = text.partition(":")
    role, _, services = rest.partition(":")
    if not (len(siret) == 14 and siret.isdigit()):
        raise ConfigError(f"--structure {text!r}: the SIRET must be 14 digits")
    if role not in ROLES:
        raise ConfigError(f"--structure {text!r}: the role must be one of {', '.join(ROLES)}")
    codes = tuple(c.strip() for c in services.split(",") if c.strip())
    return StructureRight(siret=siret, role=role, services=codes)


def _write(path: Path, doc: tomlkit.TOMLDocument) -> None:
    toml_edit.write_checked(path, doc, lambda text: loads(tomlkit.parse(text).unwrap(), path))


def add_account(path: Path, login: str, password: str, rights: list[StructureRight]) -> None:
    """Add technical account ``login`` with ``password`` (stored hashed) and its rights.

    Raises:
        ConfigError: the login exists, no right given, or the file cannot be written.
    """
    if not login or any(c.isspace() or c == ":" for c in login):
        raise ConfigError(f"login {login!r}: no spaces and no ':' (the cpro-account header)")
    if not rights:
        raise ConfigError("give at least one --structure SIRET:ROLE")
    doc = toml_edit.read(path)
    if login in {a.get("login") for a in doc.get("account", [])}:
        raise ConfigError(f"{path}: account {login!r} exists (remove it first)")
    table = tomlkit.table()
    table["login"] = login
    table["password_hash"] = hash_secret(password)
    structures = tomlkit.aot()
    for right in rights:
        entry = tomlkit.table()
        entry["siret"], entry["role"] = right.siret, right.role
        if right.services:
            entry["services"] = list(right.services)
        structures.append(entry)
    table["structure"] = structures
    doc.setdefault("account", tomlkit.aot()).append(table)
    _write(path, doc)


def add_client(path: Path, client_id: str, secret: str) -> None:
    """Add OAuth2 client ``client_id`` with ``secret`` (stored hashed).

    Raises:
        ConfigError: the client exists or the file cannot be written.
    """
    doc = toml_edit.read(path)
    if client_id in {c.get("client_id") for c in doc.get("client", [])}:
        raise ConfigError(f"{path}: client {client_id!r} exists (remove it first)")
    table = tomlkit.table()
    table["client_id"], table["secret_hash"] = client_id, hash_secret(secret)
    doc.setdefault("client", tomlkit.aot()).append(table)
    _write(path, doc)


def remove(path: Path, name: str) -> str:
    """Remove the account (or else the client) called ``name``; returns ``account`` or
    ``client``.

    Raises:
        ConfigError: neither exists, or the file cannot be written.
    """
    doc = toml_edit.read(path)
    for key, field in (("account", "login"), ("client", "client_id")):
        items = doc.get(key)
        if items is None:
            continue
        found = [i for i, table in enumerate(items) if table.get(field) == name]
        if found:
            for index in reversed(found):
                del items[index]  # in place: the other tables keep their layout
            if not len(items):
                del doc[key]
            _write(path, doc)
            return key
    raise ConfigError(f"{path}: no account or client {name!r}")
