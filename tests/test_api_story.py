"""The trainee story over HTTP, against a real ``edi-gateway serve`` (uvicorn on 127.0.0.1):
token, deposit of an example, consulterCR until integrated, the recipient's inbox, traiter/recue
SUSPENDUE, completer, SERVICE_FAIT, MISE_EN_PAIEMENT, historique; every status flow written
valid against the official CPPStatut XSD, the pivot against CPPFacturePivot."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import PIVOT_XSD, STATUT_XSD, need_shared
from tests.fixtures.api import service
from tests.fixtures.api.service import EXAMPLES, Api


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The gateway serving the API, on the embedded SQLite ledger, then on PostgreSQL (skipped
    when no server can start)."""
    kw = {}
    if request.param == "postgresql":
        from tests.fixtures import postgres

        kw["database"] = postgres.upgraded_database(request.getfixturevalue("postgres_server"))
    root = tmp_path_factory.mktemp(f"api-story-{request.param}")
    with service.started(root, workers=1, **kw) as running:
        yield running


def test_token_answer_is_pistes(api: Api) -> None:
    answer = api.client.post(
        "/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "scope": "openid",
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "openid" and body["access_token"].count(".") == 2


def distinct(name: str, number: str) -> bytes:
    """Example ``name`` (invoice EX-2025-002) renumbered ``number``: neither a duplicate flux
    nor a duplicate invoice of an earlier deposit."""
    return (EXAMPLES / name).read_bytes().replace(b"EX-2025-002", number.encode())


def test_the_trainee_story_over_http(api: Api) -> None:
    story(api, distinct("02-ok-ubl-mairie-services-techniques.xml", "API-STORY-1"), "API-STORY-1")


def story(api: Api, data: bytes, number: str) -> None:
    """Deposit ``data`` (example 02), follow it to MISE_EN_PAIEMENT, check every answer."""
    id_flux = api.deposit(data, "facture-mairie.xml", "IN_DP_E1_UBL_INVOICE")
    assert id_flux.startswith("EDIGW3") and len(id_flux) == 25
    cr = api.wait_integrated(id_flux)
    assert cr["etatCourantFlux"] == "IN_INTEGRE", cr
    assert cr["codeInterfaceFlux"] == "FSO1100A" and cr["nomFichierFlux"] == "facture-mairie.xml"
    report = etree.fromstring(base64.b64decode(cr["fichierCR"]))
    assert report.findtext(".//IdFlux") == id_flux

    inbox = api.call("factures/v1/rechercher/recipiendaire", "TECH_MAIRIE", {}).json()
    assert inbox["codeRetour"] == 0
    mine = [f for f in inbox["listeFactures"] if f["numeroFluxDepot"] == id_flux]
    assert len(mine) == 1 and mine[0]["statut"] == "MISE_A_DISPOSITION"
    invoice = mine[0]
    assert invoice["numeroFacture"] == number
    assert invoice["codeDestinataire"] == "99900001000010"
    assert invoice["codeServiceExecutant"] == "SERVICES-TECHNIQUES"
    fid = invoice["idFacture"]

    steps = [
        (
            "TECH_MAIRIE",
            "factures/v1/traiter/recue",
            {
                "idFacture": fid,
                "nouveauStatut": "SUSPENDUE",
                "motif": "AUTRE",
                "commentaire": "bon de livraison manquant",
            },
            "SUSPENDUE",
        ),
        (
            "TECH_FOURNISSEUR",
            "factures/v1/completer",
            {
                "idFacture": fid,
                "commentaire": "voici le bon de livraison",
                "pieceJointe": {
                    "nomFichier": "bon-livraison.pdf",
                    "fichier": service.b64(b"%PDF-1.4 BL"),
                },
            },
            "COMPLETEE",
        ),
        (
            "TECH_MAIRIE",
            "factures/v1/traiter/recue",
            {"idFacture": fid, "nouveauStatut": "SERVICE_FAIT"},
            "SERVICE_FAIT",
        ),
        (
            "TECH_MAIRIE",
            "factures/v1/traiter/recue",
            {"idFacture": fid, "nouveauStatut": "MISE_EN_PAIEMENT"},
            "MISE_EN_PAIEMENT",
        ),
    ]
    for login, path, body, status in steps:
        answer = api.call(path, login, body).json()
        assert answer["codeRetour"] == 0 and answer["nouveauStatut"] == status, answer

    history = api.call("factures/v1/consulter/historique", "TECH_FOURNISSEUR", {"idFacture": fid})
    body = history.json()
    codes = [h["histoStatutCode"] for h in body["historiquesDesStatuts"]["histoStatut"]]
    assert body["statutCourantCode"] == "MISE_EN_PAIEMENT"
    assert codes[:4] == ["MISE_EN_PAIEMENT", "SERVICE_FAIT", "COMPLETEE", "SUSPENDUE"]
    assert codes[-1] == "DEPOSEE"
    suspended = body["historiquesDesStatuts"]["histoStatut"][3]
    assert suspended["histoStatutMotif"] == "AUTRE"
    assert suspended["histoStatutCommentaire"] == "bon de livraison manquant"

    pivot = api.call(
        "factures/v1/telecharger/groupe",
        "TECH_MAIRIE",
        {"format": "PIVOT", "listeFacture": [{"idFacture": fid}]},
    ).json()
    assert pivot["codeRetour"] == 0 and pivot["nomFichierResultat"].startswith("FEN0036A_")
    assert etree.fromstring(base64.b64decode(pivot["fichierResultat"])).tag == "CPPFacturePivot"
    original = api.call(
        "factures/v1/telecharger/groupe",
        "TECH_FOURNISSEUR",
        {"format": "ORIGINAL", "listeFacture": [{"idFacture": fid}]},
    ).json()
    assert base64.b64decode(original["fichierResultat"]) == data


def test_a_refused_transition_answers_20002(api: Api) -> None:
    data = (EXAMPLES / "01-ok-ubl-mairie-sans-service.xml").read_bytes()
    id_flux = api.deposit(data, "f1.xml", "IN_DP_E1_UBL_INVOICE")
    assert api.wait_integrated(id_flux)["etatCourantFlux"] == "IN_INTEGRE"
    detail = api.call(
        "transverses/v1/consulterCRDetaille", "TECH_FOURNISSEUR", {"numeroFluxDepot": id_flux}
    ).json()
    fid = detail["listeFactures"][0]["idFacture"]
    answer = api.call(
        "factures/v1/traiter/recue", "TECH_MAIRIE", {"idFacture": fid, "nouveauStatut": "DEPOSEE"}
    )
    assert answer.status_code == 200
    assert answer.json()["codeRetour"] == 20002
    label = answer.json()["libelle"]
    assert label.startswith("Incohérence au niveau du statut") and label.count("Incohérence") == 1
    missing_motif = api.call(
        "factures/v1/traiter/recue", "TECH_MAIRIE", {"idFacture": fid, "nouveauStatut": "REJETEE"}
    ).json()
    assert missing_motif["codeRetour"] == 20003 and "GW-LC" in missing_motif["libelle"]


def test_a_rejected_invoice_lists_its_errors(api: Api) -> None:
    data = (EXAMPLES / "09-rej-siret-inconnu.xml").read_bytes()
    id_flux = api.deposit(data, "rej.xml", "IN_DP_E1_UBL_INVOICE")
    assert api.wait_integrated(id_flux)["etatCourantFlux"] == "IN_REJETE"
    detail = api.call(
        "transverses/v1/consulterCRDetaille", "TECH_FOURNISSEUR", {"numeroFluxDepot": id_flux}
    ).json()
    assert detail["etatCourantDepotFlux"] == "IN_REJETE" and detail["listeErreurTechnique"] == []
    codes = {e["codeErreur"] for e in detail["listeErreurDP"]}
    assert "CPP-REC-02" in codes or "CPP-REC-01" in codes, detail
    assert all("numeroDP" in e for e in detail["listeErreurDP"])
    assert {e["natureErreur"] for e in detail["listeErreurDP"]} == {"REJET"}
    assert all(e["natureErreur"] != "REJET" for e in detail["listeAvertissements"])
    html = api.call(
        "transverses/v1/consulterCR",
        "TECH_FOURNISSEUR",
        {"numeroFluxDepot": id_flux, "formatCR": "HTML"},
    ).json()
    page = base64.b64decode(html["fichierCR"]).decode()
    assert page.startswith("<!DOCTYPE html>") and id_flux in page and "IN_REJETE" in page


def test_every_status_flow_is_valid_against_the_official_xsd(api: Api) -> None:
    number = "API-XSD-1"  # a story of its own: every kind of flow is written
    story(api, distinct("02-ok-ubl-mairie-services-techniques.xml", number), number)
    schema = etree.XMLSchema(etree.parse(str(need_shared(STATUT_XSD))))
    pivots = etree.XMLSchema(etree.parse(str(need_shared(PIVOT_XSD))))
    trees = [(p, etree.parse(str(p))) for p in sorted(Path(api.root, "outbound").rglob("*.xml"))]
    statuts = [(p, t) for p, t in trees if t.getroot().tag == "CPPStatut"]
    assert len(statuts) >= 7  # the flux report, 01-03 to the supplier, four lifecycle flows ...
    for path, tree in statuts:
        assert schema.validate(tree), (path, schema.error_log)
    pivot_files = [(p, t) for p, t in trees if t.getroot().tag == "CPPFacturePivot"]
    assert pivot_files
    for path, tree in pivot_files:
        assert pivots.validate(tree), (path, pivots.error_log)
