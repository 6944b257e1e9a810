"""Portal users: personal accounts attached to structures with a role and per-space rights.

Job: read ``[portal] users`` (default ``rules/users.toml``, format in its header) into
:class:`User` records, and check a login and password (:mod:`edi_gateway.web.passwords`:
Argon2id, throttled). Roles are Chorus Pro's (gestionnaire principal, gestionnaire secondaire,
utilisateur); spaces say what a user may open for a structure: ``factures_emises`` (the
supplier side), ``factures_recues`` (the recipient side), ``structures``, ``utilisateurs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi_gateway.core import toml_tables
from edi_gateway.core.errors import ConfigError
from edi_gateway.web.passwords import PasswordChecker
from edi_gateway.web.watched_toml import WatchedToml

ROLES = ("gestionnaire_principal", "gestionnaire_secondaire", "utilisateur")
SPACES = ("factures_emises", "factures_recues", "structures", "utilisateurs")


@dataclass(frozen=True, slots=True, kw_only=True)
class Membership:
    """A user's place in one structure: role, spaces, and services (empty = all)."""

    siret: str
    role: str
    spaces: tuple[str, ...]
    services: tuple[str, ...] = ()

    def covers_service(self, service_code: str | None) -> bool:
        """True when the user's received invoices include those sent to ``service_code``."""
        return not self.services or (service_code or "") in self.services


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A portal user."""

    login: str
    name: str
    password_hash: str
    active: bool
    structures: tuple[Membership, ...]

    def sirets(self, space: str) -> list[str]:
        """The structures where the user may open ``space``."""
        return [m.siret for m in self.structures if space in m.spaces]

    def receives(self, siret: str | None, service_code: str | None) -> bool:
        """True when an invoice to ``siret`` / ``service_code`` is in the user's inbox."""
        return any(
            m.siret == siret and "factures_recues" in m.spaces and m.covers_service(service_code)
            for m in self.structures
        )

    def sends_for(self, seller_id: str | None) -> bool:
        """True when the user's supplier structures include ``seller_id`` (BT-29/BT-30)."""
        return seller_id in self.sirets("factures_emises")


def loads(data: dict[str, Any], file: Path) -> dict[str, User]:
    """Check the parsed users file and return users by login.

    Raises:
        ConfigError: an unknown key, a missing field, a bad role, space or SIRET, a login twice.
    """
    toml_tables.check_keys(file, "", data, {"user": list})
    users: dict[str, User] = {}
    for i, table in enumerate(data.get("user", [])):
        where = f"user[{i}]."
        keys = {"login": str, "name": str, "password_hash": str, "active": bool, "structure": list}
        toml_tables.check_keys(file, where, table, keys)
        for key in ("login", "password_hash"):
            if not table.get(key):
                raise ConfigError(f"{file}: {where}{key} is missing")
        if table["login"] in users:
            raise ConfigError(f"{file}: user {table['login']!r} given twice")
        memberships = tuple(
            _membership(file, f"{where}structure[{j}].", m)
            for j, m in enumerate(table.get("structure", []))
        )
        users[table["login"]] = User(
            login=table["login"],
            name=table.get("name", table["login"]),
            password_hash=table["password_hash"],
            active=table.get("active", True),
            structures=memberships,
        )
    return users


def _membership(file: Path, where: str, table: dict[str, Any]) -> Membership:
    keys = {"siret": str, "role": str, "spaces": list, "services": list}
    toml_tables.check_keys(file, where, table, keys)
    siret, role = table.get("siret", ""), table.get("role", "")
    if not (len(siret) == 14 and siret.isdigit()):
        raise ConfigError(f"{file}: {where}siret must be 14 digits")
    if role not in ROLES:
        raise ConfigError(f"{file}: {where}role must be one of {', '.join(ROLES)}")
    spaces = table.get("spaces", [])
    if not spaces or any(s not in SPACES for s in spaces):
        raise ConfigError(f"{file}: {where}spaces must be some of {', '.join(SPACES)}")
    services = table.get("services", [])
    if not all(isinstance(s, str) and s for s in services):
        raise ConfigError(f"{file}: {where}services must be a list of service codes")
    return Membership(siret=siret, role=role, spaces=tuple(spaces), services=tuple(services))


class UserBook:
    """The users file in force; checks logins. Thread-safe.

    Raises:
        ConfigError: the file is present but invalid at creation.
    """

    def __init__(self, path: Path | None) -> None:
        self.checker = PasswordChecker()
        self._file: WatchedToml[dict[str, User]] = WatchedToml(
            path, loads, {}, "users", self.checker.forget
        )

    def all(self) -> list[User]:
        """Every user of the file (active or not), in file order."""
        return list(self._file.current().values())

    def user(self, login: str) -> User | None:
        """The active user called ``login`` (a session's user), or None."""
        found = self._file.current().get(login)
        return found if found is not None and found.active else None

    def login(self, login: str, password: str, source: str) -> User | None:
        """The user when ``password`` is theirs and they are active, else None."""
        found = self.user(login)
        target = found.password_hash if found else None
        return found if self.checker.check(("user", login, source), target, password) else None
