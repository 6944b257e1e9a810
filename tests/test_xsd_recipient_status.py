"""Our own schema of the recipient status files (xsd/cpp-statut-destinataire.xsd)."""

from __future__ import annotations

import pytest
from lxml import etree

from edi_gateway.core import xmlsafe

from .conftest import REFERENCE, ROOT, STATUT_XSD, need_shared

SCHEMA = etree.XMLSchema(etree.parse(str(ROOT / "xsd" / "cpp-statut-destinataire.xsd")))
ACCEPTED = ROOT / "tests" / "fixtures" / "lifecycle" / "statuts-acceptes.xml"


def _valid(data: bytes) -> bool:
    return bool(SCHEMA.validate(xmlsafe.parse(data)))


def test_our_fixture_is_valid_here_and_against_aife() -> None:
    """The documented recipient example is valid against our schema and AIFE's."""
    data = ACCEPTED.read_bytes()
    assert _valid(data)
    aife = etree.XMLSchema(etree.parse(str(need_shared(STATUT_XSD))))
    assert aife.validate(xmlsafe.parse(data))


def test_aife_samples() -> None:
    """AIFE's invoice-status sample passes; the bad month and the flux status do not."""
    samples = need_shared(REFERENCE / "cpp" / "samples")
    assert _valid((samples / "Example01-FactureStatut-ok.xml").read_bytes())
    assert not _valid((samples / "Example03-FactureStatut-ko.xml").read_bytes())
    assert not _valid((samples / "Example04-FactureStatut-ko.xml").read_bytes())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<Horodatage>2026-03-06T10:15:00.000+01:00", "<Horodatage>0001-01-01T00:00:00+14:00"),
        ("<Horodatage>2026-03-06T10:15:00.000+01:00", "<Horodatage>9999-12-31T23:59:59-14:00"),
        ("<Horodatage>2026-03-06T10:15:00.000+01:00", "<Horodatage>2026-03-06T10:15:00"),
        ("<IdStatut>07</IdStatut>", "<IdStatut>7</IdStatut>"),
        ("<Identifiant>99900001000010</Identifiant>", "<Identifiant>9990000100001</Identifiant>"),
    ],
)
def test_refused_values(old: str, new: str) -> None:
    """Absurd or zone-less times, one-digit statuses and short SIRETs are refused."""
    text = ACCEPTED.read_text(encoding="utf-8")
    assert old in text
    assert not _valid(text.replace(old, new, 1).encode())
