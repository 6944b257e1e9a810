"""The CPP invoice lifecycle as data: status look-up, transition checks and motif checks.

Job: answer every question the gateway asks about a status change, from the table
``rules/lifecycle.toml`` (read and checked by :mod:`edi_gateway.lifecycle.table_toml`): a status by
its CPPStatut code or CPP name, who may move an invoice from which status to which, and whether a
motif / mandate number / completing file goes with it. Input: the table's records and the
requested change; output: ``None`` (allowed) or a :class:`Refusal`. It never reads the store or
writes anything (that is :mod:`edi_gateway.lifecycle.actions`). Sources:
``../shared/domain/chorus-pro.md``
§3.2-§3.4, §4.3, §5.6, §9; CPP publishes no transition matrix, so the transitions are this
project's choice (``docs/lifecycle.md``).

Usage::

    table = lifecycle.default()
    table.status("06").name                          # "SUSPENDUE"
    table.can_move("MISE_A_DISPOSITION", "REJETEE", Actor.RECIPIENT)   # None: allowed
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from edi_gateway.lifecycle.table_toml import DEFAULT_TABLE as DEFAULT_TABLE
from edi_gateway.lifecycle.table_toml import Actor as Actor
from edi_gateway.lifecycle.table_toml import Motif as Motif
from edi_gateway.lifecycle.table_toml import Status as Status
from edi_gateway.lifecycle.table_toml import read_table

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


class UnknownStatus(LookupError):
    """A status code or name that is not in the table."""


class Lifecycle:
    """The loaded table. Build it with :func:`load` (checked) rather than directly.

    Args:
        path: the file it came from (for messages).
        statuses: every status, in file order.
        motifs: every motif code, in file order.
        transitions: ``(from name, to name) -> actor`` for each allowed move.
        initial: name of the first status of every invoice (DEPOSEE).
        comment_max: characters of a free comment that are kept.
    """

    def __init__(
        self,
        *,
        path: Path,
        statuses: tuple[Status, ...],
        motifs: tuple[Motif, ...],
        transitions: dict[tuple[str, str], Actor],
        initial: str,
        comment_max: int,
    ) -> None:
        self.path = path
        self.statuses = statuses
        self.motifs = {m.code: m for m in motifs}
        self.transitions = dict(transitions)
        self.initial = initial
        self.comment_max = comment_max
        self._by_key = {s.code: s for s in statuses} | {s.name: s for s in statuses}

    def status(self, code_or_name: str) -> Status:
        """Return the status with this CPPStatut code (``"6"``, ``"06"``) or name (any case).

        Raises:
            UnknownStatus: nothing in the table has that code or name.
        """
        key = code_or_name.strip().upper()
        if key.isdigit() and len(key) < 2:
            key = key.zfill(2)
        found = self._by_key.get(key)
        if found is None:
            raise UnknownStatus(f"unknown invoice status {code_or_name!r}")
        return found

    def find(self, code_or_name: str | None) -> Status | None:
        """Like :meth:`status` but return None for an unknown or empty value."""
        try:
            return self.status(code_or_name) if code_or_name else None
        except UnknownStatus:
            return None

    def can_move(self, current: str | None, target: str, actor: Actor | str) -> Refusal | None:
        """Say whether ``actor`` may move an invoice from ``current`` to ``target``.

        Args:
            current: code or name of the current status; None for a new invoice (only the
                table's ``initial`` status, set by the platform, may start a lifecycle).
            target: code or name of the requested status.
            actor: platform, recipient or supplier.

        Returns:
            None when allowed; otherwise a :class:`Refusal` with CPP code ``20002`` naming both
            statuses (chorus-pro.md §3.3), or ``GW-LC-01`` for an unknown status or actor.
        """
        wanted = self.find(target)
        if wanted is None:
            return unknown_status(target)
        try:
            who = Actor(actor)
        except ValueError:
            return unknown_actor(actor, wanted.name)
        if current is None:
            if wanted.name == self.initial and who is Actor.PLATFORM:
                return None
            return _refused(None, wanted, who)
        now = self.find(current)
        if now is None:
            return Refusal(
                code="GW-LC-01",
                message=f"unknown current status {current!r}",
                message_fr=f"statut courant inconnu {current!r}",
                current=current,
                target=wanted.name,
            )
        if self.transitions.get((now.name, wanted.name)) is who:
            return None
        return _refused(now, wanted, who)

    def targets(self, current: str, actor: Actor | str) -> list[Status]:
        """Statuses ``actor`` may set from ``current`` (CPP listeStatutsPossiblesPourTraitement)."""
        now = self.status(current)
        return [s for s in self.statuses if self.transitions.get((now.name, s.name)) == actor]

    def allowed(self) -> Iterator[tuple[Status, Status, Actor]]:
        """Every allowed move as ``(from, to, actor)``, in table order."""
        for (origin, target), actor in self.transitions.items():
            yield self._by_key[origin], self._by_key[target], actor

    def motif(self, code: str) -> Motif | None:
        """Return the motif with this code (exact, upper case), or None."""
        return self.motifs.get(code)

    def check_details(
        self,
        target: Status,
        *,
        motif: str | None = None,
        mandate: str | None = None,
        attachment: bool = False,
    ) -> Refusal | None:
        """Check what comes with a status against its row (chorus-pro.md §3.3, §4.3).

        A motif is mandatory for REJETEE and SUSPENDUE and must be a ``[[motif]]`` code; a
        mandate number (IdMandatDP) is only taken where ``mandate = true``; a completing file is
        mandatory where ``attachment = "required"``.

        Returns:
            None when fine, else a Refusal: ``GW-LC-02`` motif missing, ``GW-LC-03`` unknown
            motif code, ``GW-LC-04`` motif not taken by this status, ``GW-LC-05`` mandate number
            not taken, ``GW-LC-06`` completing file missing.
        """

        name = target.name

        def refuse(code: str, french: str, english: str) -> Refusal:
            return Refusal(code=code, message=english, message_fr=french, target=name)

        if motif is None and target.motif == "required":
            codes = ", ".join(self.motifs)
            return refuse(
                "GW-LC-02",
                f"{name} exige un code motif, parmi : {codes}",
                f"{name} needs a motif code, one of: {codes}",
            )
        if motif is not None and target.motif == "none":
            return refuse(
                "GW-LC-04",
                f"{name} ne prend pas de motif (reçu {motif!r})",
                f"{name} takes no motif (got {motif!r})",
            )
        if motif is not None and motif not in self.motifs:
            return refuse(
                "GW-LC-03",
                f"code motif inconnu {motif!r} pour {name}",
                f"unknown motif code {motif!r} for {name}",
            )
        if mandate is not None and not target.mandate:
            return refuse(
                "GW-LC-05",
                f"{name} ne prend pas de numéro de mandat (IdMandatDP)",
                f"{name} takes no mandate number (IdMandatDP)",
            )
        if target.attachment == "required" and not attachment:
            return refuse(
                "GW-LC-06",
                f"{name} exige une pièce complémentaire (fichier joint)",
                f"{name} needs a completing file (attachment)",
            )
        return None

    def clip_comment(self, comment: str | None) -> str | None:
        """Return the free comment cut to ``comment_max`` characters (255); None stays None."""
        return None if comment is None else comment[: self.comment_max]


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


def _refused(now: Status | None, wanted: Status, who: Actor) -> Refusal:
    """20002: CPP's own French sentence leads the French text (chorus-pro.md §3.3)."""
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


def load(path: Path | str | None = None) -> Lifecycle:
    """Read and check a lifecycle table (:func:`edi_gateway.lifecycle.table_toml.read_table`).

    Args:
        path: the TOML file; the shipped ``rules/lifecycle.toml`` when None.

    Returns:
        The table.

    Raises:
        ConfigError: missing file, bad TOML, unknown key, wrong type, duplicate code or name,
            unknown status in a transition, an actor a status's ``set_by`` does not allow ...
            (the message names the file and the key, e.g. ``status[3].motif``).
    """
    data = read_table(path)
    return Lifecycle(
        path=data.path,
        statuses=data.statuses,
        motifs=data.motifs,
        transitions=data.transitions,
        initial=data.initial,
        comment_max=data.comment_max,
    )


@functools.cache
def default() -> Lifecycle:
    """Return the shipped table, loaded once per process.

    Raises:
        ConfigError: the shipped rules/lifecycle.toml is broken.
    """
    return load(DEFAULT_TABLE)
