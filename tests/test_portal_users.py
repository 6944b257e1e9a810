"""Gestion des utilisateurs: a gestionnaire principal invites, changes and removes the users of
its structure; the invited user logs in with the temporary password; rights hold."""

from __future__ import annotations

import re
from pathlib import Path

from edi_gateway.core import toml_tables
from edi_gateway.web.portal.users import loads
from tests.fixtures.api import service
from tests.test_portal import browser, logged_in, token

MAIRIE = "99900001000010"


def test_invite_change_remove(tmp_path: Path) -> None:
    with service.started(tmp_path, workers=1) as api:
        mairie = logged_in(api, "mairie@demo.fr")
        page = mairie.get(f"/portail/utilisateurs/{MAIRIE}").text
        assert "mairie@demo.fr" in page
        invited = mairie.post(
            f"/portail/utilisateurs/{MAIRIE}",
            data={
                "csrf": token(page),
                "action": "inviter",
                "login": "agent@demo.fr",
                "name": "Agent <b>Démo</b>",
                "role": "utilisateur",
                "spaces": "factures_recues",
            },
        )
        assert invited.status_code == 200
        password = re.search(r'id="temporary-password">([^<]+)<', invited.text).group(1)
        assert "Agent &lt;b&gt;Démo&lt;/b&gt;" in invited.text
        users = loads(toml_tables.read_toml(tmp_path / "users.toml"), tmp_path / "users.toml")
        assert password not in (tmp_path / "users.toml").read_text()  # only its hash is kept
        assert users["agent@demo.fr"].receives(MAIRIE, "SERVICES-TECHNIQUES")

        agent = browser(api)
        form = agent.get("/portail/connexion")
        logged = agent.post(
            "/portail/connexion",
            data={"login": "agent@demo.fr", "password": password, "csrf": token(form.text)},
        )
        assert logged.status_code == 303
        assert agent.get("/portail/factures/recues").status_code == 200
        assert agent.get(f"/portail/utilisateurs/{MAIRIE}").status_code == 404  # not a manager

        changed = mairie.post(
            f"/portail/utilisateurs/{MAIRIE}",
            data={
                "csrf": token(page),
                "action": "modifier",
                "login": "agent@demo.fr",
                "role": "utilisateur",
                "spaces": "factures_recues",
                "services": "SERVICES-TECHNIQUES",
            },
        )
        assert changed.status_code == 200
        users = loads(toml_tables.read_toml(tmp_path / "users.toml"), tmp_path / "users.toml")
        assert not users["agent@demo.fr"].receives(MAIRIE, "FACTURES_PUBLIQUES")

        myself = mairie.post(
            f"/portail/utilisateurs/{MAIRIE}",
            data={"csrf": token(page), "action": "retirer", "login": "mairie@demo.fr"},
        )
        assert myself.status_code == 422
        removed = mairie.post(
            f"/portail/utilisateurs/{MAIRIE}",
            data={"csrf": token(page), "action": "retirer", "login": "agent@demo.fr"},
        )
        assert removed.status_code == 200
        gone = agent.get("/portail/factures/recues")
        assert gone.status_code == 303 and "/portail/connexion" in gone.headers["location"]
        users = loads(toml_tables.read_toml(tmp_path / "users.toml"), tmp_path / "users.toml")
        assert users["agent@demo.fr"].active is False
        again = mairie.post(
            f"/portail/utilisateurs/{MAIRIE}",
            data={
                "csrf": token(page),
                "action": "inviter",
                "login": "agent@demo.fr",
                "role": "utilisateur",
                "spaces": "factures_recues",
            },
        )
        assert again.status_code == 200 and 'id="invited"' in again.text  # active again
        users = loads(toml_tables.read_toml(tmp_path / "users.toml"), tmp_path / "users.toml")
        assert users["agent@demo.fr"].active is True

        assert mairie.get("/portail/utilisateurs/99900002000019").status_code == 404
        lycee = logged_in(api, "intendance@demo.fr")
        assert lycee.get("/portail/utilisateurs/99900002000019").status_code == 404
