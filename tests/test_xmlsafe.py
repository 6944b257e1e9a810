"""The hardened parser refuses DTDs and entities and reports where a document breaks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edi_gateway.core import xmlsafe


def _problem(data: bytes) -> xmlsafe.XmlProblem:
    with pytest.raises(xmlsafe.XmlProblem) as info:
        xmlsafe.parse(data)
    return info.value


def test_empty_is_gw_xml_03() -> None:
    """Empty or blank input is GW-XML-03."""
    assert _problem(b"").code == "GW-XML-03"
    assert _problem(b"  \n\t").code == "GW-XML-03"


def test_truncated_reports_line() -> None:
    """A truncated document is GW-XML-01 with the line where parsing stopped."""
    problem = _problem(b"<a>\n<b>\n<c>")
    assert problem.code == "GW-XML-01"
    assert problem.line == 3


def test_xxe_is_refused_without_reading(tmp_path: Path) -> None:
    """An external entity is refused as GW-XML-02 and the referenced file never appears."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    data = f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><a>&x;</a>'.encode()
    problem = _problem(data)
    assert problem.code == "GW-XML-02"
    assert "TOP-SECRET" not in str(problem)


def test_billion_laughs_is_gw_xml_02() -> None:
    """Nested entity expansion is refused as a DOCTYPE problem, not as bad XML."""
    levels = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 8)
    ]
    data = f"<!DOCTYPE a [{''.join(levels)}]><a>&l7;</a>".encode()
    assert _problem(data).code == "GW-XML-02"


def test_utf16_doctype_is_refused() -> None:
    """A DOCTYPE is recognised in a UTF-16 document too."""
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>'.encode("utf-16")
    assert _problem(data).code == "GW-XML-02"


def test_bom_and_utf16_parse() -> None:
    """UTF-8 with BOM and UTF-16 with BOM both parse to the same root."""
    assert xmlsafe.parse("\ufeff<a>é</a>".encode()).getroot().text == "é"
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><a>é</a>'.encode("utf-16")
    assert xmlsafe.parse(utf16).getroot().text == "é"


def test_text_node_over_10_mb_parses() -> None:
    """A 12 MB base64 attachment (over libxml2's 10 MB text limit) parses when no DOCTYPE."""
    blob = b"QUJD" * (3 * 1024 * 1024)
    tree = xmlsafe.parse(b"<Invoice><Attachment>" + blob + b"</Attachment></Invoice>")
    assert len(tree.getroot()[0].text or "") == len(blob)


def test_huge_text_with_a_doctype_stays_refused() -> None:
    """Lifting the size limits never applies to a document that carries a DOCTYPE."""
    blob = b"QUJD" * (3 * 1024 * 1024)
    data = b"<!DOCTYPE a><a>" + blob + b"</a>"
    assert _problem(data).code == "GW-XML-02"


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_external_parameter_entity_is_never_loaded(tmp_path: Path, target: str) -> None:
    """``<!ENTITY % p SYSTEM "file:///dev/zero"> %p;`` made libxml2 read forever (a FIFO: wait
    forever for a writer), hanging a worker at every start: now nothing named in the bytes is
    opened and the file is refused with GW-XML-02. Run in a child process so a regression fails
    on the timeout instead of hanging the suite."""
    if target == "fifo":
        target = str(tmp_path / "entity.fifo")
        os.mkfifo(target)
    data = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE Invoice [<!ENTITY % p SYSTEM "file://{target}"> %p;]>\n'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>\n'
    )
    code = (
        "import sys\nfrom edi_gateway.core import xmlsafe\n"
        "try:\n    xmlsafe.parse(sys.stdin.buffer.read())\nexcept xmlsafe.XmlProblem as p:\n"
        "    print(p.code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=data.encode(), capture_output=True, timeout=30
    )
    assert done.stdout.decode().strip() == "GW-XML-02", done.stderr.decode()
