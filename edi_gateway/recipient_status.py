"""Statuses pushed by public recipients, EDI style: CPPStatut files on a recipient-status channel.

A recipient drops a ``CPPStatut`` document carrying ``CPPFactureStatuts`` (the same AIFE schema
``CPPStatutPivot_V1_19.xsd`` CPP uses for its own status flows; recipients push statuses with it,
``../shared/domain/chorus-pro.md`` §3.5). The gateway:

1. parses it with :mod:`edi_gateway.xmlsafe` and checks its shape in code (the AIFE XSD is not
   shipped): a malformed file is inadmissible as a whole (93, ``IRR_SYNTAX``);
2. for each ``CPPFactureStatutUnitaire``: finds the invoice (``Fournisseur/Identifiant`` +
   ``DonneesStatut/IdFacture``, addressed to ``Debiteur/Identifiant``), maps ``IdStatut`` to the
   lifecycle table and applies it with :func:`edi_gateway.actions.apply` (actor ``recipient``;
   ``ComplementStatut`` = motif code, ``Commentaire`` = comment, ``IdMandatDP`` = mandate number,
   ``Horodatage`` = time the status was set);
3. answers with a flux report (``CPPFluxStatuts``): 90 when every status was applied, 93 with one
   ``LigneErreurDetail`` per refused status otherwise.

A unit whose status is already the invoice's current status with the same ``Horodatage`` is
counted as applied without a new event, so a flux processed again after a crash changes nothing.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from lxml import etree

from edi_gateway import actions, outputs, statusflow, xmlsafe
from edi_gateway.config import Channel, Config
from edi_gateway.lifecycle import Lifecycle, Refusal
from edi_gateway.lifecycle import default as default_table
from edi_gateway.model import Finding, Layer, Severity, Verdict
from edi_gateway.store import Store, utc_now
from edi_gateway.structures import Directory

REPORT_INTERFACE = "CSO1100A"  # same report name as every other flux of the gateway
UNIT = "CPPFactureStatutUnitaire"
SYNTAX = "cpp-statut"

log = structlog.get_logger("edi_gateway.recipient_status")


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    """One ``CPPFactureStatutUnitaire`` as read from the file (texts stripped, None if absent)."""

    index: int
    line: int | None
    supplier_id: str
    debtor_siret: str
    code: str
    complement: str | None
    comment: str | None
    at: datetime
    invoice_number: str
    mandate: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusFileOutcome:
    """What became of one recipient status file (the fields ``flux.done`` logs).

    Attributes:
        verdict: accepted (every status applied), rejected (at least one refused), inadmissible
            (the file is not a usable CPPStatut with CPPFactureStatuts).
        applied: statuses applied, in file order.
        refused: ``(unit number, refusal)`` of each refused status.
        findings: one error finding per refused status or shape problem (the report's lines).
        report: the flux report written, or None when it could not be written.
        reason: ``IRR_SYNTAX`` for an inadmissible file, else None.
    """

    verdict: Verdict
    applied: tuple[actions.Applied, ...] = ()
    refused: tuple[tuple[int, Refusal], ...] = ()
    findings: tuple[Finding, ...] = ()
    report: Path | None = None
    reason: str | None = None
    outputs: tuple[Path, ...] = field(default=())

    @property
    def error_count(self) -> int:
        """Number of error findings."""
        return len(self.findings)

    @property
    def first_rules(self) -> list[str]:
        """Rule ids of the first five findings (for the log line)."""
        return [f.rule for f in self.findings[:5]]


class Malformed(Exception):
    """The file is not a usable CPPStatut: carries the findings that say why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].message if findings else "malformed")
        self.findings = findings


def read_units(data: bytes) -> list[Unit]:
    """Parse and shape-check a recipient CPPStatut file.

    Returns:
        The status units, in file order.

    Raises:
        Malformed: not XML, a DOCTYPE, not ``CPPStatut``, no ``CPPFactureStatuts`` (a
            ``CPPFluxStatuts`` acknowledgement is not taken here), or a unit missing a mandatory
            element or carrying a bad value (``Horodatage`` not a date-time, ``IdStatut`` not
            two digits, ``Debiteur/Identifiant`` not 14 characters). Findings carry the line.
    """
    try:
        root = xmlsafe.parse(data).getroot()
    except xmlsafe.XmlProblem as problem:
        raise Malformed(
            [_finding(Layer.XML, problem.code, problem.message, problem.line)]
        ) from None
    if root.tag != "CPPStatut":
        raise Malformed([_shape(root, f"root element is {root.tag!r}, expected CPPStatut")])
    block = root.find("CPPFactureStatuts")
    if block is None:
        what = (
            "CPPFluxStatuts (flux acknowledgement)"
            if root.find("CPPFluxStatuts") is not None
            else "nothing"
        )
        raise Malformed(
            [_shape(root, f"CPPStatut carries {what}; this channel takes CPPFactureStatuts")]
        )
    problems: list[Finding] = []
    if root.find("Enveloppe/EnveloppeUnitaire/Parametres") is None:
        problems.append(_shape(root, "Enveloppe/EnveloppeUnitaire/Parametres is missing"))
    units = []
    for index, element in enumerate(block.findall(UNIT), start=1):
        unit = _unit(index, element, problems)
        if unit is not None:
            units.append(unit)
    if not units and not problems:
        problems.append(_shape(block, f"CPPFactureStatuts holds no {UNIT}"))
    if problems:
        raise Malformed(problems)
    return units


def _unit(index: int, element: etree._Element, problems: list[Finding]) -> Unit | None:
    def text(path: str, required: bool = True) -> str | None:
        value = element.findtext(path)
        value = value.strip() if value else None
        if required and not value:
            problems.append(_shape(element, f"{UNIT} {index}: {path} is missing or empty"))
        return value

    supplier, debtor = text("Fournisseur/Identifiant"), text("Debiteur/Identifiant")
    code, stamp = text("DonneesStatut/IdStatut"), text("DonneesStatut/Horodatage")
    number = text("DonneesStatut/IdFacture")
    before = len(problems)
    if code and not (code.isdigit() and len(code) <= 2):
        problems.append(_shape(element, f"{UNIT} {index}: IdStatut {code!r} is not a status code"))
    if debtor and len(debtor) != 14:
        problems.append(_shape(element, f"{UNIT} {index}: Debiteur/Identifiant must be a SIRET"))
    at = _datetime(stamp)
    if stamp and at is None:
        problems.append(_shape(element, f"{UNIT} {index}: Horodatage {stamp!r} is not a date-time"))
    if len(problems) > before or not (supplier and debtor and code and number and at):
        return None
    return Unit(
        index=index,
        line=_line(element),
        supplier_id=supplier,
        debtor_siret=debtor,
        code=code.zfill(2),
        complement=text("DonneesStatut/ComplementStatut", False),
        comment=text("DonneesStatut/Commentaire", False),
        at=at,
        invoice_number=number,
        mandate=text("DonneesStatut/IdMandatDP", False),
    )


def _line(element: etree._Element) -> int | None:
    line: object = element.sourceline
    return line if isinstance(line, int) else None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _finding(
    layer: Layer, rule: str, message: str, line: int | None, where: str | None = None
) -> Finding:
    return Finding(
        layer=layer,
        rule=rule,
        severity=Severity.ERROR,
        message=message,
        line=line,
        location=where,
        source="edi-gateway recipient-status",
    )


def _shape(element: etree._Element, message: str) -> Finding:
    where = element.getroottree().getpath(element)
    return _finding(Layer.XSD, "GW-RS-01", message, _line(element), where)


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
        another structure, or any refusal of :func:`edi_gateway.actions.apply`.
    """
    rows = store.invoices_by_number(unit.supplier_id, unit.invoice_number)
    if not rows:
        return Refusal(
            code="GW-RS-02",
            message=f"no invoice {unit.invoice_number!r} from supplier {unit.supplier_id!r}",
        )
    mine = [r for r in rows if r["recipient_siret"] == unit.debtor_siret]
    if not mine:
        return Refusal(
            code="GW-RS-03",
            message=f"invoice {unit.invoice_number!r} is not addressed to {unit.debtor_siret}",
        )
    row = mine[-1]
    status = table.find(unit.code)
    if status is None:
        return Refusal(
            code="GW-LC-01",
            message=f"unknown invoice status IdStatut {unit.code}",
            target=unit.code,
        )
    replay = _already_applied(store, row, unit)
    if replay is not None:
        return replay
    motif, comment = None, unit.comment
    if status.motif == "required" or (
        status.motif == "optional" and unit.complement in table.motifs
    ):
        motif = unit.complement
    elif unit.complement and status.motif == "optional":
        comment = " ".join(filter(None, (unit.complement, unit.comment)))
    return actions.apply(
        store,
        config,
        row["id"],
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


def _already_applied(store: Store, row: Any, unit: Unit) -> actions.Applied | None:
    """The unit's status is the invoice's current one, set by the recipient at the same time:
    the flux is being processed again (after a crash); report the event that exists."""
    if row["status_code"] != unit.code:
        return None
    latest = max(store.events(row["id"]), key=lambda e: e["id"], default=None)
    at = _utc_text(unit.at)
    if latest is None or latest["actor"] != "recipient" or latest["at"] != at:
        return None
    status = default_table().status(unit.code)
    return actions.Applied(
        invoice_id=row["id"],
        status=status,
        previous=status,
        event_id=latest["id"],
        at=latest["at"],
        id_flux=latest["id_flux"],
        flows=(Path(latest["flow_file"]),) if latest["flow_file"] else (),
    )


def _utc_text(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds")


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
        return _answer(config, id_flux, channel, Verdict.INADMISSIBLE, (), (), tuple(bad.findings))
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
    return _answer(config, id_flux, channel, verdict, tuple(applied), tuple(refused), findings)


def _refusal_finding(unit: Unit, refusal: Refusal) -> Finding:
    message = (
        f"statut {unit.index} (facture {unit.invoice_number}, IdStatut {unit.code}) refusé : "
        f"{refusal.message}"
    )
    where = f"/CPPStatut/CPPFactureStatuts/{UNIT}[{unit.index}]"
    return _finding(Layer.CPP, refusal.code, message, unit.line, where)


def _answer(
    config: Config,
    id_flux: str,
    channel: Channel,
    verdict: Verdict,
    applied: tuple[actions.Applied, ...],
    refused: tuple[tuple[int, Refusal], ...],
    findings: tuple[Finding, ...],
) -> StatusFileOutcome:
    """Write the flux report (90 / 93) and build the outcome."""
    reason = "IRR_SYNTAX" if verdict is Verdict.INADMISSIBLE else None
    if verdict is Verdict.INADMISSIBLE:
        comment = f"Flux de statuts irrecevable : {len(findings)} erreur(s)"
    else:
        comment = f"{len(applied)} statut(s) appliqué(s), {len(refused)} refusé(s)"
    report = statusflow.flux_report(
        id_flux=id_flux,
        receiver_id=channel.application_code,
        verdict=verdict,
        reason=reason,
        findings=findings,
        comment=comment,
    )
    folder = outputs.supplier_folder(config.outbound, None, channel.application_code)
    name = outputs.flow_name(REPORT_INTERFACE, channel.application_code, id_flux)
    path = outputs.write_atomic(folder / name, report)
    flows = tuple(flow for a in applied for flow in a.flows)
    return StatusFileOutcome(
        verdict=verdict,
        applied=applied,
        refused=refused,
        findings=findings,
        report=path,
        reason=reason,
        outputs=(path, *flows),
    )


def handle(context: Any, claim: Any) -> StatusFileOutcome:
    """Process a claimed recipient status file: the engine's dispatch for ``recipient-status``.

    Args:
        context: an object with ``config`` (:class:`~edi_gateway.config.Config`) and ``store``
            (:class:`~edi_gateway.store.Store`) attributes (the engine), optionally
            ``directory`` (a :class:`~edi_gateway.structures.Directory`) or ``structures``
            (a watcher with ``current()``).
        claim: the claim (``id_flux``, ``channel``, ``work_path``, ``original_name`` ...).

    Returns:
        The outcome. The flux row is set ``done`` with verdict, reason, error count and outputs
        (protocol step 3); moving the original away is left to the caller (step 4).

    Raises:
        ConfigError / StateError / OutputError: our own failures; the flux stays ``claimed``
            and is retried (protocol step 5).
    """
    config: Config = context.config
    store: Store = context.store
    channel = config.channel(claim.channel)
    try:
        data = Path(claim.work_path).read_bytes()
    except OSError as exc:
        finding = _finding(Layer.DETECT, "GW-RS-04", f"cannot read the file: {exc.strerror}", None)
        outcome = _answer(config, claim.id_flux, channel, Verdict.INADMISSIBLE, (), (), (finding,))
    else:
        outcome = process(
            store,
            config,
            data,
            id_flux=claim.id_flux,
            channel=channel,
            directory=_directory(context),
        )
    store.update_flux(
        claim.id_flux,
        state="done",
        syntax=SYNTAX,
        verdict=str(outcome.verdict),
        reason=outcome.reason,
        error_count=outcome.error_count,
        outputs=list(outcome.outputs),
        finished_at=utc_now(),
    )
    return outcome


def _directory(context: Any) -> Directory | None:
    directory = getattr(context, "directory", None)
    if isinstance(directory, Directory):
        return directory
    watcher = getattr(context, "structures", None)
    current = getattr(watcher, "current", None)
    if callable(current):
        found = current()
        return found if isinstance(found, Directory) else None
    return None


def process_claimed(engine: Any, claim: Any) -> Any:
    """The engine's dispatch for ``recipient-status`` channels (``Engine._recipient_status``).

    Runs :func:`handle` (protocol steps 2-3), moves the original to ``var/archive`` (accepted,
    rejected) or ``var/error`` (inadmissible) (step 4) and returns an
    :class:`edi_gateway.engine.Outcome` (``syntax`` ``cpp-statut``, ``flux_status`` 90 / 93,
    ``statuses`` = codes applied). A flux already ``done`` (re-run after a crash) is only put
    away.

    Raises:
        ConfigError / StateError / OutputError: our own failures (the flux is retried).
    """
    from edi_gateway.engine import Outcome  # the engine imports this module lazily too

    start = time.perf_counter()
    row = engine.store.flux(claim.id_flux)
    if row is not None and row["state"] == "done":
        verdict = Verdict(row["verdict"]) if row["verdict"] else Verdict.INADMISSIBLE
        written = tuple(Path(p) for p in json.loads(row["outputs"] or "[]"))
        result = StatusFileOutcome(verdict=verdict, reason=row["reason"], outputs=written)
    else:
        result = handle(engine, claim)
    moved = _put_away(engine.config, claim, result.verdict)
    outcome = Outcome(
        id_flux=claim.id_flux,
        file=claim.original_name,
        channel=claim.channel,
        syntax=SYNTAX,
        verdict=result.verdict,
        reason=result.reason,
        flux_status=statusflow.FLUX_RECEIVED
        if result.verdict is Verdict.ACCEPTED
        else statusflow.FLUX_RECEPTION_ERROR,
        statuses=tuple(a.status.code for a in result.applied),
        outputs=(*result.outputs, *((moved,) if moved else ())),
        findings=result.findings,
        error_count=result.error_count,
        duration_ms=round((time.perf_counter() - start) * 1000, 1),
    )
    log.info(
        "flux.done",
        verdict=str(result.verdict),
        applied=len(result.applied),
        refused=len(result.refused),
        error_count=result.error_count,
        first_rules=result.first_rules,
        duration_ms=outcome.duration_ms,
    )
    return outcome


def _put_away(config: Config, claim: Any, verdict: Verdict) -> Path | None:
    """Protocol step 4: accepted / rejected to ``var/archive``, inadmissible to ``var/error``."""
    work = Path(claim.work_path)
    if not work.exists():
        return None
    keep = verdict in (Verdict.ACCEPTED, Verdict.REJECTED)
    folder = config.archive_dir if keep else config.error_dir
    return outputs.move_original(work, folder, claim.id_flux, claim.original_name)
