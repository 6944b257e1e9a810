"""The gateway configuration is read strictly and paths come back absolute."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.core import config
from edi_gateway.core.errors import ConfigError


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


def _channels(tmp_path: Path, *channels: tuple[str, str, str]) -> Path:
    base = config.DEFAULT_CONFIG.read_text(encoding="utf-8")
    head = base[: base.index("[[channel]]")]
    body = "".join(
        f'[[channel]]\nname = "{n}"\nfolder = "{f}"\napplication_code = "{a}"\n'
        'accepts = "invoices"\n'
        for n, f, a in channels
    )
    path = tmp_path / "config.toml"
    path.write_text(head + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ((("a", "in1", "AAAAA1"), ("b", "in1", "AAAAA2")), "channel folders must be unique"),
        ((("a", "in1", "AAAAA1"), ("b", "in2", "AAAAA1")), "application codes must be unique"),
        ((("a", "outbound", "AAAAA1"),), "must not be gateway.outbound"),
        ((("a", "var/work", "AAAAA1"),), "must not be gateway.state_dir"),
    ],
)
def test_channel_layout_is_checked(
    tmp_path: Path, channels: tuple[tuple[str, str, str], ...], message: str
) -> None:
    """Channels that share a folder or a code, or watch an output folder, are refused."""
    with pytest.raises(ConfigError, match=message):
        config.load(_channels(tmp_path, *channels))


def test_no_channel_is_refused(tmp_path: Path) -> None:
    """A configuration without any channel is refused: the daemon would watch nothing."""
    path = tmp_path / "config.toml"
    base = config.DEFAULT_CONFIG.read_text(encoding="utf-8")
    path.write_text(base[: base.index("[[channel]]")], encoding="utf-8")
    with pytest.raises(ConfigError, match="no \\[\\[channel\\]\\]"):
        config.load(path)


def test_negative_settle_time_is_refused(tmp_path: Path) -> None:
    """A negative settle time is refused."""
    path = tmp_path / "config.toml"
    base = config.DEFAULT_CONFIG.read_text(encoding="utf-8")
    path.write_text(base.replace("settle_seconds = 1.0", "settle_seconds = -1.0"), encoding="utf-8")
    with pytest.raises(ConfigError, match="settle_seconds must not be negative"):
        config.load(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("settle_seconds = 1.0", "settle_seconds = nan", "settle_seconds must be a finite"),
        ("sweep_seconds = 30.0", "sweep_seconds = inf", "sweep_seconds must be a finite"),
    ],
)
def test_non_finite_durations_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    """nan and inf durations are refused (nan would stop every take without a word)."""
    path = tmp_path / "config.toml"
    base = config.DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert old in base
    path.write_text(base.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        config.load(path)


def test_infinite_retry_delay_is_refused(tmp_path: Path) -> None:
    """retry_seconds = [inf] would keep a failed file in var/work for ever: refused."""
    path = tmp_path / "config.toml"
    base = config.DEFAULT_CONFIG.read_text(encoding="utf-8")
    marker = "retry_seconds = [2.0, 10.0]"
    assert marker in base
    path.write_text(base.replace(marker, "retry_seconds = [inf]"), encoding="utf-8")
    with pytest.raises(ConfigError, match="retry_seconds must be a non-empty list"):
        config.load(path)
