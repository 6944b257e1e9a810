"""The CPP invoice lifecycle as data: statuses, motifs and transitions (rules/lifecycle.toml).

One table answers every question the gateway asks about a status: its CPPStatut code and CPP
name, who may set it, whether it is terminal, which 2026 reform (CDAR) status it maps to, whether
a motif / mandate number / completing file goes with it, and which status may follow which, by
whom. Sources: ``../shared/domain/chorus-pro.md`` §3.2-§3.4, §4.3, §5.6, §9; CPP publishes no
transition matrix, so the transitions are this project's choice (``docs/lifecycle.md``).

Usage::

    table = lifecycle.default()
    table.status("06").name                          # "SUSPENDUE"
    table.can_move("MISE_A_DISPOSITION", "REJETEE", Actor.RECIPIENT)   # None: allowed
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from edi_gateway.errors import ConfigError

DEFAULT_TABLE = Path(__file__).resolve().parent.parent / "rules" / "lifecycle.toml"
TRANSITION_REFUSED = "20002"  # CPP codeRetour for an inconsistent origin/target status (§3.3)
TRANSITION_MESSAGE = "Incohérence au niveau du statut d'origine ou de destination de la facture."


class Actor(StrEnum):
    """Who sets a status: the gateway itself (reception), the public recipient, the supplier."""

    PLATFORM = "platform"
    RECIPIENT = "recipient"
    SUPPLIER = "supplier"


@dataclass(frozen=True, slots=True, kw_only=True)
class Status:
    """One CPP invoice status (a ``[[status]]`` row of rules/lifecycle.toml).

    Attributes:
        code: CPPStatut ``IdStatut``, two digits (``"06"``).
        name: CPP API name (``"SUSPENDUE"``).
        label_fr / label_en: labels (French as CPP spells it).
        set_by: actors who may set it.
        terminal: nothing may follow it on the same invoice.
        reform_code: 2026 reform status (``"208"``), or None when it has none of its own.
        motif: ``"required"``, ``"optional"`` or ``"none"``.
        mandate: a mandate / payment-request number (``IdMandatDP``) is taken.
        attachment: ``"required"`` or ``"none"`` (a completing file must come with it).
        supplier_flow_unless: structure flag that, when true, stops the supplier status flow.
    """

    code: str
    name: str
    label_fr: str
    label_en: str
    set_by: frozenset[Actor]
    terminal: bool
    reform_code: str | None
    motif: str
    mandate: bool
    attachment: str
    supplier_flow_unless: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Motif:
    """A CPP refusal / suspension motif code (chorus-pro.md §4.3) and its AFNOR transcoding."""

    code: str
    label_fr: str
    label_en: str
    afnor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """Why a status change was refused.

    Attributes:
        code: ``20002`` (CPP: inconsistent origin/target status) or a project id ``GW-LC-nn``.
        message: readable text naming the statuses or values involved.
        current: name of the invoice's current status, when known.
        target: name (or the raw text) of the requested status, when known.
    """

    code: str
    message: str
    current: str | None = None
    target: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Return the JSON shape: keys code, message, current, target."""
        return {
            "code": self.code,
            "message": self.message,
            "current": self.current,
            "target": self.target,
        }


class UnknownStatus(LookupError):
    """A status code or name that is not in the table."""


_MOTIF_RULES = ("required", "optional", "none")
_ATTACHMENT_RULES = ("required", "none")
_STATUS_KEYS: dict[str, type] = {
    "code": str,
    "name": str,
    "label_fr": str,
    "label_en": str,
    "set_by": list,
    "terminal": bool,
    "reform_code": str,
    "motif": str,
    "mandate": bool,
    "attachment": str,
    "supplier_flow_unless": str,
}
_MOTIF_KEYS: dict[str, type] = {"code": str, "label_fr": str, "label_en": str, "afnor": str}
_TRANSITION_KEYS: dict[str, type] = {"from": str, "by": str, "to": list}
_TOP_KEYS: dict[str, type] = {
    "initial": str,
    "comment_max": int,
    "status": list,
    "motif": list,
    "transition": list,
}


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
            return Refusal(
                code="GW-LC-01", message=f"unknown invoice status {target!r}", target=target
            )
        try:
            who = Actor(actor)
        except ValueError:
            return Refusal(code="GW-LC-01", message=f"unknown actor {actor!r}", target=wanted.name)
        if current is None:
            if wanted.name == self.initial and who is Actor.PLATFORM:
                return None
            return _refused(None, wanted, who)
        now = self.find(current)
        if now is None:
            return Refusal(
                code="GW-LC-01",
                message=f"unknown current status {current!r}",
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

        def refuse(code: str, message: str) -> Refusal:
            return Refusal(code=code, message=message, target=target.name)

        if motif is None and target.motif == "required":
            codes = ", ".join(self.motifs)
            return refuse("GW-LC-02", f"{target.name} needs a motif code, one of: {codes}")
        if motif is not None and target.motif == "none":
            return refuse("GW-LC-04", f"{target.name} takes no motif (got {motif!r})")
        if motif is not None and motif not in self.motifs:
            return refuse("GW-LC-03", f"unknown motif code {motif!r} for {target.name}")
        if mandate is not None and not target.mandate:
            return refuse("GW-LC-05", f"{target.name} takes no mandate number (IdMandatDP)")
        if target.attachment == "required" and not attachment:
            return refuse("GW-LC-06", f"{target.name} needs a completing file (attachment)")
        return None

    def clip_comment(self, comment: str | None) -> str | None:
        """Return the free comment cut to ``comment_max`` characters (255); None stays None."""
        return None if comment is None else comment[: self.comment_max]


def _refused(now: Status | None, wanted: Status, who: Actor) -> Refusal:
    origin = f"{now.code} {now.name}" if now else "(no status yet)"
    why = "" if who in wanted.set_by else f"; {wanted.name} is not set by the {who}"
    return Refusal(
        code=TRANSITION_REFUSED,
        message=f"{TRANSITION_MESSAGE} The {who} may not move an invoice from {origin} to "
        f"{wanted.code} {wanted.name}{why}.",
        current=now.name if now else None,
        target=wanted.name,
    )


def load(path: Path | str | None = None) -> Lifecycle:
    """Read and check a lifecycle table.

    Args:
        path: the TOML file; the shipped ``rules/lifecycle.toml`` when None.

    Returns:
        The table.

    Raises:
        ConfigError: missing file, bad TOML, unknown key, wrong type, duplicate code or name,
            unknown status in a transition, an actor a status's ``set_by`` does not allow ...
            (the message names the file and the key, e.g. ``status[3].motif``).
    """
    file = Path(path or DEFAULT_TABLE).resolve()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    _keys(file, "", data, _TOP_KEYS, required=set(_TOP_KEYS))
    statuses = tuple(_status(file, i, row) for i, row in enumerate(data["status"]))
    _unique(file, "status", [s.code for s in statuses], [s.name for s in statuses])
    motifs = tuple(_motif(file, i, row) for i, row in enumerate(data["motif"]))
    _unique(file, "motif", [m.code for m in motifs])
    names = {s.name: s for s in statuses}
    if data["initial"] not in names:
        raise ConfigError(f"{file}: initial names an unknown status {data['initial']!r}")
    if data["comment_max"] <= 0:
        raise ConfigError(f"{file}: comment_max must be positive")
    transitions: dict[tuple[str, str], Actor] = {}
    for index, row in enumerate(data["transition"]):
        _transition(file, index, row, names, transitions)
    return Lifecycle(
        path=file,
        statuses=statuses,
        motifs=motifs,
        transitions=transitions,
        initial=data["initial"],
        comment_max=data["comment_max"],
    )


@functools.cache
def default() -> Lifecycle:
    """Return the shipped table, loaded once per process.

    Raises:
        ConfigError: the shipped rules/lifecycle.toml is broken.
    """
    return load(DEFAULT_TABLE)


def _keys(
    file: Path, where: str, row: Any, known: dict[str, type], required: set[str]
) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise ConfigError(f"{file}: {where.rstrip('.')} must be a table")
    for key, value in row.items():
        if key not in known:
            raise ConfigError(f"{file}: unknown key {where}{key}")
        if not isinstance(value, known[key]) or isinstance(value, bool) != (known[key] is bool):
            raise ConfigError(f"{file}: {where}{key} has the wrong type ({type(value).__name__})")
    missing = sorted(required - set(row))
    if missing:
        raise ConfigError(f"{file}: {where.rstrip('.')} is missing {', '.join(missing)}")
    return row


def _status(file: Path, index: int, row: Any) -> Status:
    where = f"status[{index}]."
    required = set(_STATUS_KEYS) - {"supplier_flow_unless"}
    row = _keys(file, where, row, _STATUS_KEYS, required)
    code = row["code"]
    if not (len(code) == 2 and code.isdigit() and 1 <= int(code) <= 41):
        raise ConfigError(f"{file}: {where}code must be two digits 01..41 (CPPStatut IdStatut)")
    if row["motif"] not in _MOTIF_RULES:
        raise ConfigError(f"{file}: {where}motif must be one of {', '.join(_MOTIF_RULES)}")
    if row["attachment"] not in _ATTACHMENT_RULES:
        raise ConfigError(f"{file}: {where}attachment must be required or none")
    if row["reform_code"] and not (len(row["reform_code"]) == 3 and row["reform_code"].isdigit()):
        raise ConfigError(f"{file}: {where}reform_code must be three digits or empty")
    try:
        set_by = frozenset(Actor(a) for a in row["set_by"])
    except ValueError as exc:
        raise ConfigError(f"{file}: {where}set_by: {exc}") from exc
    if not set_by:
        raise ConfigError(f"{file}: {where}set_by must name at least one actor")
    return Status(
        code=code,
        name=row["name"],
        label_fr=row["label_fr"],
        label_en=row["label_en"],
        set_by=set_by,
        terminal=row["terminal"],
        reform_code=row["reform_code"] or None,
        motif=row["motif"],
        mandate=row["mandate"],
        attachment=row["attachment"],
        supplier_flow_unless=row.get("supplier_flow_unless"),
    )


def _motif(file: Path, index: int, row: Any) -> Motif:
    row = _keys(file, f"motif[{index}].", row, _MOTIF_KEYS, set(_MOTIF_KEYS))
    return Motif(**row)


def _transition(
    file: Path,
    index: int,
    row: Any,
    names: dict[str, Status],
    into: dict[tuple[str, str], Actor],
) -> None:
    where = f"transition[{index}]."
    row = _keys(file, where, row, _TRANSITION_KEYS, set(_TRANSITION_KEYS))
    origin = names.get(row["from"])
    if origin is None:
        raise ConfigError(f"{file}: {where}from names an unknown status {row['from']!r}")
    if origin.terminal:
        raise ConfigError(f"{file}: {where}from {origin.name} is terminal")
    try:
        actor = Actor(row["by"])
    except ValueError as exc:
        raise ConfigError(f"{file}: {where}by: {exc}") from exc
    for target_name in row["to"]:
        target = names.get(target_name) if isinstance(target_name, str) else None
        if target is None:
            raise ConfigError(f"{file}: {where}to names an unknown status {target_name!r}")
        if actor not in target.set_by:
            raise ConfigError(f"{file}: {where}to {target.name}: not set by the {actor}")
        if (origin.name, target.name) in into:
            raise ConfigError(f"{file}: {where}to {target.name}: transition listed twice")
        into[(origin.name, target.name)] = actor


def _unique(file: Path, table: str, *columns: list[str]) -> None:
    for values in columns:
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                raise ConfigError(f"{file}: {table}[{index}] repeats {value!r}")
            seen.add(value)
