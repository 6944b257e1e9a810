"""Turn a status request into checked form: normalised arguments, then the lifecycle checks.

Job: between the caller's arguments (``edi-gateway status set``, a recipient-status file, later
the Service mode's ``traiter/recue``) and the transaction in :mod:`edi_gateway.lifecycle.actions`:

- :func:`build_request` normalises them into a :class:`~edi_gateway.lifecycle.flows.StatusRequest`
  (status by code or name, actor, motif upper-cased, comment clipped to 255 characters, naive
  time as UTC, the completing file read with a bound): GW-LC-01 / GW-LC-08 refusals;
- :func:`check` asks the lifecycle table whether the invoice may move (CPP ``20002``, GW-LC-0n
  details, ``../shared/domain/chorus-pro.md`` §3.3) and :func:`time_order` keeps the history in
  time order (GW-LC-10);
- :func:`event_time`, :func:`latest_event_time` and :func:`utc` read and write event times.

It reads the store only for event times and never writes anything.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from edi_gateway.core.readlimit import read_bounded
from edi_gateway.lifecycle.flows import StatusRequest
from edi_gateway.lifecycle.refusals import Refusal, unknown_actor, unknown_status
from edi_gateway.lifecycle.table import Actor, Lifecycle
from edi_gateway.store.database import Store
from edi_gateway.store.records import InvoiceRow


def build_request(
    table: Lifecycle,
    target: str,
    *,
    actor: Actor | str,
    motif: str | None,
    comment: str | None,
    mandate: str | None,
    at: datetime | None,
    attachment: Path | None,
    recipient_code: str | None,
    outbound: Path,
    max_file_bytes: int,
) -> StatusRequest | Refusal:
    """Normalise the arguments of :func:`~edi_gateway.lifecycle.actions.apply` into a request.

    ``outbound`` is the outbound folder the request's flows go to (config ``gateway.outbound``);
    ``max_file_bytes`` bounds the completing file (config ``validation.max_file_bytes``).

    Returns:
        the request, or a GW-LC-01 (unknown status or actor) / GW-LC-08 (completing file)
        :class:`Refusal`.
    """
    wanted = table.find(target)
    if wanted is None:
        return unknown_status(target)
    if actor not in set(Actor):
        return unknown_actor(actor, wanted.name)
    attached = completing_file(attachment, max_file_bytes, wanted.name)
    if isinstance(attached, Refusal):
        return attached
    request = StatusRequest(
        target=wanted,
        actor=Actor(actor),
        motif=motif.strip().upper() if motif else None,
        comment=table.clip_comment(comment.strip() if comment else None) or None,
        mandate=mandate.strip() if mandate else None,
        at=at.replace(tzinfo=UTC) if at and at.tzinfo is None else at,
        attachment=attached,
        recipient_code=recipient_code,
        outbound=outbound,
    )
    return request


def completing_file(
    path: Path | None, limit: int, target: str
) -> tuple[str, bytes] | Refusal | None:
    """``(name, bytes)`` of the completing file, read with a bound before anything else.

    GW-LC-08 when it cannot be read, is no regular file (``/dev/zero``, a FIFO, a folder: never
    read) or is larger than ``limit`` (config ``validation.max_file_bytes``; never read beyond).
    """
    if path is None:
        return None
    try:
        read = read_bounded(path, limit)
    except OSError as exc:
        why = exc.strerror or exc
        return Refusal(
            code="GW-LC-08",
            message=f"{path}: cannot read the completing file: {why}",
            message_fr=f"{path} : pièce complémentaire illisible : {why}",
            target=target,
        )
    if not read.complete:
        return Refusal(
            code="GW-LC-08",
            message=f"{path}: the completing file is {read.size} bytes, more than the {limit} "
            "accepted (validation.max_file_bytes)",
            message_fr=f"{path} : la pièce complémentaire fait {read.size} octets, plus que les "
            f"{limit} acceptés (validation.max_file_bytes)",
            target=target,
        )
    return path.name, read.data


def check(table: Lifecycle, row: InvoiceRow, request: StatusRequest) -> Refusal | None:
    """The table's refusal of moving ``row`` as ``request`` asks (CPP ``20002`` or GW-LC-0n
    details), with the current status filled in; None when allowed."""
    refusal = table.can_move(row.status_code, request.target.code, request.actor)
    if refusal is None:
        refusal = table.check_details(
            request.target,
            motif=request.motif,
            mandate=request.mandate,
            attachment=request.attachment is not None,
        )
    if refusal is not None and refusal.current is None:
        current = table.find(row.status_code)
        return replace(refusal, current=current.name if current else row.status_code)
    return refusal


def event_time(text: str) -> datetime:
    """A ``status_event.at`` value (ISO 8601) as an aware datetime (naive values are UTC).

    Raises:
        ValueError: not an ISO 8601 date-time.
    """
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def latest_event_time(store: Store, invoice_id: int) -> datetime | None:
    """Time of the invoice's latest status event (aware), or None when it has no event (or no
    readable time)."""
    times = []
    for event in store.events(invoice_id):
        try:
            times.append(event_time(event.at))
        except (TypeError, ValueError):
            continue
    return max(times, default=None)


def time_order(
    table: Lifecycle, row: InvoiceRow, request: StatusRequest, latest: datetime | None
) -> Refusal | None:
    """GW-LC-10 when the request's explicit time is earlier than the latest event's."""
    if request.at is None or latest is None or request.at >= latest:
        return None
    current = table.find(row.status_code)
    return Refusal(
        code="GW-LC-10",
        message=f"status time {utc(request.at)} is earlier than the invoice's latest status "
        f"event ({utc(latest)}); the history must stay in time order",
        message_fr=f"heure du statut {utc(request.at)} antérieure au dernier événement de la "
        f"facture ({utc(latest)}) ; l'historique doit rester dans l'ordre chronologique",
        current=current.name if current else row.status_code,
        target=request.target.name,
    )


def utc(moment: datetime) -> str:
    """``moment`` as ISO 8601 UTC with milliseconds (the ``status_event.at`` form)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
