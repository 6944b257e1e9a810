"""The portal over HTTP against a real ``edi-gateway serve``: sessions, CSRF, rights, escaping,
uploads, the login throttle, and the actions the lifecycle allows."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edi_gateway.lifecycle import table as lifecycle
from tests.fixtures.api import service
from tests.fixtures.api.service import EXAMPLES, Api

PASSWORDS = {
    "fournisseur@demo.fr": "Fournisseur-Portail-1",
    "mairie@demo.fr": "Mairie-Portail-1",
    "intendance@demo.fr": "Lycee-Portail-1",
}
LIMIT = 300_000


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("portal")
    with service.started(root, workers=1, max_file_bytes=LIMIT) as running:
        yield running


def token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def browser(api: Api) -> httpx.Client:
    return httpx.Client(base_url=api.base, timeout=60, follow_redirects=False)


def logged_in(api: Api, login: str) -> httpx.Client:
    client = browser(api)
    form = client.get("/portail/connexion")
    answer = client.post(
        "/portail/connexion",
        data={"login": login, "password": PASSWORDS[login], "csrf": token(form.text)},
    )
    assert answer.status_code == 303, answer.text
    return client


def deposit(client: httpx.Client, name: str, data: bytes) -> str:
    """Upload a file as the supplier; returns the IdFlux once it is done."""
    page = client.get("/portail/factures/emises")
    answer = client.post(
        "/portail/depot", data={"csrf": token(page.text)}, files={"fichier": (name, data)}
    )
    assert answer.status_code == 303, answer.text
    id_flux = answer.headers["location"].rsplit("/", 1)[-1]
    for _ in range(300):
        flux = client.get("/portail/flux.json").json()["fluxes"]
        if any(f["id_flux"] == id_flux and f["verdict"] for f in flux):
            return id_flux
        time.sleep(0.1)
    raise AssertionError(f"{id_flux} not done")


def renumbered(name: str, number: str) -> bytes:
    return (EXAMPLES / name).read_bytes().replace(b"EX-2025-002", number.encode())


def test_pages_need_a_session_and_redirect_to_the_login(api: Api) -> None:
    answer = browser(api).get("/portail/factures/recues")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portail/connexion?next=/portail/factures/recues"


def test_login_form_needs_its_token_and_sets_a_safe_cookie(api: Api) -> None:
    client = browser(api)
    first = client.get("/portail/connexion")
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/portail" in cookie
    assert "secure" not in cookie  # no TLS here ([portal] secure_cookie = true behind TLS)
    refused = client.post(
        "/portail/connexion",
        data={"login": "mairie@demo.fr", "password": PASSWORDS["mairie@demo.fr"]},
    )
    assert refused.status_code == 403 and "jeton" in refused.text
    before = client.cookies.get("edi_portail")
    ok = client.post(
        "/portail/connexion",
        data={
            "login": "mairie@demo.fr",
            "password": PASSWORDS["mairie@demo.fr"],
            "csrf": token(first.text),
            "next": "https://evil.example/",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/portail/"  # no open redirect
    assert client.cookies.get("edi_portail") != before  # a new session after login


def test_a_wrong_password_and_the_throttle(tmp_path: Path) -> None:
    with service.started(tmp_path, workers=1) as api:  # its own server: the throttle stays here
        _throttled(api)


def _throttled(api: Api) -> None:
    client = browser(api)
    page = client.get("/portail/connexion")
    for _ in range(10):
        wrong = client.post(
            "/portail/connexion",
            data={"login": "intendance@demo.fr", "password": "nope", "csrf": token(page.text)},
        )
        assert wrong.status_code == 401 and "incorrect" in wrong.text
    blocked = client.post(
        "/portail/connexion",
        data={
            "login": "intendance@demo.fr",
            "password": PASSWORDS["intendance@demo.fr"],
            "csrf": token(page.text),
        },
    )
    assert blocked.status_code == 401  # throttled: even the right password, for a while
    assert logged_in(api, "mairie@demo.fr").get("/portail/").status_code == 200  # others fine


def test_the_recipient_sees_its_invoice_and_the_buttons_the_lifecycle_allows(api: Api) -> None:
    supplier = logged_in(api, "fournisseur@demo.fr")
    id_flux = deposit(
        supplier, "p1.xml", renumbered("02-ok-ubl-mairie-services-techniques.xml", "PORT-1")
    )
    mairie = logged_in(api, "mairie@demo.fr")
    inbox = mairie.get("/portail/factures/recues").text
    invoice_id = re.search(r'href="/portail/factures/(\d+)">PORT-1<', inbox).group(1)
    page = mairie.get(f"/portail/factures/{invoice_id}").text
    buttons = set(re.findall(r'id="action-([A-Z_]+)"', page))
    allowed = {s.name for s in lifecycle.default().targets("MISE_A_DISPOSITION", "recipient")}
    assert buttons == allowed and "SUSPENDUE" in buttons
    # no token: refused, nothing changes
    refused = mairie.post(
        f"/portail/factures/{invoice_id}/statut", data={"statut": "SERVICE_FAIT", "confirme": "oui"}
    )
    assert refused.status_code == 403
    assert ">MISE_A_DISPOSITION<" in mairie.get(f"/portail/factures/{invoice_id}").text
    # first a confirmation page, then the status
    form = {
        "statut": "SUSPENDUE",
        "motif": "AUTRE",
        "commentaire": "BL manquant",
        "csrf": token(page),
    }
    confirm = mairie.post(f"/portail/factures/{invoice_id}/statut", data=form)
    assert confirm.status_code == 200 and 'name="confirme" value="oui"' in confirm.text
    done = mairie.post(f"/portail/factures/{invoice_id}/statut", data={**form, "confirme": "oui"})
    assert done.status_code == 303
    assert ">SUSPENDUE<" in mairie.get(f"/portail/factures/{invoice_id}").text
    # the supplier completes it with a file
    own = supplier.get(f"/portail/factures/{invoice_id}").text
    completed = supplier.post(
        f"/portail/factures/{invoice_id}/completer",
        data={"csrf": token(own), "commentaire": "voici"},
        files={"fichier": ("bl.pdf", b"%PDF-1.4 BL")},
    )
    assert completed.status_code == 303
    assert ">COMPLETEE<" in supplier.get(f"/portail/factures/{invoice_id}").text
    # the lycée's user, the supplier on the recipient form, and nobody see nothing of it
    lycee = logged_in(api, "intendance@demo.fr")
    assert lycee.get(f"/portail/factures/{invoice_id}").status_code == 404
    assert lycee.get(f"/portail/flux/{id_flux}").status_code == 404
    assert lycee.get(f"/portail/flux/{id_flux}/fichier/-1").status_code == 404
    assert lycee.get("/portail/factures/999999").status_code == 404
    assert all(f["id_flux"] != id_flux for f in lycee.get("/portail/flux.json").json()["fluxes"])
    as_recipient = supplier.post(
        f"/portail/factures/{invoice_id}/statut",
        data={"statut": "SERVICE_FAIT", "confirme": "oui", "csrf": token(own)},
    )
    assert as_recipient.status_code == 404


def test_values_from_an_invoice_and_a_file_name_render_as_text(api: Api) -> None:
    supplier = logged_in(api, "fournisseur@demo.fr")
    data = renumbered("02-ok-ubl-mairie-services-techniques.xml", '&lt;b&gt;"X"')
    data = data.replace(
        b"Fournitures D\xc3\xa9mo SARL", b"&lt;script&gt;alert('x')&lt;/script&gt; \xe2\x80\xae"
    )
    id_flux = deposit(supplier, "<img src=x onerror=alert(1)>.xml", data)
    flux_page = supplier.get(f"/portail/flux/{id_flux}").text
    assert "<img src=x" not in flux_page and "&lt;img src=x onerror=alert(1)&gt;.xml" in flux_page
    sent = supplier.get("/portail/factures/emises").text
    assert "<script>alert" not in sent and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in sent
    assert "<b>" not in sent and "&lt;b&gt;&#34;X&#34;" in sent


def test_downloads_are_attachments_and_uploads_are_bounded(api: Api) -> None:
    supplier = logged_in(api, "fournisseur@demo.fr")
    data = renumbered("02-ok-ubl-mairie-services-techniques.xml", "PORT-DL")
    id_flux = deposit(supplier, "dl.xml", data)
    original = supplier.get(f"/portail/flux/{id_flux}/fichier/-1")
    assert original.status_code == 200 and original.content == data
    assert original.headers["content-type"] == "application/octet-stream"
    assert original.headers["content-disposition"].startswith("attachment")
    assert original.headers["x-content-type-options"] == "nosniff"
    page = supplier.get("/portail/factures/emises")
    too_big = supplier.post(
        "/portail/depot",
        data={"csrf": token(page.text)},
        files={"fichier": ("big.xml", b"<a>" + b"x" * LIMIT + b"</a>")},
    )
    assert too_big.status_code == 413
    bad_name = supplier.post(
        "/portail/depot", data={"csrf": token(page.text)}, files={"fichier": ("..", b"<a/>")}
    )
    assert bad_name.status_code == 400


def test_the_flux_page_shows_the_path_and_explains_a_rejection(api: Api) -> None:
    supplier = logged_in(api, "fournisseur@demo.fr")
    id_flux = deposit(
        supplier, "rej.xml", (EXAMPLES / "11-rej-service-obligatoire.xml").read_bytes()
    )
    page = supplier.get(f"/portail/flux/{id_flux}").text
    assert "IN_REJETE" in page and "CPP-REC-04" in page
    assert "Cette structure exige un code service" in page  # the plain explanation
    # the file's own lines around the finding's line, that line marked
    hit = re.search(r'<span class="hit">\s*(\d+)  ([^<]*)</span>', page)
    source = (EXAMPLES / "11-rej-service-obligatoire.xml").read_text().splitlines()
    assert hit and source[int(hit.group(1)) - 1].strip().startswith(
        hit.group(2).replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").strip()[:20]
    )
    steps = re.findall(r'<li class="(done|todo|failed)"><span class="step">([^<]+)</span>', page)
    assert [s for _, s in steps][:4] == [
        "Reçu",
        "Syntaxe reconnue",
        "Contrôles XSD et Schematron",
        "Rejeté par les règles de réception",
    ]
    assert [state for state, _ in steps[:4]] == ["done", "done", "done", "failed"]
    assert "Irrecevable" not in page  # a step that did not happen is not shown
    english = supplier.get(f"/portail/flux/{id_flux}?lang=en").text
    assert "This structure requires a service code" in english and "Received" in english


def test_logout_needs_the_token_and_ends_the_session(api: Api) -> None:
    client = logged_in(api, "mairie@demo.fr")
    page = client.get("/portail/").text
    copied = client.cookies.get("edi_portail")
    assert client.post("/portail/deconnexion", data={}).status_code == 403
    assert client.post("/portail/deconnexion", data={"csrf": token(page)}).status_code == 303
    assert client.get("/portail/").status_code == 303
    thief = browser(api)  # the session's cookie, copied before the logout, is refused too
    thief.cookies.set("edi_portail", copied, path="/portail")
    assert thief.get("/portail/").status_code == 303


def test_portal_answers_carry_security_headers_and_no_url_message(api: Api) -> None:
    client = logged_in(api, "mairie@demo.fr")
    page = client.get("/portail/?message=Votre compte est suspendu")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "same-origin"
    assert "Votre compte est suspendu" not in page.text
    assert client.get("/portail/flux?page=99999999999999999999").status_code == 400
    assert client.get("/portail/factures/recues?page=-1").status_code == 400


def test_bidi_controls_in_invoice_values_are_neutralised(api: Api) -> None:
    supplier = logged_in(api, "fournisseur@demo.fr")
    data = renumbered("02-ok-ubl-mairie-services-techniques.xml", "BIDI-1")
    data = data.replace("Fournitures Démo SARL".encode(), "Démo \u202egpj.exe".encode())
    deposit(supplier, "bidi.xml", data)
    sent = supplier.get("/portail/factures/emises").text
    assert "\u202e" not in sent and "Démo \ufffdgpj.exe" in sent


def test_the_invoice_page_shows_its_lines_vat_and_totals_escaped(api: Api) -> None:
    supplier = logged_in(api, "fournisseur@demo.fr")
    data = renumbered("02-ok-ubl-mairie-services-techniques.xml", "PORT-LINES")
    data = data.replace(b"Ramette de papier A4", b"Ramette &lt;script&gt;alert(1)&lt;/script&gt;")
    deposit(supplier, "lines.xml", data)
    mairie = logged_in(api, "mairie@demo.fr")
    inbox = mairie.get("/portail/factures/recues").text
    invoice_id = re.search(r'href="/portail/factures/(\d+)">PORT-LINES<', inbox).group(1)
    page = mairie.get(f"/portail/factures/{invoice_id}").text
    lines = page[page.index('id="lines"') : page.index("</table>", page.index('id="lines"'))]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", lines)
    assert cells == [
        "1", "Ramette &lt;script&gt;alert(1)&lt;/script&gt;", "PAP-A4", "10 C62", "12.50",
        "125.00", "S 20 %",
    ]  # fmt: skip
    assert "<script>alert(1)" not in page
    vat = page[page.index('id="vat"') : page.index("</table>", page.index('id="vat"'))]
    assert re.findall(r"<td[^>]*>([^<]*)</td>", vat) == ["S", "20 %", "125.00", "25.00", ""]
    totals = page[page.index('id="totals"') : page.index("</dl>", page.index('id="totals"'))]
    assert "<dd>150.00 EUR</dd>" in totals and "<dd>2025-07-16</dd>" in totals
