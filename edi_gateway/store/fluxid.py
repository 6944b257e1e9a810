"""IdFlux: the 25-character identifier Chorus Pro gives every EDI flux.

Shape (``../shared/domain/chorus-pro.md`` §1.3, AIFE "Dossier de spécifications externes FE -
Dossier général" §3.4.5): the sender's 6-character application code followed by a 19-character
sequence, recommended as ``<4-digit interface number><15 digits>``. **Choice**: the 15 digits are
``<2-digit gateway instance><13-digit counter>``, so the whole IdFlux is::

    EDIGW1   1100        00                 0000000000042
    app code interface   gateway.instance   counter (store sequence idflux:<app code>)

= ``EDIGW11100000000000000042``. The counter comes from the store's ``sequence`` table, one
counter per application code, so two worker processes of one gateway never draw the same IdFlux;
the counter is kept inside blocks leased from ``outbound/`` (:mod:`.fluxid_lease`), so a lost or
second ``var/`` on the same ``outbound/`` never issues a number again; the instance
(``gateway.instance`` in config.toml, 0-99) still tells two gateways' fluxes apart.
Instance 0 gives the same ids as before the instance existed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from edi_gateway.core import names
from edi_gateway.core.config import APPLICATION_CODE
from edi_gateway.core.errors import ConfigError
from edi_gateway.store import fluxid_lease
from edi_gateway.store.database import Store

ID_FLUX = re.compile(r"^[A-Z0-9]{6}[0-9]{4}[0-9]{15}$")
INTERFACE_NUMBER = re.compile(r"^[0-9]{4}$")
SEQUENCE_DIGITS = 15  # instance + counter
INSTANCE_DIGITS = 2
COUNTER_DIGITS = SEQUENCE_DIGITS - INSTANCE_DIGITS  # 13


def sequence_name(application_code: str) -> str:
    """Return the store counter name used for ``application_code`` (``idflux:<code>``)."""
    return f"idflux:{application_code}"


def new_id_flux(
    store: Store,
    application_code: str,
    interface_number: str = names.interface_number(names.UBL_INTERFACE),
    instance: int = 0,
    outbound: Path | None = None,
) -> str:
    """Draw a new IdFlux for a flux received on a channel (or a flow the gateway emits).

    Args:
        store: the gateway store; its counter ``idflux:<application_code>`` is incremented
            atomically (safe across processes).
        application_code: the channel's 6-character application code (``[A-Z0-9]{6}``).
        interface_number: the 4 digits of the interface code (``1100`` for FSO1100A).
        instance: the gateway instance, 0-99 (``gateway.instance``; 0 when not given).
        outbound: the outbound folder the IdFlux will name files in. Given (every gateway
            path does): the counter stays inside blocks leased from ``outbound/.idflux/``
            (:mod:`edi_gateway.store.fluxid_lease`), so no number whose outputs may exist is
            ever issued again, even after the loss of ``var/``. None: the store counter alone.

    Returns:
        A 25-character IdFlux: code (6) + interface (4) + instance (2) + counter (13).

    Raises:
        ConfigError: the application code, interface number or instance has the wrong shape,
            or the counter went past 13 digits.
        StateError: the store or the lease file could not be written.
    """
    if not APPLICATION_CODE.match(application_code):
        raise ConfigError(f"application code {application_code!r} must be 6 characters A-Z 0-9")
    if not INTERFACE_NUMBER.match(interface_number):
        raise ConfigError(f"interface number {interface_number!r} must be 4 digits")
    number = instance
    if not 0 <= number < 10**INSTANCE_DIGITS:
        raise ConfigError(f"gateway instance {number!r} must be 0 to 99")
    if outbound is None:
        value = store.next_value(sequence_name(application_code))
    else:
        lease = functools.partial(fluxid_lease.lease_block, outbound, application_code, number)
        value = store.next_leased_value(sequence_name(application_code), lease)
    return format_id_flux(application_code, interface_number, number, value)


def format_id_flux(application_code: str, interface_number: str, instance: int, value: int) -> str:
    """``<code><interface><instance 2 digits><counter 13 digits>``.

    Raises:
        ConfigError: ``value`` does not fit in 13 digits (the sequence is exhausted).
    """
    if value >= 10**COUNTER_DIGITS:
        raise ConfigError(
            f"IdFlux sequence of {application_code} is exhausted (13-digit counter; the store's "
            f"sequence table and the lease under outbound/{fluxid_lease.LEASE_FOLDER}/ hold it)"
        )
    return (
        f"{application_code}{interface_number}"
        f"{instance:0{INSTANCE_DIGITS}d}{value:0{COUNTER_DIGITS}d}"
    )


class IdFluxReserve:
    """IdFlux for one long-running process, reserved ``batch`` at a time: one store commit per
    batch instead of one per flux (the daemon claims every file with one).

    Call it as ``reserve(store, application_code)``, like :func:`new_id_flux`. Numbers are drawn
    from the same store counter and leased blocks (:meth:`Store.next_leased_values`), so no
    other process (a worker's status flows, a one-shot ``process``) ever draws one of them;
    the numbers of a batch left unused when the process ends are skipped, never issued later
    (IdFlux are unique, not gapless).

    Args:
        instance: the gateway instance, 0-99. outbound: the outbound folder (leases).
        batch: numbers reserved per commit (at least 1).
        interface_number: the 4 digits of the interface code (``1100``).

    Raises (from a call):
        ConfigError: bad application code or instance, or the counter past 13 digits.
        StateError: the store or the lease file could not be written.
    """

    def __init__(
        self,
        *,
        instance: int,
        outbound: Path,
        batch: int = 32,
        interface_number: str = names.interface_number(names.UBL_INTERFACE),
    ) -> None:
        self.instance = instance
        self.outbound = outbound
        self.batch = max(1, batch)
        self.interface_number = interface_number
        self.ranges: dict[str, tuple[int, int]] = {}

    def __call__(self, store: Store, application_code: str) -> str:
        if not APPLICATION_CODE.match(application_code):
            raise ConfigError(f"application code {application_code!r} must be 6 characters")
        if not 0 <= self.instance < 10**INSTANCE_DIGITS:
            raise ConfigError(f"gateway instance {self.instance!r} must be 0 to 99")
        following, last = self.ranges.get(application_code, (1, 0))
        if following > last:
            lease = functools.partial(
                fluxid_lease.lease_block, self.outbound, application_code, self.instance
            )
            name = sequence_name(application_code)
            following, last = store.next_leased_values(name, lease, self.batch)
        id_flux = format_id_flux(application_code, self.interface_number, self.instance, following)
        self.ranges[application_code] = (following + 1, last)
        return id_flux


def instance_in(id_flux: str) -> int:
    """The gateway instance written in an IdFlux this gateway drew (characters 11-12)."""
    return int(id_flux[10:12])


def is_id_flux(value: str) -> bool:
    """Tell whether ``value`` has the IdFlux shape this gateway draws (25 characters)."""
    return bool(ID_FLUX.match(value))
