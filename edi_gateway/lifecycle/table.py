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
from pathlib import Path

from edi_gateway.lifecycle.refusals import (
    Refusal,
    transition_refused,
    unknown_actor,
    unknown_status,
)
from edi_gateway.lifecycle.table_toml import DEFAULT_TABLE as DEFAULT_TABLE
from edi_gateway.lifecycle.table_toml import Actor as Actor
from edi_gateway.lifecycle.table_toml import Motif as Motif
from edi_gateway.lifecycle.table_toml import Status as Status
from edi_gateway.lifecycle.table_toml import read_table


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
            return transition_refused(None, wanted, who)
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
        return transition_refused(now, wanted, who)

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
