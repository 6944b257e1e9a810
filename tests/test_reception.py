"""CPP reception rules (rules/cpp-reception.xsl) and duplicate rules, on UBL and CII."""

from __future__ import annotations

import csv
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Layer, Severity, Syntax
from edi_gateway.reception import duplicates, envelope, reasons, structures
from edi_gateway.reception import rules as reception
from edi_gateway.store.database import Store
from tests.conftest import CORPUS, need_shared
from tests.fixtures.reception.variants import invoice

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = structures.load(ROOT / "tests" / "fixtures" / "reception" / "structures.toml")
DEPOSIT = date(2026, 3, 1)
SYNTAX = {"ubl": Syntax.UBL_INVOICE, "cii": Syntax.CII}
KINDS = ["ubl", "cii"]

S1_FREE = "99900001000010"  # no requirement; services SERVICES-TECHNIQUES, FACTURES_PUBLIQUES
S2_SERVICE = "99900002000019"  # service code required; CDI inactive, ATELIER-2023 expired
S3_EJ = "99900003000018"  # EJ required
S4_EJ_OR_SERVICE = "99900004000017"  # EJ or service; VOIRIE requires an EJ
S5_INACTIVE = "99900005000016"
S6_MOA = "99900006000015"
S7_BOTH = "99900007000014"  # service and EJ; BIBLIOTHEQUE opens in 2099


def run(kind: str, *, store: Store | None = None, id_flux: str | None = None, **terms: object):
    """Build a variant, extract its envelope, and run reception.check like the engine does."""
    xml = invoice(kind, **terms)
    env = envelope.extract(xml, SYNTAX[kind])
    return reception.check(
        xml, SYNTAX[kind], env, DIRECTORY, deposit_date=DEPOSIT, store=store, id_flux=id_flux
    )


def rules(result: reception.ReceptionResult) -> list[str]:
    return [f.rule for f in result.findings]


S2_OK: dict[str, object] = {"siret": S2_SERVICE, "service": "INTENDANCE"}
S3_OK: dict[str, object] = {"siret": S3_EJ, "service": None}

# rule -> (terms that fire it, terms of the nearest invoice that does not)
CASES: dict[str, tuple[dict[str, object], dict[str, object]]] = {
    "CPP-REC-01": ({"siret": None}, {}),
    "CPP-REC-02": ({"siret": "99900009000012"}, {"siret": S1_FREE}),
    "CPP-REC-03": ({"siret": S5_INACTIVE, "service": "ACCUEIL"}, {}),
    "CPP-REC-04": ({"siret": S2_SERVICE, "service": None}, S2_OK),
    "CPP-REC-05": ({"service": "COMPTA-INCONNUE"}, {"service": "SERVICES-TECHNIQUES"}),
    "CPP-REC-06": ({"siret": S2_SERVICE, "service": "CDI"}, S2_OK),
    "CPP-REC-07": (
        {"siret": S2_SERVICE, "service": "ATELIER-2023"},
        {"siret": S2_SERVICE, "service": "ATELIER-2023", "issue": date(2023, 6, 15)},
    ),
    "CPP-REC-08": ({"siret": S3_EJ, "service": None, "ej": None}, S3_OK),
    "CPP-REC-09": (
        {"siret": S4_EJ_OR_SERVICE, "service": "VOIRIE", "ej": None},
        {"siret": S4_EJ_OR_SERVICE, "service": "VOIRIE"},
    ),
    "CPP-REC-10": (
        {"siret": S4_EJ_OR_SERVICE, "service": None, "ej": None},
        {"siret": S4_EJ_OR_SERVICE, "service": "CULTURE", "ej": None},
    ),
    "CPP-REC-11": (
        {"siret": S6_MOA, "service": None},
        {"siret": S6_MOA, "service": None, "framework": "A8"},
    ),
    "CPP-REC-12": (
        {"service": "FACTURES_PUBLIQUES"},
        {"service": "FACTURES_PUBLIQUES", "seller": S3_EJ},
    ),
    "CPP-REC-13": ({"number": "F" * 21}, {"number": "F" * 20}),
    "CPP-REC-14": ({"type_code": "389"}, {"type_code": "381"}),
    "CPP-REC-15": ({"issue": date(2026, 3, 2)}, {"issue": DEPOSIT}),
    "CPP-REC-16": ({"total": "1000.001"}, {"total": "1000.0"}),
    "CPP-REC-17": ({"ej": "E" * 51}, {"ej": "E" * 50}),
    "CPP-REC-18": ({"contract": "M" * 51}, {"contract": "M" * 50}),
    "CPP-REC-19": ({"issue": "12025-06-16"}, {"issue": date(2025, 6, 16)}),
    "CPP-REC-20": ({"number": "FAC-2026\u200b-0001"}, {"number": " FAC-2026-0001 "}),
}  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires(rule: str, kind: str) -> None:
    """Each CPP rule fires, alone, as an error with its reason codes, on UBL and on CII."""
    result = run(kind, **CASES[rule][0])
    assert rules(result) == [rule]
    finding = result.findings[0]
    assert finding.severity is Severity.ERROR and finding.layer is Layer.CPP
    assert not result.accepted
    assert (result.motif, result.reason) == (
        reasons.REASONS[rule].motif,
        reasons.REASONS[rule].reason,
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_does_not_fire(rule: str, kind: str) -> None:
    """The nearest correct invoice passes every rule: accepted, no reason code."""
    result = run(kind, **CASES[rule][1])
    assert result.findings == ()
    assert result.accepted and result.motif is None and result.reason is None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("code", ["389", "261", "751"])
def test_every_refused_type_code(kind: str, code: str) -> None:
    """Type codes 389 (self-billing), 261 and 751 are each refused (CPP-REC-14)."""
    assert rules(run(kind, type_code=code)) == ["CPP-REC-14"]


@pytest.mark.parametrize(
    ("kind", "issue", "also"),
    [
        ("ubl", "12025-06-16", []),  # xs:date allows years of five digits ...
        ("ubl", "-2025-06-16", []),  # ... and negative years
        ("ubl", "1899-12-31", ["CPP-REC-07"]),  # a date, before the service opened
        ("ubl", "2100-01-01", ["CPP-REC-15"]),  # a date, after the deposit date
        ("ubl", "2025-02-30", []),
        ("ubl", "16/06/2025", []),
        ("ubl", "   ", []),
        ("cii", "120250616", []),
        ("cii", "18991231", ["CPP-REC-07"]),
        ("cii", "21000101", ["CPP-REC-15"]),
        ("cii", "20250230", []),
        ("cii", "2025-06-16", []),  # not format 102
    ],
)
def test_issue_date_must_be_a_calendar_date_from_1900_to_2099(
    kind: str, issue: str, also: list[str]
) -> None:
    """CPP-REC-19 fires for a BT-2 that is no calendar date with a four-digit year 1900-2099
    (UBL YYYY-MM-DD, CII format 102 YYYYMMDD), quoting the value in French and English, so a
    date the other rules cannot read (CPP-REC-15 ...) never passes silently."""
    result = run(kind, issue=issue)
    assert rules(result) == [*also, "CPP-REC-19"]
    [finding] = [f for f in result.findings if f.rule == "CPP-REC-19"]
    if not also:
        assert (result.motif, result.reason) == ("AUTRE", "REJ_SEMAN")
    french, english = reception.messages(finding)
    shown = " ".join(issue.split())
    assert " ".join(french.split()).startswith(
        " ".join(f"La date d'émission (BT-2) « {shown} »".split())
    )
    assert english.startswith(f"The issue date (BT-2) '{shown}'")
    assert "1900" in english and "2099" in english
    assert finding.location is not None and finding.location.endswith("[1]")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("number", "french", "english"),
    [
        ("EX-2025\u200b-001", "U+200B", "U+200B"),
        ("\u202eEX-2025-001", "U+202E", "U+202E"),  # right-to-left override
        ("EX-2025\u0085-001", "U+0085", "U+0085"),  # a C1 control XML 1.0 allows
        ("EX\t2025", "U+0009", "U+0009"),  # a tab inside the number
        ("\u00a0", "vide", "blank"),  # only a no-break space
        ("\u2003 \u3000", "vide", "blank"),  # only other spaces
    ],
)
def test_invoice_number_with_invisible_characters_or_blank(
    kind: str, number: str, french: str, english: str
) -> None:
    """CPP-REC-20 refuses a BT-1 that holds control or format characters (named U+XXXX) or is
    blank after trimming, in French and English."""
    result = run(kind, number=number)
    assert rules(result) == ["CPP-REC-20"]
    assert (result.motif, result.reason) == ("AUTRE", "REJ_SEMAN")
    fr, en = reception.messages(result.findings[0])
    assert fr.startswith("Le numéro de facture (BT-1)") and french in fr
    assert en.startswith("The invoice number (BT-1)") and english in en


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("number", ["EX-2025-001", "  EX-2025-001  ", "\n  EX-2025-001\n", "É-1"])
def test_invoice_number_with_surrounding_blanks_passes(kind: str, number: str) -> None:
    """Blanks around BT-1 (pretty-printed XML) and letters with accents do not fire CPP-REC-20."""
    assert rules(run(kind, number=number)) == []


@pytest.mark.parametrize(
    ("kind", "issue", "expected"),
    [
        ("ubl", "1900-01-01", ["CPP-REC-07"]),
        ("ubl", "2024-02-29", []),
        ("ubl", "2025-06-16+02:00", []),
        ("ubl", "2025-06-16Z", []),
        ("ubl", "2099-12-31", ["CPP-REC-15"]),  # a date, after the deposit date
        ("cii", "19000101", ["CPP-REC-07"]),  # a date, before the service opened
        ("cii", "20240229", []),
        ("cii", "20991231", ["CPP-REC-15"]),
    ],
)
def test_issue_date_from_1900_to_2099_passes(kind: str, issue: str, expected: list[str]) -> None:
    """Calendar dates with a four-digit year from 1900 to 2099 pass CPP-REC-19 (a zone on a UBL
    date is allowed); the deposit-date rule still reads them."""
    assert rules(run(kind, issue=issue)) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_service_not_yet_open(kind: str) -> None:
    """A service whose dateDbtService is after the issue date fires CPP-REC-07."""
    result = run(kind, siret=S7_BOTH, service="BIBLIOTHEQUE")
    assert rules(result) == ["CPP-REC-07"]
    assert "2099-01-01 .. …" in result.findings[0].message


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("value", "french", "english"),
    [
        (
            "99900009000012",
            ["Le SIRET destinataire 99900009000012 ne correspond à aucune structure"],
            ["The recipient SIRET 99900009000012 matches no public structure"],
        ),
        (
            "987654321",
            ["987654321", "n'est pas un SIRET", "9 chiffres", "SIREN", "14 chiffres"],
            ["987654321", "is not a SIRET", "9 digits", "SIREN", "14 digits"],
        ),
        (
            "9990000100",
            ["9990000100", "n'est pas un SIRET", "10 caractères", "14 chiffres"],
            ["9990000100", "is not a SIRET", "10 characters", "14 digits"],
        ),
    ],
)
def test_unknown_recipient_message_says_when_the_value_is_no_siret(
    kind: str, value: str, french: list[str], english: list[str]
) -> None:
    """CPP-REC-02 in both languages: a 14-digit value is a SIRET not in the directory; a 9-digit
    value is a SIREN, not the structure's SIRET; any other value is no SIRET at all."""
    result = run(kind, siret=value)
    assert rules(result) == ["CPP-REC-02"]
    fr, en = reception.messages(result.findings[0])
    assert all(part in fr for part in french), fr
    assert all(part in en for part in english), en
    if len(value) != 14:
        assert not fr.startswith("Le SIRET destinataire") and "recipient SIRET " + value not in en


@pytest.mark.parametrize("kind", KINDS)
def test_both_requirements_together(kind: str) -> None:
    """A structure needing service and EJ reports both when both are missing."""
    result = run(kind, siret=S7_BOTH, service=None, ej=None)
    assert rules(result) == ["CPP-REC-04", "CPP-REC-08"]
    assert result.motif == "SE_ERR"  # the first in precedence order


@pytest.mark.parametrize("kind", KINDS)
def test_routing_code_0224_is_checked_as_the_service(kind: str) -> None:
    """A BT-46 scheme 0224 routing code is the service code the rules check (before BT-10)."""
    assert rules(run(kind, siret=S2_SERVICE, routing="INTENDANCE")) == []
    assert rules(run(kind, siret=S2_SERVICE, service="INTENDANCE", routing="CDI")) == ["CPP-REC-06"]


@pytest.mark.parametrize("kind", KINDS)
def test_finding_location_line_and_both_languages(kind: str) -> None:
    """A finding points at the offending node (XPath and line) and carries French and English."""
    result = run(kind, siret="99900009000012")
    finding = result.findings[0]
    assert finding.location is not None
    assert re.search(r"\*:(ID|GlobalID)\[namespace-uri\(\)='[^']+'\]\[1\]$", finding.location)
    lines = invoice(kind, siret="99900009000012").split(b"\n")
    expected_line = next(i for i, line in enumerate(lines, 1) if b"99900009000012" in line)
    assert finding.line == expected_line
    french, english = reception.messages(finding)
    assert french == (
        "Le SIRET destinataire 99900009000012 ne correspond à aucune structure publique de "
        "l'annuaire."
    )
    assert (
        english
        == "The recipient SIRET 99900009000012 matches no public structure of the directory."
    )
    assert b'diagnostic="en"' in result.svrl


@pytest.mark.parametrize("kind", KINDS)
def test_amount_decimals_ignore_unit_prices(kind: str) -> None:
    """Unit prices (4 decimals in the base fixture) never fire CPP-REC-16; a total does, once."""
    assert b"125.0000" in invoice(kind)
    result = run(kind, total="1000.123")
    assert rules(result) == ["CPP-REC-16"]
    assert "1000.123" in result.findings[0].message


@pytest.mark.parametrize("kind", KINDS)
def test_result_carries_routing(kind: str) -> None:
    """The result gives the recipient structure and the service code."""
    result = run(kind, siret=S2_SERVICE, service="INTENDANCE")
    assert result.structure is not None and result.structure.siret == S2_SERVICE
    assert result.service_code == "INTENDANCE"
    unknown = run(kind, siret="99900009000012")
    assert unknown.structure is None


def test_unparseable_xml_is_a_finding_not_a_crash() -> None:
    """Broken XML gives one GW-SCH-01 error (reason REJ_COH), never an exception."""
    result = reception.check(
        b"<Invoice", Syntax.UBL_INVOICE, envelope.Envelope(), DIRECTORY,
        deposit_date=DEPOSIT, store=None, id_flux=None,
    )  # fmt: skip
    assert rules(result) == ["GW-SCH-01"]
    assert result.reason == "REJ_COH"


def test_corpus_reform_invoice_unknown_recipient() -> None:
    """The akretion reform UBL invoice (buyer 78787878400018) is refused: unknown recipient."""
    path = need_shared(CORPUS / "akretion-factur-x/tests/fixtures/xml/ubl-21-extended-ctc-fr.xml")
    xml = path.read_bytes()
    env = envelope.extract(xml, Syntax.UBL_INVOICE)
    result = reception.check(
        xml, Syntax.UBL_INVOICE, env, DIRECTORY, deposit_date=date(2026, 6, 17), store=None,
        id_flux=None,
    )  # fmt: skip
    assert rules(result) == ["CPP-REC-02"]
    assert result.reason == "DEST_INC"


# -- duplicates ----------------------------------------------------------------------------


@pytest.fixture
def store() -> Store:
    db = Store(":memory:")
    db.add_flux(
        id_flux="EDIGW1FLUX000000000000001", channel="depot-edi", original_name="a.xml",
        sha256="ab" * 32, size=10, work_path=None, received_at="2026-02-11T09:00:00.000+00:00",
    )  # fmt: skip
    db.update_flux("EDIGW1FLUX000000000000001", state="done", verdict="accepted")
    db.add_invoice(
        id_flux="EDIGW1FLUX000000000000001", seller_key="999100000", number="FAC-2026-0001",
        issue_date="2026-02-10", issue_year=2026, recipient_siret=S1_FREE, status_code="03",
        status_name="MISE_A_DISPOSITION",
    )  # fmt: skip
    return db


@pytest.mark.parametrize("kind", KINDS)
def test_duplicate_invoice_fires(store: Store, kind: str) -> None:
    """Same seller SIREN, number and year as an accepted invoice: CPP-DUP-01, DOUBLE_FACT."""
    result = run(kind, store=store, id_flux="EDIGW1FLUX000000000000002")
    assert rules(result) == ["CPP-DUP-01"]
    finding = result.findings[0]
    assert finding.layer is Layer.DUPLICATE and finding.severity is Severity.ERROR
    assert "EDIGW1FLUX000000000000001" in finding.message
    assert (result.motif, result.reason) == ("DOUBLE_FACT", "REJ_UNI")
    french, english = reception.messages(finding)
    assert french.startswith("La facture n° FAC-2026-0001 du fournisseur 999100000")
    assert english.startswith("Invoice FAC-2026-0001 of supplier 999100000 (year 2026)")


@pytest.mark.parametrize(
    ("why", "terms", "id_flux"),
    [
        ("same flux (crash re-run)", {}, "EDIGW1FLUX000000000000001"),
        ("other year", {"issue": date(2025, 12, 31)}, "EDIGW1FLUX000000000000002"),
        ("other number", {"number": "FAC-2026-0002"}, "EDIGW1FLUX000000000000002"),
        ("S3 direct-payment request", {"framework": "S3"}, "EDIGW1FLUX000000000000002"),
    ],
)
def test_duplicate_invoice_does_not_fire(
    store: Store, why: str, terms: dict[str, object], id_flux: str
) -> None:
    """No duplicate for the same IdFlux, another year, another number, or cadre S3."""
    assert rules(run("ubl", store=store, id_flux=id_flux, **terms)) == [], why


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("number", "also"),
    [
        ("fac-2026-0001", []),  # case
        ("FAC-2026\u200b-0001", ["CPP-REC-20"]),  # zero-width space (format character)
        ("\u00a0FAC-2026-0001\u00a0", []),  # no-break spaces around it
        ("\uff26\uff21\uff23-2026-0001", []),  # fullwidth letters (NFKC)
        ("FAC-2026-0001\u2060", ["CPP-REC-20"]),  # word joiner
    ],
)
def test_duplicate_invoice_is_not_beaten_by_invisible_changes(
    store: Store, kind: str, number: str, also: list[str]
) -> None:
    """The duplicate key compares BT-1 after NFKC, removal of format characters (Cf) and trimming,
    case-insensitively: FAC-2026-0001 written another way is still the same invoice."""
    result = run(kind, store=store, id_flux="EDIGW1FLUX000000000000002", number=number)
    assert rules(result) == [*also, "CPP-DUP-01"]


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("EX-2025-001", "ex-2025-001"),
        ("EX-2025\u200b-001", "ex-2025-001"),
        ("ex-2025-001", "ex-2025-001"),
        (" \u00a0EX-2025-001\t", "ex-2025-001"),
        ("\uff25\uff38-2025-001", "ex-2025-001"),
        ("Straße-1", "strasse-1"),  # casefold, not lower
        ("\u00a0", ""),
    ],
)
def test_number_key(number: str, key: str) -> None:
    """duplicates.number_key: NFKC, format characters removed, trimmed, case-folded."""
    assert duplicates.number_key(number) == key


def test_a_recycler_invoice_may_reuse_its_number(store: Store) -> None:
    """An earlier invoice whose status is A_RECYCLER (04) does not block the corrected one."""
    store.db.execute("UPDATE invoice SET status_code = '04', status_name = 'A_RECYCLER'")
    assert rules(run("cii", store=store, id_flux="EDIGW1FLUX000000000000002")) == []
    store.db.execute("UPDATE invoice SET status_code = '05', status_name = 'REJETEE'")
    assert rules(run("cii", store=store, id_flux="EDIGW1FLUX000000000000002")) == ["CPP-DUP-01"]


def test_rejected_flux_does_not_count(store: Store) -> None:
    """An invoice of a flux rejected at reception never counts as already received."""
    store.update_flux("EDIGW1FLUX000000000000001", verdict="rejected")
    assert rules(run("ubl", store=store, id_flux="EDIGW1FLUX000000000000002")) == []


def test_duplicate_flux(store: Store) -> None:
    """The same bytes deposited again give CPP-DUP-02 naming the first flux; new bytes do not."""
    finding = duplicates.duplicate_flux(store, "ab" * 32, "EDIGW1FLUX000000000000002")
    assert finding is not None
    assert finding.rule == "CPP-DUP-02" and finding.layer is Layer.DUPLICATE
    assert "EDIGW1FLUX000000000000001" in finding.message and "a.xml" in finding.message
    assert reasons.reason_for([finding]) == reasons.Reason("DOUBLE_FACT", "IRR_UNCITE")
    assert duplicates.duplicate_flux(store, "ab" * 32, "EDIGW1FLUX000000000000001") is None
    assert duplicates.duplicate_flux(store, "cd" * 32, "EDIGW1FLUX000000000000002") is None


def _earlier_flux(store: Store, id_flux: str, verdict: str | None, name: str) -> None:
    store.add_flux(
        id_flux=id_flux, channel="depot-edi", original_name=name, sha256="ef" * 32, size=0,
        work_path=None, received_at="2026-02-12T09:00:00.000+00:00",
    )  # fmt: skip
    store.update_flux(id_flux, state="done", verdict=verdict)


def test_duplicate_flux_ignores_earlier_inadmissible_fluxes(store: Store) -> None:
    """Bytes whose earlier fluxes were all inadmissible (or closed without verdict) are no
    duplicate: the file gets its own inadmissibility again."""
    _earlier_flux(store, "EDIGW1FLUX000000000000003", "inadmissible", "vide-1.xml")
    _earlier_flux(store, "EDIGW1FLUX000000000000004", None, "perdu.xml")
    assert duplicates.duplicate_flux(store, "ef" * 32, "EDIGW1FLUX000000000000009") is None


@pytest.mark.parametrize("verdict", ["accepted", "rejected"])
def test_duplicate_flux_names_the_first_accepted_or_rejected_flux(
    store: Store, verdict: str
) -> None:
    """Bytes of an accepted or rejected (integrated or processed) flux are a duplicate flux,
    naming that flux even when an inadmissible one with the same bytes came first."""
    _earlier_flux(store, "EDIGW1FLUX000000000000003", "inadmissible", "premier.xml")
    _earlier_flux(store, "EDIGW1FLUX000000000000004", verdict, "second.xml")
    finding = duplicates.duplicate_flux(store, "ef" * 32, "EDIGW1FLUX000000000000009")
    assert finding is not None and finding.rule == "CPP-DUP-02"
    assert "EDIGW1FLUX000000000000004" in finding.message and "second.xml" in finding.message
    assert "EDIGW1FLUX000000000000003" not in finding.message


# -- the rule table ------------------------------------------------------------------------


def test_reason_table_covers_every_rule_and_uses_known_codes() -> None:
    """Every rule of the stylesheet has codes; motifs exist in lifecycle.toml; reasons are CPP's."""
    xsl = (ROOT / "rules" / "cpp-reception.xsl").read_text(encoding="utf-8")
    in_xsl = set(re.findall(r"'(CPP-REC-\d\d)'", xsl))
    assert in_xsl == {f"CPP-REC-{n:02d}" for n in range(1, 21)}
    assert in_xsl | {"CPP-DUP-01", "CPP-DUP-02", "GW-SCH-01"} == set(reasons.REASONS)
    lifecycle = tomllib.loads((ROOT / "rules" / "lifecycle.toml").read_text(encoding="utf-8"))
    motifs = {m["code"] for m in lifecycle["motif"]}
    reasons_213 = {"DEST_INC", "REJ_SEMAN", "REJ_UNI", "REJ_COH", "REJ_ADR", "DOUBLON"}
    for rule, codes in reasons.REASONS.items():
        assert codes.motif in motifs, rule
        assert codes.reason in reasons_213 | {"IRR_UNCITE"}, rule


def test_docs_list_every_rule() -> None:
    """docs/reception.md has a row for every rule id with its reason code."""
    doc = (ROOT / "docs" / "reception.md").read_text(encoding="utf-8")
    for rule, codes in reasons.REASONS.items():
        row = next((line for line in doc.splitlines() if line.startswith(f"| {rule} ")), None)
        assert row is not None, rule
        assert codes.motif in row and codes.reason in row, rule


def _valid_corpus_invoices() -> list[tuple[Path, Syntax]]:
    manifest = CORPUS / "manifest.csv"
    if not manifest.exists():
        return []
    kinds = {"ubl-invoice": Syntax.UBL_INVOICE, "ubl-creditnote": Syntax.UBL_CREDIT_NOTE}
    kinds["cii"] = Syntax.CII
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (CORPUS / r["file"], kinds[r["syntax"]])
        for r in rows
        if r["syntax"] in kinds and r["expected"] == "valid"
    ]


@pytest.mark.corpus
def test_rules_run_to_completion_on_every_valid_corpus_invoice() -> None:
    """The rules run on every valid UBL/CII corpus invoice; none is addressed to a demo SIRET."""
    files = _valid_corpus_invoices()
    if not files:
        pytest.skip(f"needs {CORPUS / 'manifest.csv'}")
    seen: dict[str, int] = {}
    for path, syntax in files:
        xml = path.read_bytes()
        env = envelope.extract(xml, syntax)
        result = reception.check(
            xml, syntax, env, DIRECTORY, deposit_date=DEPOSIT, store=None, id_flux=None
        )
        for rule in {f.rule for f in result.findings}:
            seen[rule] = seen.get(rule, 0) + 1
        assert "GW-SCH-01" not in seen, path
        assert not result.accepted, path  # no corpus file is addressed to a fictitious structure
    assert seen.get("CPP-REC-01", 0) + seen.get("CPP-REC-02", 0) == len(files)


def test_corpus_br_dec_23_amount_fires_decimals_rule() -> None:
    """Mustang's BR-DEC-23 file (a line total with 4 decimals) fires CPP-REC-16 on that amount."""
    path = need_shared(CORPUS / "mustangproject/validator/invalidXRV30_BR-DEC-23.xml")
    xml = path.read_bytes()
    env = envelope.extract(xml, Syntax.CII)
    result = reception.check(
        xml, Syntax.CII, env, DIRECTORY, deposit_date=DEPOSIT, store=None, id_flux=None
    )
    decimals = [f for f in result.findings if f.rule == "CPP-REC-16"]
    assert len(decimals) == 1
    assert "LineTotalAmount = 288.7934" in decimals[0].message
    assert decimals[0].line is not None and b"288.7934" in xml.split(b"\n")[decimals[0].line - 1]


# Invisible characters a number must not hide (default-ignorable code points, separators and
# spaces other than U+0020, the blank braille pattern U+2800 by our choice: docs/reception.md).
HIDDEN = [
    "\u034f",  # combining grapheme joiner
    "\ufe0f",  # variation selector 16
    "\u3164",  # Hangul filler
    "\u115f",  # Hangul choseong filler
    "\u1160",  # Hangul jungseong filler
    "\u17b4",  # Khmer vowel inherent AQ
    "\u17b5",  # Khmer vowel inherent AA
    "\u180b",  # Mongolian free variation selector one
    "\uffa0",  # halfwidth Hangul filler
    "\u2800",  # braille pattern blank
    "\u3000",  # ideographic space
    "\u1680",  # Ogham space mark
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u00a0",  # no-break space inside the number
    "\u2009",  # thin space inside the number
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_invoice_number_with_other_invisible_characters(kind: str, hidden: str) -> None:
    """CPP-REC-20 refuses a BT-1 hiding a default-ignorable code point, a line/paragraph
    separator or a space other than U+0020 inside it, naming the code point."""
    result = run(kind, number=f"X{hidden}-1")
    assert rules(result) == ["CPP-REC-20"]
    french, english = reception.messages(result.findings[0])
    name = f"U+{ord(hidden):04X}"
    assert name in french and name in english


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("number", ["X 1", "X-1 A"])
def test_invoice_number_with_an_ordinary_space_inside_passes(kind: str, number: str) -> None:
    """A plain space U+0020 inside BT-1 is visible: CPP-REC-20 does not fire."""
    assert rules(run(kind, number=number)) == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_duplicate_invoice_is_not_beaten_by_other_invisible_characters(
    store: Store, kind: str, hidden: str
) -> None:
    """FAC-2026-0001 with a default-ignorable code point or an unusual space inside is still
    the invoice already accepted (CPP-DUP-01), besides CPP-REC-20."""
    number = f"FAC-2026{hidden}-0001"
    result = run(kind, store=store, id_flux="EDIGW1FLUX000000000000002", number=number)
    assert rules(result) == ["CPP-REC-20", "CPP-DUP-01"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"]
)
def test_duplicate_invoice_is_not_beaten_by_dash_variants(
    store: Store, kind: str, dash: str
) -> None:
    """FAC-2026-0001 written with a Unicode dash (non-breaking hyphen, en dash, minus ...) is the
    same invoice number: CPP-DUP-01 fires (and no CPP-REC-20: the dash is visible)."""
    number = f"FAC{dash}2026{dash}0001"
    result = run(kind, store=store, id_flux="EDIGW1FLUX000000000000002", number=number)
    assert rules(result) == ["CPP-DUP-01"]


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("X\u034f-1", "x-1"),
        ("X\ufe0f-1", "x-1"),
        ("X\u3164-1", "x-1"),
        ("X\u115f-1", "x-1"),
        ("X\u17b4-1", "x-1"),
        ("X\u2800-1", "x-1"),
        ("X\u3000-1", "x-1"),
        ("X\u1680-1", "x-1"),
        ("X\u2028-1", "x-1"),
        ("X\u00a0-1", "x-1"),
        ("X\u20111", "x-1"),
        ("X\u22121", "x-1"),
        ("X\u20151", "x-1"),
        ("X\ufe631", "x-1"),  # small hyphen-minus (NFKC)
        ("X 1", "x 1"),  # an ordinary space is kept
    ],
)
def test_number_key_removes_every_invisible_and_folds_dashes(number: str, key: str) -> None:
    """number_key drops default-ignorables and non-U+0020 spaces and folds dashes to '-'."""
    assert duplicates.number_key(number) == key


def test_reason_table_is_data_read_in_file_order(tmp_path: Path) -> None:
    """rules/reception-reasons.toml gives the table in its own order (the precedence), and a
    broken table is a ConfigError naming the entry, never a silent default."""
    table, default = reasons.load()
    assert list(table)[:2] == ["CPP-DUP-02", "CPP-REC-01"] and table is not reasons.REASONS
    assert dict(table) == dict(reasons.REASONS) and default == reasons.Reason("AUTRE", "REJ_COH")
    broken = tmp_path / "reasons.toml"
    broken.write_text('[[reason]]\nrule = "CPP-REC-01"\nmotif = "AUTRE"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"reason #1 \(CPP-REC-01\): 'reason' must be"):
        reasons.load(broken)
    broken.write_text('[[reason]]\nrule = "X"\nmotif = "A"\nreason = "B"\n' * 2, encoding="utf-8")
    with pytest.raises(ConfigError, match="listed twice"):
        reasons.load(broken)


@pytest.mark.parametrize("kind", KINDS)
def test_a_recipient_siret_written_with_spaces_is_routed(kind: str) -> None:
    """BT-46/BT-47 "999 000 010 00010" (spaces, a no-break space) is the SIRET 99900001000010."""
    for written in ("999 000 010 00010", "999\u00a0000\u00a0010 00010"):
        result = run(kind, siret=written)
        assert rules(result) == [], (written, result.findings)
        assert result.structure is not None and result.structure.siret == S1_FREE


@pytest.mark.parametrize("kind", KINDS)
def test_a_recipient_siret_with_a_wrong_check_digit_says_so(kind: str) -> None:
    """A 14-digit value failing the Luhn check is named as such, not as an unknown structure."""
    result = run(kind, siret="99900001000011")  # S1_FREE with its last digit changed
    assert rules(result) == ["CPP-REC-02"]
    fr, en = reception.messages(result.findings[0])
    assert "clé de contrôle" in fr and "Luhn" in fr and "aucune structure" not in fr
    assert "check digit" in en and "matches no public structure" not in en
    unknown = run(kind, siret="99900009000012")  # valid check digit, not in the directory
    assert "matches no public structure" in reception.messages(unknown.findings[0])[1]


def test_la_poste_sirets_pass_their_own_check() -> None:
    """La Poste (SIREN 356000000): SIRETs whose digit sum is a multiple of 5 are valid though
    they fail Luhn; the head office 35600000000048 passes Luhn; others still fail."""
    assert not structures.luhn_ok("35600000049837")
    assert structures.siret_ok("35600000049837")  # digit sum 45
    assert structures.siret_ok("35600000000048")  # Luhn
    assert not structures.siret_ok("35600000049838")
    assert not structures.siret_ok("99900001000011") and structures.siret_ok(S1_FREE)
    text = '[[structure]]\nidentifiantStructure = "35600000049837"\nlibelleStructure = "LA POSTE"\n'
    directory = structures.loads(text.encode(), Path("la-poste.toml"))
    assert directory.structure("35600000049837") is not None
    with pytest.raises(ConfigError, match="check digit"):
        structures.loads(text.replace("49837", "49838").encode(), Path("x.toml"))
