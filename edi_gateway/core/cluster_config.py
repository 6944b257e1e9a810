"""The ``[cluster]`` section of config.toml: watchers and workers on several machines.

Job: read and check ``[cluster]`` into a frozen :class:`ClusterConfig` for
:mod:`edi_gateway.core.config`. Without the section (or with ``enabled = false``) the gateway is
one machine's: its own worker processes, fed through pipes. With it, a watcher claims files into
``shared_dir`` and puts one task per flux on a Dramatiq queue in Redis; worker processes on any
machine (``edi-gateway run --role worker``) take the tasks (``docs/architecture.md``, "Operating a
cluster" in the README). Keys:

    enabled            true: the cluster is in force (default false)
    broker             the Redis URL of the task queue: ``redis://host:6379/0``, ``rediss://``
                       (TLS) or ``unix:///path/redis.sock``
    queue              the Dramatiq queue name (default ``edi-gateway``); letters, digits, ``-_.``
    shared_dir         the folder on shared storage (NFS, CephFS ...) mounted at the same path on
                       every machine, which holds ``work/``, ``archive/``, ``error/`` and
                       ``api-staging/`` (default: ``gateway.state_dir``, one machine only)
    heartbeat_seconds  a worker silent this long is dead: its unacknowledged task goes back on the
                       queue (default 60; keep it above the longest flux)
    queue_limit        a watcher claims ahead while the queue holds fewer tasks (default 1000)

A cluster needs a PostgreSQL ledger (``gateway.database``): an embedded SQLite file is one
machine's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi_gateway.core import toml_tables
from edi_gateway.core.errors import ConfigError

BROKER_SCHEMES = ("redis://", "rediss://", "unix://")
QUEUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

_KEYS: dict[str, type | tuple[type, ...]] = {
    "enabled": bool,
    "broker": str,
    "queue": str,
    "shared_dir": str,
    "heartbeat_seconds": (int, float),
    "queue_limit": int,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterConfig:
    """The cluster settings (durations in seconds).

    Attributes:
        enabled: the cluster is in force (tasks on the broker, not pipes to local workers).
        broker: the Redis URL ("" when disabled).
        queue: the Dramatiq queue name.
        shared_dir: the shared folder of work/archive/error/api-staging, or None
            (``gateway.state_dir``).
        heartbeat_seconds: silence after which a worker's task is given to another.
        queue_limit: tasks on the queue above which a watcher stops claiming ahead.
    """

    enabled: bool = False
    broker: str = ""
    queue: str = "edi-gateway"
    shared_dir: Path | None = None
    heartbeat_seconds: float = 60.0
    queue_limit: int = 1000


def parse(file: Path, root: Path, data: dict[str, Any]) -> ClusterConfig:
    """Read ``[cluster]`` of the parsed ``data`` of ``file``; ``shared_dir`` is relative to
    ``root`` (the folder of the file, as every gateway path).

    Raises:
        ConfigError: an unknown key, a wrong type or a bad value, naming the key.
    """
    table = data.get("cluster", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [cluster] must be a table")
    toml_tables.check_keys(file, "cluster.", table, _KEYS)
    shared = table.get("shared_dir")
    cluster = ClusterConfig(
        enabled=table.get("enabled", False),
        broker=table.get("broker", ""),
        queue=table.get("queue", "edi-gateway"),
        shared_dir=(root / shared) if shared else None,
        heartbeat_seconds=float(table.get("heartbeat_seconds", 60.0)),
        queue_limit=table.get("queue_limit", 1000),
    )
    _check(file, cluster)
    return cluster


def _check(file: Path, cluster: ClusterConfig) -> None:
    if not QUEUE_NAME.match(cluster.queue):
        raise ConfigError(f"{file}: cluster.queue must be 1-64 letters, digits, '-', '_' or '.'")
    if not (math.isfinite(cluster.heartbeat_seconds) and cluster.heartbeat_seconds >= 1):
        raise ConfigError(f"{file}: cluster.heartbeat_seconds must be 1 or more seconds")
    if cluster.queue_limit < 1:
        raise ConfigError(f"{file}: cluster.queue_limit must be 1 or more")
    if cluster.enabled and not cluster.broker.startswith(BROKER_SCHEMES):
        raise ConfigError(
            f"{file}: cluster.broker must be a Redis URL ({', '.join(BROKER_SCHEMES)}) "
            "when cluster.enabled is true"
        )
