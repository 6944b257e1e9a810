"""Bad input to the Service mode: each gets a clear answer, nothing is lost or half-written,
and the server keeps serving (a real ``edi-gateway serve`` on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from edi_gateway.web.tokens import TokenIssuer
from tests.fixtures.api import service
from tests.fixtures.api.service import EXAMPLES, Api
from tests.fixtures.daemon import support

LIMIT = 65536
DEPOSIT = "factures/v1/deposer/flux"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("api-bad")
    with service.started(root, workers=1, api=f"max_request_bytes = {LIMIT}") as running:
        yield running


def _staged(api: Api) -> list[Path]:
    return [p for p in (api.root / "var" / "api-staging").rglob("*") if p.is_file()]


def _flux_count(api: Api) -> int:
    return len(support.flux_states(api.root / "var" / "gateway.sqlite3"))


def _deposit(api: Api, body: Any, raw: bytes | None = None) -> httpx.Response:
    headers = {**api.headers("TECH_FOURNISSEUR"), "content-type": "application/json"}
    content = raw if raw is not None else json.dumps(body).encode()
    return api.client.post(f"/cpro/{DEPOSIT}", content=content, headers=headers)


def _good(**changes: Any) -> dict[str, Any]:
    data = (EXAMPLES / "03-ok-cii-lycee-intendance.xml").read_bytes()
    body = {
        "fichierFlux": service.b64(data),
        "nomFichier": "f.xml",
        "syntaxeFlux": "IN_DP_E1_CII_16B",
    }
    return {**body, **changes}


@pytest.mark.parametrize(
    ("case", "body", "raw", "says"),
    [
        ("malformed JSON", None, b'{"fichierFlux": "QQ==", ', "malformed request"),
        ("not an object", None, b"[1, 2, 3]", "malformed request"),
        ("wrong type", _good(fichierFlux=12345), None, "fichierFlux"),
        ("wrong type bool", _good(avecSignature="oui"), None, "avecSignature"),
        ("missing field", {"fichierFlux": "QQ==", "nomFichier": "f.xml"}, None, "syntaxeFlux"),
        ("not base64", _good(fichierFlux="@@@ not base64 @@@"), None, "base64"),
        ("unknown syntaxeFlux", _good(syntaxeFlux="IN_DP_E9_WHATEVER"), None, "syntaxeFlux"),
        ("path traversal", _good(nomFichier="../../etc/passwd"), None, "nomFichier"),
        ("folder in the name", _good(nomFichier="sub/f.xml"), None, "nomFichier"),
        ("backslash", _good(nomFichier="..\\f.xml"), None, "nomFichier"),
        ("control character", _good(nomFichier="f\x01.xml"), None, "nomFichier"),
        ("new line", _good(nomFichier="f\n.xml"), None, "nomFichier"),
        ("bidi override", _good(nomFichier="facture\u202egpj.xml"), None, "nomFichier"),
        ("hidden name", _good(nomFichier=".f.xml"), None, "nomFichier"),
        ("dot dot", _good(nomFichier=".."), None, "nomFichier"),
        ("empty name", _good(nomFichier=""), None, "nomFichier"),
        ("long name", _good(nomFichier="é" * 150 + ".xml"), None, "nomFichier"),
    ],
)
def test_a_bad_deposit_is_a_400_and_leaves_nothing(
    api: Api, case: str, body: Any, raw: bytes | None, says: str
) -> None:
    before = _flux_count(api)
    answer = _deposit(api, body, raw)
    assert answer.status_code == 400, (case, answer.text)
    payload = answer.json()
    assert payload["codeRetour"] == 400 and says in payload["libelle"], payload
    assert "Traceback" not in answer.text
    assert _staged(api) == [] and _flux_count(api) == before


def test_a_known_syntax_the_gateway_does_not_process_is_a_business_error(api: Api) -> None:
    answer = _deposit(api, _good(syntaxeFlux="IN_DP_E1_XCBL"))
    assert answer.status_code == 200 and answer.json()["codeRetour"] == 20004
    assert "xCBL" in answer.json()["libelle"]


def test_a_syntax_contradicting_the_content_makes_the_flux_inadmissible(api: Api) -> None:
    body = _good(syntaxeFlux="IN_DP_E1_UBL_INVOICE", nomFichier="cii-said-ubl.xml")
    answer = _deposit(api, body).json()
    assert answer["codeRetour"] == 0
    cr = api.wait_integrated(answer["numeroFluxDepot"])
    assert cr["etatCourantFlux"] == "IN_INCIDENTE", cr
    detail = api.call(
        "transverses/v1/consulterCRDetaille",
        "TECH_FOURNISSEUR",
        {"numeroFluxDepot": answer["numeroFluxDepot"]},
    ).json()
    assert detail["motif"] == "IRR_SYNTAX"
    first = detail["listeErreurTechnique"][0]
    assert first["codeErreur"] == "GW-API-01" and "IN_DP_E1_CII_16B" in first["libelleErreur"]
    assert first["libelleErreur"].startswith("syntaxeFlux déclaré IN_DP_E1_UBL_INVOICE")
    # the original is kept, in the error folder, under its IdFlux
    kept = list((api.root / "var" / "error").glob(f"{answer['numeroFluxDepot']}__*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"<?xml")


def test_a_body_over_the_limit_is_refused_before_it_is_read(api: Api) -> None:
    host, port = api.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST /cpro/{DEPOSIT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 * LIMIT}\r\n\r\n"
        )
        sock.sendall(head.encode())  # and not one byte of the body
        reply = b""
        while chunk := sock.recv(4096):  # the server closes the connection after its answer
            reply += chunk
        reply = reply.decode()
    assert reply.startswith("HTTP/1.1 413"), reply
    assert "request body over" in reply


def test_a_chunked_body_over_the_limit_is_cut_off(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"fichierFlux": "'
        for _ in range(40):
            yield b"A" * 4096

    headers = {**api.headers("TECH_FOURNISSEUR"), "content-type": "application/json"}
    try:
        answer = api.client.post(f"/cpro/{DEPOSIT}", content=chunks(), headers=headers)
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
        pass  # the server answered 413 and closed while the client was still sending
    else:
        assert answer.status_code == 413
    assert _staged(api) == []
    assert api.call("structures/v1/rechercher", "TECH_MAIRIE", {}).json()["codeRetour"] == 0


def test_a_client_that_disconnects_mid_upload_leaves_nothing(api: Api) -> None:
    before = _flux_count(api)
    host, port = api.base.removeprefix("http://").split(":")
    body = json.dumps(_good()).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST /cpro/{DEPOSIT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: {api.headers('TECH_FOURNISSEUR')['Authorization']}\r\n"
            f"cpro-account: {service.cpro_account('TECH_FOURNISSEUR')}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[: len(body) // 2])
    time.sleep(0.5)
    assert _staged(api) == [] and _flux_count(api) == before
    assert api.call("structures/v1/rechercher", "TECH_MAIRIE", {}).json()["codeRetour"] == 0


def test_an_expired_or_forged_token_is_401(api: Api) -> None:
    key = bytes.fromhex((api.root / "var" / "api-token-key").read_text())
    expired = TokenIssuer(key, 3600).issue("demo-client", now=time.time() - 7200)
    forged = TokenIssuer(b"k" * 32, 3600).issue("demo-client")
    valid = TokenIssuer(key, 3600).issue("demo-client")
    account = {"cpro-account": service.cpro_account("TECH_MAIRIE")}
    for token, status in ((expired, 401), (forged, 401), (valid, 200)):
        headers = {"Authorization": f"Bearer {token['access_token']}", **account}
        answer = api.client.post("/cpro/structures/v1/rechercher", json={}, headers=headers)
        assert answer.status_code == status, token


def test_wrong_credentials_are_401(api: Api) -> None:
    cases = [
        service.cpro_account("TECH_MAIRIE", "Fournisseur-Demo-1"),  # another account's password
        service.cpro_account("TECH_NOBODY", "whatever-1"),
        "not base64 at all",
        service.b64(b"no-colon"),
    ]
    for value in cases:
        headers = {**api.headers(None), "cpro-account": value}
        answer = api.client.post("/cpro/structures/v1/rechercher", json={}, headers=headers)
        assert answer.status_code == 401, value
    bad_client = api.client.post(
        "/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-client",
            "client_secret": "wrong",
        },
    )
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    bad_grant = api.client.post("/api/oauth/token", data={"grant_type": "password"})
    assert bad_grant.status_code == 400


def test_a_thousand_wrong_passwords_and_the_server_keeps_serving(api: Api) -> None:
    start = time.monotonic()
    codes = set()
    for i in range(1000):
        headers = {
            **api.headers(None),
            "cpro-account": service.cpro_account("TECH_LYCEE_INTENDANCE", f"x{i}"),
        }
        codes.add(
            api.client.post("/cpro/structures/v1/rechercher", json={}, headers=headers).status_code
        )
    spent = time.monotonic() - start
    print(f"\n1000 wrong passwords answered in {spent:.1f} s")
    assert codes == {401}
    # other accounts are served at once; the health check too
    assert api.call("structures/v1/rechercher", "TECH_FOURNISSEUR", {}).json()["codeRetour"] == 0
    health = api.client.get("/cpro/transverses/v1/health-check").json()
    assert health["statut"] == "UP"


def test_unknown_paths_and_methods_answer_json(api: Api) -> None:
    headers = api.headers("TECH_MAIRIE")
    missing = api.client.post("/cpro/factures/v1/nothing/here", json={}, headers=headers)
    assert missing.status_code == 404 and missing.json()["codeRetour"] == 404
    wrong_method = api.client.get(f"/cpro/{DEPOSIT}", headers=headers)
    assert wrong_method.status_code == 405 and "codeRetour" in wrong_method.json()
    # without credentials an operation path answers 401 whether it exists or not
    assert api.client.post("/cpro/factures/v1/nothing/here", json={}).status_code == 401


def _raw(api: Api, request: bytes, timeout: float = 10) -> bytes:
    host, port = api.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        reply = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                reply += chunk
    return reply


def test_a_huge_request_head_is_refused_at_once(api: Api) -> None:
    start = time.monotonic()
    head = b"GET /cpro/transverses/v1/health-check HTTP/1.1\r\nHost: x\r\nX-Big: "
    reply = _raw(api, head + b"A" * 1_000_000 + b"\r\n\r\n")
    assert reply == b"" or reply.split(b" ")[1] in (b"400", b"431"), reply[:100]
    assert time.monotonic() - start < 5
    assert api.client.get("/cpro/transverses/v1/health-check").status_code == 200


def test_credentials_are_checked_before_the_body_is_read(api: Api) -> None:
    head = (
        f"POST /cpro/{DEPOSIT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer nope\r\ncpro-account: nope\r\nContent-Length: {LIMIT - 1}\r\n\r\n"
    ).encode()
    start = time.monotonic()
    reply = _raw(api, head)  # the body never comes: the answer must not wait for it
    assert reply.startswith(b"HTTP/1.1 401"), reply[:200]
    assert time.monotonic() - start < 5


def test_calls_without_a_file_have_a_small_body_limit(api: Api) -> None:
    big = {"numeroFluxDepot": "x" * (2 * 1024 * 1024)}
    answer = api.call("transverses/v1/consulterCR", "TECH_FOURNISSEUR", big)
    assert answer.status_code == 413
    token = api.client.post("/api/oauth/token", content=b"a=" + b"x" * (2 * 1024 * 1024))
    assert token.status_code == 413


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("transverses/v1/consulterCR", b'{"numeroFluxDepot": "x\\ud800"}'),
        (
            "factures/v1/traiter/recue",
            b'{"idFacture": 1, "nouveauStatut": "SERVICE_FAIT", "commentaire": "\\udc00"}',
        ),
        (
            "factures/v1/traiter/recue",
            b'{"idFacture": 1, "nouveauStatut": "MANDATEE", "numeroDPMandat": "'
            + b"9" * 51
            + b'"}',
        ),
    ],
)
def test_unstorable_or_oversized_text_is_a_400(api: Api, path: str, body: bytes) -> None:
    headers = {**api.headers("TECH_MAIRIE"), "content-type": "application/json"}
    answer = api.client.post(f"/cpro/{path}", content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert "Traceback" not in answer.text


def test_base64_must_be_canonical(api: Api) -> None:
    for text in ("PGEv====", "PGEv=", "PGF="):  # padding too long, too short, trailing bits
        answer = _deposit(api, _good(fichierFlux=text))
        assert answer.status_code == 400 and "base64" in answer.json()["libelle"], text


def test_doubled_credential_headers_are_refused(api: Api) -> None:
    headers = [
        ("Authorization", f"Bearer {api.get_token()}"),
        ("cpro-account", service.cpro_account("TECH_MAIRIE")),
        ("cpro-account", service.cpro_account("TECH_FOURNISSEUR")),
    ]
    answer = api.client.post("/cpro/structures/v1/rechercher", json={}, headers=headers)
    assert answer.status_code == 401


def test_a_removed_clients_tokens_stop_working(api: Api) -> None:
    from edi_gateway.web import accounts_file

    path = api.root / "accounts.toml"
    accounts_file.add_client(path, "short-lived", "Secret-Short-1")
    token = api.client.post(
        "/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "short-lived",
            "client_secret": "Secret-Short-1",
        },
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "cpro-account": service.cpro_account("TECH_MAIRIE"),
    }
    first = api.client.post("/cpro/structures/v1/rechercher", json={}, headers=headers)
    assert first.status_code == 200, (first.text, (api.root / "gateway.err").read_text()[-3000:])
    accounts_file.remove(path, "short-lived")
    assert (
        api.client.post("/cpro/structures/v1/rechercher", json={}, headers=headers).status_code
        == 401
    )


def test_http_details(api: Api) -> None:
    assert api.client.head("/cpro/transverses/v1/health-check").status_code == 200
    wrong = api.client.get(f"/cpro/{DEPOSIT}", headers=api.headers("TECH_MAIRIE"))
    assert wrong.status_code == 405 and "POST" in wrong.headers["allow"]
    slash = api.client.get(
        "/cpro/transverses/v1/health-check/",
        headers={**api.headers("TECH_MAIRIE"), "Host": "evil.example"},
    )
    assert slash.status_code == 404 and "location" not in slash.headers


def test_nobody_deposits_in_another_suppliers_name(api: Api) -> None:
    data = (EXAMPLES / "01-ok-ubl-mairie-sans-service.xml").read_bytes()
    data = data.replace(b"EX-2025-001", b"IMPERSO-1")  # seller 99910000600018, not the university
    id_flux = api.deposit(data, "u.xml", "IN_DP_E1_UBL_INVOICE", login="TECH_UNIVERSITE")
    cr = api.wait_integrated(id_flux, login="TECH_UNIVERSITE")
    assert cr["etatCourantFlux"] == "IN_REJETE", cr
    detail = api.call(
        "transverses/v1/consulterCRDetaille", "TECH_UNIVERSITE", {"numeroFluxDepot": id_flux}
    ).json()
    assert "GW-API-02" in {e["codeErreur"] for e in detail["listeErreurDP"]}
    inbox = api.call("factures/v1/rechercher/recipiendaire", "TECH_MAIRIE", {}).json()
    assert all(f["numeroFacture"] != "IMPERSO-1" for f in inbox.get("listeFactures", []))
