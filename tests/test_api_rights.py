"""The rights matrix of the Service mode, table-driven: every operation x {own, another
structure's account, no account}. Own: served; another's: 403 for one object (the same answer as
for an object that does not exist: no enumeration), or a search that does not show it; no
account: 401."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fixtures.api import service
from tests.fixtures.api.service import EXAMPLES, Api

FORBIDDEN = {"codeRetour": 403}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, dict[str, Any]]]:
    """One server; TECH_FOURNISSEUR deposited two invoices to the mairie (one to read, one to
    process)."""
    with service.started(tmp_path_factory.mktemp("api-rights"), workers=1) as api:
        ids: dict[str, Any] = {}
        data = (EXAMPLES / "02-ok-ubl-mairie-services-techniques.xml").read_bytes()
        for key, number in (("read", "RIGHTS-1"), ("act", "RIGHTS-2")):
            flux = api.deposit(
                data.replace(b"EX-2025-002", number.encode()), f"{key}.xml", "IN_DP_E1_UBL_INVOICE"
            )
            assert api.wait_integrated(flux)["etatCourantFlux"] == "IN_INTEGRE"
            detail = api.call(
                "transverses/v1/consulterCRDetaille", "TECH_FOURNISSEUR", {"numeroFluxDepot": flux}
            ).json()
            ids[key] = {"flux": flux, "invoice": detail["listeFactures"][0]["idFacture"]}
        yield api, ids


def _deposit_body(_ids: dict[str, Any]) -> dict[str, Any]:
    data = (EXAMPLES / "01-ok-ubl-mairie-sans-service.xml").read_bytes()
    return {
        "fichierFlux": service.b64(data),
        "nomFichier": "m.xml",
        "syntaxeFlux": "IN_DP_E1_UBL_INVOICE",
    }


def _flux(ids: dict[str, Any]) -> dict[str, Any]:
    return {"numeroFluxDepot": ids["read"]["flux"]}


def _invoice(ids: dict[str, Any]) -> dict[str, Any]:
    return {"idFacture": ids["read"]["invoice"]}


def _download(ids: dict[str, Any]) -> dict[str, Any]:
    return {"format": "PIVOT", "listeFacture": [{"idFacture": ids["read"]["invoice"]}]}


def _suspend(ids: dict[str, Any]) -> dict[str, Any]:
    return {"idFacture": ids["act"]["invoice"], "nouveauStatut": "SUSPENDUE", "motif": "AUTRE"}


def _complete(ids: dict[str, Any]) -> dict[str, Any]:
    piece = {"nomFichier": "piece.pdf", "fichier": service.b64(b"%PDF-1.4")}
    return {"idFacture": ids["act"]["invoice"], "commentaire": "ok", "pieceJointe": piece}


def _empty(_ids: dict[str, Any]) -> dict[str, Any]:
    return {}


def _structure(_ids: dict[str, Any]) -> dict[str, Any]:
    return {"idStructure": 99900001000010, "idService": 1}


# (operation, body, own account, another structure's account, kind). kind "object": the other
# account gets 403; "search": it gets an answer that does not show the object; "public": it is
# served like the owner (the directory and the reference lists are public in Chorus Pro).
MATRIX: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str, str, str]] = [
    ("factures/v1/deposer/flux", _deposit_body, "TECH_FOURNISSEUR", "TECH_MAIRIE", "object"),
    ("transverses/v1/consulterCR", _flux, "TECH_FOURNISSEUR", "TECH_UNIVERSITE", "object"),
    ("transverses/v1/consulterCRDetaille", _flux, "TECH_FOURNISSEUR", "TECH_MAIRIE", "object"),
    ("factures/v1/rechercher/fournisseur", _empty, "TECH_FOURNISSEUR", "TECH_UNIVERSITE", "search"),
    (
        "factures/v1/rechercher/recipiendaire",
        _empty,
        "TECH_MAIRIE",
        "TECH_LYCEE_INTENDANCE",
        "search",
    ),
    ("factures/v1/consulter/fournisseur", _invoice, "TECH_FOURNISSEUR", "TECH_MAIRIE", "object"),
    ("factures/v1/consulter/recipiendaire", _invoice, "TECH_MAIRIE", "TECH_FOURNISSEUR", "object"),
    ("factures/v1/consulter/historique", _invoice, "TECH_MAIRIE", "TECH_UNIVERSITE", "object"),
    ("factures/v1/telecharger/groupe", _download, "TECH_MAIRIE", "TECH_LYCEE_INTENDANCE", "object"),
    ("factures/v1/traiter/recue", _suspend, "TECH_MAIRIE", "TECH_FOURNISSEUR", "object"),
    ("factures/v1/completer", _complete, "TECH_FOURNISSEUR", "TECH_UNIVERSITE", "object"),
    ("structures/v1/rechercher", _empty, "TECH_MAIRIE", "TECH_FOURNISSEUR", "public"),
    ("structures/v1/consulter", _structure, "TECH_MAIRIE", "TECH_FOURNISSEUR", "public"),
    ("structures/v1/rechercher/services", _structure, "TECH_MAIRIE", "TECH_UNIVERSITE", "public"),
    ("structures/v1/consulter/service", _structure, "TECH_MAIRIE", "TECH_FOURNISSEUR", "public"),
    ("transverses/v1/recuperer/formatflux", _empty, "TECH_MAIRIE", "TECH_FOURNISSEUR", "public"),
    ("transverses/v1/recuperer/statuts", _empty, "TECH_MAIRIE", "TECH_FOURNISSEUR", "public"),
    ("transverses/v1/recuperer/motifs", _empty, "TECH_MAIRIE", "TECH_FOURNISSEUR", "public"),
    (
        "transverses/v1/recuperer/cadrefacturation",
        _empty,
        "TECH_MAIRIE",
        "TECH_UNIVERSITE",
        "public",
    ),
]


def _shows(answer: dict[str, Any], ids: dict[str, Any]) -> bool:
    return ids["read"]["invoice"] in {f["idFacture"] for f in answer.get("listeFactures", [])}


@pytest.mark.parametrize(
    ("path", "body", "own", "other", "kind"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_rights(
    world: tuple[Api, dict[str, Any]], path: str, body: Any, own: str, other: str, kind: str
) -> None:
    api, ids = world
    # no account header at all: 401, and nothing done
    nobody = api.client.post(f"/cpro/{path}", json=body(ids), headers=api.headers(None))
    assert nobody.status_code == 401 and nobody.json()["codeRetour"] == 401
    assert "WWW-Authenticate" in nobody.headers
    # another structure's account (tried before the owner: a refused call changes nothing)
    theirs = api.call(path, other, body(ids))
    if kind == "object":
        assert theirs.status_code == 403, theirs.text
        assert theirs.json()["codeRetour"] == 403
    elif kind == "search":
        assert theirs.status_code == 200 and not _shows(theirs.json(), ids)
    else:
        assert theirs.status_code == 200 and theirs.json()["codeRetour"] == 0, theirs.text
    mine = api.call(path, own, body(ids))
    assert mine.status_code == 200 and mine.json()["codeRetour"] == 0, mine.text
    if kind == "search":
        assert _shows(mine.json(), ids)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("transverses/v1/consulterCR", {"numeroFluxDepot": "EDIGW31100000000000999999"}),
        ("factures/v1/consulter/recipiendaire", {"idFacture": 999999}),
        ("factures/v1/consulter/historique", {"idFacture": 999999}),
        ("factures/v1/traiter/recue", {"idFacture": 999999, "nouveauStatut": "SERVICE_FAIT"}),
    ],
)
def test_an_object_that_does_not_exist_answers_as_one_of_another(
    world: tuple[Api, dict[str, Any]], path: str, body: dict[str, Any]
) -> None:
    api, ids = world
    missing = api.call(path, "TECH_MAIRIE", body)
    other = api.call(path, "TECH_LYCEE_INTENDANCE", {**body, **_invoice(ids), **_flux(ids)})
    assert missing.status_code == other.status_code == 403
    assert missing.json() == other.json()


def test_no_token_or_a_forged_one_is_401(world: tuple[Api, dict[str, Any]]) -> None:
    api, _ = world
    account = {"cpro-account": service.cpro_account("TECH_MAIRIE")}
    for auth in ({}, {"Authorization": "Bearer not.a.token"}, {"Authorization": "Basic eDp5"}):
        answer = api.client.post(
            "/cpro/structures/v1/rechercher", json={}, headers={**account, **auth}
        )
        assert answer.status_code == 401, auth
