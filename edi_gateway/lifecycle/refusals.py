"""A refused status change: its shape and the texts shared by every lifecycle check.

Job: hold what the gateway says when it refuses a status change: the :class:`Refusal` record
(code, English and French text, current and requested status) and the refusals more than one
check gives: ``GW-LC-01`` (unknown status or actor) and CPP's ``20002`` (a move the table does
not allow, CPP's own French sentence first, ``../shared/domain/chorus-pro.md`` §3.3). Input: the
statuses and actor involved; output: a :class:`Refusal`. Texts are French then English
(``" | EN: "``, the CPP-facing convention of ``rules/cpp-reception.xsl``). It never decides
whether a change is allowed (that is :mod:`edi_gateway.lifecycle.table`) nor reads the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from edi_gateway.lifecycle.table_toml import Actor, Status

TRANSITION_REFUSED = "20002"  # CPP codeRetour for an inconsistent origin/target status (§3.3)
TRANSITION_MESSAGE = "Incohérence au niveau du statut d'origine ou de destination de la facture."
TRANSITION_MESSAGE_EN = "Inconsistent origin or target status of the invoice."
EN = " | EN: "  # French then English, the convention of CPP-facing texts (rules/cpp-reception.xsl)
ACTOR_FR = {
    "platform": "la plateforme",
    "recipient": "le destinataire",
    "supplier": "le fournisseur",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """Why a status change was refused.

    Attributes:
        code: ``20002`` (CPP: inconsistent origin/target status) or a project id ``GW-LC-nn``.
        message: readable English text naming the statuses or values involved (the command
            line prints it).
        current: name of the invoice's current status, when known.
        target: name (or the raw text) of the requested status, when known.
        message_fr: the same in French (what CPP-facing texts lead with), when given.
    """

    code: str
    message: str
    current: str | None = None
    target: str | None = None
    message_fr: str | None = None

    @property
    def bilingual(self) -> str:
        """French then ``" | EN: "`` then English (the CPP-facing convention of
        ``rules/cpp-reception.xsl``); the English text alone when there is no French one."""
        return f"{self.message_fr}{EN}{self.message}" if self.message_fr else self.message

    def as_dict(self) -> dict[str, str | None]:
        """Return the JSON shape: keys code, message, message_fr, current, target."""
        return {
            "code": self.code,
            "message": self.message,
            "message_fr": self.message_fr,
            "current": self.current,
            "target": self.target,
        }


def unknown_status(target: str | None) -> Refusal:
    """GW-LC-01 for a status code or name that is not in the table (French and English)."""
    return Refusal(
        code="GW-LC-01",
        message=f"unknown invoice status {target!r}",
        message_fr=f"statut de facture inconnu {target!r}",
        target=target,
    )


def unknown_actor(actor: object, target: str) -> Refusal:
    """GW-LC-01 for an actor other than platform, recipient, supplier (French and English)."""
    return Refusal(
        code="GW-LC-01",
        message=f"unknown actor {actor!r}",
        message_fr=f"acteur inconnu {actor!r}",
        target=target,
    )


def transition_refused(now: Status | None, wanted: Status, who: Actor) -> Refusal:
    """20002 for a move ``who`` may not make from ``now`` (None: no status yet) to ``wanted``;
    CPP's own French sentence leads the French text (chorus-pro.md §3.3), and both texts say
    when ``wanted`` is not a status ``who`` sets at all."""
    origin_en, origin_fr = (
        (f"{now.code} {now.name}",) * 2 if now else ("(no status yet)", "(aucun statut)")
    )
    target = f"{wanted.code} {wanted.name}"
    by_en = "" if who in wanted.set_by else f"; {wanted.name} is not set by the {who}"
    by_fr = "" if who in wanted.set_by else f" ; {wanted.name} n'est pas posé par {ACTOR_FR[who]}"
    return Refusal(
        code=TRANSITION_REFUSED,
        message=f"{TRANSITION_MESSAGE_EN} The {who} may not move an invoice from {origin_en} to "
        f"{target}{by_en}.",
        message_fr=f"{TRANSITION_MESSAGE} {ACTOR_FR[who].capitalize()} ne peut pas faire passer "
        f"une facture de {origin_fr} à {target}{by_fr}.",
        current=now.name if now else None,
        target=wanted.name,
    )
