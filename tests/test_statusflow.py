"""CPPStatut documents: flux reports and invoice statuses, checked against the AIFE XSD."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from lxml import etree

from edi_gateway.core.model import Envelope, Finding, Layer, Severity, Verdict
from edi_gateway.outputs.statusflow import (
    Debtor,
    InvoiceStatus,
    Supplier,
    flux_report,
    inadmissible_reason,
    invoice_statuses,
    supplier_from_envelope,
)
from tests.conftest import STATUT_XSD, need_shared

ID_FLUX = "EDIGW11100000000000000007"
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(need_shared(STATUT_XSD))))


def _valid(schema: etree.XMLSchema, data: bytes) -> etree._Element:
    root = etree.fromstring(data)
    assert schema.validate(root), schema.error_log
    return root


def _error(rule: str, layer: Layer = Layer.SCHEMATRON, line: int | None = 12) -> Finding:
    return Finding(
        layer=layer,
        rule=rule,
        severity=Severity.ERROR,
        message=f"{rule} failed",
        location="/Invoice/cbc:ID",
        line=line,
    )


def test_accepted_flux_report_is_90_recu(schema: etree.XMLSchema) -> None:
    """An integrated flux gets status 90, state IN_INTEGRE, no ComplementStatut, no Details."""
    root = _valid(
        schema,
        flux_report(
            id_flux=ID_FLUX, receiver_id="EDIGW1", verdict=Verdict.ACCEPTED, produced_at=WHEN
        ),
    )
    assert root.get("Version") == "V1_19"
    assert root.findtext(".//ParametreIndiv[Code='IdFlx']/Valeurparametre") == ID_FLUX
    assert root.findtext(".//ParametreIndiv[Code='DtPrd']/Valeurparametre") == "2026-03-02"
    assert root.findtext(".//Recepteur/Id") == "EDIGW1"
    assert root.findtext(".//Emetteur/Id") == "CPP001"
    data = root.find("CPPFluxStatuts/CPPFluxStatutUnitaire/DonneesStatut")
    assert data.findtext("IdStatut") == "90"
    assert data.find("ComplementStatut") is None
    assert data.findtext("Note") == "IN_INTEGRE"
    assert data.findtext("Horodatage") == "2026-03-02T09:30:00+00:00"
    assert data.findtext("IdFlux") == ID_FLUX
    assert data.find("Details") is None


def test_rejected_flux_report_lists_each_finding(schema: etree.XMLSchema) -> None:
    """A rejected invoice: 93, reason in ComplementStatut, one REJET line per error."""
    findings = [_error("BR-CO-10"), _error("GW-CPP-02", Layer.CPP, None)]
    root = _valid(
        schema,
        flux_report(
            id_flux=ID_FLUX,
            receiver_id="EDIGW1",
            verdict=Verdict.REJECTED,
            reason="REJ_COH",
            findings=findings,
        ),
    )
    data = root.find(".//DonneesStatut")
    assert data.findtext("IdStatut") == "93"
    assert data.findtext("ComplementStatut") == "REJ_COH"
    assert data.findtext("Note") == "IN_REJETE"
    lines = data.findall("Details/LigneErreurDetail")
    assert data.find("Details").get("NbLignesErreur") == "2"
    assert [line.findtext("CodeErreur") for line in lines] == ["BR-CO-10", "GW-CPP-02"]
    assert {line.findtext("NatureErreur") for line in lines} == {"REJET"}
    assert (
        lines[0].findtext("DescriptionErreur") == "couche schematron ; ligne 12 ; /Invoice/cbc:ID"
    )
    assert lines[0].findtext("LibelleErreur") == "BR-CO-10 failed"


def test_inadmissible_flux_report_says_irrecevabilite(schema: etree.XMLSchema) -> None:
    """An unusable flux: 93, IRR_* reason, IRRECEVABILITE lines, state IN_INCIDENTE."""
    root = _valid(
        schema,
        flux_report(
            id_flux=ID_FLUX,
            receiver_id="EDIGW1",
            verdict=Verdict.INADMISSIBLE,
            reason="IRR_SYNTAX",
            findings=[_error("GW-XML-01", Layer.XML, 3)],
        ),
    )
    data = root.find(".//DonneesStatut")
    assert (data.findtext("IdStatut"), data.findtext("ComplementStatut")) == ("93", "IRR_SYNTAX")
    assert data.findtext("Note") == "IN_INCIDENTE"
    assert data.findtext("Details/LigneErreurDetail/NatureErreur") == "IRRECEVABILITE"
    assert "irrecevable" in data.findtext("Commentaire")


def test_partly_integrated_flux_report_is_96(schema: etree.XMLSchema) -> None:
    """A caller may name 96 "Reçu – intégration partielle": state IN_INTEGRE_PARTIEL, the refused
    parts still listed as REJET lines, and the document valid against the AIFE XSD."""
    root = _valid(
        schema,
        flux_report(
            id_flux=ID_FLUX,
            receiver_id="EDIGW2",
            verdict=Verdict.REJECTED,
            status="96",
            findings=[_error("GW-RS-02", Layer.CPP, 30)],
            comment="1 statut(s) appliqué(s), 1 refusé(s)",
        ),
    )
    data = root.find(".//DonneesStatut")
    assert (data.findtext("IdStatut"), data.findtext("Note")) == ("96", "IN_INTEGRE_PARTIEL")
    assert data.find("ComplementStatut") is None
    assert data.findtext("Details/LigneErreurDetail/NatureErreur") == "REJET"


def test_flux_status_must_be_a_cpp_flux_code() -> None:
    """A status outside the CPPFluxStatuts enumeration (90..96) is a programming error."""
    with pytest.raises(ValueError, match="'97'"):
        flux_report(id_flux=ID_FLUX, receiver_id="EDIGW1", verdict=Verdict.ACCEPTED, status="97")


def test_details_are_capped_with_a_summary_line(schema: etree.XMLSchema) -> None:
    """Beyond max_lines, one last line says how many findings were left out; errors come first."""
    warning = Finding(layer=Layer.XSD, rule="W-1", severity=Severity.WARNING, message="w")
    findings = [warning] + [_error(f"BR-{i:02d}") for i in range(10)]
    root = _valid(
        schema,
        flux_report(
            id_flux=ID_FLUX,
            receiver_id="EDIGW1",
            verdict=Verdict.REJECTED,
            reason="REJ_COH",
            findings=findings,
            max_lines=4,
        ),
    )
    lines = root.findall(".//LigneErreurDetail")
    assert len(lines) == 5
    assert root.find(".//Details").get("NbLignesErreur") == "5"
    assert [line.findtext("CodeErreur") for line in lines[:4]] == [
        "BR-00",
        "BR-01",
        "BR-02",
        "BR-03",
    ]
    assert lines[4].findtext("CodeErreur") == "GW-REPORT-01"
    assert lines[4].findtext("LibelleErreur").startswith("7 autre(s)")


def test_control_characters_in_messages_stay_valid_xml(schema: etree.XMLSchema) -> None:
    """A finding message quoting raw control bytes still yields a parseable, valid report."""
    finding = Finding(
        layer=Layer.XML, rule="GW-XML-01", severity=Severity.ERROR, message="bad \x01\x0b byte"
    )
    root = _valid(
        schema,
        flux_report(
            id_flux=ID_FLUX, receiver_id="EDIGW1", verdict=Verdict.INADMISSIBLE, findings=[finding]
        ),
    )
    assert root.findtext(".//LibelleErreur") == "bad  byte"


def test_invoice_statuses_01_02_03(schema: etree.XMLSchema) -> None:
    """Three platform statuses for one accepted invoice, each a CPPFactureStatutUnitaire."""
    supplier = Supplier(type_code="1", identifier="12345678900017", name="ACME", country="FR")
    debtor = Debtor(siret="11000201100044", name="Ministère", service_code="SERV1")
    statuses = [
        InvoiceStatus(
            supplier=supplier,
            debtor=debtor,
            code=code,
            at=WHEN,
            invoice_number="F-2026-001",
            invoice_date=date(2026, 3, 1),
            producer="platform",
        )
        for code in ("01", "02", "03")
    ]
    root = _valid(schema, invoice_statuses(statuses, id_flux=ID_FLUX, receiver_id="EDIGW1"))
    block = root.find("CPPFactureStatuts")
    assert block.get("compteur") == "3"
    units = block.findall("CPPFactureStatutUnitaire")
    assert [u.findtext("DonneesStatut/IdStatut") for u in units] == ["01", "02", "03"]
    assert units[0].findtext("DonneesStatut/Commentaire") == "Déposée"
    assert units[2].findtext("Debiteur/CodeService") == "SERV1"
    assert units[0].findtext("DonneesStatut/IdFacture") == "F-2026-001"
    assert units[0].findtext("DonneesStatut/DateFacture") == "2026-03-01"
    assert units[0].find("DonneesStatut/Producteur").get("Id") == "platform"


def test_invoice_status_with_motif_and_mandate(schema: etree.XMLSchema) -> None:
    """A recipient status carries its motif in ComplementStatut and the mandate in IdMandatDP."""
    status = InvoiceStatus(
        supplier=Supplier(type_code="2", identifier="DE123456789", name="GmbH"),
        debtor=Debtor(siret="11000201100044"),
        code="08",
        at=WHEN,
        invoice_number="F1",
        complement="MANDAT",
        comment="mandatée",
        mandate="M-42",
    )
    root = _valid(schema, invoice_statuses([status], id_flux=ID_FLUX, receiver_id="EDIGW1"))
    data = root.find(".//DonneesStatut")
    assert (data.findtext("ComplementStatut"), data.findtext("IdMandatDP")) == ("MANDAT", "M-42")


def test_invoice_statuses_need_one_status() -> None:
    """An empty list is a programming error (the XSD needs one unit)."""
    with pytest.raises(ValueError):
        invoice_statuses([], id_flux=ID_FLUX, receiver_id="EDIGW1")


@pytest.mark.parametrize(
    ("seller_id", "scheme", "expected"),
    [
        ("12345678900017", "0009", "1"),
        ("12345678900017", None, "1"),
        ("FR12345678901", "0223", "2"),
        ("X-1", "0227", "3"),
        ("ABC", "ZZZ", "6"),
    ],
)
def test_supplier_type_from_scheme(seller_id: str, scheme: str | None, expected: str) -> None:
    """BT-29-1 schemes map to the CPP identifier types 1..7."""
    envelope = Envelope(
        seller_id=seller_id, seller_id_scheme=scheme, seller_name="S", seller_country="FR"
    )
    supplier = supplier_from_envelope(envelope)
    assert (supplier.type_code, supplier.identifier, supplier.country) == (
        expected,
        seller_id,
        "FR",
    )


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (["GW-DETECT-01"], "IRR_VIDE_F"),
        (["GW-DETECT-02"], "IRR_TYPE_F"),
        (["GW-XML-04"], "IRR_TAILLE_F"),
        (["SCHEMAV_ELEMENT_CONTENT"], "IRR_SYNTAX"),
        (["SCHEMAV_ELEMENT_CONTENT", "CPP-DUP-02"], "IRR_UNCITE"),
        (["GW-DETECT-01", "CPP-DUP-02"], "IRR_VIDE_F"),
    ],
)
def test_inadmissible_reason(rules: list[str], expected: str) -> None:
    """The first error with a known IRR code wins; unknown ones fall back to IRR_SYNTAX."""
    assert inadmissible_reason([_error(rule) for rule in rules]) == expected
