"""Gestion des structures on the portal: an edited flag changes the verdict of the next invoice,
every change is recorded (who, when, what), a bad edit is refused with its reason and the file
stays valid, and only the structure's managers reach its fiche."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fixtures.api import service
from tests.fixtures.api.service import EXAMPLES
from tests.test_portal import deposit, logged_in, token

MAIRIE = "99900001000010"


def test_a_flag_edited_on_the_portal_changes_the_next_verdict(tmp_path: Path) -> None:
    with service.started(tmp_path, workers=1) as api:
        mairie = logged_in(api, "mairie@demo.fr")
        page = mairie.get(f"/portail/structures/{MAIRIE}").text
        assert 'id="flag-codeServiceDoitEtreRenseigne"' in page
        before = (tmp_path / "structures.toml").read_text()
        saved = mairie.post(
            f"/portail/structures/{MAIRIE}",
            data={"csrf": token(page), "actif": "on", "codeServiceDoitEtreRenseigne": "on"},
        )
        assert saved.status_code == 303
        after = (tmp_path / "structures.toml").read_text()
        assert after.startswith(before[:200])  # comments kept
        fiche = mairie.get(f"/portail/structures/{MAIRIE}").text
        assert re.search(
            r"mairie@demo.fr</td><td>codeServiceDoitEtreRenseigne</td>"
            r"<td>False</td><td>True</td>",
            fiche,
        )
        supplier = logged_in(api, "fournisseur@demo.fr")
        data = (EXAMPLES / "01-ok-ubl-mairie-sans-service.xml").read_bytes()
        id_flux = deposit(supplier, "sans-service.xml", data)
        flux = supplier.get(f"/portail/flux/{id_flux}").text
        assert "IN_REJETE" in flux and "CPP-REC-04" in flux  # the next invoice sees the change
        # a bad edit (a service code over 100 characters) is refused, the file unchanged
        bad = mairie.post(
            f"/portail/structures/{MAIRIE}/services",
            data={"csrf": token(fiche), "code": "X" * 101, "libelle": "trop long", "actif": "on"},
        )
        assert bad.status_code == 422 and "codeService" in bad.text
        assert (tmp_path / "structures.toml").read_text() == after
        added = mairie.post(
            f"/portail/structures/{MAIRIE}/services",
            data={"csrf": token(fiche), "code": "CANTINE", "libelle": "Cantine", "actif": "on"},
        )
        assert added.status_code == 303
        assert "CANTINE" in mairie.get(f"/portail/structures/{MAIRIE}").text
        # managers only: another structure's fiche, and a user without the space
        assert mairie.get("/portail/structures/99900002000019").status_code == 404
        lycee = logged_in(api, "intendance@demo.fr")
        assert lycee.get(f"/portail/structures/{MAIRIE}").status_code == 404
        assert lycee.post(f"/portail/structures/{MAIRIE}", data={"csrf": "x"}).status_code == 403
