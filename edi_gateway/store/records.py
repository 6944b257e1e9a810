"""The rows the ledger hands out: frozen records and the flux processing state.

Job: turn a database row into a typed, immutable record (:class:`FluxRow`, :class:`InvoiceRow`,
:class:`EventRow`), so that no module outside ``store/`` sees a driver row type or spells a
state as a string. Input: a DB-API row mapping column name to value -> output: a record whose
fields are the table's columns (``docs/architecture.md``, tables ``flux``, ``invoice``,
``status_event``). Times are ISO 8601 UTC strings, as stored.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self


class FluxState(StrEnum):
    """Where a flux is in the crash-safety protocol (``docs/architecture.md``, steps 1-5).

    ``claimed``: taken into ``var/work`` and recorded, no verdict yet (processed again after a
    crash). ``done``: verdict and outputs recorded (the database commit is the point of no
    return); only putting the original away may remain.
    """

    CLAIMED = "claimed"
    DONE = "done"


class _Record:
    """Shared behaviour of the row records (dataclasses with ``slots``)."""

    __slots__ = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """Build the record from a row; columns the record does not name are ignored."""
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        return cls(**{name: row[name] for name in names})

    def as_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (JSON output of the ``flows`` / ``invoices`` commands)."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        return {f.name: getattr(self, f.name) for f in fields}


@dataclass(frozen=True, slots=True, kw_only=True)
class FluxRow(_Record):
    """One ``flux`` row: a file taken from an inbound channel.

    Attributes:
        id_flux: IdFlux (25 characters). channel: channel name. original_name: readable name.
        sha256: hex digest ("" when never read). size: bytes. received_at: claim time.
        work_path: its ``var/work`` path while there, else None. state: :class:`FluxState`.
        attempts: processing attempts that failed on our side (retry back-off).
        syntax / flux_syntax / profile: what detection found (None before). verdict: accepted,
        rejected or inadmissible (None before). reason: CPP reason code. recipient_siret /
        service_code / seller_id: routing data read. error_count: findings with severity error.
        outputs: files written and where the original went, as path strings. finished_at: time
        of the verdict.
    """

    id_flux: str
    channel: str
    original_name: str
    sha256: str
    size: int
    received_at: str
    work_path: str | None = None
    state: FluxState = FluxState.CLAIMED
    attempts: int = 0
    syntax: str | None = None
    flux_syntax: str | None = None
    profile: str | None = None
    verdict: str | None = None
    reason: str | None = None
    recipient_siret: str | None = None
    service_code: str | None = None
    seller_id: str | None = None
    error_count: int | None = None
    outputs: tuple[str, ...] = ()
    finished_at: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """Build the record; ``outputs`` is stored as a JSON list, ``state`` as its value."""
        values = {f.name: row[f.name] for f in dataclasses.fields(cls)}
        values["state"] = FluxState(values["state"])
        values["outputs"] = tuple(str(p) for p in json.loads(values["outputs"] or "[]"))
        return cls(**values)

    @property
    def done(self) -> bool:
        """True once the verdict is recorded (state ``done``)."""
        return self.state is FluxState.DONE

    def as_dict(self) -> dict[str, Any]:
        """Plain dict; ``state`` as text and ``outputs`` as a list (JSON shape)."""
        data = _Record.as_dict(self)
        data["state"] = str(self.state)
        data["outputs"] = list(self.outputs)
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceRow(_Record):
    """One ``invoice`` row: an invoice made available (or rejected) by reception.

    Attributes:
        id: CPP invoice id (IdFacture CPP). id_flux: the flux that carried it.
        seller_key: duplicate key of the seller (SIREN of BT-30, else BT-29). seller_id /
        seller_scheme / seller_name: BT-29 or BT-30, its scheme, BT-27. number: BT-1.
        issue_date: BT-2 (ISO date text). issue_year: its year. type_code: BT-3.
        recipient_siret / service_code: routing (BT-46 / BT-10 as CPP reads them).
        engagement: engagement (commitment) number (BT-13). currency: BT-5. amount_due: BT-115
        as text. status_code / status_name: current CPP status. created_at / updated_at: times.
        version: optimistic-lock counter, +1 per status change.
    """

    id: int
    id_flux: str
    seller_key: str
    seller_id: str | None
    seller_scheme: str | None
    seller_name: str | None
    number: str
    issue_date: str | None
    issue_year: int | None
    type_code: str | None
    recipient_siret: str
    service_code: str | None
    engagement: str | None
    currency: str | None
    amount_due: str | None
    status_code: str
    status_name: str
    created_at: str
    updated_at: str
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRow(_Record):
    """One ``status_event`` row: a status an invoice went through (append-only).

    Attributes:
        id: event id (order of recording). invoice_id: CPP invoice id. status_code /
        status_name: the CPP status. at: when (ISO 8601 UTC). actor: who (``platform``,
        ``recipient``, ``supplier`` ...). motif / comment / mandate / reform_code: what the
        status carried (motif code, free text, mandate number, 2026 reform code). id_flux: the
        flux that carried it, if any. flow_file: the status flow written for it.
    """

    id: int
    invoice_id: int
    status_code: str
    status_name: str
    at: str
    actor: str
    motif: str | None
    comment: str | None
    mandate: str | None
    reform_code: str | None
    id_flux: str | None
    flow_file: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DepositRow(_Record):
    """One ``deposit`` row: a flux deposited over HTTP (``factures/v1/deposer/flux``).

    Attributes:
        id_flux: the flux (``numeroFluxDepot``). account: login of the technical account.
        flux_syntax: the ``syntaxeFlux`` declared. signed: ``avecSignature`` (0 / 1).
        sellers: the SIRETs the depositor may invoice as (its supplier structures); empty = any.
        deposited_at: when the request was answered (ISO 8601 UTC).
    """

    id_flux: str
    account: str
    flux_syntax: str
    signed: int
    sellers: tuple[str, ...]
    deposited_at: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """Build the record; ``sellers`` is stored as a JSON list."""
        values = {f.name: row[f.name] for f in dataclasses.fields(cls)}
        values["sellers"] = tuple(json.loads(values["sellers"] or "[]"))
        return cls(**values)
