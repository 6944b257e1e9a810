"""Apply a recipient's status units and answer with a flux report (90 / 96 / 93).

Job: for each :class:`~edi_gateway.recipient_status_read.Unit` of a recipient CPPStatut file,
find the invoice (``Fournisseur/Identifiant`` + ``DonneesStatut/IdFacture``, addressed to
``Debiteur/Identifiant``), map ``IdStatut`` to the lifecycle table and apply it with
:func:`edi_gateway.lifecycle.actions.apply` (actor ``recipient``; ``ComplementStatut`` = motif code,
``Commentaire`` = comment, ``IdMandatDP`` = mandate number, ``Horodatage`` = time the status was
set); then write the flux report (``CPPFluxStatuts``): 90 "Reçu" when every status was applied,
96 "Reçu – intégration partielle" when some were applied and some refused, 93 "Erreur
réception" when none was applied or the file is unusable, with one ``LigneErreurDetail`` per
refused status (``../shared/domain/chorus-pro.md`` §3.4-§3.5). Input: the file's bytes (read
by :mod:`edi_gateway.lifecycle.recipient_status_read`); output: a :class:`StatusFileOutcome` and
the report in ``outbound/canaux/<application code>/`` (written by
:mod:`edi_gateway.lifecycle.recipient_status_report`). It never claims, updates the flux row or
moves the original (that is :mod:`edi_gateway.lifecycle.recipient_status`).

A unit whose status is already the invoice's current status with the same ``Horodatage`` is
counted as applied without a new event, so a flux processed again after a crash changes nothing.
A unit whose ``Horodatage`` is earlier than the invoice's latest event (``GW-RS-05``) or more
than :data:`FUTURE_TOLERANCE` ahead of the gateway's clock (``GW-RS-06``) is refused: the
history stays in time order (``docs/lifecycle.md``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from edi_gateway.core.config import Channel, Config
from edi_gateway.core.model import Finding, Layer, Verdict
from edi_gateway.lifecycle import actions, requests
from edi_gateway.lifecycle.recipient_status_read import (
    UNIT,
    Malformed,
    Unit,
    bilingual,
    error_finding,
    read_units,
)
from edi_gateway.lifecycle.recipient_status_report import StatusFileOutcome, answer
from edi_gateway.lifecycle.refusals import Refusal, unknown_status
from edi_gateway.lifecycle.table import Lifecycle, Status
from edi_gateway.lifecycle.table import default as default_table
from edi_gateway.reception.structures import Directory
from edi_gateway.store.database import Store
from edi_gateway.store.records import InvoiceRow

FUTURE_TOLERANCE = timedelta(minutes=5)  # clock difference allowed on Horodatage (our choice)


def apply_unit(
    store: Store,
    config: Config,
    unit: Unit,
    *,
    channel: Channel,
    table: Lifecycle,
    directory: Directory | None,
) -> actions.Applied | Refusal:
    """Find the invoice of one unit and apply its status as the recipient.

    Returns:
        Applied, or a Refusal: ``GW-RS-02`` invoice unknown, ``GW-RS-03`` invoice addressed to
        another structure, ``GW-RS-05`` ``Horodatage`` earlier than the invoice's latest event,
        ``GW-RS-06`` ``Horodatage`` more than :data:`FUTURE_TOLERANCE` in the future, or any
        refusal of :func:`edi_gateway.lifecycle.actions.apply`.
    """
    row = _invoice_of(store, unit)
    if isinstance(row, Refusal):
        return row
    status = table.find(unit.code)
    if status is None:
        return unknown_status(unit.code)
    replay = _already_applied(store, row, unit, table)
    if replay is not None:
        return replay
    untimely = _time_refusal(store, row, unit, status)
    if untimely is not None:
        return untimely
    motif, comment = _motif_and_comment(unit, status, table)
    return actions.apply(
        store,
        config,
        row.id,
        status.code,
        actor="recipient",
        motif=motif,
        comment=comment,
        mandate=unit.mandate,
        at=unit.at,
        table=table,
        directory=directory,
        recipient_code=channel.application_code,
    )


def _invoice_of(store: Store, unit: Unit) -> InvoiceRow | Refusal:
    """The invoice a unit is about: ``Fournisseur/Identifiant`` + ``IdFacture``, addressed to
    ``Debiteur/Identifiant`` (the latest one when the supplier reused the number).

    Returns:
        the invoice row, or a Refusal: ``GW-RS-02`` no such invoice, ``GW-RS-03`` it is
        addressed to another structure.
    """
    rows = store.invoices_by_number(unit.supplier_id, unit.invoice_number)
    if not rows:
        return Refusal(
            code="GW-RS-02",
            message=f"no invoice {unit.invoice_number!r} from supplier {unit.supplier_id!r}",
            message_fr=f"aucune facture {unit.invoice_number!r} du fournisseur "
            f"{unit.supplier_id!r}",
        )
    mine = [r for r in rows if r.recipient_siret == unit.debtor_siret]
    if not mine:
        return Refusal(
            code="GW-RS-03",
            message=f"invoice {unit.invoice_number!r} is not addressed to {unit.debtor_siret}",
            message_fr=f"la facture {unit.invoice_number!r} n'est pas adressée à "
            f"{unit.debtor_siret}",
        )
    return mine[-1]


def _motif_and_comment(
    unit: Unit, status: Status, table: Lifecycle
) -> tuple[str | None, str | None]:
    """``ComplementStatut`` as the motif where the status takes one (required, or optional and
    a known motif code); otherwise an optional status keeps it at the head of the comment."""
    if status.motif == "required" or (
        status.motif == "optional" and unit.complement in table.motifs
    ):
        return unit.complement, unit.comment
    if unit.complement and status.motif == "optional":
        return None, " ".join(filter(None, (unit.complement, unit.comment)))
    return None, unit.comment


def _already_applied(
    store: Store, row: InvoiceRow, unit: Unit, table: Lifecycle
) -> actions.Applied | None:
    """The unit's status is the invoice's current one, set by the recipient at the same time:
    the flux is being processed again (after a crash); report the event that exists, its status
    read from ``table`` (the one :func:`process` was given)."""
    if row.status_code != unit.code:
        return None
    latest = max(store.events(row.id), key=lambda e: e.id, default=None)
    at = _utc_text(unit.at)
    if latest is None or latest.actor != "recipient" or latest.at != at:
        return None
    status = table.find(unit.code)
    if status is None:
        return None
    return actions.Applied(
        invoice_id=row.id,
        status=status,
        previous=status,
        event_id=latest.id,
        at=latest.at,
        id_flux=latest.id_flux,
        flows=(Path(latest.flow_file),) if latest.flow_file else (),
    )


def _time_refusal(store: Store, row: InvoiceRow, unit: Unit, status: Status) -> Refusal | None:
    """GW-RS-05: Horodatage before the invoice's latest event; GW-RS-06: too far ahead."""
    current = row.status_name
    latest = requests.latest_event_time(store, row.id)
    if latest is not None and _aware(unit.at) < latest:
        latest_status = f"{row.status_code} {current}"
        return Refusal(
            code="GW-RS-05",
            message=f"Horodatage {_utc_text(unit.at)} is earlier than the latest status of "
            f"invoice {unit.invoice_number!r} ({latest_status} at {_utc_text(latest)}); "
            "statuses must be sent in time order",
            message_fr=f"Horodatage {_utc_text(unit.at)} antérieur au dernier statut de la "
            f"facture {unit.invoice_number!r} ({latest_status} le {_utc_text(latest)}) ; "
            "les statuts doivent être envoyés dans l'ordre chronologique",
            current=current,
            target=status.name,
        )
    now = datetime.now(UTC)
    if _aware(unit.at) > now + FUTURE_TOLERANCE:
        minutes = int(FUTURE_TOLERANCE.total_seconds() // 60)
        return Refusal(
            code="GW-RS-06",
            message=f"Horodatage {_utc_text(unit.at)} is in the future (gateway time "
            f"{_utc_text(now)}, {minutes} minutes of clock difference allowed)",
            message_fr=f"Horodatage {_utc_text(unit.at)} dans le futur (heure de la passerelle "
            f"{_utc_text(now)}, {minutes} minutes d'écart d'horloge admises)",
            current=current,
            target=status.name,
        )
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _utc_text(moment: datetime) -> str:
    return _aware(moment).astimezone(UTC).isoformat(timespec="milliseconds")


def process(
    store: Store,
    config: Config,
    data: bytes,
    *,
    id_flux: str,
    channel: Channel,
    table: Lifecycle | None = None,
    directory: Directory | None = None,
) -> StatusFileOutcome:
    """Read one recipient status file, apply its statuses, write the flux report.

    Args:
        store, config: the gateway's store and configuration.
        data: the file's bytes.
        id_flux: the IdFlux the file was claimed under (report name and ``IdFlux``).
        channel: the ``recipient-status`` channel it came from (its application code receives
            the report and the recipient-side status flows).
        table, directory: lifecycle table and structures directory (shipped / configured ones
            when None).

    Returns:
        The outcome; the report is in ``outbound/canaux/<application code>/``.

    Raises:
        ConfigError / StateError: our own failures (broken structures file, store unwritable).
    """
    table = table or default_table()
    try:
        units = read_units(data)
    except Malformed as bad:
        return answer(
            config.outbound, id_flux, channel, Verdict.INADMISSIBLE, (), (), tuple(bad.findings)
        )
    applied: list[actions.Applied] = []
    refused: list[tuple[int, Refusal]] = []
    for unit in units:
        result = apply_unit(store, config, unit, channel=channel, table=table, directory=directory)
        if isinstance(result, Refusal):
            refused.append((unit.index, result))
        else:
            applied.append(result)
    by_index = {u.index: u for u in units}
    findings = tuple(_refusal_finding(by_index[i], r) for i, r in refused)
    verdict = Verdict.REJECTED if refused else Verdict.ACCEPTED
    return answer(
        config.outbound, id_flux, channel, verdict, tuple(applied), tuple(refused), findings
    )


def _refusal_finding(unit: Unit, refusal: Refusal) -> Finding:
    """One report line per refused unit: French then `` | EN: `` English, each clause in one
    language (the CPP-facing convention of ``rules/cpp-reception.xsl``)."""
    what = f"{unit.invoice_number}, IdStatut {unit.code}"
    message = bilingual(
        f"statut {unit.index} (facture {what}) refusé : {refusal.message_fr or refusal.message}",
        f"status {unit.index} (invoice {what}) refused: {refusal.message}",
    )
    where = f"/CPPStatut/CPPFactureStatuts/{UNIT}[{unit.index}]"
    return error_finding(Layer.CPP, refusal.code, message, unit.line, where)
