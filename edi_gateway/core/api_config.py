"""The ``[api]`` section of config.toml: the Service mode (Chorus Pro API over HTTP).

Job: read and check ``[api]`` into a frozen :class:`ApiConfig` for :mod:`edi_gateway.core.config`.
Every key is optional; without the section the API is off and ``edi-gateway run`` watches the
folders alone. Keys (Chorus Pro names where Chorus Pro has one):

    enabled            true: ``edi-gateway run`` also serves the API (``serve`` always does)
    host, port         listen address (default 127.0.0.1:8280; loopback unless changed)
    application_code   6 characters A-Z 0-9, the first 6 of every IdFlux deposited over HTTP
    accounts           technical accounts and OAuth clients file (default rules/accounts.toml)
    max_request_bytes  a request body over this is refused (413) before it is read whole;
                       default: room for base64 of ``validation.max_file_bytes`` plus 64 KiB
    token_seconds      lifetime of an OAuth2 access token (default 3600, as PISTE)
    metrics            who may read ``/metrics``: "localhost" (default), "open" or "off"
    deposit_timeout    seconds a deposit waits for the gateway's claim before answering 503
    max_connections    calls served at once; past it new connections get 503 (default 256)
    database_connections  on a PostgreSQL ledger, connections the API's threads share (a pool;
                       default 10)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi_gateway.core import toml_tables
from edi_gateway.core.errors import ConfigError

METRICS_ACCESS = ("localhost", "open", "off")
API_CHANNEL = "depot-api"  # the channel name of every flux deposited over HTTP

_KEYS: dict[str, type | tuple[type, ...]] = {
    "enabled": bool,
    "host": str,
    "port": int,
    "application_code": str,
    "accounts": str,
    "max_request_bytes": int,
    "token_seconds": int,
    "metrics": str,
    "deposit_timeout": (int, float),
    "max_connections": int,
    "database_connections": int,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiConfig:
    """The Service mode settings (sizes in bytes, durations in seconds).

    Attributes:
        enabled: ``run`` serves the API beside the watcher.
        host / port: listen address.
        application_code: IdFlux prefix of HTTP deposits (their channel is ``depot-api``).
        accounts: the technical accounts file (``edi_gateway.service.accounts``), or None
            when no file is configured (then no call but the health check is allowed).
        max_request_bytes: largest request body read.
        token_seconds: access token lifetime (``expires_in``).
        metrics: ``localhost``, ``open`` or ``off``.
        deposit_timeout: how long a deposit waits for its claim.
        max_connections: concurrent connections / calls (uvicorn ``limit_concurrency``).
        database_connections: size of the API's ledger connection pool (PostgreSQL only).
    """

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8280
    application_code: str = "EDIGW3"
    accounts: Path | None = None
    max_request_bytes: int = 0
    token_seconds: int = 3600
    metrics: str = "localhost"
    deposit_timeout: float = 30.0
    max_connections: int = 256
    database_connections: int = 10


def parse(file: Path, data: dict[str, Any], max_file_bytes: int) -> ApiConfig:
    """Read ``[api]`` of the parsed ``data`` of ``file``; paths are relative to the file.

    Args:
        file: config.toml (for messages and relative paths).
        data: the whole parsed file.
        max_file_bytes: ``validation.max_file_bytes`` (the default body limit follows it).

    Raises:
        ConfigError: an unknown key, a wrong type or a bad value, naming the key.
    """
    table = data.get("api", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [api] must be a table")
    toml_tables.check_keys(file, "api.", table, _KEYS)
    accounts = table.get("accounts", "rules/accounts.toml")
    default_body = math.ceil(max_file_bytes / 3) * 4 + 65536
    api = ApiConfig(
        enabled=table.get("enabled", False),
        host=table.get("host", "127.0.0.1"),
        port=table.get("port", 8280),
        application_code=table.get("application_code", "EDIGW3"),
        accounts=(file.parent / accounts) if accounts else None,
        max_request_bytes=table.get("max_request_bytes", default_body),
        token_seconds=table.get("token_seconds", 3600),
        metrics=table.get("metrics", "localhost"),
        deposit_timeout=float(table.get("deposit_timeout", 30.0)),
        max_connections=table.get("max_connections", 256),
        database_connections=table.get("database_connections", 10),
    )
    _check(file, api)
    return api


def _check(file: Path, api: ApiConfig) -> None:
    if not 0 <= api.port <= 65535:
        raise ConfigError(f"{file}: api.port must be 0 to 65535")
    if len(api.application_code) != 6 or not api.application_code.isalnum():
        raise ConfigError(f"{file}: api.application_code must be 6 characters A-Z 0-9")
    if api.application_code != api.application_code.upper() or not api.application_code.isascii():
        raise ConfigError(f"{file}: api.application_code must be 6 characters A-Z 0-9")
    if api.max_request_bytes <= 0:
        raise ConfigError(f"{file}: api.max_request_bytes must be positive")
    if api.token_seconds <= 0:
        raise ConfigError(f"{file}: api.token_seconds must be positive")
    if api.max_connections < 1:
        raise ConfigError(f"{file}: api.max_connections must be 1 or more")
    if not 1 <= api.database_connections <= 1000:
        raise ConfigError(f"{file}: api.database_connections must be 1 to 1000")
    if api.metrics not in METRICS_ACCESS:
        raise ConfigError(f"{file}: api.metrics must be one of {', '.join(METRICS_ACCESS)}")
    if not (math.isfinite(api.deposit_timeout) and api.deposit_timeout > 0):
        raise ConfigError(f"{file}: api.deposit_timeout must be a positive number of seconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class PortalConfig:
    """The Portail settings (``[portal]``; served by the same application as the API).

    Attributes:
        enabled: serve the web pages under ``/portail``.
        users: the portal users file (``edi_gateway.web.portal.users``), or None.
        session_hours: a session cookie's lifetime.
        secure_cookie: mark the session cookie ``Secure`` (set it when a TLS proxy is in front).
    """

    enabled: bool = True
    users: Path | None = None
    session_hours: float = 8.0
    secure_cookie: bool = False


_PORTAL_KEYS: dict[str, type | tuple[type, ...]] = {
    "enabled": bool,
    "users": str,
    "session_hours": (int, float),
    "secure_cookie": bool,
}


def parse_portal(file: Path, data: dict[str, Any]) -> PortalConfig:
    """Read ``[portal]`` (every key optional; users default ``rules/users.toml``).

    Raises:
        ConfigError: an unknown key, a wrong type or a bad value, naming the key.
    """
    table = data.get("portal", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [portal] must be a table")
    toml_tables.check_keys(file, "portal.", table, _PORTAL_KEYS)
    users = table.get("users", "rules/users.toml")
    portal = PortalConfig(
        enabled=table.get("enabled", True),
        users=(file.parent / users) if users else None,
        session_hours=float(table.get("session_hours", 8.0)),
        secure_cookie=table.get("secure_cookie", False),
    )
    if not (math.isfinite(portal.session_hours) and portal.session_hours > 0):
        raise ConfigError(f"{file}: portal.session_hours must be a positive number of hours")
    return portal
