"""The portal's own tables: ``draft`` (invoices saved as a "brouillon"), ``structure_change``,
``portal_session``.

Job: keep a portal user's unfinished invoice form (its fields as JSON) so that it can be resumed
(one user sees and removes only their own drafts), and record every edit of a fiche structure
made on the portal (who, when, what, the value before and after), and the open sessions (the
cookie only names one: a logout, or its expiry, ends it server-side).
"""

from __future__ import annotations

import json
import time

from edi_gateway.store.connection import Connection, utc_now


class DraftTable(Connection):
    """Queries of the ``draft`` table (a part of ``Store``)."""

    def save_draft(self, login: str, fields: dict[str, str], draft_id: int | None = None) -> int:
        """Save ``fields`` as a new draft of ``login`` (or replace draft ``draft_id`` of theirs);
        returns the draft id."""
        data = json.dumps(fields, ensure_ascii=False)
        if draft_id is not None:
            cursor = self._write(
                None,
                "UPDATE draft SET data = ?, saved_at = ? WHERE id = ? AND login = ?",
                (data, utc_now(), draft_id, login),
            )
            if cursor.rowcount == 1:
                return draft_id
        return self._insert(None, "draft", {"login": login, "saved_at": utc_now(), "data": data})

    def drafts(self, login: str) -> list[tuple[int, str, dict[str, str]]]:
        """``(id, saved at, fields)`` of the drafts of ``login``, newest first."""
        rows = self.db.execute(
            "SELECT id, saved_at, data FROM draft WHERE login = ? ORDER BY id DESC", (login,)
        ).fetchall()
        return [(int(r["id"]), str(r["saved_at"]), json.loads(r["data"])) for r in rows]

    def draft(self, login: str, draft_id: int) -> dict[str, str] | None:
        """The fields of draft ``draft_id`` when it is one of ``login``'s."""
        row = self.db.execute(
            "SELECT data FROM draft WHERE id = ? AND login = ?", (draft_id, login)
        ).fetchone()
        return json.loads(row["data"]) if row else None

    def delete_draft(self, login: str, draft_id: int) -> None:
        """Remove draft ``draft_id`` of ``login`` (nothing when it is not theirs)."""
        self._write(None, "DELETE FROM draft WHERE id = ? AND login = ?", (draft_id, login))

    def add_structure_changes(
        self, login: str, siret: str, changes: list[tuple[str, str, str]]
    ) -> None:
        """Record the edits ``(what, old, new)`` of structure ``siret`` made by ``login``."""
        at = utc_now()
        with self.transaction() as db:
            for what, old, new in changes:
                self._insert(
                    db,
                    "structure_change",
                    {
                        "at": at,
                        "login": login,
                        "siret": siret,
                        "what": what,
                        "old": old,
                        "new": new,
                    },
                )

    def structure_changes(self, siret: str, limit: int = 100) -> list[dict[str, str]]:
        """The edits of structure ``siret``, newest first: at, login, what, old, new."""
        rows = self.db.execute(
            "SELECT at, login, what, old, new FROM structure_change WHERE siret = ?"
            " ORDER BY id DESC LIMIT ?",
            (siret, limit),
        ).fetchall()
        return [dict(row) for row in rows]

    def open_session(self, session_id: str, login: str, expires: float) -> None:
        """Record a portal session (``expires``: epoch seconds); expired ones are dropped."""
        with self.transaction() as db:
            db.execute("DELETE FROM portal_session WHERE expires < ?", (time.time(),))
            db.execute(
                "INSERT INTO portal_session (id, login, expires) VALUES (?, ?, ?)",
                (session_id, login, expires),
            )

    def session_login(self, session_id: str) -> str | None:
        """The login of an open, unexpired session, or None."""
        row = self.db.execute(
            "SELECT login FROM portal_session WHERE id = ? AND expires >= ?",
            (session_id, time.time()),
        ).fetchone()
        return str(row["login"]) if row else None

    def close_session(self, session_id: str) -> None:
        """End a session (logout): its cookie is refused from then on."""
        self._write(None, "DELETE FROM portal_session WHERE id = ?", (session_id,))
