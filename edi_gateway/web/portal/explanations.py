"""Plain-language explanations of findings (``rules/explanations.toml``), French and English.

Job: :func:`explain` gives, for a finding's rule id, what is wrong and how to fix it, for the
portal's flux page; None for a rule without an entry (the finding's own message stays shown).
"""

from __future__ import annotations

import functools

from edi_gateway.core import resources, toml_tables
from edi_gateway.core.errors import ConfigError


@functools.cache
def table() -> dict[str, tuple[str, str]]:
    """rule id -> (French, English), from ``rules/explanations.toml``.

    Raises:
        ConfigError: the file is invalid (a key unknown or missing, a rule twice).
    """
    file = resources.data_file("rules", "explanations.toml")
    data = toml_tables.read_toml(file)
    toml_tables.check_keys(file, "", data, {"explanation": list})
    found: dict[str, tuple[str, str]] = {}
    for i, row in enumerate(data["explanation"]):
        where = f"explanation[{i}]."
        toml_tables.check_keys(file, where, row, {"rule": str, "fr": str, "en": str})
        if set(row) != {"rule", "fr", "en"} or row["rule"] in found:
            raise ConfigError(f"{file}: {where[:-1]} needs rule, fr, en once per rule")
        found[row["rule"]] = (row["fr"], row["en"])
    return found


def explain(rule: str | None, lang: str = "fr") -> str | None:
    """The explanation of ``rule`` in ``lang`` (``fr`` or ``en``), or None."""
    entry = table().get(rule or "")
    if entry is None:
        return None
    return entry[1] if lang == "en" else entry[0]
