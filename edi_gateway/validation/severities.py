"""Per-rule severity overrides: ``rules/severities.toml`` read once and applied to findings.

Job: :func:`table` (the overrides as :class:`Override` records) and :func:`apply` (a finding of a
scenario's rule set -> the same finding, or with the severity its override gives and the
override's reason appended to its message). The KoSIT validator's customisation is the model: a
rule set stays the publisher's, the gateway says which of its rules it reads otherwise and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from edi_gateway.core import resources
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Finding, Severity
from edi_gateway.core.toml_tables import read_toml

TABLE_FILE = resources.data_file("rules", "severities.toml")


@dataclass(frozen=True, slots=True)
class Override:
    """One rule read with another severity.

    Attributes:
        rule: the rule id (``FX-SCH-A-000556``). severity: the one it gets.
        scenarios: scenario ids it applies to (empty: every scenario).
        message_prefix: the finding's message starts with it ("" : any message).
        reason: why, appended to the message as `` (<reason>)``.
    """

    rule: str
    severity: Severity
    scenarios: frozenset[str]
    message_prefix: str
    reason: str

    def applies(self, finding: Finding, scenario: str) -> bool:
        """True when ``finding``, found under ``scenario``, is this override's."""
        return (
            finding.rule == self.rule
            and (not self.scenarios or scenario in self.scenarios)
            and finding.message.startswith(self.message_prefix)
        )


@cache
def table(path: Path = TABLE_FILE) -> tuple[Override, ...]:
    """Read and check the overrides (once per process and path).

    Raises:
        ConfigError: missing or not TOML; an entry lacks rule, severity or reason, or names a
            severity other than error / warning / info.
    """
    entries = read_toml(path).get("override", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: [[override]] entries expected")
    return tuple(_override(path, i, e) for i, e in enumerate(entries, 1))


def apply(
    finding: Finding, scenario: str, overrides: tuple[Override, ...] | None = None
) -> Finding:
    """``finding`` with the severity of the first override that applies, its reason appended."""
    for override in table() if overrides is None else overrides:
        if override.applies(finding, scenario) and override.severity is not finding.severity:
            message = f"{finding.message} ({override.reason})"
            return replace(finding, severity=override.severity, message=message)
    return finding


def _override(path: Path, index: int, entry: Any) -> Override:
    where = f"{path}: [[override]] #{index}"
    keys = ("rule", "severity", "reason")
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in keys):
        raise ConfigError(f"{where}: needs the strings {', '.join(keys)}")
    try:
        severity = Severity(entry["severity"])
    except ValueError as exc:
        raise ConfigError(f"{where}: severity must be error, warning or info") from exc
    scenarios = entry.get("scenarios", [])
    if not isinstance(scenarios, list) or not all(isinstance(s, str) for s in scenarios):
        raise ConfigError(f"{where}: scenarios is a list of scenario ids")
    prefix = entry.get("message-starts-with", "")
    if not isinstance(prefix, str):
        raise ConfigError(f"{where}: message-starts-with is a string")
    return Override(entry["rule"], severity, frozenset(scenarios), prefix, entry["reason"])
