"""The trainee story in a real browser (Debian's chromium and chromium-driver, driven by
Selenium; no browser download): a supplier enters an invoice by the form without the service
code its recipient requires and sees the error by the field, fixes it and deposits it (it is
integrated); uploads a file the structure refuses and reads why; then drops an invoice in
``inbound/`` and watches it arrive in Suivi des flux
without reloading; the recipient suspends it with a motif; the supplier completes it; the
recipient certifies service fait, then mise en paiement; the history shows every step and every
status flow written is valid against the official CPPStatut XSD; at last the recipient ticks
``codeServiceDoitEtreRenseigne`` on its fiche structure and the supplier's next invoice without
a service code is rejected (CPP-REC-04).

With ``EDI_GATEWAY_SCREENSHOTS=<folder>`` the main pages are saved there as PNG (the README's
pictures in ``docs/portal/`` come from this test)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import STATUT_XSD
from tests.fixtures.api import service
from tests.fixtures.api.service import EXAMPLES, Api

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)
SHOTS = os.environ.get("EDI_GATEWAY_SCREENSHOTS")
LYCEE = "99900002000019"


@pytest.fixture
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def wait_for(condition, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = condition()
        except Exception:  # an element not there yet
            found = None
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def shot(driver, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def settled(driver) -> None:  # type: ignore[no-untyped-def]
    """Wait until the current page has finished loading."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def click_through(driver, by: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Click the button or link ``(by, value)`` that leaves this page and wait until the next
    page has replaced it and finished loading, so that no element of the old page is used by
    mistake. A click chromedriver refuses because the page was still settling (a stale node) is
    tried again on the element found afresh: a refused click did not happen."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    settled(driver)
    page = driver.find_element(By.TAG_NAME, "html")
    for attempt in range(5):
        try:
            driver.find_element(by, value).click()
            break
        except WebDriverException as error:
            if attempt == 4 or ("stale" not in str(error) and "belong" not in str(error)):
                raise
            time.sleep(0.2)
    WebDriverWait(driver, 30).until(lambda _: gone(page))
    settled(driver)


def gone(element) -> bool:  # type: ignore[no-untyped-def]
    """True once ``element``'s page has been replaced (chromedriver says stale or, while the
    next page commits, that the node no longer belongs to the document)."""
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:
        return True
    return False


def login(driver, api: Api, who: str, password: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver.get(f"{api.base}/portail/connexion")
    driver.find_element(By.ID, "login").send_keys(who)
    driver.find_element(By.ID, "password").send_keys(password)
    click_through(driver, By.ID, "submit-login")
    wait_for(lambda: "Tableau de bord" in driver.page_source)


def logout(driver) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    click_through(driver, By.CSS_SELECTOR, "form.logout button")
    wait_for(lambda: "/portail/connexion" in driver.current_url)


def act(driver, status: str, motif: str | None = None) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    settled(driver)
    if motif:
        form = driver.find_element(By.ID, f"action-{status}").find_element(By.XPATH, "./..")
        Select(form.find_element(By.NAME, "motif")).select_by_value(motif)
    click_through(driver, By.ID, f"action-{status}")
    click_through(driver, By.ID, "confirm")
    wait_for(lambda: driver.find_element(By.ID, "invoice-status").text == status)


def test_the_trainee_story_in_a_browser(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    with service.started(tmp_path, "run", workers=1, settle=0.2) as api:
        login(driver, api, "fournisseur@demo.fr", "Fournisseur-Portail-1")
        shot(driver, "tableau-de-bord")
        # Saisie: the lycée requires a service code; the form says so next to the field
        driver.get(f"{api.base}/portail/saisie")
        Select(driver.find_element(By.ID, "choix-destinataire")).select_by_value(LYCEE)
        click_through(driver, By.ID, "choose-recipient")
        for field, value in (
            ("numero", "SAISIE-NAV-1"),
            ("designation_0", "Ramettes A4"),
            ("quantite_0", "10"),
            ("prix_0", "12,50"),
        ):
            driver.find_element(By.ID, field).send_keys(value)
        driver.execute_script("document.getElementById('date').value = '2026-12-01'")
        click_through(driver, By.ID, "submit-entry")
        error = wait_for(lambda: driver.find_element(By.ID, "error-service"))
        assert "CPP-REC-04" in error.text
        assert driver.find_element(By.ID, "total-ttc").text == "150.00 EUR"
        shot(driver, "saisie-erreur")
        Select(driver.find_element(By.ID, "service")).select_by_value("INTENDANCE")
        click_through(driver, By.ID, "submit-entry")
        wait_for(lambda: "IN_INTEGRE" in driver.page_source)
        assert "SAISIE-NAV-1" in driver.page_source
        shot(driver, "flux-integre")
        # an uploaded file the structure refuses, and why
        driver.get(f"{api.base}/portail/factures/emises")
        refused = tmp_path / "11-rej-service-obligatoire.xml"
        refused.write_bytes((EXAMPLES / "11-rej-service-obligatoire.xml").read_bytes())
        driver.find_element(By.ID, "fichier").send_keys(str(refused))
        click_through(driver, By.ID, "submit-deposit")
        wait_for(lambda: "IN_REJETE" in driver.page_source)
        assert "CPP-REC-04" in driver.page_source
        assert "Cette structure exige un code service" in driver.page_source
        shot(driver, "flux-rejete")

        driver.get(f"{api.base}/portail/flux")
        rows_before = len(driver.find_elements(By.CSS_SELECTOR, "#fluxes tbody tr"))
        data = (EXAMPLES / "02-ok-ubl-mairie-services-techniques.xml").read_bytes()
        part = tmp_path / "inbound" / ".facture-corrigee.xml.part"
        part.write_bytes(data.replace(b"EX-2025-002", b"NAV-1"))
        part.rename(tmp_path / "inbound" / "facture-corrigee.xml")
        wait_for(
            lambda: (
                "facture-corrigee.xml" in driver.find_element(By.ID, "fluxes").text
                and "IN_INTEGRE" in driver.find_element(By.ID, "fluxes").text
            )
        )
        assert len(driver.find_elements(By.CSS_SELECTOR, "#fluxes tbody tr")) == rows_before + 1
        shot(driver, "suivi-des-flux")
        logout(driver)

        login(driver, api, "mairie@demo.fr", "Mairie-Portail-1")
        driver.get(f"{api.base}/portail/factures/recues")
        shot(driver, "factures-recues")
        click_through(driver, By.LINK_TEXT, "NAV-1")
        invoice_url = driver.current_url
        act(driver, "SUSPENDUE", motif="LIVR_INCOMP")
        shot(driver, "facture")
        logout(driver)

        login(driver, api, "fournisseur@demo.fr", "Fournisseur-Portail-1")
        driver.get(invoice_url)
        piece = tmp_path / "bon-de-livraison.pdf"
        piece.write_bytes(b"%PDF-1.4 bon de livraison")
        driver.find_element(By.ID, "piece").send_keys(str(piece))
        click_through(driver, By.ID, "submit-complete")
        wait_for(lambda: driver.find_element(By.ID, "invoice-status").text == "COMPLETEE")
        logout(driver)

        login(driver, api, "mairie@demo.fr", "Mairie-Portail-1")
        driver.get(invoice_url)
        act(driver, "SERVICE_FAIT")
        act(driver, "MISE_EN_PAIEMENT")
        history = [
            r.text.split()[0] for r in driver.find_elements(By.CSS_SELECTOR, "#history tr")[1:]
        ]
        assert history[:4] == ["MISE_EN_PAIEMENT", "SERVICE_FAIT", "COMPLETEE", "SUSPENDUE"]
        assert history[-1] == "DEPOSEE"
        shot(driver, "historique")
        # paramétrage: the mairie now requires a service code; the next invoice sees it
        driver.get(f"{api.base}/portail/structures/99900001000010")
        driver.find_element(By.ID, "flag-codeServiceDoitEtreRenseigne").click()
        click_through(driver, By.ID, "save-structure")
        wait_for(
            lambda: "codeServiceDoitEtreRenseigne" in driver.find_element(By.ID, "changes").text
        )
        shot(driver, "structure")
        logout(driver)
        login(driver, api, "fournisseur@demo.fr", "Fournisseur-Portail-1")
        driver.get(f"{api.base}/portail/factures/emises")
        plain = tmp_path / "sans-service.xml"
        plain.write_bytes((EXAMPLES / "01-ok-ubl-mairie-sans-service.xml").read_bytes())
        driver.find_element(By.ID, "fichier").send_keys(str(plain))
        click_through(driver, By.ID, "submit-deposit")
        wait_for(lambda: "IN_REJETE" in driver.page_source)
        assert "CPP-REC-04" in driver.page_source
        outbound = sorted((tmp_path / "outbound").rglob("*.xml"))
    if STATUT_XSD.exists():
        schema = etree.XMLSchema(etree.parse(str(STATUT_XSD)))
        statuts = [p for p in outbound if etree.parse(str(p)).getroot().tag == "CPPStatut"]
        assert len(statuts) >= 7
        for path in statuts:
            assert schema.validate(etree.parse(str(path))), (path, schema.error_log)
