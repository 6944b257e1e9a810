"""Untrusted text printed on a terminal cannot drive it."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.core.terminal import printable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("esc\x1b[31mred.xml", "esc\\x1b[31mred.xml"),
        ("nl\nFAKE LINE verdict accepted.xml", "nl\\x0aFAKE LINE verdict accepted.xml"),
        ("x\x1b]0;TITLE\x07\x1b[2J.txt", "x\\x1b]0;TITLE\\x07\\x1b[2J.txt"),
        ("csi\x9b31m", "csi\\x9b31m"),
        ("rlo\u202egnp.exe", "rlo\\u202egnp.exe"),
        ("del\x7f", "del\\x7f"),
        ("sep\u2028line", "sep\\u2028line"),
    ],
)
def test_controls_are_escaped(raw: str, shown: str) -> None:
    """ESC, newlines, C1 controls, DEL, bidi overrides and separators become visible escapes."""
    assert printable(raw) == shown


def test_ordinary_text_is_unchanged() -> None:
    """Accents, tabs, quotes and non-Latin letters pass through as they are."""
    text = "Mairie fictive d'Exempleville\tÉlève «ok» 東京 ü"
    assert printable(text) == text


def test_non_strings_are_converted() -> None:
    """None and numbers print as str() does."""
    assert (printable(None), printable(42)) == ("None", "42")


def test_validate_text_escapes_a_hostile_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`validate` prints a file name carrying ESC and a newline as visible escapes."""
    from edi_gateway.cli import main

    name = tmp_path / "esc\x1b[31mred\nFAKE verdict accepted.xml"
    name.write_bytes(b"not xml")
    assert main(["validate", str(name)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "esc\\x1b[31mred\\x0aFAKE verdict accepted.xml" in out
