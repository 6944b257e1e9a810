"""Read and check ``rules/structures.toml`` into the structures directory.

Job: turn the human-edited structures file into a
:class:`~edi_gateway.structures_records.Directory`, checking every key, type, date, service code
and SIRET (14 digits with a valid check digit: Luhn, INSEE; La Poste's sum of digits, see
:func:`siret_ok`) on the way, and refusing a SIRET or a
service code used twice. A service code names the recipient's folder in ``outbound/``, so it
must survive as a folder name unchanged (:func:`edi_gateway.core.names.is_safe_component`).
Input: a file path or its bytes; output: the ``Directory``, or a
:class:`~edi_gateway.errors.ConfigError` naming the file, the entry
(``structure #2 (99900002000019) service #1 (…)``) and the field. Keys are Chorus Pro's own names
(``../shared/domain/chorus-pro.md`` §2.2-2.3). It never watches the file for changes: that is
:class:`edi_gateway.reception.structures.Watcher`.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from edi_gateway.core import names
from edi_gateway.core.errors import ConfigError
from edi_gateway.reception.structures_records import FLAG_KEYS, Directory, Service, Structure


def read(file: Path) -> bytes:
    """Return the bytes of ``file``.

    Raises:
        ConfigError: the file cannot be read (names the file and the OS error).
    """
    try:
        return file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the structures directory: {exc.strerror}") from exc


def load(path: Path | str) -> Directory:
    """Read and check a structures file.

    Args:
        path: the TOML file (``rules/structures.toml`` by default in ``config.toml``).

    Returns:
        The directory.

    Raises:
        ConfigError: the file cannot be read, is not TOML, or an entry is invalid; the message
            names the file, the entry (``structure #2 (99900002000019) service #1 (…)``) and the
            field.
    """
    return loads(read(Path(path)), Path(path))


def loads(data: bytes, file: Path) -> Directory:
    """Parse the bytes of a structures file (``file`` is only used in messages and ``source``).

    Raises:
        ConfigError: as :func:`load`.
    """
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    unknown = sorted(set(table) - {"structure"})
    if unknown:
        raise ConfigError(f"{file}: unknown top-level key {unknown[0]!r} (expected [[structure]])")
    entries = table.get("structure", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{file}: 'structure' must be an array of tables ([[structure]])")
    structures = tuple(_structure(file, i, e) for i, e in enumerate(entries, start=1))
    seen: dict[str, int] = {}
    for i, s in enumerate(structures, start=1):
        if s.siret in seen:
            raise ConfigError(
                f"{file}: structure #{i} ({s.siret}): field identifiantStructure: "
                f"the same SIRET is already used by structure #{seen[s.siret]}"
            )
        seen[s.siret] = i
    return Directory(structures=structures, source=file)


# -- checking one entry --------------------------------------------------------------------
_STRUCTURE_KEYS = {
    "identifiantStructure",
    "typeIdentifiantStructure",
    "libelleStructure",
    "statut",
    "service",
    *FLAG_KEYS,
}
_SERVICE_KEYS = {
    "codeService",
    "libelleService",
    "estActif",
    "dateDbtService",
    "dateFinService",
    "numeroEngagement",
}
SERVICE_CODE_MAX = 100  # Debiteur/CodeService maxLength in CPPFacturePivot; BT-10 note (S-FX)


class _Entry:
    """Typed reads from one TOML table, with errors naming file, entry and field."""

    def __init__(self, file: Path, where: str, table: Any, keys: set[str]) -> None:
        self.file, self.where = file, where
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: {where}: must be a table")
        self.table: dict[str, Any] = table
        for key in table:
            if key not in keys:
                self.fail(key, f"unknown field (known: {', '.join(sorted(keys))})")

    def fail(self, key: str, problem: str) -> NoReturn:
        raise ConfigError(f"{self.file}: {self.where}: field {key}: {problem}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if value is None:
            self.fail(key, "is required")
        if not isinstance(value, str):
            self.fail(key, f"must be a string, not {type(value).__name__}")
        if value != value.strip():
            self.fail(key, "must not start or end with spaces")
        return str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, not {value!r}")
        return bool(value)

    def day(self, key: str) -> date | None:
        value = self.table.get(key)
        if value is None or (isinstance(value, date) and not hasattr(value, "hour")):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(key, f"must be a date YYYY-MM-DD, not {value!r}")


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check (SIREN/SIRET check digit, INSEE)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


LA_POSTE_SIREN = "356000000"


def siret_ok(siret: str) -> bool:
    """True when ``siret`` (14 ASCII digits) has a valid check digit: the Luhn check (INSEE),
    or, for an establishment of La Poste (SIREN 356000000, whose SIRETs do not follow Luhn),
    a sum of its 14 digits that is a multiple of 5 (INSEE's rule for that SIREN, as applied by
    the public SIRET validators, e.g. python-stdnum ``fr.siret``)."""
    if not (len(siret) == 14 and siret.isascii() and siret.isdigit()):
        return False
    if luhn_ok(siret):
        return True
    return siret.startswith(LA_POSTE_SIREN) and sum(map(int, siret)) % 5 == 0


def _structure(file: Path, index: int, table: Any) -> Structure:
    """One ``[[structure]]`` entry (fiche structure, chorus-pro.md §2.1) as a Structure.

    Raises:
        ConfigError: a field is missing, mistyped or invalid (SIRET, Luhn, statut, services).
    """
    label = table.get("identifiantStructure", "?") if isinstance(table, dict) else "?"
    entry = _Entry(file, f"structure #{index} ({label})", table, _STRUCTURE_KEYS)
    siret = entry.text("identifiantStructure")
    if not (len(siret) == 14 and siret.isascii() and siret.isdigit()):
        entry.fail("identifiantStructure", f"a SIRET is 14 digits, got {siret!r}")
    if not siret_ok(siret):
        entry.fail("identifiantStructure", f"{siret} fails the SIRET check digit (Luhn)")
    id_type = entry.text("typeIdentifiantStructure", "SIRET")
    if id_type != "SIRET":
        entry.fail("typeIdentifiantStructure", "a recipient structure is always SIRET (§2.1)")
    statut = entry.text("statut", "ACTIF")
    if statut not in ("ACTIF", "INACTIF"):
        entry.fail("statut", f"must be ACTIF or INACTIF, not {statut!r}")
    services = _services(file, entry, table.get("service", []))
    return Structure(
        siret=siret,
        name=entry.text("libelleStructure"),
        id_type=id_type,
        active=statut == "ACTIF",
        service_code_required=entry.flag("codeServiceDoitEtreRenseigne"),
        engagement_required=entry.flag("numeroEJDoitEtreRenseigne"),
        engagement_or_service=entry.flag("gestionNumeroEJOuCodeService"),
        payment_status_not_reported=entry.flag("statutMiseEnPaiementNestPasRemonte"),
        moa_only=entry.flag("estMoaUniquement"),
        services=services,
    )


def _services(file: Path, entry: _Entry, services_table: Any) -> tuple[Service, ...]:
    """The ``[[structure.service]]`` entries of one structure, each code used once.

    Raises:
        ConfigError: not an array of tables, a bad service, or a ``codeService`` used twice.
    """
    if not isinstance(services_table, list):
        entry.fail("service", "must be an array of tables ([[structure.service]])")
    services = tuple(
        _service(file, f"{entry.where} service #{j}", t)
        for j, t in enumerate(services_table, start=1)
    )
    codes = [s.code for s in services]
    for j, code in enumerate(codes, start=1):
        if codes.index(code) != j - 1:
            raise ConfigError(
                f"{file}: {entry.where} service #{j} ({code}): field codeService: "
                f"the same code is already used by service #{codes.index(code) + 1}"
            )
    return services


def _service(file: Path, where: str, table: Any) -> Service:
    label = table.get("codeService", "?") if isinstance(table, dict) else "?"
    entry = _Entry(file, f"{where} ({label})", table, _SERVICE_KEYS)
    code = entry.text("codeService")
    if not 1 <= len(code) <= SERVICE_CODE_MAX:
        entry.fail("codeService", f"must be 1 to {SERVICE_CODE_MAX} characters")
    if not names.is_safe_component(code):
        entry.fail(
            "codeService",
            f"{code!r} cannot be a folder name as it is: use A-Z a-z 0-9 - _ @ . only (the PPF "
            "routing-code set without '/', plus '.'), not starting with '.' or '-', and not "
            f"one of {', '.join(sorted(names.RESERVED_NAMES))}",
        )
    start, end = entry.day("dateDbtService"), entry.day("dateFinService")
    if start and end and end < start:
        entry.fail("dateFinService", f"{end} is before dateDbtService {start}")
    return Service(
        code=code,
        label=entry.text("libelleService", ""),
        active=entry.flag("estActif", True),
        start=start,
        end=end,
        engagement_required=entry.flag("numeroEngagement"),
    )
