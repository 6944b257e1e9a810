"""The codes of a rejection: which CPP motif and reform reason a failed reception rule gives.

Job: read ``rules/reception-reasons.toml`` (data, not code: rule id -> CPP historic motif and
2026 reform reason code, in precedence order; ``../shared/domain/chorus-pro.md`` §4.3, §5.3)
once per process, and give the codes of a set of findings (:func:`reason_for`). Input: findings
-> output: a :class:`Reason` or None. It never runs a rule itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from edi_gateway.core import resources
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Finding, Severity
from edi_gateway.core.toml_tables import read_toml

REASONS_FILE = resources.data_file("rules", "reception-reasons.toml")


@dataclass(frozen=True, slots=True)
class Reason:
    """Codes used when a rule rejects an invoice.

    Attributes:
        motif: CPP historic motif (``rules/lifecycle.toml`` [[motif]], §4.3 Tableau 3).
        reason: 2026 reform reason code for a rejection (status 213 list, §5.3; §4.3 for flux).
    """

    motif: str
    reason: str


def load(path: Path = REASONS_FILE) -> tuple[MappingProxyType[str, Reason], Reason]:
    """Read the reason table: ``(rule id -> Reason in precedence order, default Reason)``.

    Raises:
        ConfigError: the file is missing, not TOML, or an entry lacks ``rule`` / ``motif`` /
            ``reason`` or names a rule twice.
    """
    data = read_toml(path)
    table: dict[str, Reason] = {}
    for index, entry in enumerate(data.get("reason", []), start=1):
        rule = _text(path, f"reason #{index}", entry, "rule")
        if rule in table:
            raise ConfigError(f"{path}: reason #{index}: rule {rule} is listed twice")
        table[rule] = _reason(path, f"reason #{index} ({rule})", entry)
    return MappingProxyType(table), _reason(path, "[default]", data.get("default", {}))


def _reason(path: Path, where: str, entry: Any) -> Reason:
    return Reason(_text(path, where, entry, "motif"), _text(path, where, entry, "reason"))


def _text(path: Path, where: str, entry: Any, key: str) -> str:
    value = entry.get(key) if isinstance(entry, dict) else None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: {where}: '{key}' must be a non-empty string")
    return value


#: Rule id -> codes, in precedence order (the first error finding in this order decides).
REASONS, DEFAULT_REASON = load()


def reason_for(findings: Iterable[Finding]) -> Reason | None:
    """Codes of the rejection: those of the first error finding in :data:`REASONS` order.

    An error whose rule is not in the table gives :data:`DEFAULT_REASON`; no error gives None.
    """
    errors = {f.rule for f in findings if f.severity is Severity.ERROR}
    if not errors:
        return None
    for rule, codes in REASONS.items():
        if rule in errors:
            return codes
    return DEFAULT_REASON
