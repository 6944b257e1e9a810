"""Value checks of a loaded gateway configuration (:func:`check_values`).

Job: the rules across keys that :mod:`edi_gateway.core.config` cannot check while reading one
key: ranges, channel names, folders and application codes unique, outputs apart from inputs.
Every failure is a :class:`~edi_gateway.core.errors.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from edi_gateway.core.errors import ConfigError

if TYPE_CHECKING:
    from edi_gateway.core.config import Config


def check_values(config: Config) -> None:
    """Check the values of a loaded configuration (types are checked on reading).

    Raises:
        ConfigError: a bad value, naming the file and the key.
    """
    file = config.path
    if config.observer not in ("native", "polling"):
        raise ConfigError(f"{file}: gateway.observer must be 'native' or 'polling'")
    if config.workers < 0:
        raise ConfigError(f"{file}: gateway.workers must be 0 (CPU count) or more")
    if not 0 <= config.instance <= 99:
        raise ConfigError(f"{file}: gateway.instance must be 0 to 99 (two digits of every IdFlux)")
    if config.max_attempts < 1:
        raise ConfigError(f"{file}: gateway.max_attempts must be 1 or more")
    if config.max_file_bytes <= 0:
        raise ConfigError(f"{file}: validation.max_file_bytes must be positive")
    if config.log_level not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"{file}: gateway.log_level must be debug, info, warning or error")
    for key in ("poll_seconds", "settle_seconds", "sweep_seconds"):
        if not math.isfinite(getattr(config, key)):  # nan would silently stop every take
            raise ConfigError(f"{file}: gateway.{key} must be a finite number of seconds")
        if getattr(config, key) < 0:
            raise ConfigError(f"{file}: gateway.{key} must not be negative")
    if config.sweep_seconds == 0 or config.poll_seconds == 0:
        raise ConfigError(f"{file}: gateway.sweep_seconds and poll_seconds must be positive")
    if config.cluster.enabled and not str(config.database).startswith(
        ("postgresql://", "postgres://")
    ):
        raise ConfigError(
            f"{file}: cluster.enabled needs a PostgreSQL ledger: set gateway.database to a "
            "postgresql:// URL (an embedded SQLite file is one machine's)"
        )
    _check_channels(config)


def _check_channels(config: Config) -> None:
    """Channels: at least one, unique names, folders and application codes; outputs apart."""
    file = config.path
    if not config.channels:
        raise ConfigError(f"{file}: no [[channel]]: the gateway would have nothing to watch")
    for attribute, what in (
        ("name", "names"),
        ("folder", "folders"),
        ("application_code", "application codes"),
    ):
        values = [getattr(c, attribute) for c in config.channels]
        if len(set(values)) != len(values):
            raise ConfigError(f"{file}: channel {what} must be unique")
    if config.api.application_code in {c.application_code for c in config.channels}:
        raise ConfigError(f"{file}: api.application_code must differ from every channel's")
    outputs = {"outbound": config.outbound, "state_dir": config.state_dir}
    if config.shared_dir != config.state_dir:
        outputs["cluster.shared_dir"] = config.shared_dir
    for channel in config.channels:
        for key, folder in outputs.items():
            if _within(channel.folder, folder):
                raise ConfigError(
                    f"{file}: channel {channel.name!r} folder {channel.folder} must not be "
                    f"{'' if '.' in key else 'gateway.'}{key} ({folder}) or inside it: "
                    "outputs would be taken as inbound"
                )


def _within(folder: Path, other: Path) -> bool:
    """Tell whether ``folder`` is ``other`` or lies inside it (paths resolved)."""
    folder, other = folder.resolve(), other.resolve()
    return folder == other or other in folder.parents
