"""Saisie d'une facture: the form's checks and totals, the UBL and CII it builds (accepted by the
gateway's own validator: XSD and EN 16931 rules), drafts, and the form over HTTP."""

from __future__ import annotations

import re
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from edi_gateway.core.model import Verdict
from edi_gateway.reception import structures
from edi_gateway.validation.validator import Validator
from edi_gateway.web.portal.entry_model import read_entry
from edi_gateway.web.portal.entry_xml import build
from edi_gateway.web.portal.suppliers import suppliers
from tests.fixtures.api import service
from tests.test_portal import logged_in, token

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 7)
LYCEE, HOPITAL, COMMUNAUTE = "99900002000019", "99900003000018", "99900004000017"


@pytest.fixture(scope="module")
def directory() -> structures.Directory:
    return structures.load(REPO / "rules" / "structures.toml")


def form(**changes: str) -> dict[str, str]:
    base = {
        "destinataire": LYCEE,
        "service": "INTENDANCE",
        "numero": "S-1",
        "date": "2026-12-01",
        "echeance": "2026-12-31",
        "type": "380",
        "syntaxe": "UBL",
        "cadre": "A1",
        "designation_0": "Ramettes A4",
        "quantite_0": "10",
        "prix_0": "12,50",
        "tva_0": "20",
        "designation_1": "Livres",
        "quantite_1": "3",
        "prix_1": "19.99",
        "tva_1": "5.5",
        "conditions": "30 jours fin de mois",
    }
    return {**base, **changes}


def test_totals_are_computed_per_rate_and_rounded_to_the_cent(
    directory: structures.Directory,
) -> None:
    entry, errors = read_entry(form(), directory, TODAY)
    assert errors == {}
    assert [line.net for line in entry.lines] == [Decimal("125.00"), Decimal("59.97")]
    assert entry.breakdown == (
        (Decimal("20"), Decimal("125.00"), Decimal("25.00")),
        (Decimal("5.5"), Decimal("59.97"), Decimal("3.30")),  # 3.29835 rounded half up
    )
    assert (entry.total_net, entry.total_vat, entry.total) == (
        Decimal("184.97"),
        Decimal("28.30"),
        Decimal("213.27"),
    )


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"service": ""}, "service", "CPP-REC-04"),
        ({"service": "NOPE"}, "service", "CPP-REC-05"),
        ({"service": "CDI"}, "service", "CPP-REC-06"),
        ({"service": "ATELIER-2023"}, "service", "CPP-REC-07"),
        ({"destinataire": HOPITAL, "service": ""}, "engagement", "CPP-REC-08"),
        ({"destinataire": COMMUNAUTE, "service": ""}, "engagement", "CPP-REC-10"),
        ({"numero": "X" * 21}, "numero", "CPP-REC-13"),
        ({"numero": ""}, "numero", "numéro"),
        ({"date": "2026-12-31"}, "date", "CPP-REC-15"),
        ({"date": "2026-02-30"}, "date", "invalide"),
        ({"type": "389"}, "type", "380"),
        ({"destinataire": "99900005000016"}, "destinataire", "inactive"),
        ({"destinataire": ""}, "destinataire", "destinataire"),
        ({"quantite_0": "-1"}, "ligne_0", "quantité"),
        ({"prix_1": "abc"}, "ligne_1", "prix"),
        ({"tva_0": "19"}, "ligne_0", "TVA"),
        ({"quantite_0": "1e30"}, "ligne_0", "milliard"),
        ({"prix_0": "0.0000001"}, "ligne_0", "décimales"),
        ({"designation_0": "x" * 201}, "ligne_0", "200"),
        ({"cadre": "Z9"}, "cadre", "inconnu"),
    ],
)
def test_each_error_is_on_its_field(
    directory: structures.Directory, changes: dict[str, str], field: str, says: str
) -> None:
    _, errors = read_entry(form(**changes), directory, TODAY)
    assert field in errors, errors
    assert says in errors[field][0]


@pytest.mark.parametrize("syntax", ["UBL", "CII"])
@pytest.mark.parametrize("type_code", ["380", "381"])
def test_the_built_invoice_is_valid_en16931(
    directory: structures.Directory, syntax: str, type_code: str
) -> None:
    entry, errors = read_entry(
        form(syntaxe=syntax, type=type_code, engagement="EJ-42", contrat="MARCHE-7"),
        directory,
        TODAY,
    )
    assert errors == {}
    piece = ("bon-de-livraison.pdf", b"%PDF-1.4 bon de livraison")
    data = build(entry, suppliers()["99910000600018"], directory.structure(LYCEE), piece)
    report = Validator().validate(data, f"saisie.{syntax.lower()}.xml")
    assert report.verdict is Verdict.ACCEPTED, [(f.rule, f.message) for f in report.errors]
    expected = {"UBL": "ubl-creditnote" if type_code == "381" else "ubl-invoice", "CII": "cii"}
    assert report.detection.label == expected[syntax]
    text = data.decode()
    assert "S-1" in text and "EJ-42" in text and "INTENDANCE" in text and "213.27" in text
    assert 'filename="bon-de-livraison.pdf"' in text and 'mimeCode="application/pdf"' in text


def test_the_form_over_http_with_drafts(tmp_path: Path) -> None:
    with service.started(tmp_path, workers=1) as api:
        supplier = logged_in(api, "fournisseur@demo.fr")
        page = supplier.get(f"/portail/saisie?destinataire={LYCEE}").text
        assert 'value="INTENDANCE"' in page and "code service obligatoire" in page
        fields = {**form(service=""), "csrf": token(page)}
        refused = supplier.post("/portail/saisie", data={**fields, "action": "deposer"})
        assert refused.status_code == 422
        assert re.search(r'id="error-service"[^>]*>[^<]*CPP-REC-04', refused.text)
        assert 'value="S-1"' in refused.text  # what was typed stays on the form
        saved = supplier.post("/portail/saisie", data={**fields, "action": "brouillon"})
        draft = re.search(r"saisie\?brouillon=(\d+)", saved.text).group(1)
        resumed = supplier.get(f"/portail/saisie?brouillon={draft}").text
        assert 'value="S-1"' in resumed and 'value="Ramettes A4"' in resumed
        other = logged_in(api, "mairie@demo.fr")
        assert other.get(f"/portail/saisie?brouillon={draft}").status_code == 403  # no supplier
        bad_piece = supplier.post(
            "/portail/saisie",
            data={**fields, "service": "INTENDANCE", "action": "deposer"},
            files={"piece": ("script.html", b"<script>x</script>")},
        )
        assert bad_piece.status_code == 422 and 'id="error-piece"' in bad_piece.text
        done = supplier.post(
            "/portail/saisie",
            data={**fields, "service": "INTENDANCE", "brouillon": draft, "action": "deposer"},
            files={"piece": ("bl.pdf", b"%PDF-1.4 BL")},
        )
        assert done.status_code == 303
        id_flux = done.headers["location"].rsplit("/", 1)[-1]
        cr = api.wait_integrated(id_flux, login="TECH_FOURNISSEUR")
        assert cr["codeRetour"] == 403  # a portal deposit is not the technical account's
        for _ in range(200):
            rows = supplier.get("/portail/flux.json").json()["fluxes"]
            state = next(r["state"] for r in rows if r["id_flux"] == id_flux)
            if not state.startswith("IN_EN_"):
                break
            time.sleep(0.1)
        assert state == "IN_INTEGRE"
        assert "saisie?brouillon=" not in supplier.get("/portail/saisie").text  # draft used up
