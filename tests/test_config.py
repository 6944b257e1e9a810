"""The gateway configuration is read strictly and paths come back absolute."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway import config
from edi_gateway.errors import ConfigError


def test_shipped_config_loads() -> None:
    """The shipped config.toml has two channels with 6-character application codes."""
    cfg = config.load()
    assert [c.accepts for c in cfg.channels] == ["invoices", "recipient-status"]
    assert all(len(c.application_code) == 6 for c in cfg.channels)
    assert cfg.database.is_absolute()
    assert cfg.database.parent == cfg.state_dir
    assert cfg.channel("depot-edi").folder == cfg.root / "inbound"


def _write(tmp_path: Path, text: str, *, before: bool = False) -> Path:
    base = config.DEFAULT_CONFIG.read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(text + base if before else base + text, encoding="utf-8")
    return path


def test_unknown_key_is_named(tmp_path: Path) -> None:
    """An unknown top-level key is a ConfigError naming the key."""
    with pytest.raises(ConfigError, match="unknown key 'bogus'"):
        config.load(_write(tmp_path, "bogus = 1\n", before=True))


def test_bad_application_code(tmp_path: Path) -> None:
    """An application code that is not 6 characters is refused."""
    extra = (
        '\n[[channel]]\nname = "x"\nfolder = "x"\napplication_code = "ABC"\naccepts = "invoices"\n'
    )
    with pytest.raises(ConfigError, match="application_code"):
        config.load(_write(tmp_path, extra))


def test_missing_file(tmp_path: Path) -> None:
    """A missing config file is a ConfigError, not an OSError."""
    with pytest.raises(ConfigError, match="cannot read"):
        config.load(tmp_path / "nope.toml")


def test_not_toml(tmp_path: Path) -> None:
    """A file that is not TOML is a ConfigError."""
    path = tmp_path / "c.toml"
    path.write_text("[gateway\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(path)
