"""Untrusted text printed on a terminal cannot drive it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from edi_gateway.core.terminal import json_text, printable


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


HOSTILE_IN_JSON = "csi\x9b31m nel\x85 rlo\u202egnp lri\u2066 sep\u2028 del\x7f café"


def test_json_text_escapes_c1_bidi_and_separators_and_round_trips() -> None:
    """json_text writes C1, bidi, DEL and U+2028 as \\u escapes; accents stay; loads gives back
    the same value."""
    text = json_text({"name": HOSTILE_IN_JSON, "esc": "\x1b[2J"})
    assert json.loads(text) == {"name": HOSTILE_IN_JSON, "esc": "\x1b[2J"}
    for raw in ("\x9b", "\x85", "\u202e", "\u2066", "\u2028", "\x7f", "\x1b"):
        assert raw not in text
    assert "\\u009b31m" in text and "\\u202egnp" in text and "café" in text


def test_validate_json_escapes_a_hostile_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`validate --format json` keeps C1 and bidi controls of a file name out of the raw line."""
    from edi_gateway.cli import main

    path = tmp_path / f"{HOSTILE_IN_JSON}.xml"
    path.write_bytes(b"not xml")
    assert main(["validate", "--format", "json", str(path)]) == 1
    out = capsys.readouterr().out
    assert not any(raw in out for raw in ("\x9b", "\x85", "\u202e", "\u2066", "\u2028", "\x7f"))
    assert HOSTILE_IN_JSON in json.dumps(json.loads(out.splitlines()[0]), ensure_ascii=False)


def test_printable_writes_the_bytes_of_a_non_utf8_file_name() -> None:
    """A file name with bytes 0xFF 0xFE (``os.fsdecode`` surrogates) prints as ``\\xff\\xfe``,
    never as the raw bytes; other text is unchanged."""
    assert printable(os.fsdecode(b"bad/nonutf\xff\xfe.xml")) == "bad/nonutf\\xff\\xfe.xml"
    assert printable("facture-é.xml") == "facture-é.xml"
