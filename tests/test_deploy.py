"""The cluster deployment files (deploy/): the configuration they ship loads, and the commands of
the compose file and the systemd units are ones the CLI accepts."""

from __future__ import annotations

import re
from pathlib import Path

from edi_gateway.cli import build_parser
from edi_gateway.core import config as config_module
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_cluster_configuration_loads() -> None:
    config = config_module.load(DEPLOY / "cluster.toml")
    assert config.cluster.enabled and config.cluster.broker == "redis://redis:6379/0"
    assert str(config.database).startswith("postgresql://")
    assert config.work_dir == Path("/srv/edi/var/work")
    assert config.archive_dir == Path("/srv/edi/var/archive")
    assert config.api_channel.folder == Path("/srv/edi/var/api-staging")
    assert config.outbound == Path("/srv/edi/outbound")
    assert all(c.folder.is_relative_to("/srv/edi") for c in config.channels)


def _commands() -> list[list[str]]:
    found = []
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    for line in re.findall(r"command: \[(.*)\]", compose):
        args = [a.strip().strip('"') for a in line.split(",")]
        if args[0] != "redis-server":
            found.append(args)
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in re.findall(r"^Exec\w+=(\S+) (.*)$", unit.read_text(), re.M):
            assert line[0].endswith("/edi-gateway")
            found.append(line[1].split())
    return found


def test_compose_and_systemd_commands_parse() -> None:
    commands = _commands()
    roles = sorted({c[c.index("--role") + 1] for c in commands if "--role" in c})
    assert roles == ["watcher", "worker"]
    parser = build_parser()
    for args in commands:
        parsed = parser.parse_args(args)
        assert parsed.config == "/etc/edi-gateway/cluster.toml", args
