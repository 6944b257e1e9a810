"""Applying a status: checks, one transaction with the event, CPPStatut flows, concurrency."""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from structlog.testing import capture_logs

from edi_gateway.core import files
from edi_gateway.core.config import Config
from edi_gateway.core.errors import OutputError, StateError
from edi_gateway.lifecycle import actions
from edi_gateway.lifecycle import table as lifecycle
from edi_gateway.lifecycle.refusals import Refusal
from edi_gateway.store.database import Store
from tests.fixtures.lifecycle.builders import (
    NO_PAYMENT,
    SELLER_SIRET,
    add_available_invoice,
    make_config,
    statut_schema,
    valid_statut,
)

WHEN = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path, ledger: Path | str) -> Config:
    """A gateway configuration on SQLite and on PostgreSQL (the ``ledger`` fixture)."""
    return make_config(tmp_path, ledger)


@pytest.fixture
def store(config: Config) -> Store:
    with Store(config.database) as opened:
        yield opened


def _applied(result: actions.Applied | Refusal) -> actions.Applied:
    assert isinstance(result, actions.Applied), result
    return result


def _supplier_files(config: Config) -> list[Path]:
    return sorted((config.outbound / "fournisseurs" / SELLER_SIRET).glob("FEN1200A_*.xml"))


def test_suspension_is_stored_and_sent_to_the_supplier(config: Config, store: Store) -> None:
    """SUSPENDUE with a motif moves the invoice, appends the event and writes one FEN1200A flow."""
    invoice = add_available_invoice(store)
    result = _applied(
        actions.apply(
            store,
            config,
            invoice,
            "SUSPENDUE",
            actor="recipient",
            motif="livr_incomp",
            comment="Bon de livraison manquant",
            at=WHEN,
        )
    )
    row = store.invoice(invoice)
    assert (row.status_code, row.status_name, row.version) == ("06", "SUSPENDUE", 1)
    event = store.events(invoice)[0]
    assert event.as_dict() | {"id": 0} == event.as_dict() | {
        "id": 0,
        "status_code": "06",
        "actor": "recipient",
        "motif": "LIVR_INCOMP",
        "comment": "Bon de livraison manquant",
        "reform_code": "208",
        "at": "2026-03-05T14:30:00.000+00:00",
        "id_flux": result.id_flux,
    }
    files = _supplier_files(config)
    assert files == list(result.flows) and event.flow_file == str(files[0])
    assert files[0].name == f"FEN1200A_EDIGW1_{result.id_flux}.xml"
    assert result.id_flux is not None and result.id_flux.startswith("EDIGW11200")
    root = valid_statut(files[0].read_bytes())
    data = root.find("CPPFactureStatuts/CPPFactureStatutUnitaire/DonneesStatut")
    assert data.findtext("IdStatut") == "06"
    assert data.findtext("ComplementStatut") == "LIVR_INCOMP"
    assert data.findtext("Commentaire") == "Bon de livraison manquant"
    assert data.findtext("IdFacture") == "F-2026-0001"
    assert data.findtext("Horodatage") == "2026-03-05T14:30:00+00:00"
    assert root.findtext(".//Fournisseur/Identifiant") == SELLER_SIRET
    assert root.findtext(".//Debiteur/CodeService") == "SERVICES-TECHNIQUES"


def test_every_written_flow_is_valid_against_the_aife_schema(config: Config, store: Store) -> None:
    """The flows of a suspension, a completion and a mandate validate against the AIFE XSD."""
    schema = statut_schema()
    invoice = add_available_invoice(store)
    attachment = config.root / "bon-de-livraison.pdf"
    attachment.write_bytes(b"%PDF-1.4 fictitious delivery note")
    flows = [
        *_applied(
            actions.apply(store, config, invoice, "06", actor="recipient", motif="LIVR_INCOMP")
        ).flows,
        *_applied(
            actions.apply(store, config, invoice, "12", actor="supplier", attachment=attachment)
        ).flows,
        *_applied(
            actions.apply(store, config, invoice, "08", actor="recipient", mandate="DP-2026-0042")
        ).flows,
    ]
    assert len(flows) == 4
    for flow in flows:
        assert schema.validate(etree.parse(str(flow))), schema.error_log


@pytest.mark.parametrize(
    ("target", "kwargs", "code"),
    [
        ("COMPLETEE", {"actor": "recipient"}, "20002"),
        ("REJETEE", {"actor": "recipient"}, "GW-LC-02"),
        ("REJETEE", {"actor": "recipient", "motif": "PAS_CONTENT"}, "GW-LC-03"),
        ("SERVICE_FAIT", {"actor": "recipient", "mandate": "M1"}, "GW-LC-05"),
        ("PAYEE", {"actor": "recipient"}, "GW-LC-01"),
        ("SERVICE_FAIT", {"actor": "mayor"}, "GW-LC-01"),
    ],
)
def test_refusal_leaves_no_trace(
    config: Config, store: Store, target: str, kwargs: dict, code: str
) -> None:
    """A refused request changes nothing: same status and version, no event, no file."""
    invoice = add_available_invoice(store)
    result = actions.apply(store, config, invoice, target, **kwargs)
    assert isinstance(result, Refusal) and result.code == code
    row = store.invoice(invoice)
    assert (row.status_code, row.version) == ("03", 0)
    assert len(store.events(invoice)) == 3
    assert not config.outbound.exists() or not any(config.outbound.rglob("*.xml"))


def test_refused_transition_names_both_statuses(config: Config, store: Store) -> None:
    """After MANDATEE a rejection is refused with 20002 naming MANDATEE and REJETEE."""
    invoice = add_available_invoice(store)
    _applied(actions.apply(store, config, invoice, "MANDATEE", actor="recipient"))
    refusal = actions.apply(store, config, invoice, "05", actor="recipient", motif="AUTRE")
    assert isinstance(refusal, Refusal)
    assert (refusal.code, refusal.current, refusal.target) == ("20002", "MANDATEE", "REJETEE")
    assert "08 MANDATEE" in refusal.message and "05 REJETEE" in refusal.message


def test_unknown_invoice_is_refused(config: Config, store: Store) -> None:
    """An invoice id that does not exist gives GW-LC-07."""
    result = actions.apply(store, config, 4242, "07", actor="recipient")
    assert isinstance(result, Refusal) and result.code == "GW-LC-07"


def test_completion_by_the_supplier_reaches_both_sides(config: Config, store: Store) -> None:
    """COMPLETEE writes a flow to the supplier and one beside the invoice for the recipient, and
    keeps the completing file there named with the IdFlux."""
    invoice = add_available_invoice(store)
    _applied(actions.apply(store, config, invoice, "SUSPENDUE", actor="recipient", motif="AUTRE"))
    missing = actions.apply(store, config, invoice, "COMPLETEE", actor="supplier")
    assert isinstance(missing, Refusal) and missing.code == "GW-LC-06"
    attachment = config.root / "bon de livraison.pdf"
    attachment.write_bytes(b"%PDF-1.4 fictitious delivery note")
    result = _applied(
        actions.apply(store, config, invoice, "COMPLETEE", actor="supplier", attachment=attachment)
    )
    recipient_folder = config.outbound / "99900001000010" / "SERVICES-TECHNIQUES"
    assert [f.parent for f in result.flows] == [
        config.outbound / "fournisseurs" / SELLER_SIRET,
        recipient_folder,
    ]
    assert result.flows[1].name == f"FEN1200A_EDIGW2_{result.id_flux}.xml"
    assert result.attachment == recipient_folder / f"{result.id_flux}__bon de livraison.pdf"
    assert result.attachment.read_bytes() == attachment.read_bytes()
    root = valid_statut(result.flows[1].read_bytes())
    assert root.findtext(".//IdStatut") == "12"
    assert root.find(".//Producteur").get("Id") == SELLER_SIRET
    assert store.events(invoice)[0].reform_code == "209"


def test_mandate_number_goes_into_the_flow(config: Config, store: Store) -> None:
    """MANDATEE carries the mandate / payment-request number as IdMandatDP."""
    invoice = add_available_invoice(store)
    result = _applied(
        actions.apply(store, config, invoice, "08", actor="recipient", mandate=" DP-2026-0042 ")
    )
    assert store.events(invoice)[0].mandate == "DP-2026-0042"
    assert valid_statut(result.flows[0].read_bytes()).findtext(".//IdMandatDP") == "DP-2026-0042"


def test_comment_is_cut_at_255(config: Config, store: Store) -> None:
    """A 300-character comment is stored and sent as its first 255 characters."""
    invoice = add_available_invoice(store)
    result = _applied(
        actions.apply(store, config, invoice, "07", actor="recipient", comment="x" * 300)
    )
    assert store.events(invoice)[0].comment == "x" * 255
    assert valid_statut(result.flows[0].read_bytes()).findtext(".//Commentaire") == "x" * 255


def test_payment_not_reported_for_flagged_structure(config: Config, store: Store) -> None:
    """statutMiseEnPaiementNestPasRemonte: MISE_EN_PAIEMENT is in the history, no supplier flow."""
    invoice = add_available_invoice(store, recipient=NO_PAYMENT, service=None)
    result = _applied(actions.apply(store, config, invoice, "11", actor="recipient"))
    assert (result.reported_to_supplier, result.flows, result.id_flux) == (False, (), None)
    event = store.events(invoice)[0]
    assert (event.status_name, event.reform_code, event.flow_file) == (
        "MISE_EN_PAIEMENT",
        "211",
        None,
    )
    assert store.invoice(invoice).status_code == "11"
    assert _supplier_files(config) == []


def test_payment_reported_for_other_structures(config: Config, store: Store) -> None:
    """Without the flag MISE_EN_PAIEMENT reaches the supplier like any status."""
    invoice = add_available_invoice(store)
    result = _applied(actions.apply(store, config, invoice, "11", actor="recipient"))
    assert result.reported_to_supplier and _supplier_files(config) == list(result.flows)


def test_concurrent_actions_leave_a_consistent_history(config: Config) -> None:
    """Eight threads with their own connection act on one invoice at once: each request is
    applied once or refused, the history is a valid path and matches the invoice row."""
    table = lifecycle.default()
    with Store(config.database) as setup:
        invoice = add_available_invoice(setup)
    requests = [
        ("SUSPENDUE", {"motif": "AUTRE"}),
        ("REJETEE", {"motif": "DOUBLE_FACT"}),
        ("SERVICE_FAIT", {}),
        ("MANDATEE", {"mandate": "DP-1"}),
        ("A_RECYCLER", {}),
        ("PRISE_EN_COMPTE_DESTINATAIRE", {}),
        ("COMPTABILISEE", {}),
        ("MISE_A_DISPOSITION_COMPTABLE", {}),
    ]
    barrier = threading.Barrier(len(requests))
    results: dict[str, actions.Applied | Refusal] = {}

    def act(target: str, kwargs: dict) -> None:
        with Store(config.database) as own:
            barrier.wait()
            results[target] = actions.apply(
                own, config, invoice, target, actor="recipient", **kwargs
            )

    threads = [threading.Thread(target=act, args=r) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    applied = [r for r in results.values() if isinstance(r, actions.Applied)]
    assert applied and all(
        isinstance(r, Refusal) and r.code == "20002" for r in results.values() if r not in applied
    )
    with Store(config.database) as check:
        events = sorted(check.events(invoice), key=lambda e: e.id)[3:]  # applied order
        row = check.invoice(invoice)
    assert sorted(e.id for e in events) == sorted(a.event_id for a in applied)
    assert row.version == len(events) and row.status_code == events[-1].status_code
    path = ["03", *(e.status_code for e in events)]
    assert all(table.can_move(a, b, "recipient") is None for a, b in itertools.pairwise(path))
    assert len(_supplier_files(config)) == len(events)


def test_status_time_before_the_latest_event_is_refused(config: Config, store: Store) -> None:
    """An explicit time earlier than the invoice's latest event gives GW-LC-10 naming both times
    and leaves no trace; the same time as the latest event is accepted."""
    invoice = add_available_invoice(store, day="2026-11-29")
    early = actions.apply(store, config, invoice, "07", actor="recipient", at=WHEN)
    assert isinstance(early, Refusal) and early.code == "GW-LC-10"
    assert "2026-03-05T14:30:00.000+00:00" in early.message
    assert "2026-11-29T09:00:02.000+00:00" in early.message
    assert (early.current, early.target) == ("MISE_A_DISPOSITION", "SERVICE_FAIT")
    assert store.invoice(invoice).version == 0 and len(store.events(invoice)) == 3
    same = datetime(2026, 11, 29, 9, 0, 2, tzinfo=UTC)
    _applied(actions.apply(store, config, invoice, "07", actor="recipient", at=same))


def test_status_stamped_now_never_goes_before_the_latest_event(
    config: Config, store: Store
) -> None:
    """After an event dated a little ahead of our clock, a status without a time is stamped at
    that event's time, not earlier: time order stays application order."""
    invoice = add_available_invoice(store)
    ahead = datetime.now(UTC) + timedelta(minutes=3)
    first = _applied(actions.apply(store, config, invoice, "07", actor="recipient", at=ahead))
    second = _applied(actions.apply(store, config, invoice, "08", actor="recipient"))
    assert second.at == first.at
    events = store.events(invoice)
    assert [e.status_code for e in events[:2]] == ["08", "07"]


def test_refusal_is_logged_as_a_warning_and_success_as_info(config: Config, store: Store) -> None:
    """status.refused is logged at warning (the sender's problem, docs/operations.md), with the
    code, both statuses and the actor; status.applied stays at info."""
    invoice = add_available_invoice(store)
    with capture_logs() as logs:
        actions.apply(store, config, invoice, "COMPLETEE", actor="recipient")
        actions.apply(store, config, invoice, "07", actor="recipient")
    refused = [e for e in logs if e["event"] == "status.refused"]
    assert [
        (e["log_level"], e["code"], e["current"], e["target"], e["actor"]) for e in refused
    ] == [("warning", "20002", "MISE_A_DISPOSITION", "COMPLETEE", "recipient")]
    assert [e["log_level"] for e in logs if e["event"] == "status.applied"] == ["info"]


def _suspended(config: Config, store: Store) -> int:
    invoice = add_available_invoice(store)
    _applied(actions.apply(store, config, invoice, "SUSPENDUE", actor="recipient", motif="AUTRE"))
    return invoice


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "folder"])
def test_completing_file_that_is_no_regular_file_is_refused_unread(
    config: Config, store: Store, special: str
) -> None:
    """--attach /dev/zero, a FIFO or a folder: GW-LC-08 naming what it is, never read (no
    endless read, no hang), nothing stored."""
    invoice = _suspended(config, store)
    path = Path(special)
    if special == "fifo":
        path = config.root / "pipe"
        os.mkfifo(path)
    elif special == "folder":
        path = config.root
    result = actions.apply(store, config, invoice, "COMPLETEE", actor="supplier", attachment=path)
    assert isinstance(result, Refusal) and result.code == "GW-LC-08"
    kind = {"/dev/zero": "character device", "fifo": "FIFO", "folder": "folder"}[special]
    assert f"not a regular file ({kind})" in result.message
    assert store.invoice(invoice).status_code == "06"


def test_completing_file_over_max_file_bytes_is_refused(config: Config, store: Store) -> None:
    """A completing file larger than validation.max_file_bytes is refused (GW-LC-08, its size
    and the limit named) from its size alone."""
    small = dataclasses.replace(config, max_file_bytes=1024)
    invoice = _suspended(small, store)
    big = config.root / "annexe.pdf"
    with big.open("wb") as handle:
        handle.truncate(64 << 20)
    result = actions.apply(store, small, invoice, "COMPLETEE", actor="supplier", attachment=big)
    assert isinstance(result, Refusal) and result.code == "GW-LC-08"
    assert str(64 << 20) in result.message and "1024" in result.message
    assert "validation.max_file_bytes" in result.message
    assert store.invoice(invoice).status_code == "06"


def _all_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_event_that_cannot_be_recorded_leaves_no_flow_and_no_attachment(
    config: Config, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or none: COMPLETEE writes its attachment and two flows, then recording the event
    fails. The status rolls back and none of the three files stays on disk."""
    invoice = _suspended(config, store)
    before = _all_files(config.outbound)
    attachment = config.root / "bon.pdf"
    attachment.write_bytes(b"%PDF-1.4 fictitious delivery note")

    def broken_event(*args: object, **kwargs: object) -> int:
        raise StateError("disk I/O error (simulated while recording the event)")

    monkeypatch.setattr(store, "add_event", broken_event)
    with pytest.raises(StateError):
        actions.apply(store, config, invoice, "COMPLETEE", actor="supplier", attachment=attachment)
    row = store.invoice(invoice)
    assert (row.status_code, row.version) == ("06", 1)
    assert [e.status_code for e in store.events(invoice)] == ["06", "03", "02", "01"]
    assert _all_files(config.outbound) == before


def test_flow_that_cannot_be_written_removes_the_files_written_before_it(
    config: Config, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COMPLETEE writes the attachment, the supplier flow, then the recipient flow; the third
    write fails (disk full): the two files already written are removed, nothing is recorded."""
    invoice = _suspended(config, store)
    before = _all_files(config.outbound)
    attachment = config.root / "bon.pdf"
    attachment.write_bytes(b"%PDF-1.4 fictitious delivery note")
    real = files.write_atomic
    written: list[Path] = []

    def third_write_fails(path: Path, data: bytes, *, root: Path | None = None) -> Path:
        if len(written) == 2:
            raise OutputError(f"{path}: cannot write: No space left on device (simulated)")
        written.append(real(path, data, root=root))
        return written[-1]

    monkeypatch.setattr(files, "write_atomic", third_write_fails)
    with pytest.raises(OutputError):
        actions.apply(store, config, invoice, "COMPLETEE", actor="supplier", attachment=attachment)
    assert [p.name.startswith(("EDIGW", "FEN1200A_")) for p in written] == [True, True]
    assert not any(p.exists() for p in written)
    assert _all_files(config.outbound) == before
    assert store.invoice(invoice).status_code == "06"
    assert store.events(invoice)[0].status_code == "06"
