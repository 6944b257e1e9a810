"""Recipient statuses pushed EDI style: CPPStatut files accepted, partly refused, malformed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edi_gateway.core.config import Config
from edi_gateway.core.model import Layer, Verdict
from edi_gateway.core.records import Claim
from edi_gateway.lifecycle import recipient_status
from edi_gateway.lifecycle import table as lifecycle
from edi_gateway.pipeline.engine import Engine
from edi_gateway.store.database import Store
from tests.conftest import REFERENCE, need_shared
from tests.fixtures.lifecycle.builders import (
    HERE,
    add_available_invoice,
    make_config,
    valid_statut,
)

ID_FLUX = "EDIGW21100000000000000001"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def store(config: Config) -> Store:
    with Store(config.database) as opened:
        add_available_invoice(opened)
        add_available_invoice(opened, number="F-2026-0002", id_flux="EDIGW11100000000000000002")
        yield opened


def _handle(config: Config, store: Store, data: bytes, id_flux: str = ID_FLUX):
    """Claim ``data`` as the engine would and hand it to recipient_status.handle."""
    claim = _claim(config, store, data, id_flux)
    return recipient_status.handle(config, store, claim)


def _claim(config: Config, store: Store, data: bytes, id_flux: str = ID_FLUX) -> Claim:
    """Put ``data`` in var/work and record its flux row, as the daemon's claim does."""
    work = config.work_dir / f"{id_flux}__statuts.xml"
    work.parent.mkdir(parents=True, exist_ok=True)
    work.write_bytes(data)
    store.add_flux(
        id_flux=id_flux,
        channel="statuts-destinataires",
        original_name="statuts.xml",
        sha256=id_flux,
        size=len(data),
        work_path=str(work),
    )
    return Claim(
        id_flux=id_flux,
        channel="statuts-destinataires",
        work_path=work,
        original_name="statuts.xml",
        sha256=id_flux,
        size=len(data),
        received_at="2026-03-06T10:00:00.000+00:00",
    )


def _fixture(name: str) -> bytes:
    return (HERE / name).read_bytes()


def test_fixtures_are_valid_cpp_statut() -> None:
    """The well-formed fixtures follow the AIFE CPPStatut schema (so the test input is real)."""
    need_shared(REFERENCE / "cpp" / "CPPStatutPivot_V1_19.xsd")
    valid_statut(_fixture("statuts-acceptes.xml"))
    valid_statut(_fixture("statuts-partiels.xml"))


def test_accepted_file_applies_every_status(config: Config, store: Store) -> None:
    """Both statuses are applied with time, motif and comment; the report is 90 without lines."""
    outcome = _handle(config, store, _fixture("statuts-acceptes.xml"))
    assert outcome.verdict is Verdict.ACCEPTED and outcome.refused == ()
    assert [a.status.name for a in outcome.applied] == ["SERVICE_FAIT", "SUSPENDUE"]
    first, second = store.events(1)[0], store.events(2)[0]
    assert (first.at, first.comment) == (
        "2026-03-06T09:15:00.000+00:00",
        "Service fait le 5 mars",
    )
    assert (second.motif, second.actor) == ("LIVR_INCOMP", "recipient")
    report = valid_statut(outcome.report.read_bytes())
    assert outcome.report == (
        config.outbound / "canaux" / "EDIGW2" / f"CSO1100A_EDIGW2_{ID_FLUX}.xml"
    )
    assert report.findtext(".//DonneesStatut/IdStatut") == "90"
    assert report.findtext(".//DonneesStatut/Commentaire") == "2 statut(s) appliqué(s), 0 refusé(s)"
    assert report.find(".//Details") is None
    flux = store.flux(ID_FLUX)
    assert (flux.state, flux.verdict, flux.error_count) == ("done", "accepted", 0)
    assert len(outcome.outputs) == 3  # report + one supplier flow per status


def test_partly_refused_file_answers_one_line_per_refusal(config: Config, store: Store) -> None:
    """Of six statuses one is applied; the report is 96 "Reçu – intégration partielle" with one
    LigneErreurDetail per refusal, each naming its code and unit."""
    outcome = _handle(config, store, _fixture("statuts-partiels.xml"))
    assert outcome.verdict is Verdict.REJECTED
    assert [a.status.name for a in outcome.applied] == ["SERVICE_FAIT"]
    assert [(i, r.code) for i, r in outcome.refused] == [
        (2, "GW-LC-02"),  # REJETEE without a motif
        (3, "GW-RS-02"),  # unknown invoice
        (4, "20002"),  # A_RECYCLER after SERVICE_FAIT
        (5, "GW-LC-01"),  # IdStatut 17 not in the table
        (6, "GW-RS-03"),  # invoice addressed to another structure
    ]
    report = valid_statut(outcome.report.read_bytes())
    assert report.findtext(".//DonneesStatut/IdStatut") == "96"
    assert report.findtext(".//DonneesStatut/Note") == "IN_INTEGRE_PARTIEL"
    assert outcome.flux_status == "96"
    lines = report.findall(".//LigneErreurDetail")
    assert report.find(".//Details").get("NbLignesErreur") == "5"
    assert [line.findtext("CodeErreur") for line in lines] == [
        "GW-LC-02",
        "GW-RS-02",
        "20002",
        "GW-LC-01",
        "GW-RS-03",
    ]
    assert "statut 4 (facture F-2026-0001, IdStatut 04)" in lines[2].findtext("LibelleErreur")
    assert "CPPFactureStatutUnitaire[4]" in lines[2].findtext("DescriptionErreur")
    assert store.invoice(2).status_code == "03"  # nothing applied to F-2026-0002
    assert store.flux(ID_FLUX).verdict == "rejected"


def test_file_with_no_status_applied_answers_93(config: Config, store: Store) -> None:
    """Every unit refused (both invoices unknown): the report is 93 Erreur réception, not 96."""
    data = _fixture("statuts-acceptes.xml").replace(b"F-2026-000", b"X-2026-000")
    outcome = _handle(config, store, data)
    assert outcome.verdict is Verdict.REJECTED and outcome.applied == ()
    assert [r.code for _, r in outcome.refused] == ["GW-RS-02", "GW-RS-02"]
    report = valid_statut(outcome.report.read_bytes())
    assert (report.findtext(".//IdStatut"), report.findtext(".//Note")) == ("93", "IN_REJETE")
    assert outcome.flux_status == "93"


@pytest.mark.parametrize(
    ("data", "rule", "text"),
    [
        (b"", "GW-XML-03", "empty"),
        (b"<CPPStatut><Enveloppe>", "GW-XML-01", "not well-formed"),
        (b'<!DOCTYPE x [<!ENTITY e "e">]><CPPStatut/>', "GW-XML-02", "DOCTYPE"),
        (b"<Invoice/>", "GW-RS-01", "expected CPPStatut"),
        (b"<CPPStatut><Enveloppe/></CPPStatut>", "GW-RS-01", "takes CPPFactureStatuts"),
    ],
)
def test_unusable_file_is_inadmissible(
    config: Config, store: Store, data: bytes, rule: str, text: str
) -> None:
    """Empty, broken, DOCTYPE-carrying or foreign XML is inadmissible (93, IRR_SYNTAX)."""
    outcome = _handle(config, store, data)
    assert outcome.verdict is Verdict.INADMISSIBLE and outcome.reason == "IRR_SYNTAX"
    assert outcome.findings[0].rule == rule and text in outcome.findings[0].message
    report = valid_statut(outcome.report.read_bytes())
    assert report.findtext(".//ComplementStatut") == "IRR_SYNTAX"
    assert report.findtext(".//DonneesStatut/IdStatut") == outcome.flux_status == "93"
    assert store.flux(ID_FLUX).verdict == "inadmissible"


def test_malformed_units_make_the_file_inadmissible(config: Config, store: Store) -> None:
    """A unit without Horodatage and one with month 15 are both reported, nothing is applied."""
    outcome = _handle(config, store, _fixture("statuts-mal-formes.xml"))
    assert outcome.verdict is Verdict.INADMISSIBLE
    messages = [f.message for f in outcome.findings]
    assert any("1: DonneesStatut/Horodatage is missing" in m for m in messages)
    assert any("Horodatage '2026-15-06T11:00:00' is not a date-time" in m for m in messages)
    assert all(f.line for f in outcome.findings)
    assert store.invoice(1).status_code == store.invoice(2).status_code == "03"


def test_processing_again_after_a_crash_changes_nothing(config: Config, store: Store) -> None:
    """The same file handled twice (a retry) is accepted again without new events or refusals."""
    _handle(config, store, _fixture("statuts-acceptes.xml"))
    events = len(store.events(1)) + len(store.events(2))
    again = _handle(config, store, _fixture("statuts-acceptes.xml"), "EDIGW21100000000000000002")
    assert again.verdict is Verdict.ACCEPTED and again.refused == ()
    assert len(store.events(1)) + len(store.events(2)) == events


def test_pastell_samples(config: Config, store: Store) -> None:
    """Pastell's Example01 (unknown supplier) is refused per unit; Example03 (month 15) and
    Example04 (CPPFluxStatuts) are inadmissible."""
    samples = need_shared(REFERENCE / "cpp" / "samples")
    one = _handle(config, store, (samples / "Example01-FactureStatut-ok.xml").read_bytes())
    assert [r.code for _, r in one.refused] == ["GW-RS-02"]
    three = _handle(
        config,
        store,
        (samples / "Example03-FactureStatut-ko.xml").read_bytes(),
        "EDIGW21100000000000000003",
    )
    assert three.verdict is Verdict.INADMISSIBLE and "Horodatage" in three.findings[0].message
    four = _handle(
        config,
        store,
        (samples / "Example04-FactureStatut-ko.xml").read_bytes(),
        "EDIGW21100000000000000004",
    )
    assert four.verdict is Verdict.INADMISSIBLE and "CPPFluxStatuts" in four.findings[0].message


def test_engine_dispatch_puts_the_original_away_and_survives_a_rerun(
    config: Config, store: Store
) -> None:
    """The engine archives the original of a status file; run again on a done flux it only puts
    it away."""
    data = _fixture("statuts-acceptes.xml")
    engine = Engine(config)
    work = config.work_dir / f"{ID_FLUX}__statuts.xml"
    work.parent.mkdir(parents=True)
    work.write_bytes(data)
    store.add_flux(
        id_flux=ID_FLUX,
        channel="statuts-destinataires",
        original_name="statuts.xml",
        sha256="x",
        size=len(data),
        work_path=str(work),
    )
    claim = Claim(
        id_flux=ID_FLUX,
        channel="statuts-destinataires",
        work_path=work,
        original_name="statuts.xml",
        sha256="x",
        size=len(data),
        received_at="2026-03-06T10:00:00.000+00:00",
    )
    first = engine.process_claimed(claim)
    assert (first.verdict, first.statuses, first.flux_status) == (
        Verdict.ACCEPTED,
        ("07", "06"),
        "90",
    )
    assert first.outputs[-1] == config.archive_dir / f"{ID_FLUX}__statuts.xml"
    assert not work.exists()
    events = len(store.events(1)) + len(store.events(2))
    work.write_bytes(data)  # a crash left the original in var/work
    again = engine.process_claimed(claim)
    assert again.verdict is Verdict.ACCEPTED and not work.exists()
    assert len(store.events(1)) + len(store.events(2)) == events


def test_engine_dispatch_reports_96_for_a_partly_applied_file(config: Config, store: Store) -> None:
    """The engine gives flux_status 96 for a partly applied file, and again when a re-run
    after a crash only puts the original away (read back from the report written)."""
    engine = Engine(config)
    data = _fixture("statuts-partiels.xml")
    claim = _claim(config, store, data)
    first = engine.process_claimed(claim)
    assert (first.verdict, first.statuses, first.flux_status) == (Verdict.REJECTED, ("07",), "96")
    Path(claim.work_path).write_bytes(data)  # a crash left the original in var/work
    again = engine.process_claimed(claim)
    assert (again.verdict, again.flux_status) == (Verdict.REJECTED, "96")


def test_status_dated_before_the_latest_event_is_refused(config: Config, store: Store) -> None:
    """The documented example (Horodatage 2026-03-06) on an invoice deposited 2026-11-29 is
    refused with GW-RS-05 naming both times; nothing goes back in time."""
    late = add_available_invoice(
        store, number="F-2026-0003", id_flux="EDIGW11100000000000000003", day="2026-11-29"
    )
    data = _fixture("statuts-acceptes.xml").replace(b"F-2026-0001", b"F-2026-0003")
    outcome = _handle(config, store, data)
    assert [(i, r.code) for i, r in outcome.refused] == [(1, "GW-RS-05")]
    assert [a.status.name for a in outcome.applied] == ["SUSPENDUE"]  # F-2026-0002, deposited 03-02
    message = outcome.refused[0][1].message
    assert "2026-03-06T09:15:00.000+00:00" in message
    assert "03 MISE_A_DISPOSITION at 2026-11-29T09:00:02.000+00:00" in message
    assert store.invoice(late).status_code == "03" and len(store.events(late)) == 3
    report = valid_statut(outcome.report.read_bytes())
    assert report.findtext(".//LigneErreurDetail/CodeErreur") == "GW-RS-05"


@pytest.mark.parametrize(
    ("ahead", "code"), [(timedelta(hours=1), "GW-RS-06"), (timedelta(minutes=2), None)]
)
def test_status_dated_in_the_future(
    config: Config, store: Store, ahead: timedelta, code: str | None
) -> None:
    """An Horodatage an hour ahead of the gateway's clock is refused (GW-RS-06); two minutes
    ahead is within the 5-minute clock tolerance and applied."""
    when = (datetime.now(UTC) + ahead).isoformat(timespec="milliseconds").encode()
    data = _fixture("statuts-acceptes.xml").replace(b"2026-03-06T10:15:00.000+01:00", when)
    outcome = _handle(config, store, data)
    assert [r.code for _, r in outcome.refused] == ([code] if code else [])
    assert store.invoice(1).status_code == ("03" if code else "07")
    if code:
        assert "in the future" in outcome.refused[0][1].message


def test_custom_table_is_used_when_processing_again(
    tmp_path: Path, config: Config, store: Store
) -> None:
    """With a custom lifecycle table (PRISE_EN_COMPTE_DESTINATAIRE given code 41), the same file
    processed twice is applied, then recognised as already applied from that table, not the
    shipped one."""
    text = lifecycle.DEFAULT_TABLE.read_text(encoding="utf-8")
    custom = tmp_path / "lifecycle.toml"
    custom.write_text(text.replace('code = "40"', 'code = "41"', 1), encoding="utf-8")
    table = lifecycle.load(custom)
    data = _fixture("statuts-acceptes.xml").replace(
        b"<IdStatut>07</IdStatut>", b"<IdStatut>41</IdStatut>"
    )
    channel = config.channel("statuts-destinataires")
    runs = [
        recipient_status.process(store, config, data, id_flux=id_flux, channel=channel, table=table)
        for id_flux in (ID_FLUX, "EDIGW21100000000000000002")
    ]
    for outcome in runs:
        assert outcome.verdict is Verdict.ACCEPTED and outcome.refused == ()
        assert outcome.applied[0].status.name == "PRISE_EN_COMPTE_DESTINATAIRE"
    assert runs[1].applied[0].event_id == runs[0].applied[0].event_id  # no new event
    assert store.invoice(1).status_code == "41"


def test_refusal_lines_are_french_then_english(config: Config, store: Store) -> None:
    """Each refusal line of the report is one French clause set, then " | EN: ", then the same in
    English (the CPP-facing convention of rules/cpp-reception.xsl): no language mixing."""
    outcome = _handle(config, store, _fixture("statuts-partiels.xml"))
    report = valid_statut(outcome.report.read_bytes())
    texts = [line.findtext("LibelleErreur") for line in report.findall(".//LigneErreurDetail")]
    pairs = [text.split(" | EN: ") for text in texts]
    assert all(len(pair) == 2 for pair in pairs), texts
    french, english = zip(*pairs, strict=True)
    assert french[1] == (
        "statut 3 (facture F-2026-9999, IdStatut 07) refusé : "
        "aucune facture 'F-2026-9999' du fournisseur '99999999900016'"
    )
    assert english[1] == (
        "status 3 (invoice F-2026-9999, IdStatut 07) refused: "
        "no invoice 'F-2026-9999' from supplier '99999999900016'"
    )
    assert french[2].endswith(
        "refusé : Incohérence au niveau du statut d'origine ou de destination de la facture. "
        "Le destinataire ne peut pas faire passer une facture de 07 SERVICE_FAIT à 04 A_RECYCLER."
    )
    assert english[2].endswith(
        "refused: Inconsistent origin or target status of the invoice. The recipient may not "
        "move an invoice from 07 SERVICE_FAIT to 04 A_RECYCLER."
    )
    assert "exige un code motif" in french[0] and "needs a motif code" in english[0]
    assert "statut de facture inconnu '17'" in french[3] and "n'est pas adressée" in french[4]
    for word in (" no ", "needs", "unknown", "invoice", "refused", "not "):
        assert not any(word in text for text in french), word
    for word in ("refusé", "facture", "aucune", "exige", "inconnu", "adressée"):
        assert not any(word in text for text in english), word


def test_shape_findings_are_french_then_english(config: Config, store: Store) -> None:
    """GW-RS-01 findings of a malformed file read French, then " | EN: ", then English."""
    outcome = _handle(config, store, _fixture("statuts-mal-formes.xml"))
    assert [f.message for f in outcome.findings if "Horodatage '" in f.message] == [
        "CPPFactureStatutUnitaire 2 : Horodatage '2026-15-06T11:00:00' n'est pas une date-heure"
        " | EN: CPPFactureStatutUnitaire 2: Horodatage '2026-15-06T11:00:00' is not a date-time"
    ]
    other = _handle(config, store, b"<Invoice/>", "EDIGW21100000000000000002")
    assert other.findings[0].message == (
        "l'élément racine est 'Invoice', CPPStatut attendu"
        " | EN: root element is 'Invoice', expected CPPStatut"
    )


def test_file_outside_our_schema_is_inadmissible_with_gw_rs_07(
    config: Config, store: Store
) -> None:
    """An absurd Horodatage (year 0001) is refused by our schema, never reaching date maths."""
    data = _fixture("statuts-acceptes.xml").replace(
        b"<Horodatage>2026-03-06T10:15:00.000+01:00", b"<Horodatage>0001-01-01T00:00:00+14:00"
    )
    outcome = _handle(config, store, data)
    assert outcome.verdict is Verdict.INADMISSIBLE
    rules = [(f.rule, f.layer) for f in outcome.findings]
    assert ("GW-RS-07", Layer.XSD) in rules
    assert all(f.line for f in outcome.findings if f.rule == "GW-RS-07")


def test_status_file_over_max_file_bytes_is_inadmissible_unread(
    config: Config, store: Store
) -> None:
    """A status file larger than validation.max_file_bytes is never parsed: GW-RS-07, a 93
    report, no status applied, the flux done and the original in var/error."""
    small = dataclasses.replace(config, max_file_bytes=1000)
    data = _fixture("statuts-acceptes.xml") + b"<!--" + b"x" * 2000 + b"-->"
    claim = _claim(small, store, data)
    outcome = Engine(small).process_claimed(claim)
    assert (outcome.verdict, outcome.flux_status) == (Verdict.INADMISSIBLE, "93")
    assert [f.rule for f in outcome.findings] == ["GW-RS-07"]
    assert f"{len(data)} bytes, more than the 1000" in outcome.findings[0].message
    assert outcome.reason == "IRR_TAILLE_F"
    assert outcome.statuses == () and store.events(1)[0].status_code == "03"
    assert outcome.outputs[-1].parent == small.error_dir
    row = store.flux(claim.id_flux)
    assert row is not None and row.done and row.verdict == "inadmissible"
