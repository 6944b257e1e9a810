"""scenarios.py: the scenario of each branch (syntax, container, BT-24, declared version) with
every pinned pack available, and without them (today's built-in rules, the better one named)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi_gateway.core.model import Container, Detection, Syntax
from edi_gateway.validation import packs, scenarios
from edi_gateway.validation.detect import normalise_profile

ALL = {
    packs.BUILTIN: packs.builtin(),
    "cen-en16931": packs.Pack("cen-en16931", "1.3.16", Path("/packs/cen")),
    "mustang-validator": packs.Pack("mustang-validator", "096db40a", Path("/packs/mustang")),
}
BUILTIN_ONLY = {packs.BUILTIN: packs.builtin()}
XR3 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
XR2 = "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.3"
PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
CTC = "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr"


def _detection(
    syntax: Syntax, bt24: str, container: Container = Container.XML, att: str | None = None
) -> Detection:
    return Detection(
        container=container,
        syntax=syntax,
        kind="test",
        profile=normalise_profile(bt24),
        guideline_id=bt24,
        attachment=att,
    )


PDF, FX, ZF = Container.PDF, "factur-x.xml", "zugferd-invoice.xml"
CASES = [
    # (syntax, BT-24, container, attachment) -> scenario, rule files with all packs
    (
        Syntax.UBL_INVOICE,
        "urn:cen.eu:en16931:2017",
        Container.XML,
        None,
        "ubl-en16931-cen",
        ["EN16931-UBL-validation"],
    ),
    (
        Syntax.UBL_CREDIT_NOTE,
        XR3,
        Container.XML,
        None,
        "ubl-xrechnung-3",
        ["EN16931-UBL-validation", "XRechnung-UBL-validation"],
    ),
    (
        Syntax.UBL_INVOICE,
        XR2,
        Container.XML,
        None,
        "ubl-xrechnung-2",
        ["EN16931-UBL-validation", "XRechnung-UBL-validation"],
    ),
    (Syntax.UBL_INVOICE, PEPPOL, Container.XML, None, "ubl-peppol-cen", ["EN16931-UBL-validation"]),
    (Syntax.UBL_INVOICE, CTC, Container.XML, None, "ubl-extended-ctc-fr", ["EXTENDED-CTC-FR-UBL"]),
    (
        Syntax.CII,
        "urn:cen.eu:en16931:2017",
        Container.XML,
        None,
        "cii-en16931-cen",
        ["EN16931-CII-validation"],
    ),
    (
        Syntax.CII,
        XR3,
        Container.XML,
        None,
        "cii-xrechnung-3",
        ["EN16931-CII-validation", "XRechnung-CII-validation"],
    ),
    (
        Syntax.CII,
        XR2,
        PDF,
        FX,
        "cii-xrechnung-2",
        ["EN16931-CII-validation", "XRechnung-CII-validation"],
    ),
    (
        Syntax.CII,
        "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_1.2",
        PDF,
        FX,
        "cii-cius-cen",
        ["EN16931-CII-validation"],
    ),
    (Syntax.CII, PEPPOL, Container.XML, None, "cii-cius-cen", ["EN16931-CII-validation"]),
    (Syntax.CII, CTC, Container.XML, None, "cii-extended-ctc-fr", ["EXTENDED-CTC-FR-CII"]),
    (Syntax.CII, "urn:factur-x.eu:1p0:minimum", PDF, FX, "cii-facturx", ["Factur-X_1.09_MINIMUM"]),
    (Syntax.CII, "urn:factur-x.eu:1p0:basicwl", PDF, FX, "cii-facturx", ["FACTUR-X_BASIC-WL"]),
    (
        Syntax.CII,
        "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
        PDF,
        FX,
        "cii-facturx",
        ["Factur-X_1.09_BASIC"],
    ),
    (Syntax.CII, "urn:cen.eu:en16931:2017", PDF, FX, "cii-facturx", ["FACTUR-X_EN16931"]),
    (
        Syntax.CII,
        "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
        Container.XML,
        None,
        "cii-facturx",
        ["FACTUR-X_EXTENDED"],
    ),
    # ZUGFeRD 2.0: its 2p0 URN or its zugferd-invoice.xml attachment
    (
        Syntax.CII,
        "urn:cen.eu:en16931:2017",
        PDF,
        ZF,
        "cii-zugferd-2.0-en16931-cen",
        ["EN16931-CII-validation"],
    ),
    (
        Syntax.CII,
        "urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended",
        PDF,
        ZF,
        "cii-zugferd-2.0-cen",
        ["FACTUR-X_EXTENDED"],
    ),
    (
        Syntax.CII,
        "urn:zugferd.de:2p0:minimum",
        PDF,
        ZF,
        "cii-zugferd-2.0-cen",
        ["Factur-X_1.09_MINIMUM"],
    ),
    # ZUGFeRD 2.1 and 2.2+ are Factur-X 1.0x: same URNs and factur-x.xml, the Factur-X rules
    (
        Syntax.CII,
        "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
        PDF,
        FX,
        "cii-facturx",
        ["Factur-X_1.09_BASIC"],
    ),
]


@pytest.mark.parametrize(("syntax", "bt24", "container", "att", "scenario", "rules"), CASES)
def test_scenario_of_each_branch(
    syntax: Syntax,
    bt24: str,
    container: Container,
    att: str | None,
    scenario: str,
    rules: list[str],
) -> None:
    """With every pinned pack available, each branch gets the scenario its specification names."""
    choice = scenarios.choose(scenarios.facts_of(_detection(syntax, bt24, container, att)), ALL)
    assert choice is not None
    assert (choice.scenario.id, [r.name for r in choice.plan.rules]) == (scenario, rules)
    assert choice.better is None and scenarios.missing_message(choice, None) == ""


def test_declared_versions() -> None:
    """XRechnung major version from BT-24; ZUGFeRD 2.0 from its URN or attachment name."""
    facts = [
        scenarios.facts_of(_detection(Syntax.CII, bt24, c, a)).version
        for bt24, c, a in [
            (XR3, Container.XML, None),
            (XR2, Container.XML, None),
            ("urn:zugferd.de:2p0:basic", PDF, FX),
            ("urn:cen.eu:en16931:2017", PDF, ZF),
            ("urn:cen.eu:en16931:2017", PDF, FX),
            ("urn:cen.eu:en16931:2017", Container.XML, None),
        ]
    ]
    assert facts == [
        "xrechnung-3",
        "xrechnung-2",
        "zugferd-2.0",
        "zugferd-2.0",
        "factur-x-1.0",
        None,
    ]


def test_without_packs_todays_rules_and_the_better_one_named() -> None:
    """A bare CII EN 16931 without the CEN pack: the Factur-X EN 16931 profile rules, and the
    message names the CEN CII rules and their pack."""
    facts = scenarios.facts_of(_detection(Syntax.CII, "urn:cen.eu:en16931:2017"))
    choice = scenarios.choose(facts, BUILTIN_ONLY)
    assert choice is not None and choice.scenario.id == "cii-facturx"
    assert [r.name for r in choice.plan.rules] == ["FACTUR-X_EN16931"]
    assert scenarios.missing_message(choice, facts.profile) == (
        "the CEN CII D16B XSD and the CEN EN 16931 CII rules 1.3.16 not installed (pack "
        "cen-en16931 1.3.16): checked with the Factur-X EN16931 XSD and profile rules"
    )


def test_xrechnung_with_cen_but_without_the_xrechnung_pack() -> None:
    """XRechnung 3 CII with the CEN pack only: CEN rules run, the XRechnung pack is named."""
    facts = scenarios.facts_of(_detection(Syntax.CII, XR3))
    only_cen = {k: v for k, v in ALL.items() if k != "mustang-validator"}
    choice = scenarios.choose(facts, only_cen)
    assert choice is not None and choice.scenario.id == "cii-cius-cen"
    assert choice.better is not None and choice.better.id == "cii-xrechnung-3"
    assert choice.missing == ("mustang-validator 096db40a",)


def test_no_scenario_fits_is_none() -> None:
    """A profile no scenario matches (BT-24 missing) gets no choice: the validator reports it."""
    facts = scenarios.Facts(syntax="cii", container="xml", profile=None)
    assert scenarios.choose(facts, ALL) is None
