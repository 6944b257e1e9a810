"""Structures directory (fiche structure): loading, checks with precise errors, XML, hot reload."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from structlog.testing import capture_logs

from edi_gateway.core.errors import ConfigError
from edi_gateway.reception import structures

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "rules" / "structures.toml"
FIXTURE = ROOT / "tests" / "fixtures" / "reception" / "structures.toml"

GOOD = """
[[structure]]
identifiantStructure = "99900001000010"
libelleStructure = "Mairie fictive"

[[structure.service]]
codeService = "COMPTA"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "structures.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", [DEMO, FIXTURE], ids=["shipped demo", "test copy"])
def test_demo_directory_exercises_every_flag(path: Path) -> None:
    """The demo directory loads and together its structures exercise every flag of the brief."""
    directory = structures.load(path)
    s = directory.structures
    assert len(s) == 7
    assert any(
        not (x.service_code_required or x.engagement_required or x.engagement_or_service)
        and x.active
        and not x.moa_only
        for x in s
    )
    assert any(x.service_code_required for x in s)
    assert any(x.engagement_required for x in s)
    assert any(x.engagement_or_service for x in s)
    assert any(not x.active for x in s)
    assert any(x.moa_only for x in s)
    assert any(x.payment_status_not_reported for x in s)
    services = [sv for x in s for sv in x.services]
    assert any(not sv.active for sv in services)
    assert any(sv.engagement_required for sv in services)
    assert any(sv.end and sv.end < date(2026, 1, 1) for sv in services)
    assert "FACTURES_PUBLIQUES" in {sv.code for sv in services}


def test_demo_sirets_are_fictitious_and_valid() -> None:
    """Every demo SIRET is 14 digits, passes Luhn, and is in the fictitious 999 range."""
    for s in structures.load(DEMO).structures:
        assert len(s.siret) == 14 and structures.luhn_ok(s.siret)
        assert s.siret.startswith("999")
        assert s.siret != "11000201100044"


def test_lookup_structure_and_service() -> None:
    """Directory.structure finds by SIRET; Structure.service by exact code; unknown gives None."""
    directory = structures.load(FIXTURE)
    lycee = directory.structure(" 99900002000019 ")
    assert lycee is not None and lycee.name == "Lycée fictif Jean-Démo"
    assert lycee.service_code_required and not lycee.engagement_required
    atelier = lycee.service("ATELIER-2023")
    assert atelier is not None
    assert atelier.start == date(2023, 1, 1) and atelier.end == date(2023, 12, 31)
    assert atelier.valid_on(date(2023, 12, 31)) and not atelier.valid_on(date(2024, 1, 1))
    assert lycee.service("intendance") is None
    assert directory.structure("99900009000012") is None
    assert directory.structure(None) is None


def test_to_xml_shape() -> None:
    """to_xml writes one <structure> per entry with the CPP flag names and the services."""
    directory = structures.load(FIXTURE)
    root = etree.fromstring(directory.to_xml())
    assert root.tag == "annuaire"
    assert len(root.findall("structure")) == 7
    dept = root.find("structure[@identifiantStructure='99900004000017']")
    assert dept is not None
    assert dept.get("gestionNumeroEJOuCodeService") == "true"
    assert dept.get("codeServiceDoitEtreRenseigne") == "false"
    assert dept.findtext("libelleStructure") == "Département fictif du Bas-Exemple"
    voirie = dept.find("service[@codeService='VOIRIE']")
    assert voirie is not None
    assert voirie.get("numeroEngagement") == "true"
    assert voirie.get("dateDbtService") == "2020-01-01"
    assert voirie.get("dateFinService") is None
    inactive = root.find("structure[@identifiantStructure='99900005000016']")
    assert inactive is not None and inactive.get("statut") == "INACTIF"


def test_defaults_when_flags_are_omitted(tmp_path: Path) -> None:
    """Omitted flags are false, statut ACTIF, type SIRET, service active with no dates."""
    s = structures.load(write(tmp_path, GOOD)).structures[0]
    assert s.active and s.id_type == "SIRET"
    assert not (s.service_code_required or s.engagement_required or s.moa_only)
    assert s.services == (structures.Service(code="COMPTA"),)


def in_structure(line: str) -> str:
    """GOOD with ``line`` added to the structure table (before its first service)."""
    return GOOD.replace("[[structure.service]]", f"{line}\n[[structure.service]]")


BROKEN = {
    "luhn": (GOOD.replace("01000010", "01000011"), "identifiantStructure: 99900001000011 fails"),
    "length": (GOOD.replace("01000010", "0100001"), "identifiantStructure: a SIRET is 14"),
    "missing-name": (GOOD.replace('libelleStructure = "Mairie fictive"', ""), "is required"),
    "unknown-field": (in_structure('nom = "x"'), "field nom: unknown field"),
    "statut": (in_structure('statut = "ACTIVE"'), "field statut: must be ACTIF or INACTIF"),
    "type": (in_structure('typeIdentifiantStructure = "SIREN"'), "typeIdentifiantStructure"),
    "flag-type": (in_structure('estMoaUniquement = "oui"'), "estMoaUniquement: must be true"),
    "toml-date": (GOOD + "dateDbtService = 2024-02-30\n", "not valid TOML"),
    "bad-date": (GOOD + 'dateDbtService = "2024-13-01"\n', "dateDbtService: must be a date"),
    "dates-order": (
        GOOD + "dateDbtService = 2024-06-01\ndateFinService = 2024-01-01\n",
        "field dateFinService: 2024-01-01 is before",
    ),
    "toml-dup-key": (GOOD + 'codeService = "X"\n', "not valid TOML"),
    "code-length": (GOOD.replace("COMPTA", "C" * 101), "codeService: must be 1 to 100"),
    "code-spaces": (GOOD.replace('"COMPTA"', '" COMPTA"'), "must not start or end with spaces"),
    "code-slash": (GOOD.replace('"COMPTA"', '"COMP/TA"'), "field codeService: 'COMP/TA' "),
    "code-dotdot": (GOOD.replace('"COMPTA"', '".."'), "field codeService: '..' "),
    "code-dash": (GOOD.replace('"COMPTA"', '"-rf"'), "field codeService: '-rf' "),
    "code-accent": (GOOD.replace('"COMPTA"', '"COMPTABILITÉ"'), "field codeService:"),
    "code-space": (GOOD.replace('"COMPTA"', '"COMP TA"'), "field codeService:"),
    "code-reserved": (GOOD.replace('"COMPTA"', '"_SANS_SERVICE"'), "field codeService:"),
    "dup-service": (
        GOOD + '[[structure.service]]\ncodeService = "COMPTA"\n',
        "service #2 (COMPTA): field codeService: the same code",
    ),
    "dup-siret": (GOOD + GOOD, "structure #2 (99900001000010): field identifiantStructure"),
    "top-level": ("[annuaire]\n", "unknown top-level key 'annuaire'"),
}


@pytest.mark.parametrize(("text", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_invalid_entries_name_file_entry_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    """Each broken entry raises ConfigError naming the file, the entry and the field."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        structures.load(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A missing file raises ConfigError with the path."""
    with pytest.raises(ConfigError, match="cannot read the structures directory"):
        structures.load(tmp_path / "absent.toml")


def test_luhn() -> None:
    """luhn_ok accepts a valid SIRET and refuses a one-digit change."""
    assert structures.luhn_ok("99900003000018")
    assert not structures.luhn_ok("99900003000019")


def _touch(path: Path, text: str, bump: int) -> None:
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 1_000_000_000))


def test_watcher_reloads_keeps_last_good_and_logs(tmp_path: Path) -> None:
    """Watcher picks up an edit, keeps the last good directory on a broken edit, and logs both."""
    path = write(tmp_path, GOOD)
    watcher = structures.Watcher(path)
    first = watcher.current()
    assert watcher.current() is first  # unchanged file: same object, no re-read
    second_entry = GOOD.replace("99900001000010", "99900002000019").replace("COMPTA", "RH")
    with capture_logs() as logs:
        _touch(path, GOOD + second_entry, 1)
        grown = watcher.current()
        _touch(path, GOOD + "[[structure]]\nidentifiantStructure = 12\n", 2)
        kept = watcher.current()
        again = watcher.current()
        _touch(path, GOOD, 3)
        back = watcher.current()
    assert len(grown.structures) == 2 and grown.structure("99900002000019") is not None
    assert kept is grown and again is grown
    assert len(back.structures) == 1
    events = [entry["event"] for entry in logs]
    assert events == ["structures.reloaded", "structures.reload_failed", "structures.reloaded"]
    failed = logs[1]
    assert "structure #2" in failed["error"] and "identifiantStructure" in failed["error"]


def test_watcher_survives_file_removal(tmp_path: Path) -> None:
    """A deleted file keeps the last good directory in force (reload_failed is logged)."""
    path = write(tmp_path, GOOD)
    watcher = structures.Watcher(path)
    first = watcher.current()
    path.unlink()
    with capture_logs() as logs:
        assert watcher.current() is first
    assert [entry["event"] for entry in logs] == ["structures.reload_failed"]


def test_watcher_refuses_a_broken_file_at_start(tmp_path: Path) -> None:
    """Creating a Watcher on a broken file raises ConfigError (no last good version exists)."""
    with pytest.raises(ConfigError):
        structures.Watcher(write(tmp_path, "[[structure]]\n"))


def test_service_codes_that_are_folder_names_load(tmp_path: Path) -> None:
    """Codes of the PPF routing-code set without '/', plus '.', load unchanged."""
    path = write(tmp_path, GOOD.replace('"COMPTA"', '"Compta_2026-A.b@x"'))
    [structure] = structures.load(path).structures
    assert [s.code for s in structure.services] == ["Compta_2026-A.b@x"]
