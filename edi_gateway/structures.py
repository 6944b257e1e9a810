"""Directory of public recipient structures ("fiche structure") read from ``rules/structures.toml``.

Keys are Chorus Pro's own names (API ``structures/v1/consulter`` and
``structures/v1/rechercher/services``, ``../shared/domain/chorus-pro.md`` §2.2-2.3). The file is
human-edited, so it is checked on load and every problem raises
:class:`~edi_gateway.errors.ConfigError` naming the file, the entry and the field.
:class:`Watcher` re-reads it when it changes so a running gateway picks up an edit without a
restart, and keeps the last good directory when an edit is broken.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import structlog
from lxml import etree

from edi_gateway.errors import ConfigError

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """One service of a structure (CPP "service exécutant").

    Attributes:
        code: ``codeService`` (1-100 characters), what BT-10 / BT-46 scheme 0224 carries.
        label: ``libelleService``.
        active: ``estActif``.
        start: ``dateDbtService``, first day the service may be invoiced, or None (no limit).
        end: ``dateFinService``, last day the service may be invoiced, or None (no limit).
        engagement_required: ``numeroEngagement``: an EJ (BT-13) is required for this service.
    """

    code: str
    label: str = ""
    active: bool = True
    start: date | None = None
    end: date | None = None
    engagement_required: bool = False

    def valid_on(self, day: date) -> bool:
        """True when ``day`` lies within [dateDbtService, dateFinService] (bounds included)."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Structure:
    """One public structure that receives invoices (always identified by a SIRET, §2.1).

    Attributes:
        siret: ``identifiantStructure``, 14 digits with a valid Luhn check digit.
        id_type: ``typeIdentifiantStructure``; always ``SIRET`` for a recipient.
        name: ``libelleStructure``.
        active: ``statut`` is ``ACTIF``.
        service_code_required: ``codeServiceDoitEtreRenseigne``.
        engagement_required: ``numeroEJDoitEtreRenseigne``.
        engagement_or_service: ``gestionNumeroEJOuCodeService`` (EJ or service code, at least one).
        payment_status_not_reported: ``statutMiseEnPaiementNestPasRemonte`` (no MISE_EN_PAIEMENT).
        moa_only: ``estMoaUniquement`` (receives public-works invoices only).
        services: the structure's services, in file order.
    """

    siret: str
    name: str
    id_type: str = "SIRET"
    active: bool = True
    service_code_required: bool = False
    engagement_required: bool = False
    engagement_or_service: bool = False
    payment_status_not_reported: bool = False
    moa_only: bool = False
    services: tuple[Service, ...] = ()

    def service(self, code: str) -> Service | None:
        """Return the service whose ``codeService`` is exactly ``code``, or None."""
        return next((s for s in self.services if s.code == code), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Directory:
    """All recipient structures, indexed by SIRET.

    Attributes:
        structures: every structure, in file order.
        source: the file it was read from, or None when built in code.
    """

    structures: tuple[Structure, ...] = ()
    source: Path | None = None
    _by_siret: dict[str, Structure] = field(init=False, repr=False, compare=False)
    _xml: list[bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_siret", {s.siret: s for s in self.structures})
        object.__setattr__(self, "_xml", [])

    def structure(self, siret: str | None) -> Structure | None:
        """Return the structure whose SIRET is ``siret`` (surrounding spaces ignored), or None."""
        return self._by_siret.get(siret.strip()) if siret else None

    def to_xml(self) -> bytes:
        """Return the directory as the XML ``rules/cpp-reception.xsl`` reads (built once).

        ``<annuaire><structure identifiantStructure=… statut="ACTIF|INACTIF" <flags>="true|false">
        <libelleStructure/><service codeService=… estActif=… numeroEngagement=…
        [dateDbtService=…] [dateFinService=…]><libelleService/></service></structure></annuaire>``:
        the TOML key names, no namespace, dates ``YYYY-MM-DD`` (docs/reception.md §1).
        """
        if not self._xml:
            self._xml.append(self._build_xml())
        return self._xml[0]

    def _build_xml(self) -> bytes:
        root = etree.Element("annuaire")
        for s in self.structures:
            flags = (
                s.service_code_required,
                s.engagement_required,
                s.engagement_or_service,
                s.payment_status_not_reported,
                s.moa_only,
            )
            node = etree.SubElement(root, "structure", identifiantStructure=s.siret)
            node.set("typeIdentifiantStructure", s.id_type)
            node.set("statut", "ACTIF" if s.active else "INACTIF")
            for key, value in zip(_FLAGS, flags, strict=True):
                node.set(key, _xb(value))
            etree.SubElement(node, "libelleStructure").text = s.name
            for sv in s.services:
                snode = etree.SubElement(node, "service", codeService=sv.code)
                snode.set("estActif", _xb(sv.active))
                snode.set("numeroEngagement", _xb(sv.engagement_required))
                for key, day in (("dateDbtService", sv.start), ("dateFinService", sv.end)):
                    if day:
                        snode.set(key, day.isoformat())
                etree.SubElement(snode, "libelleService").text = sv.label
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _xb(value: bool) -> str:
    return "true" if value else "false"


def _read(file: Path) -> bytes:
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
    return loads(_read(Path(path)), Path(path))


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

_FLAGS = (
    "codeServiceDoitEtreRenseigne",
    "numeroEJDoitEtreRenseigne",
    "gestionNumeroEJOuCodeService",
    "statutMiseEnPaiementNestPasRemonte",
    "estMoaUniquement",
)
_STRUCTURE_KEYS = {
    "identifiantStructure",
    "typeIdentifiantStructure",
    "libelleStructure",
    "statut",
    "service",
    *_FLAGS,
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


def _structure(file: Path, index: int, table: Any) -> Structure:
    label = table.get("identifiantStructure", "?") if isinstance(table, dict) else "?"
    entry = _Entry(file, f"structure #{index} ({label})", table, _STRUCTURE_KEYS)
    siret = entry.text("identifiantStructure")
    if not (len(siret) == 14 and siret.isascii() and siret.isdigit()):
        entry.fail("identifiantStructure", f"a SIRET is 14 digits, got {siret!r}")
    if not luhn_ok(siret):
        entry.fail("identifiantStructure", f"{siret} fails the SIRET check digit (Luhn)")
    id_type = entry.text("typeIdentifiantStructure", "SIRET")
    if id_type != "SIRET":
        entry.fail("typeIdentifiantStructure", "a recipient structure is always SIRET (§2.1)")
    statut = entry.text("statut", "ACTIF")
    if statut not in ("ACTIF", "INACTIF"):
        entry.fail("statut", f"must be ACTIF or INACTIF, not {statut!r}")
    services_table = table.get("service", [])
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


def _service(file: Path, where: str, table: Any) -> Service:
    label = table.get("codeService", "?") if isinstance(table, dict) else "?"
    entry = _Entry(file, f"{where} ({label})", table, _SERVICE_KEYS)
    code = entry.text("codeService")
    if not 1 <= len(code) <= SERVICE_CODE_MAX:
        entry.fail("codeService", f"must be 1 to {SERVICE_CODE_MAX} characters")
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


class Watcher:
    """Keep a :class:`Directory` in step with its file while the gateway runs.

    ``current()`` costs one ``stat`` when nothing changed. When the file's mtime or size changed,
    it is read and hashed; a new content is loaded and, when valid, replaces the directory
    (log event ``structures.reloaded``). A broken edit is logged once
    (``structures.reload_failed`` with the error) and the last good directory stays in force.
    Safe to share between threads.

    Args:
        path: the structures file.

    Raises:
        ConfigError: the file is missing or invalid when the watcher is created.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        data = _read(self.path)
        self._signature = self._stat()
        self._digest = hashlib.sha256(data).hexdigest()
        self._directory = loads(data, self.path)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def current(self) -> Directory:
        """Return the directory in force, re-reading the file first when it changed."""
        signature = self._stat()
        if signature == self._signature:
            return self._directory
        with self._lock:
            if signature != self._signature:
                self._signature = signature
                self._reload()
            return self._directory

    def _reload(self) -> None:
        try:
            data = _read(self.path)
            digest = hashlib.sha256(data).hexdigest()
            if digest == self._digest:
                return
            directory = loads(data, self.path)
        except ConfigError as exc:
            log.warning("structures.reload_failed", file=str(self.path), error=str(exc))
            return
        self._digest = digest
        self._directory = directory
        log.info("structures.reloaded", file=str(self.path), structures=len(directory.structures))
