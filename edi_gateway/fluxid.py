"""IdFlux: the 25-character identifier Chorus Pro gives every EDI flux.

Shape (``../shared/domain/chorus-pro.md`` §1.3, AIFE "Dossier de spécifications externes FE -
Dossier général" §3.4.5): the sender's 6-character application code followed by a 19-character
sequence, recommended as ``<4-digit interface number><15 digits>``. Example:
``EDIGW1`` + ``1100`` + ``000000000000042`` = ``EDIGW11100000000000000042``.

The 15-digit counter comes from the store's ``sequence`` table, one counter per application code,
so two worker processes never draw the same IdFlux.
"""

from __future__ import annotations

import re

from edi_gateway.config import APPLICATION_CODE
from edi_gateway.errors import ConfigError
from edi_gateway.store import Store

ID_FLUX = re.compile(r"^[A-Z0-9]{6}[0-9]{4}[0-9]{15}$")
INTERFACE_NUMBER = re.compile(r"^[0-9]{4}$")
SEQUENCE_DIGITS = 15


def sequence_name(application_code: str) -> str:
    """Return the store counter name used for ``application_code`` (``idflux:<code>``)."""
    return f"idflux:{application_code}"


def new_id_flux(store: Store, application_code: str, interface_number: str = "1100") -> str:
    """Draw a new IdFlux for a flux received on a channel.

    Args:
        store: the gateway store; its counter ``idflux:<application_code>`` is incremented
            atomically (safe across processes).
        application_code: the channel's 6-character application code (``[A-Z0-9]{6}``).
        interface_number: the 4 digits of the interface code (``1100`` for FSO1100A).

    Returns:
        A 25-character IdFlux (``[A-Z0-9]{6}[0-9]{19}``).

    Raises:
        ConfigError: the application code or interface number has the wrong shape, or the
            counter went past 15 digits.
        StateError: the store could not be written.
    """
    if not APPLICATION_CODE.match(application_code):
        raise ConfigError(f"application code {application_code!r} must be 6 characters A-Z 0-9")
    if not INTERFACE_NUMBER.match(interface_number):
        raise ConfigError(f"interface number {interface_number!r} must be 4 digits")
    value = store.next_value(sequence_name(application_code))
    if value >= 10**SEQUENCE_DIGITS:
        raise ConfigError(f"IdFlux sequence of {application_code} is exhausted")
    return f"{application_code}{interface_number}{value:0{SEQUENCE_DIGITS}d}"


def is_id_flux(value: str) -> bool:
    """Tell whether ``value`` has the IdFlux shape this gateway draws (25 characters)."""
    return bool(ID_FLUX.match(value))
