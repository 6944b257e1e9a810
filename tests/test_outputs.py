"""Atomic writes, safe names from invoice values, outbound layout, moves of originals."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.outputs import (
    NO_SERVICE,
    OutputError,
    archive_name,
    flow_name,
    move_original,
    recipient_folder,
    safe_component,
    supplier_folder,
    write_atomic,
)


def test_write_atomic_writes_and_replaces(tmp_path: Path) -> None:
    """A second write replaces the file; no temporary file is left behind."""
    target = tmp_path / "a" / "b" / "file.xml"
    assert write_atomic(target, b"one") == target
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.xml"]


def test_write_atomic_failure_is_an_output_error(tmp_path: Path) -> None:
    """A folder that cannot be created (a file is in the way) raises OutputError."""
    (tmp_path / "blocker").write_bytes(b"x")
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(tmp_path / "blocker" / "file.xml", b"data")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12345678901234", "12345678901234"),
        ("../../etc", "_.._etc"),
        ("..", "_INCONNU"),
        ("a/b\\c", "a_b_c"),
        ("SERVICE\x00\n1", "SERVICE_1"),
        ("Comptabilité #3", "Comptabilite_3"),
        ("", "_INCONNU"),
        (None, "_INCONNU"),
    ],
)
def test_safe_component(value: str | None, expected: str) -> None:
    """Separators, control characters and leading dots never survive into a folder name."""
    assert safe_component(value) == expected


def test_safe_component_caps_length() -> None:
    """A very long identifier is cut at 64 characters."""
    assert len(safe_component("A" * 500)) == 64


def test_hostile_values_stay_inside_outbound(tmp_path: Path) -> None:
    """Whatever the invoice says, recipient and supplier folders stay under outbound/."""
    outbound = tmp_path / "outbound"
    for hostile in ("../../x", "/etc/passwd", "..\\..\\y", "\x00", "." * 10):
        for folder in (
            recipient_folder(outbound, hostile, hostile),
            supplier_folder(outbound, hostile, "EDIGW1"),
        ):
            assert folder.resolve().is_relative_to(outbound.resolve())


def test_layout_names() -> None:
    """Recipient folder uses _SANS_SERVICE without service; unknown seller goes to canaux/."""
    out = Path("/o")
    assert recipient_folder(out, "11000201100044", None) == out / "11000201100044" / NO_SERVICE
    assert recipient_folder(out, "11000201100044", "SERV1") == out / "11000201100044" / "SERV1"
    assert supplier_folder(out, "FR123", "EDIGW1") == out / "fournisseurs" / "FR123"
    assert supplier_folder(out, None, "EDIGW1") == out / "canaux" / "EDIGW1"
    assert flow_name("CSO1100A", "EDIGW1", "EDIGW11100000000000000001") == (
        "CSO1100A_EDIGW1_EDIGW11100000000000000001.xml"
    )


def test_move_original_never_overwrites(tmp_path: Path) -> None:
    """Two originals with the same IdFlux and name both survive; the source is gone."""
    archive = tmp_path / "archive"
    first, second = tmp_path / "f1.xml", tmp_path / "f2.xml"
    first.write_bytes(b"1")
    second.write_bytes(b"2")
    a = move_original(first, archive, "ID", "facture 1.xml")
    b = move_original(second, archive, "ID", "facture 1.xml")
    assert a.name == "ID__facture 1.xml"
    assert b.name == "ID__facture 1.xml.1"
    assert (a.read_bytes(), b.read_bytes()) == (b"1", b"2")
    assert not first.exists() and not second.exists()


def test_move_original_missing_source_raises(tmp_path: Path) -> None:
    """Moving a file that is not there is an OutputError, not a crash."""
    with pytest.raises(OutputError):
        move_original(tmp_path / "missing.xml", tmp_path / "archive", "ID", "missing.xml")


def test_archive_name_strips_separators() -> None:
    """An original name cannot carry a path into the archive folder."""
    assert archive_name("ID", "../x/y.xml") == "ID___x_y.xml"


def test_interfaces_from_detection() -> None:
    """PDF -> FSO1117A, CII -> FSO1106A, UBL and undetected -> FSO1100A; reports use C."""
    from edi_gateway.model import Container, Detection, Syntax
    from edi_gateway.outputs import inbound_interface, report_interface

    pdf = Detection(container=Container.PDF, syntax=Syntax.CII, kind="Factur-X")
    cii = Detection(container=Container.XML, syntax=Syntax.CII, kind="CII")
    other = Detection(container=Container.OTHER, syntax=Syntax.OTHER, kind="empty file")
    assert [inbound_interface(d) for d in (pdf, cii, other, None)] == [
        "FSO1117A",
        "FSO1106A",
        "FSO1100A",
        "FSO1100A",
    ]
    assert report_interface("FSO1106A") == "CSO1106A"
