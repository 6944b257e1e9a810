"""Read and check ``rules/lifecycle.toml`` into status, motif and transition records.

Job: turn the lifecycle TOML file into plain records (:class:`Status`, :class:`Motif`, the
``(from name, to name) -> Actor`` transition map, the initial status and the comment length) in a
:class:`TableData`, checking every key, type and cross-reference on the way. Input: a file path;
output: ``TableData`` or a :class:`~edi_gateway.errors.ConfigError` naming the file and the key
(``status[3].motif``). It never decides whether a status change is allowed: that is
:class:`edi_gateway.lifecycle.table.Lifecycle`, built from this module's records. Sources:
``../shared/domain/chorus-pro.md`` §3.2-§3.4 (statuses, who sets each), §4.3 (motifs), §5.6
(2026 reform codes); the transitions are this project's choice (``docs/lifecycle.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from edi_gateway.core import resources
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.toml_tables import read_toml

DEFAULT_TABLE = resources.data_file("rules", "lifecycle.toml")
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
class TableData:
    """The checked content of a lifecycle TOML file.

    Attributes:
        path: the file it came from (resolved).
        statuses: every status, in file order.
        motifs: every motif, in file order.
        transitions: ``(from name, to name) -> actor`` for each allowed move, in file order.
        initial: name of the first status of every invoice (DEPOSEE).
        comment_max: characters of a free comment that are kept (> 0).
    """

    path: Path
    statuses: tuple[Status, ...]
    motifs: tuple[Motif, ...]
    transitions: dict[tuple[str, str], Actor]
    initial: str
    comment_max: int


def read_table(path: Path | str | None = None) -> TableData:
    """Read and check a lifecycle table file.

    Args:
        path: the TOML file; the shipped ``rules/lifecycle.toml`` when None.

    Returns:
        The checked records.

    Raises:
        ConfigError: missing file, bad TOML, unknown key, wrong type, duplicate code or name,
            unknown status in a transition, an actor a status's ``set_by`` does not allow ...
            (the message names the file and the key, e.g. ``status[3].motif``).
    """
    file = Path(path or DEFAULT_TABLE).resolve()
    data = read_toml(file)
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
    return TableData(
        path=file,
        statuses=statuses,
        motifs=motifs,
        transitions=transitions,
        initial=data["initial"],
        comment_max=data["comment_max"],
    )


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
