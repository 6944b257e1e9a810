"""Technical accounts (comptes techniques) and OAuth2 clients of the Service mode.

Job: read the accounts file (``[api] accounts``, default ``rules/accounts.toml``) into
:class:`Accounts`, and check a login / password or a client id / secret against the salted
Argon2id hashes it holds (argon2-cffi; no secret is ever stored in clear). Chorus Pro, through
PISTE, asks for both on every call: an OAuth2 client (the application) gets a token, and the
``cpro-account`` header names the technical account acting (``../shared/domain/chorus-pro.md``
§6). The file is re-read when it changes (``edi-gateway accounts add`` works on a running
server).

File format::

    [[client]]                      # an OAuth2 client (client credentials grant)
    client_id = "demo-client"
    secret_hash = "$argon2id$..."

    [[account]]                     # a technical account
    login = "TECH-FOURNISSEUR"
    password_hash = "$argon2id$..."
    [[account.structure]]           # a structure it acts for, one table each
    siret = "99900001000010"
    role = "recipient"              # "supplier", "recipient" or "both"
    services = ["SERVICES-TECHNIQUES"]  # optional: recipient rights on these services only

A successful check is remembered (by login and a SHA-256 of the password, for this version of
the file) so that a client sending the header on every call pays one Argon2 verification, not
one per call; a wrong password is checked again each time (a slow answer, as it should be), up to
the failure throttle (:mod:`edi_gateway.web.throttle`: 10 failures per minute per address and
login, then 401 at once without a verification).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi_gateway.core import toml_tables
from edi_gateway.core.errors import ConfigError
from edi_gateway.web.passwords import PasswordChecker
from edi_gateway.web.passwords import hash_secret as hash_secret
from edi_gateway.web.throttle import FailureThrottle
from edi_gateway.web.watched_toml import WatchedToml

ROLES = ("supplier", "recipient", "both")


@dataclass(frozen=True, slots=True, kw_only=True)
class StructureRight:
    """What one account may do for one structure.

    Attributes:
        siret: the structure's SIRET (14 digits).
        role: ``supplier``, ``recipient`` or ``both``.
        services: service codes the recipient rights are limited to; empty = every service.
    """

    siret: str
    role: str
    services: tuple[str, ...] = ()

    @property
    def supplier(self) -> bool:
        """The account deposits and follows invoices for this structure."""
        return self.role in ("supplier", "both")

    @property
    def recipient(self) -> bool:
        """The account receives and processes invoices addressed to this structure."""
        return self.role in ("recipient", "both")

    def covers_service(self, service_code: str | None) -> bool:
        """True when the recipient rights cover invoices sent to ``service_code``."""
        return not self.services or (service_code or "") in self.services


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """A technical account: its login, the hash of its password, its structures."""

    login: str
    password_hash: str
    structures: tuple[StructureRight, ...]

    def right(self, siret: str | None, *, recipient: bool) -> StructureRight | None:
        """The account's right on structure ``siret`` in that role, or None."""
        for right in self.structures:
            if right.siret == siret and (right.recipient if recipient else right.supplier):
                return right
        return None

    def recipient_of(self, siret: str | None, service_code: str | None) -> bool:
        """True when an invoice to ``siret`` / ``service_code`` is in this account's inbox."""
        right = self.right(siret, recipient=True)
        return right is not None and right.covers_service(service_code)

    @property
    def is_supplier(self) -> bool:
        """The account has a supplier role on some structure (it may deposit)."""
        return any(r.supplier for r in self.structures)


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """An OAuth2 client (the application PISTE registers): its id and secret hash."""

    client_id: str
    secret_hash: str


@dataclass(frozen=True, slots=True)
class Accounts:
    """The parsed accounts file: accounts by login, clients by id."""

    accounts: dict[str, Account]
    clients: dict[str, Client]


def loads(data: dict[str, Any], file: Path) -> Accounts:
    """Check the parsed TOML ``data`` of ``file``.

    Raises:
        ConfigError: an unknown key, a missing login or hash, a role not in :data:`ROLES`,
            a SIRET that is not 14 digits, or a login / client id given twice.
    """
    toml_tables.check_keys(file, "", data, {"client": list, "account": list})
    clients: dict[str, Client] = {}
    for i, table in enumerate(data.get("client", [])):
        where = f"client[{i}]."
        toml_tables.check_keys(file, where, table, {"client_id": str, "secret_hash": str})
        _require(file, where, table, ("client_id", "secret_hash"))
        if table["client_id"] in clients:
            raise ConfigError(f"{file}: client_id {table['client_id']!r} given twice")
        clients[table["client_id"]] = Client(**table)
    accounts: dict[str, Account] = {}
    for i, table in enumerate(data.get("account", [])):
        account = _account(file, f"account[{i}].", table)
        if account.login in accounts:
            raise ConfigError(f"{file}: account login {account.login!r} given twice")
        accounts[account.login] = account
    return Accounts(accounts=accounts, clients=clients)


def _account(file: Path, where: str, table: dict[str, Any]) -> Account:
    keys = {"login": str, "password_hash": str, "structure": list}
    toml_tables.check_keys(file, where, table, keys)
    _require(file, where, table, ("login", "password_hash"))
    rights = []
    for j, right in enumerate(table.get("structure", [])):
        at = f"{where}structure[{j}]."
        toml_tables.check_keys(file, at, right, {"siret": str, "role": str, "services": list})
        _require(file, at, right, ("siret", "role"))
        if not (len(right["siret"]) == 14 and right["siret"].isdigit()):
            raise ConfigError(f"{file}: {at}siret must be 14 digits")
        if right["role"] not in ROLES:
            raise ConfigError(f"{file}: {at}role must be one of {', '.join(ROLES)}")
        services = right.get("services", [])
        if not all(isinstance(s, str) and s for s in services):
            raise ConfigError(f"{file}: {at}services must be a list of service codes")
        rights.append(
            StructureRight(siret=right["siret"], role=right["role"], services=tuple(services))
        )
    return Account(
        login=table["login"], password_hash=table["password_hash"], structures=tuple(rights)
    )


def _require(file: Path, where: str, table: dict[str, Any], keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if not table.get(k)]
    if missing:
        raise ConfigError(f"{file}: {where[:-1]} is missing {', '.join(missing)}")


class AccountBook:
    """The accounts file in force, re-read when it changes; checks credentials.

    Safe to share between threads. A broken edit keeps the last good version (as the
    structures directory does) and :attr:`error` says why (:mod:`web.watched_toml`).

    Args:
        path: the accounts file; None = no accounts (every check fails).
        throttle: the bound on failed checks per (address, login) (:mod:`web.throttle`).

    Raises:
        ConfigError: the file is present but invalid when the book is created.
    """

    def __init__(self, path: Path | None, throttle: FailureThrottle | None = None) -> None:
        self.path = path
        self.checker = PasswordChecker(throttle)
        self.throttle = self.checker.throttle
        self._file = WatchedToml(
            path, loads, Accounts(accounts={}, clients={}), "accounts", self.checker.forget
        )

    @property
    def error(self) -> str | None:
        """Why the last edit of the file was refused, or None."""
        return self._file.error

    def current(self) -> Accounts:
        """The accounts in force (one ``stat`` when the file did not change)."""
        return self._file.current()

    def account(self, login: str, password: str, source: str = "") -> Account | None:
        """The account when ``password`` is its password, else None (unknown login included:
        the same answer, after the same work, so a login cannot be guessed by timing).
        ``source`` (the caller's address) keys the failure throttle."""
        account = self.current().accounts.get(login)
        target = account.password_hash if account else None
        ok = self.checker.check(("account", login, source), target, password)
        return account if ok else None

    def client(self, client_id: str, secret: str, source: str = "") -> Client | None:
        """The client when ``secret`` is its secret, else None."""
        client = self.current().clients.get(client_id)
        target = client.secret_hash if client else None
        ok = self.checker.check(("client", client_id, source), target, secret)
        return client if ok else None
