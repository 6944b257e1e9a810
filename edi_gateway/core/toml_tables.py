"""Reading checked TOML tables: the one place a TOML file of the gateway is parsed.

Job: :func:`read_toml` (file -> dict, errors naming the file, line and column) for config.toml
and the data tables in ``rules/``; :func:`check_keys`, :func:`section` and :func:`seconds` check
what a table holds (unknown keys, wrong types, missing keys, durations). Every failure is a
:class:`~edi_gateway.core.errors.ConfigError` naming the file and the key. TOML 1.0 through
:mod:`tomllib`.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from edi_gateway.core.errors import ConfigError


def read_toml(file: Path) -> dict[str, Any]:
    """Read a UTF-8 TOML file (config.toml or a rules/ table) into a dict.

    Raises:
        ConfigError: the file cannot be read, is not UTF-8, or is not TOML; the message names
            the file (and the line and column for a syntax error).
    """
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc


def check_keys(file: Path, where: str, table: dict[str, Any], known: dict[str, Any]) -> None:
    """Every key of ``table`` is in ``known`` and of its type (``where`` prefixes the key
    in messages, e.g. ``"gateway."``); a bool is never taken for an int.

    Raises:
        ConfigError: an unknown key, or a value of the wrong type.
    """
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{file}: unknown key {where}{key!r}")
        if not isinstance(value, known[key]) or isinstance(value, bool) != (known[key] is bool):
            raise ConfigError(f"{file}: {where}{key} has the wrong type ({type(value).__name__})")


def section(
    file: Path,
    data: dict[str, Any],
    name: str,
    keys: dict[str, type | tuple[type, ...]],
    defaults: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Section ``[name]`` of ``data``, its keys checked against ``keys`` and completed from
    ``defaults``.

    Raises:
        ConfigError: the section is missing, has an unknown or mistyped key, or lacks a key
            that has no default.
    """
    table = data.get(name)
    if table is None:
        raise ConfigError(f"{file}: missing section [{name}]")
    check_keys(file, f"{name}.", table, keys)
    missing = sorted(set(keys) - set(table) - set(defaults or {}))
    if missing:
        raise ConfigError(f"{file}: [{name}] is missing {', '.join(missing)}")
    return {**(defaults or {}), **table}


def seconds(file: Path, key: str, values: list[Any]) -> tuple[float, ...]:
    """A list of durations in seconds (numbers >= 0) as a tuple of floats.

    Raises:
        ConfigError: empty, or a value that is no finite number >= 0 (``key`` names it).
    """
    if not values or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < math.inf for v in values
    ):
        raise ConfigError(f"{file}: {key} must be a non-empty list of seconds (finite, >= 0)")
    return tuple(float(v) for v in values)
