"""Reads ``config.toml`` into frozen records. The only module that reads the gateway config.

Paths in the file are relative to the file itself and come back absolute. Unknown keys, wrong
types and bad values raise :class:`~edi_gateway.core.errors.ConfigError` naming the file and key.

Which file is in force (:func:`choose`): ``--config FILE`` when given; else ``./config.toml`` when
the current folder has one; else the packaged demo config (:func:`resources.demo_config`). The
demo config is read-only where it is installed, so its state, inbound and outbound paths are taken
relative to the current folder instead (its ``structures`` file stays the packaged one).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi_gateway.core import api_config, cluster_config, config_checks, resources, toml_tables
from edi_gateway.core.api_config import ApiConfig, PortalConfig
from edi_gateway.core.cluster_config import ClusterConfig
from edi_gateway.core.errors import ConfigError

ACCEPTS = ("invoices", "recipient-status")
APPLICATION_CODE = re.compile(r"^[A-Z0-9]{6}$")
DEFAULT_CONFIG = resources.demo_config()
#: Where the configuration in force came from (:attr:`Config.source`).
FROM_OPTION = "--config"
FROM_CURRENT_FOLDER = "./config.toml"
FROM_PACKAGED_DEMO = "packaged demo"


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """One inbound folder.

    Attributes:
        name: short name used in logs and the database.
        folder: absolute path of the watched folder (not recursive).
        application_code: the partner's 6-character CPP application code; the first 6 characters
            of every IdFlux received on this channel (``../shared/domain/chorus-pro.md`` §1.3).
        accepts: ``invoices`` or ``recipient-status``.
    """

    name: str
    folder: Path
    application_code: str
    accepts: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The whole gateway configuration. Sizes in bytes, durations in seconds."""

    path: Path
    root: Path
    state_dir: Path
    database: Path | str  # a SQLite file, or a ``postgresql://`` URL (kept as text)
    log_file: Path
    log_level: str
    outbound: Path
    structures: Path
    workers: int
    observer: str
    poll_seconds: float
    settle_seconds: float
    sweep_seconds: float
    max_file_bytes: int
    fr_ctc: bool
    channels: tuple[Channel, ...]
    instance: int = 0
    max_attempts: int = 3
    retry_seconds: tuple[float, ...] = (2.0, 10.0)
    source: str = FROM_OPTION
    api: ApiConfig = dataclasses.field(default_factory=ApiConfig)
    portal: PortalConfig = dataclasses.field(default_factory=PortalConfig)
    cluster: ClusterConfig = dataclasses.field(default_factory=ClusterConfig)

    @property
    def worker_count(self) -> int:
        """Worker processes to start: ``workers``, or the CPU count when it is 0."""
        return self.workers or os.cpu_count() or 1

    @property
    def api_channel(self) -> Channel:
        """The channel of HTTP deposits (``depot-api``; its folder stages request bodies)."""
        return Channel(
            name=api_config.API_CHANNEL,
            folder=self.shared_dir / "api-staging",
            application_code=self.api.application_code,
            accepts="invoices",
        )

    @property
    def all_channels(self) -> tuple[Channel, ...]:
        """The watched channels, then the HTTP deposit channel."""
        return (*self.channels, self.api_channel)

    def channel(self, name: str) -> Channel:
        """Return the channel called ``name`` (a watched one, or ``depot-api``).

        Raises:
            ConfigError: no channel has that name.
        """
        for channel in self.all_channels:
            if channel.name == name:
                return channel
        raise ConfigError(f"{self.path}: no channel named {name!r}")

    @property
    def shared_dir(self) -> Path:
        """Where claimed files and originals live: ``cluster.shared_dir`` when the cluster is
        in force (shared storage every machine mounts at the same path), else ``state_dir``."""
        cluster = self.cluster
        if cluster.enabled and cluster.shared_dir is not None:
            return cluster.shared_dir
        return self.state_dir

    @property
    def work_dir(self) -> Path:
        """Folder files are claimed into while being processed."""
        return self.shared_dir / "work"

    @property
    def archive_dir(self) -> Path:
        """Originals of accepted and rejected fluxes, named with their IdFlux."""
        return self.shared_dir / "archive"

    @property
    def packs_dir(self) -> Path:
        """Installed rule packs (``edi-gateway artefacts install``), one folder per pack."""
        return self.state_dir / "packs"

    @property
    def error_dir(self) -> Path:
        """Originals of inadmissible fluxes and of files set aside, named with their IdFlux."""
        return self.shared_dir / "error"


def database_location(root: Path, value: str) -> Path | str:
    """``gateway.database``: a ``postgresql://`` (or ``postgres://``) URL as it is, else a
    SQLite file path relative to ``root``.

    Raises:
        ConfigError: another URL scheme (or one in capitals, or with spaces around it): never
            taken for a file name.
    """
    scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*)://", value)
    if scheme is None:
        return root / value
    if value.startswith(("postgresql://", "postgres://")):
        return value
    raise ConfigError(
        f"gateway.database: {scheme.group(1)}:// is not supported: give a SQLite file path or "
        "a URL starting exactly with postgresql:// (lower case, no spaces)"
    )


_GATEWAY_KEYS: dict[str, type | tuple[type, ...]] = {
    "state_dir": str,
    "database": str,
    "log_file": str,
    "log_level": str,
    "outbound": str,
    "structures": str,
    "workers": int,
    "observer": str,
    "poll_seconds": (int, float),
    "settle_seconds": (int, float),
    "sweep_seconds": (int, float),
    "instance": int,
    "max_attempts": int,
    "retry_seconds": list,
}
#: Keys a config file may leave out, and their values then.
_GATEWAY_DEFAULTS: dict[str, Any] = {"instance": 0, "max_attempts": 3, "retry_seconds": [2.0, 10.0]}
_VALIDATION_KEYS: dict[str, type | tuple[type, ...]] = {"max_file_bytes": int, "fr_ctc": bool}
_CHANNEL_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "folder": str,
    "application_code": str,
    "accepts": str,
}


def choose(path: Path | str | None, cwd: Path | None = None) -> tuple[Path, str]:
    """The configuration file in force and where it came from (one of ``FROM_*``).

    ``path`` (the ``--config`` option) wins; else ``<cwd>/config.toml`` when it is a file; else
    the packaged demo config. ``cwd`` defaults to the current folder.
    """
    if path:
        return Path(path).resolve(), FROM_OPTION
    here = (cwd or Path.cwd()) / "config.toml"
    if here.is_file():
        return here.resolve(), FROM_CURRENT_FOLDER
    return DEFAULT_CONFIG, FROM_PACKAGED_DEMO


def load(path: Path | str | None = None, *, cwd: Path | None = None) -> Config:
    """Read and check a gateway configuration.

    Args:
        path: the TOML file (``--config``); None = :func:`choose` (``./config.toml``, then the
            packaged demo config).
        cwd: the current folder (for tests); None = :func:`Path.cwd`.

    Returns:
        The configuration with every path absolute and ``source`` saying which file it is.

    Raises:
        ConfigError: the file is missing, not TOML, has unknown keys, or a bad value.
    """
    file, source = choose(path, cwd)
    data = toml_tables.read_toml(file)
    toml_tables.check_keys(
        file,
        "",
        data,
        {
            "gateway": dict,
            "validation": dict,
            "channel": list,
            "api": dict,
            "portal": dict,
            "cluster": dict,
        },
    )
    gateway = toml_tables.section(file, data, "gateway", _GATEWAY_KEYS, _GATEWAY_DEFAULTS)
    validation = toml_tables.section(file, data, "validation", _VALIDATION_KEYS)
    # The packaged demo config lives where the package is installed: its state goes here.
    root = (cwd or Path.cwd()).resolve() if source == FROM_PACKAGED_DEMO else file.parent
    channels = tuple(_channel(file, root, i, c) for i, c in enumerate(data.get("channel", [])))
    config = Config(
        path=file,
        root=root,
        state_dir=root / gateway["state_dir"],
        database=database_location(root, gateway["database"]),
        log_file=root / gateway["log_file"],
        log_level=gateway["log_level"],
        outbound=root / gateway["outbound"],
        structures=file.parent / gateway["structures"],
        workers=gateway["workers"],
        observer=gateway["observer"],
        poll_seconds=float(gateway["poll_seconds"]),
        settle_seconds=float(gateway["settle_seconds"]),
        sweep_seconds=float(gateway["sweep_seconds"]),
        max_file_bytes=validation["max_file_bytes"],
        fr_ctc=validation["fr_ctc"],
        channels=channels,
        instance=gateway["instance"],
        max_attempts=gateway["max_attempts"],
        retry_seconds=toml_tables.seconds(file, "gateway.retry_seconds", gateway["retry_seconds"]),
        source=source,
        api=api_config.parse(file, data, validation["max_file_bytes"]),
        portal=api_config.parse_portal(file, data),
        cluster=cluster_config.parse(file, root, data),
    )
    config_checks.check_values(config)
    return config


def _channel(file: Path, root: Path, index: int, table: Any) -> Channel:
    where = f"channel[{index}]."
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: {where[:-1]} must be a table")
    toml_tables.check_keys(file, where, table, _CHANNEL_KEYS)
    missing = sorted(set(_CHANNEL_KEYS) - set(table))
    if missing:
        raise ConfigError(f"{file}: {where[:-1]} is missing {', '.join(missing)}")
    if not APPLICATION_CODE.match(table["application_code"]):
        raise ConfigError(f"{file}: {where}application_code must be 6 characters A-Z 0-9")
    if table["accepts"] not in ACCEPTS:
        raise ConfigError(f"{file}: {where}accepts must be one of {', '.join(ACCEPTS)}")
    return Channel(
        name=table["name"],
        folder=root / table["folder"],
        application_code=table["application_code"],
        accepts=table["accepts"],
    )


def add_config_argument(parser: Any) -> None:
    """Add the ``--config FILE`` option every command shares to an argparse ``parser``.

    The help names the real default (:func:`choose`): ``./config.toml`` when the current folder
    has one, else the packaged demo config, whose path it prints.
    """
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="gateway configuration (default: ./config.toml when the current folder has one, "
        f"else the packaged demo config {DEFAULT_CONFIG}, with its state in the current folder)",
    )
