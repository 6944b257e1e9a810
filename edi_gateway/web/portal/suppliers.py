"""Supplier records (fiches fournisseur) for the portal's invoice form: the seller (BG-4) of an
invoice entered by hand, from ``rules/suppliers.toml`` (format in its header).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from edi_gateway.core import resources, toml_tables
from edi_gateway.core.errors import ConfigError

KEYS = ("siret", "name", "siren", "vat", "street", "postcode", "city", "country", "iban")


@dataclass(frozen=True, slots=True, kw_only=True)
class Supplier:
    """A seller: SIRET (BT-29), name (BT-27), SIREN (BT-30), VAT id (BT-31), address (BG-5),
    IBAN (BT-84)."""

    siret: str
    name: str
    siren: str
    vat: str
    street: str
    postcode: str
    city: str
    country: str
    iban: str


@functools.cache
def suppliers() -> dict[str, Supplier]:
    """SIRET -> supplier.

    Raises:
        ConfigError: the file is invalid (unknown or missing key, a SIRET twice).
    """
    file = resources.data_file("rules", "suppliers.toml")
    data = toml_tables.read_toml(file)
    toml_tables.check_keys(file, "", data, {"supplier": list})
    found: dict[str, Supplier] = {}
    for i, row in enumerate(data["supplier"]):
        toml_tables.check_keys(file, f"supplier[{i}].", row, dict.fromkeys(KEYS, str))
        if set(row) != set(KEYS) or row["siret"] in found:
            raise ConfigError(f"{file}: supplier[{i}] needs {', '.join(KEYS)}, once per SIRET")
        found[row["siret"]] = Supplier(**row)
    return found
