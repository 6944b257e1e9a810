"""Atomic writes, safe names from invoice values, outbound layout, moves of originals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from edi_gateway.core import files, names
from edi_gateway.core.errors import OutputError
from edi_gateway.core.files import move_original, write_atomic
from edi_gateway.core.names import (
    NO_SERVICE,
    archive_name,
    flow_name,
    is_safe_component,
    recipient_folder,
    safe_component,
    supplier_folder,
)


def test_write_atomic_never_replaces_a_file(tmp_path: Path) -> None:
    """A second write with other bytes is refused and the first file kept; the same bytes
    again are accepted (a re-run); no temporary file is left behind."""
    target = tmp_path / "a" / "b" / "file.xml"
    assert write_atomic(target, b"one") == target
    with pytest.raises(OutputError, match="never replaced"):
        write_atomic(target, b"two")
    assert write_atomic(target, b"one") == target
    assert target.read_bytes() == b"one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.xml"]


def test_publish_refuses_a_file_that_appeared_after_staging(tmp_path: Path) -> None:
    """The link at publish is the last guard: a file created under the final name between
    stage and publish is kept, the staged copy too (nothing lost), and OutputError says so;
    a publish cut after its link (final holds the same bytes) only removes the staged copy."""
    target = tmp_path / "report.xml"
    temp = files.stage(target, b"<ours/>")
    assert temp.name == ".report.xml.tmp" and not target.exists()
    target.write_bytes(b"<theirs/>")
    with pytest.raises(OutputError, match="never replaced"):
        files.publish(temp, target)
    assert (target.read_bytes(), temp.read_bytes()) == (b"<theirs/>", b"<ours/>")
    target.unlink()
    os.link(temp, target)  # the crash came between the link and the unlink
    files.publish(temp, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xml"]


def test_stage_never_writes_through_a_hard_link_planted_at_the_temp_name(tmp_path: Path) -> None:
    """A hard link to a file outside outbound/ planted under the temporary name is unlinked,
    not written through: the outside file keeps its bytes and shares no inode with the output."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"VICTIM")
    out = tmp_path / "outbound"
    out.mkdir()
    os.link(victim, out / ".report.xml.tmp")
    write_atomic(out / "report.xml", b"<report/>", root=out)
    assert victim.read_bytes() == b"VICTIM" and victim.stat().st_nlink == 1
    assert (out / "report.xml").read_bytes() == b"<report/>"
    assert not (out / "report.xml").samefile(victim)


def test_stage_never_follows_a_planted_link(tmp_path: Path) -> None:
    """A symbolic link planted under the temporary name is never written through."""
    secret = tmp_path / "secret"
    secret.write_bytes(b"keep")
    (tmp_path / ".out.xml.tmp").symlink_to(secret)
    files.stage(tmp_path / "out.xml", b"data")
    assert secret.read_bytes() == b"keep"
    assert (tmp_path / ".out.xml.tmp").read_bytes() == b"data"
    assert not (tmp_path / ".out.xml.tmp").is_symlink()


def test_write_atomic_failure_is_an_output_error(tmp_path: Path) -> None:
    """A folder that cannot be created (a file is in the way) raises OutputError."""
    (tmp_path / "blocker").write_bytes(b"x")
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(tmp_path / "blocker" / "file.xml", b"data")


@pytest.mark.parametrize(
    "value",
    ["12345678901234", "SERVICES-TECHNIQUES", "FACTURES_PUBLIQUES", "a.b", "x@y", "A" * 100],
)
def test_safe_component_keeps_safe_values_unchanged(value: str) -> None:
    """A value made of A-Z a-z 0-9 . _ - @ (no leading '.' or '-', 100 characters at most) is
    the folder name itself."""
    assert safe_component(value) == value
    assert is_safe_component(value)


@pytest.mark.parametrize(
    ("value", "readable"),
    [
        ("../../etc", "_.._etc"),
        ("..", "_INCONNU"),
        (".", "_INCONNU"),
        ("-rf", "rf"),
        ("--", "_INCONNU"),
        (".hidden", "hidden"),
        ("a/b\\c", "a_b_c"),
        ("SERVICE\x00\n1", "SERVICE_1"),
        ("Comptabilité #3", "Comptabilite_3"),
        ("_SANS_SERVICE", "_SANS_SERVICE"),
        ("fournisseurs", "fournisseurs"),
    ],
)
def test_a_changed_value_gets_a_stable_hash_of_the_original(value: str, readable: str) -> None:
    """Unsafe characters become '_', leading '.'/'-' go, and '~' + 8 hex digits of the original
    value's SHA-256 make the name unique; the same value always gives the same name."""
    name = safe_component(value)
    base, sep, tag = name.rpartition("~")
    assert (base, sep) == (readable, "~")
    assert len(tag) == 8 and int(tag, 16) >= 0
    assert safe_component(value) == name
    assert not name.startswith((".", "-")) and name not in (".", "..")
    assert not is_safe_component(value)


def test_safe_component_of_nothing_is_the_fallback() -> None:
    """None or '' give the fallback name (never an empty component)."""
    assert safe_component(None) == "_INCONNU"
    assert safe_component("") == "_INCONNU"
    assert safe_component(None, fallback="_SANS_SERVICE") == "_SANS_SERVICE"


def test_different_values_never_share_a_folder() -> None:
    """'A/B' and 'A_B', ids sharing their first 100 characters, '..' and '.': all distinct."""
    values = ["A/B", "A_B", "A:B", "A" * 120 + "1", "A" * 120 + "2", "..", ".", "-rf", "rf"]
    made = [safe_component(v) for v in values]
    assert len(set(made)) == len(values)
    assert all(len(n) <= 100 for n in made)


def test_safe_component_caps_length() -> None:
    """A very long identifier is cut at 100 characters, hash included."""
    assert len(safe_component("A" * 500)) == 100


def test_supplier_folder_of_dot_dot_is_not_the_channel_folder() -> None:
    """A seller id '..' or '.' gets its own folder under fournisseurs/, never its parent."""
    out = Path("/o")
    for seller in ("..", ".", "-rf"):
        folder = supplier_folder(out, seller, "EDIGW1")
        assert folder.parent == out / "fournisseurs"
        assert folder.name not in ("..", ".", "") and not folder.name.startswith("-")


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
    from edi_gateway.core.model import Container, Detection, Syntax
    from edi_gateway.core.names import inbound_interface, report_interface

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


def test_move_interrupted_after_the_link_is_completed_without_a_copy(tmp_path: Path) -> None:
    """A kill between linking into var/archive and unlinking from var/work leaves no `.1`."""
    work, archive = tmp_path / "work", tmp_path / "archive"
    work.mkdir()
    src = work / "EDIGW11100000000000000007__f.xml"
    src.write_bytes(b"<Invoice/>")
    first = files.move_original(src, archive, "EDIGW11100000000000000007", "f.xml")
    os.link(first, src)  # the work entry as the crash left it: a second link to the same file
    again = files.move_original(src, archive, "EDIGW11100000000000000007", "f.xml")
    assert again == first
    assert sorted(p.name for p in archive.iterdir()) == [first.name]
    assert not src.exists()


def test_move_interrupted_after_a_copy_is_completed_without_a_copy(tmp_path: Path) -> None:
    """Identical bytes already under the archive name (a cross-device copy) are not doubled."""
    work, archive = tmp_path / "work", tmp_path / "archive"
    work.mkdir()
    archive.mkdir()
    src = work / "EDIGW11100000000000000008__g.xml"
    src.write_bytes(b"<Invoice>g</Invoice>")
    name = names.archive_name("EDIGW11100000000000000008", "g.xml")
    (archive / name).write_bytes(b"<Invoice>g</Invoice>")
    moved = files.move_original(src, archive, "EDIGW11100000000000000008", "g.xml")
    assert moved == archive / name
    assert sorted(p.name for p in archive.iterdir()) == [name]


def test_a_different_file_under_the_name_is_never_replaced(tmp_path: Path) -> None:
    """Another file already under the archive name is kept; the original goes to `.1`."""
    work, archive = tmp_path / "work", tmp_path / "archive"
    work.mkdir()
    archive.mkdir()
    src = work / "EDIGW11100000000000000009__h.xml"
    src.write_bytes(b"<Invoice>new</Invoice>")
    name = names.archive_name("EDIGW11100000000000000009", "h.xml")
    (archive / name).write_bytes(b"<Invoice>old</Invoice>")
    moved = files.move_original(src, archive, "EDIGW11100000000000000009", "h.xml")
    assert moved.name == f"{name}.1"
    assert (archive / name).read_bytes() == b"<Invoice>old</Invoice>"


@pytest.mark.parametrize(
    "raw_name",
    [
        b"a" * 250 + b".xml",
        b"facture_\xe9t\xe9_" + b"\xe9" * 60 + b".xml",
        ("\u00e9" * 110 + ".xml").encode(),
        b"c" * 240 + b".pdf",
    ],
)
def test_a_long_dropped_name_is_written_to_outbound_cut_with_its_extension(
    tmp_path: Path, raw_name: bytes
) -> None:
    """An ``<IdFlux>__<name>`` copy of a long or Latin-1 name is written (no ENAMETOOLONG)."""
    readable = os.fsencode(os.fsdecode(raw_name)).decode("utf-8", "backslashreplace")
    name = archive_name("GW01-20260101-000000-000001", readable)
    target = write_atomic(tmp_path / name, b"data")
    assert target.read_bytes() == b"data"
    assert len(os.fsencode(target.name)) <= names.ARCHIVE_NAME_MAX
    assert target.suffix == raw_name[-4:].decode()
    target.name.encode("utf-8")  # whole characters only: never a cut sequence
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_write_atomic_refuses_a_symlinked_folder_inside_outbound(tmp_path: Path) -> None:
    """outbound/fournisseurs/<seller> as a link elsewhere: OutputError, nothing written there."""
    outbound = tmp_path / "outbound"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (outbound / "fournisseurs").mkdir(parents=True)
    (outbound / "fournisseurs" / "SELLER").symlink_to(elsewhere)
    target = outbound / "fournisseurs" / "SELLER" / "flow.xml"
    with pytest.raises(OutputError, match="symbolic link"):
        write_atomic(target, b"data", root=outbound)
    assert list(elsewhere.iterdir()) == []
    assert write_atomic(outbound / "canaux" / "X" / "f.xml", b"ok", root=outbound).exists()
