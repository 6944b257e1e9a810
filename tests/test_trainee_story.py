"""The trainee story on one invoice: deposited, available, suspended, completed, service done,
mandated, paid; every CPPStatut flow written is checked, in order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edi_gateway.cli import main
from edi_gateway.core.config import Config
from edi_gateway.core.model import Verdict
from edi_gateway.pipeline.engine import Engine
from tests.fixtures.lifecycle.builders import HERE, make_config, valid_statut

SELLER = "99910000600018"  # BT-29 of facture-mairie.xml (fictitious)
NUMBER = "EX-2025-002"
SERVICE_DONE = (HERE / "statuts-acceptes.xml").read_text(encoding="utf-8")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def _service_done_file(config: Config, when: datetime) -> Path:
    """The recipient's CPPStatut saying 07 Service fait at ``when`` for the trainee's invoice."""
    head, rest = SERVICE_DONE.split("<CPPFactureStatutUnitaire", 1)
    unit = rest.split("</CPPFactureStatutUnitaire>", 1)[0]
    unit = unit.replace("99999999900016", SELLER).replace("F-2026-0001", NUMBER)
    unit = unit.replace("2026-03-06T10:15:00.000+01:00", when.isoformat(timespec="milliseconds"))
    text = f"{head.replace(chr(34) + '2' + chr(34), chr(34) + '1' + chr(34))}"
    text += f"<CPPFactureStatutUnitaire{unit}</CPPFactureStatutUnitaire>\n"
    text += "  </CPPFactureStatuts>\n</CPPStatut>\n"
    path = config.root / "service-fait.xml"
    path.write_text(text, encoding="utf-8")
    return path


def _status_set(config: Config, capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    capsys.readouterr()  # drop what the engine logged on the console
    code = main(["status", "set", "1", *argv, "--format", "json", "--config", str(config.path)])
    assert code == 0, argv
    return json.loads(capsys.readouterr().out)


def test_trainee_story(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    """Deposit through the engine (01, 02, 03), then suspension, completion by the supplier,
    service done by EDI file, mandate and payment: six supplier flows in order with the right
    content, one recipient flow and the completing file beside the invoice, and the history
    newest first."""
    engine = Engine(config)
    try:
        deposit = engine.process_path(HERE / "facture-mairie.xml", "depot-edi")
        assert (deposit.verdict, deposit.invoice_id) == (Verdict.ACCEPTED, 1)
        attachment = config.root / "bon-de-livraison.pdf"
        attachment.write_bytes(b"%PDF-1.4 fictitious delivery note")
        suspended = _status_set(
            config,
            capsys,
            "SUSPENDUE",
            "--motif",
            "LIVR_INCOMP",
            "--comment",
            "Bon de livraison manquant",
        )
        completed = _status_set(
            config, capsys, "COMPLETEE", "--as", "supplier", "--attach", str(attachment)
        )
        # after the completion (rounded up to the second), never before it
        done_at = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0)
        edi = engine.process_path(_service_done_file(config, done_at), "statuts-destinataires")
        assert (edi.verdict, edi.statuses, edi.flux_status) == (Verdict.ACCEPTED, ("07",), "90")
        assert edi.outputs[-1].parent == config.archive_dir  # the original is put away
    finally:
        engine.close()
    mandated = _status_set(config, capsys, "MANDATEE", "--mandate", "DP-2026-0042")
    paid = _status_set(config, capsys, "MISE_EN_PAIEMENT")

    supplier = config.outbound / "fournisseurs" / SELLER
    written = sorted(supplier.glob("FEN1200A_*.xml"))
    assert len(written) == 6
    assert [Path(r["flows"][0]) for r in (suspended, completed, mandated, paid)] == [
        written[1],
        written[2],
        written[4],
        written[5],
    ]
    contents = [valid_statut(path.read_bytes()) for path in written]
    codes = [[s.text for s in root.iter("IdStatut")] for root in contents]
    assert codes == [["01", "02", "03"], ["06"], ["12"], ["07"], ["08"], ["11"]]
    last = [root.findall(".//DonneesStatut")[-1] for root in contents]
    assert {d.findtext("IdFacture") for d in last} == {NUMBER}
    assert (last[1].findtext("ComplementStatut"), last[1].findtext("Commentaire")) == (
        "LIVR_INCOMP",
        "Bon de livraison manquant",
    )
    assert last[2].find("Producteur").get("Id") == SELLER
    assert (last[3].findtext("Commentaire"), last[3].findtext("Horodatage")) == (
        "Service fait le 5 mars",
        done_at.isoformat(timespec="seconds"),
    )
    assert last[4].findtext("IdMandatDP") == "DP-2026-0042"
    assert last[5].findtext("Commentaire") == "Mise en paiement"

    recipient = config.outbound / "99900001000010" / "SERVICES-TECHNIQUES"
    assert Path(completed["flows"][1]).parent == recipient
    assert Path(completed["attachment"]).read_bytes() == attachment.read_bytes()
    assert valid_statut(Path(completed["flows"][1]).read_bytes()).findtext(".//IdStatut") == "12"
    report = next((config.outbound / "canaux" / "EDIGW2").glob("CSO1100A_*.xml"))
    assert valid_statut(report.read_bytes()).findtext(".//IdStatut") == "90"

    assert (
        main(
            [
                "status",
                "show",
                f"{SELLER}:{NUMBER}",
                "--format",
                "json",
                "--config",
                str(config.path),
            ]
        )
        == 0
    )
    history = json.loads(capsys.readouterr().out)["history"]
    assert [(h["code"], h["actor"], h["reform_code"]) for h in history] == [
        ("11", "recipient", "211"),
        ("08", "recipient", "204"),
        ("07", "recipient", "204"),
        ("12", "supplier", "209"),
        ("06", "recipient", "208"),
        ("03", "platform", "203"),
        ("02", "platform", None),
        ("01", "platform", "202"),
    ]
    assert (
        main(["status", "set", "1", "REJETEE", "--motif", "AUTRE", "--config", str(config.path)])
        == 1
    )  # paid: nothing may follow
    assert "11 MISE_EN_PAIEMENT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "verdict"),
    [
        (["A_RECYCLER", "--motif", "SE_ERR"], Verdict.ACCEPTED),  # same number allowed
        (["REJETEE", "--motif", "DOUBLE_FACT"], Verdict.REJECTED),  # a new number is required
    ],
)
def test_sending_the_invoice_again(
    config: Config, capsys: pytest.CaptureFixture[str], argv: list[str], verdict: Verdict
) -> None:
    """After A_RECYCLER the corrected invoice may reuse its number; after REJETEE it may not."""
    engine = Engine(config)
    try:
        assert engine.process_path(HERE / "facture-mairie.xml", "depot-edi").invoice_id == 1
        _status_set(config, capsys, *argv)
        corrected = config.root / "facture-mairie-corrigee.xml"  # other bytes, same number
        text = (HERE / "facture-mairie.xml").read_text(encoding="utf-8")
        corrected.write_text(text.replace("2025-07-16", "2025-07-31"), encoding="utf-8")
        again = engine.process_path(corrected, "depot-edi")
    finally:
        engine.close()
    assert again.verdict is verdict
    if verdict is Verdict.ACCEPTED:
        assert again.invoice_id == 2 and again.statuses == ("01", "02", "03")
    else:
        assert again.invoice_id is None and again.reason is not None
