"""The trainee story on one invoice: deposited, available, suspended, completed, service done,
mandated, paid; every CPPStatut flow written is checked, in order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edi_gateway.cli import main
from edi_gateway.config import Config
from edi_gateway.store import Store
from tests.fixtures.lifecycle.builders import (
    SELLER_SIRET,
    add_available_invoice,
    make_config,
    valid_statut,
)

STORY = [
    # (arguments after ``status set 1``, the status code it sets)
    (["SUSPENDUE", "--motif", "LIVR_INCOMP", "--comment", "Bon de livraison manquant"], "06"),
    (["COMPLETEE", "--as", "supplier", "--attach", "{attachment}"], "12"),
    (["SERVICE_FAIT"], "07"),
    (["MANDATEE", "--mandate", "DP-2026-0042"], "08"),
    (["MISE_EN_PAIEMENT"], "11"),
]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def _deposit(config: Config) -> int:
    """Deposit the invoice: reception records 01, 02, 03 (built through the store)."""
    with Store(config.database) as store:
        return add_available_invoice(store)


def test_trainee_story(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    """Each step is accepted, writes its FEN1200A flow to the supplier (COMPLETEE also to the
    recipient), and the history reads back newest first with actors, motif and mandate."""
    invoice = _deposit(config)
    assert invoice == 1
    attachment = config.root / "bon-de-livraison.pdf"
    attachment.write_bytes(b"%PDF-1.4 fictitious delivery note")
    results = []
    for argv, _ in STORY:
        args = [a.format(attachment=attachment) for a in argv]
        assert (
            main(["status", "set", "1", *args, "--format", "json", "--config", str(config.path)])
            == 0
        ), args
        results.append(json.loads(capsys.readouterr().out))
    assert [r["status"]["code"] for r in results] == [code for _, code in STORY]

    supplier = config.outbound / "fournisseurs" / SELLER_SIRET
    written = sorted(supplier.glob("FEN1200A_*.xml"))
    assert [Path(r["flows"][0]) for r in results] == written  # one per step, in order
    contents = [valid_statut(path.read_bytes()) for path in written]
    data = [
        root.find("CPPFactureStatuts/CPPFactureStatutUnitaire/DonneesStatut") for root in contents
    ]
    assert [d.findtext("IdStatut") for d in data] == ["06", "12", "07", "08", "11"]
    assert [d.findtext("IdFacture") for d in data] == ["F-2026-0001"] * 5
    assert data[0].findtext("ComplementStatut") == "LIVR_INCOMP"
    assert data[0].findtext("Commentaire") == "Bon de livraison manquant"
    assert data[1].find("Producteur").get("Id") == SELLER_SIRET
    assert data[2].findtext("Commentaire") == "Service fait"
    assert data[3].findtext("IdMandatDP") == "DP-2026-0042"
    assert data[4].findtext("Commentaire") == "Mise en paiement"
    id_flux = [
        root.findtext(".//ParametreIndiv[Code='IdFlx']/Valeurparametre") for root in contents
    ]
    assert id_flux == [r["id_flux"] for r in results] and len(set(id_flux)) == 5

    recipient = config.outbound / "99900001000010" / "SERVICES-TECHNIQUES"
    completion = results[1]
    assert sorted(recipient.iterdir()) == sorted(
        [Path(completion["flows"][1]), Path(completion["attachment"])]
    )
    assert valid_statut(Path(completion["flows"][1]).read_bytes()).findtext(".//IdStatut") == "12"

    assert main(["status", "show", "1", "--format", "json", "--config", str(config.path)]) == 0
    history = json.loads(capsys.readouterr().out)["history"]
    assert [(h["code"], h["actor"]) for h in history] == [
        ("11", "recipient"),
        ("08", "recipient"),
        ("07", "recipient"),
        ("12", "supplier"),
        ("06", "recipient"),
        ("03", "platform"),
        ("02", "platform"),
        ("01", "platform"),
    ]
    assert [h["reform_code"] for h in history] == [
        "211",
        "204",
        "204",
        "209",
        "208",
        "203",
        None,
        "202",
    ]

    assert (
        main(["status", "set", "1", "REJETEE", "--motif", "AUTRE", "--config", str(config.path)])
        == 1
    )  # paid: nothing may follow
    assert "11 MISE_EN_PAIEMENT" in capsys.readouterr().err
