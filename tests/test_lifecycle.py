"""The lifecycle table (rules/lifecycle.toml): statuses, motifs, transitions and their checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edi_gateway.core.errors import ConfigError
from edi_gateway.lifecycle import table as lifecycle
from edi_gateway.lifecycle.table import Actor
from tests.conftest import ROOT, STATUT_XSD, need_shared

TABLE = lifecycle.default()
PAYMENT_STEPS = {"MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE", "MISE_EN_PAIEMENT"}
ALLOWED = [(a.name, b.name, who) for a, b, who in TABLE.allowed()]


def test_statuses_are_the_cpp_codes_and_names() -> None:
    """01..12 carry the spec's names in order, PRISE_EN_COMPTE_DESTINATAIRE has its own code."""
    names = {s.code: s.name for s in TABLE.statuses}
    assert names == {
        "01": "DEPOSEE",
        "02": "EN_COURS_ACHEMINEMENT",
        "03": "MISE_A_DISPOSITION",
        "04": "A_RECYCLER",
        "05": "REJETEE",
        "06": "SUSPENDUE",
        "07": "SERVICE_FAIT",
        "08": "MANDATEE",
        "09": "MISE_A_DISPOSITION_COMPTABLE",
        "10": "COMPTABILISEE",
        "11": "MISE_EN_PAIEMENT",
        "12": "COMPLETEE",
        "40": "PRISE_EN_COMPTE_DESTINATAIRE",
    }


def test_reform_mapping_follows_chorus_pro_5_6() -> None:
    """01->202, 03->203, 06->208, 05->210, 07..10->204, 11->211, 12->209 (chorus-pro.md §5.6)."""
    reform = {s.code: s.reform_code for s in TABLE.statuses}
    expected = {"01": "202", "03": "203", "06": "208", "05": "210", "11": "211", "12": "209"}
    expected |= dict.fromkeys(("07", "08", "09", "10"), "204")
    assert {k: reform[k] for k in expected} == expected
    assert reform["02"] is None


def test_extra_code_is_allowed_by_the_cpp_statut_xsd() -> None:
    """Every code in the table is in the CPPStatut invoice IdStatut enumeration (01..41)."""
    xsd = need_shared(STATUT_XSD).read_text(encoding="utf-8-sig")
    block = xsd.split('name="CPPFactureStatutUnitaire"')[1]
    enumerated = set(re.findall(r'<xs:enumeration value="(\d\d)"/>', block))
    assert {s.code for s in TABLE.statuses} <= enumerated


@pytest.mark.parametrize("key", ["6", "06", "suspendue", "SUSPENDUE", " 06 "])
def test_status_lookup_by_code_or_name(key: str) -> None:
    """A status is found by its code (with or without the leading zero) or its name."""
    assert TABLE.status(key).name == "SUSPENDUE"


def test_unknown_status_raises() -> None:
    """An unknown code or name raises UnknownStatus and find() gives None."""
    with pytest.raises(lifecycle.UnknownStatus, match="'99'"):
        TABLE.status("99")
    assert TABLE.find("PAYEE") is None


@pytest.mark.parametrize(("origin", "target", "actor"), ALLOWED)
def test_every_listed_transition_is_allowed(origin: str, target: str, actor: Actor) -> None:
    """Each transition of the table is allowed for its actor and refused for the two others."""
    assert TABLE.can_move(origin, target, actor) is None
    for other in set(Actor) - {actor}:
        refusal = TABLE.can_move(origin, target, other)
        assert refusal is not None and refusal.code == "20002"


@pytest.mark.parametrize(
    ("origin", "target", "actor"),
    [
        ("MANDATEE", "REJETEE", "recipient"),  # no rejection after MANDATEE
        ("COMPTABILISEE", "REJETEE", "recipient"),
        ("MANDATEE", "SUSPENDUE", "recipient"),  # no suspension in the payment steps
        ("SERVICE_FAIT", "A_RECYCLER", "recipient"),  # A_RECYCLER only before processing
        ("SUSPENDUE", "COMPLETEE", "recipient"),  # COMPLETEE only by the supplier
        ("MISE_A_DISPOSITION", "COMPLETEE", "supplier"),  # ... and only after SUSPENDUE
        ("MISE_EN_PAIEMENT", "SERVICE_FAIT", "recipient"),  # terminal
        ("REJETEE", "MISE_A_DISPOSITION", "recipient"),  # terminal
        ("A_RECYCLER", "MISE_A_DISPOSITION", "platform"),  # terminal
        ("COMPTABILISEE", "MANDATEE", "recipient"),  # backwards
        ("SERVICE_FAIT", "SERVICE_FAIT", "recipient"),  # the same status again
        ("DEPOSEE", "SERVICE_FAIT", "recipient"),  # not yet available to the recipient
        ("MISE_A_DISPOSITION", "SERVICE_FAIT", "supplier"),  # not the supplier's status
        ("SUSPENDUE", "SERVICE_FAIT", "recipient"),  # suspended: complete or lift first
    ],
)
def test_refused_transitions_carry_20002(origin: str, target: str, actor: str) -> None:
    """A refused move carries CPP code 20002 and names the current and the requested status."""
    refusal = TABLE.can_move(origin, target, actor)
    assert refusal is not None
    assert refusal.code == "20002"
    assert (refusal.current, refusal.target) == (origin, target)
    assert origin in refusal.message and target in refusal.message


def test_terminal_statuses_have_no_way_out() -> None:
    """Terminal statuses (04, 05, 11) have no target for any actor."""
    terminal = [s for s in TABLE.statuses if s.terminal]
    assert {s.code for s in terminal} == {"04", "05", "11"}
    assert all(TABLE.targets(s.name, who) == [] for s in terminal for who in Actor)


def test_written_rules_hold_for_the_whole_table() -> None:
    """A_RECYCLER only before processing, no suspension in payment steps, no rejection after
    MANDATEE, COMPLETEE only from SUSPENDUE by the supplier."""
    into: dict[str, set[str]] = {}
    for origin, target, actor in ALLOWED:
        into.setdefault(target, set()).add(origin)
        if target == "COMPLETEE":
            assert (origin, actor) == ("SUSPENDUE", Actor.SUPPLIER)
    assert into["A_RECYCLER"] == {"MISE_A_DISPOSITION", "PRISE_EN_COMPTE_DESTINATAIRE"}
    assert not into["SUSPENDUE"] & PAYMENT_STEPS
    assert not into["REJETEE"] & PAYMENT_STEPS


def test_forward_processing_may_skip_optional_steps() -> None:
    """From MISE_A_DISPOSITION the recipient may go straight to MISE_EN_PAIEMENT (§9)."""
    assert TABLE.can_move("03", "11", Actor.RECIPIENT) is None
    assert TABLE.can_move("07", "10", Actor.RECIPIENT) is None


def test_new_invoice_starts_deposited_by_the_platform() -> None:
    """Only DEPOSEE set by the platform starts a lifecycle."""
    assert TABLE.can_move(None, "01", Actor.PLATFORM) is None
    refusal = TABLE.can_move(None, "03", Actor.PLATFORM)
    assert refusal is not None and refusal.code == "20002"


def test_unknown_target_or_actor_is_refused_not_raised() -> None:
    """An unknown status or actor gives a GW-LC-01 refusal."""
    assert TABLE.can_move("03", "PAYEE", "recipient").code == "GW-LC-01"  # type: ignore[union-attr]
    assert TABLE.can_move("03", "07", "mayor").code == "GW-LC-01"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("target", "kwargs", "code"),
    [
        ("REJETEE", {}, "GW-LC-02"),
        ("SUSPENDUE", {}, "GW-LC-02"),
        ("SUSPENDUE", {"motif": "PAS_CONTENT"}, "GW-LC-03"),
        ("SERVICE_FAIT", {"motif": "AUTRE"}, "GW-LC-04"),
        ("SERVICE_FAIT", {"mandate": "M-1"}, "GW-LC-05"),
        ("COMPLETEE", {}, "GW-LC-06"),
        ("REJETEE", {"motif": "DOUBLE_FACT"}, None),
        ("SUSPENDUE", {"motif": "LIVR_INCOMP"}, None),
        ("A_RECYCLER", {}, None),
        ("A_RECYCLER", {"motif": "SE_ERR"}, None),
        ("MANDATEE", {"mandate": "DP-2026-0042"}, None),
        ("COMPLETEE", {"attachment": True}, None),
    ],
)
def test_motif_mandate_and_attachment_rules(target: str, kwargs: dict, code: str | None) -> None:
    """REJETEE/SUSPENDUE need a listed motif, MANDATEE takes a mandate, COMPLETEE a file."""
    refusal = TABLE.check_details(TABLE.status(target), **kwargs)
    assert (refusal.code if refusal else None) == code


def test_motif_list_is_the_spec_table_with_afnor_codes() -> None:
    """The §4.3 motif codes are all present, each with its AFNOR transcoding."""
    for code in (
        "AUTRE",
        "DOUBLE_FACT",
        "EJ_ERR",
        "MONTANT_ERR",
        "SE_ERR",
        "TX_TVA_ERR",
        "LIVR_INCOMP",
        "COORD_BANC_ERR",
    ):
        assert TABLE.motif(code) is not None
    assert TABLE.motif("MONTANT_ERR").afnor == "MONTANTTOTAL_ERR"  # type: ignore[union-attr]
    assert TABLE.motif("EJ_ERR").afnor == "CMD_ERR"  # type: ignore[union-attr]


def test_comment_is_cut_at_255_characters() -> None:
    """A free comment keeps its first 255 characters."""
    assert TABLE.clip_comment("é" * 300) == "é" * 255
    assert TABLE.clip_comment(None) is None


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('motif = "required"', 'motif = "maybe"', "status[4].motif"),
        ('code = "40"', 'code = "42"', "status[12].code"),
        ('code = "05"', 'code = "04"', "status[4] repeats '04'"),
        ("terminal = false", 'terminal = "no"', "status[0].terminal"),
        ('by = "supplier"', 'by = "recipient"', "to COMPLETEE: not set by the recipient"),
        ('to = ["COMPTABILISEE", "MISE_EN_PAIEMENT"]', 'to = ["PAYEE"]', "transition[9].to"),
        ('initial = "DEPOSEE"', 'initial = "DRAFT"', "initial"),
        ("comment_max = 255", "comment_max = 255\ncolour = 1", "unknown key colour"),
    ],
)
def test_broken_table_names_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    """A broken edit of the table raises ConfigError naming the file and the key."""
    text = lifecycle.DEFAULT_TABLE.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "lifecycle.toml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        lifecycle.load(broken)
    assert str(broken) in str(caught.value) and key in str(caught.value)


def test_missing_or_malformed_file_is_a_config_error(tmp_path: Path) -> None:
    """A missing or non-TOML table is a ConfigError, not a traceback."""
    with pytest.raises(ConfigError, match="cannot read"):
        lifecycle.load(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[status]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        lifecycle.load(bad)


def test_documented_diagram_matches_the_table() -> None:
    """docs/lifecycle.md's Mermaid diagram has exactly the table's transitions and actors."""
    doc = (ROOT / "docs" / "lifecycle.md").read_text("utf-8")
    block = doc.split("```mermaid", 1)[1].split("```", 1)[0]
    edges = set()
    for line in block.splitlines():
        found = re.fullmatch(r"\s*([A-Z_]+) --> ([A-Z_]+)(?: : (\w+))?", line)
        if found:
            edges.add((found[1], found[2], found[3] or "recipient"))
    assert edges == {(a, b, str(who)) for a, b, who in ALLOWED}


def test_refusals_carry_french_and_english_apart() -> None:
    """A 20002 refusal keeps English in ``message`` and French (CPP's own sentence first) in
    ``message_fr``; ``bilingual`` joins them French first with " | EN: "."""
    refusal = lifecycle.default().can_move("MISE_A_DISPOSITION", "COMPLETEE", Actor.RECIPIENT)
    assert refusal is not None and refusal.message_fr is not None
    assert refusal.message == (
        "Inconsistent origin or target status of the invoice. The recipient may not move an "
        "invoice from 03 MISE_A_DISPOSITION to 12 COMPLETEE; COMPLETEE is not set by the recipient."
    )
    assert refusal.message_fr == (
        "Incohérence au niveau du statut d'origine ou de destination de la facture. Le "
        "destinataire ne peut pas faire passer une facture de 03 MISE_A_DISPOSITION à "
        "12 COMPLETEE ; COMPLETEE n'est pas posé par le destinataire."
    )
    assert refusal.bilingual == f"{refusal.message_fr} | EN: {refusal.message}"
    detail = lifecycle.default().check_details(
        lifecycle.default().status("08"), mandate=None, motif="AUTRE"
    )
    assert detail is not None and detail.code == "GW-LC-04"
    assert detail.bilingual == (
        "MANDATEE ne prend pas de motif (reçu 'AUTRE') | EN: MANDATEE takes no motif (got 'AUTRE')"
    )
