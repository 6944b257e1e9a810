"""The engine: outputs, store rows, crash re-runs and the user's file left untouched."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tracemalloc
from pathlib import Path

import pytest
import structlog
from lxml import etree
from structlog.testing import capture_logs

from edi_gateway.core import config as config_module
from edi_gateway.core import logs
from edi_gateway.core.errors import GatewayError, OutputError, StateError
from edi_gateway.core.model import Finding, Layer, Severity, Verdict
from edi_gateway.core.records import Claim
from edi_gateway.ingest.claim import readable, work_name
from edi_gateway.outputs.delivery_plan import Plan
from edi_gateway.pipeline import finish, recovery, set_aside_reasons
from edi_gateway.pipeline.engine import Engine
from edi_gateway.pipeline.outcome import Outcome
from edi_gateway.store import fluxid
from edi_gateway.store.database import utc_now
from edi_gateway.validation import svrl
from tests.conftest import CORPUS, PIVOT_XSD, ROOT, STATUT_XSD, need_shared
from tests.test_examples import tmp_config

EXAMPLES = ROOT / "examples"
ACCEPTED = EXAMPLES / "02-ok-ubl-mairie-services-techniques.xml"
FACTURX = EXAMPLES / "04-ok-facturx-hopital-ej.pdf"
# A Factur-X BASIC PDF whose profile checks fire without rule ids (FX-NOT-USED from svrl.py).
NO_ID_PDF = CORPUS / "zugferd-corpus/ZUGFeRDv2/fail/FNFE-factur-x-examples/Facture_FR_BASIC.pdf"


@pytest.fixture
def engine(tmp_path: Path, ledger: Path | str) -> Engine:
    """An engine on a fresh state, on SQLite and on PostgreSQL (the ``ledger`` fixture)."""
    built = Engine(config_module.load(tmp_config(tmp_path, ledger)))
    yield built
    built.close()


def _claim(engine: Engine, source: Path, *, digest: bool = False) -> Claim:
    """Claim a file the way the daemon does: IdFlux, rename into var/work, flux row. The row's
    sha256 is a placeholder (the same example may be processed twice) unless ``digest``."""
    sha256 = hashlib.sha256(source.read_bytes()).hexdigest() if digest else ""
    id_flux = fluxid.new_id_flux(engine.store, "EDIGW1")
    work = engine.config.work_dir / work_name(id_flux, source.name)
    work.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, work)
    claim = Claim(
        id_flux=id_flux,
        channel="depot-edi",
        work_path=work,
        original_name=source.name,
        sha256=sha256,
        size=work.stat().st_size,
        received_at=utc_now(),
    )
    engine.store.add_flux(
        id_flux=id_flux,
        channel="depot-edi",
        original_name=source.name,
        sha256=sha256 or "0" * 64,
        size=claim.size,
        work_path=str(work),
        received_at=claim.received_at,
    )
    return claim


def _tree(root: Path) -> list[str]:
    """The files under ``root``, the IdFlux lease (``.idflux/``) left out."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.parent != root / ".idflux"
    )


def test_accepted_invoice_outputs_and_rows(engine: Engine) -> None:
    """Accepted: original + pivot to the recipient, CSO + FEN1200A to the supplier, one invoice
    row at 03, three platform events with their reform codes, flux done, original archived."""
    outcome = engine.process_path(ACCEPTED, "depot-edi")
    i = outcome.id_flux
    assert outcome.verdict is Verdict.ACCEPTED
    assert (outcome.flux_status, outcome.statuses) == ("90", ("01", "02", "03"))
    assert _tree(engine.config.outbound) == [
        f"99900001000010/SERVICES-TECHNIQUES/{i}__{ACCEPTED.name}",
        f"99900001000010/SERVICES-TECHNIQUES/FEN0036A_EDIGW1_{i}.xml",
        f"fournisseurs/99910000600018/CSO1100A_EDIGW1_{i}.xml",
        f"fournisseurs/99910000600018/FEN1200A_EDIGW1_{i}.xml",
    ]
    invoice = engine.store.invoice(outcome.invoice_id)
    assert (invoice.status_code, invoice.number) == ("03", "EX-2025-002")
    events = engine.store.events(outcome.invoice_id)
    assert sorted((e.status_code, e.actor, e.reform_code) for e in events) == [
        ("01", "platform", "202"),
        ("02", "platform", None),
        ("03", "platform", "203"),
    ]
    row = engine.store.flux(i)
    assert (row.state, row.verdict, row.recipient_siret) == (
        "done",
        "accepted",
        "99900001000010",
    )
    assert (engine.config.archive_dir / f"{i}__{ACCEPTED.name}").exists()
    assert ACCEPTED.exists()  # the user's file is never moved
    assert list(engine.config.work_dir.iterdir()) == []


def test_engine_outputs_are_valid_against_the_cpp_schemas(engine: Engine) -> None:
    """The flux report, the invoice statuses and the pivot the engine writes pass the AIFE XSDs."""
    statut = etree.XMLSchema(etree.parse(str(need_shared(STATUT_XSD))))
    pivot = etree.XMLSchema(etree.parse(str(need_shared(PIVOT_XSD))))
    outcome = engine.process_path(FACTURX, "depot-edi")
    checked = 0
    for path in outcome.outputs:
        if path.name.startswith(("CSO", "FEN1200A")):
            assert statut.validate(etree.parse(str(path))), (path.name, statut.error_log)
            checked += 1
        elif path.name.startswith("FEN0036A"):
            doc = etree.parse(str(path))
            assert pivot.validate(doc), pivot.error_log
            assert doc.findtext(".//PJ/MimeTypePJ") == "application/pdf"
            assert doc.findtext(".//DonneesFacture/Engagement/NumeroEngagement") == "EJ-2025-0042"
            checked += 1
    assert checked == 3


def test_inadmissible_goes_to_the_channel_folder_and_var_error(engine: Engine) -> None:
    """An unusable file: one CSO report (93, IRR_*) under canaux/<app code>, original in error."""
    outcome = engine.process_path(EXAMPLES / "28-irr-xml-mal-forme.xml", "depot-edi")
    i = outcome.id_flux
    assert (outcome.verdict, outcome.reason) == (Verdict.INADMISSIBLE, "IRR_SYNTAX")
    assert _tree(engine.config.outbound) == [f"canaux/EDIGW1/CSO1100A_EDIGW1_{i}.xml"]
    assert (engine.config.error_dir / f"{i}__28-irr-xml-mal-forme.xml").exists()


def test_reports_and_the_validated_line_name_the_rule_sets_that_ran(engine: Engine) -> None:
    """An accepted flux's 90 report and its flux.validated line name the schema and the rule
    set with their versions (issue #9): the report's Commentaire ends with them, the log line
    carries them as ``artefacts``; the report still validates."""
    with capture_logs() as events:
        outcome = engine.process_path(ACCEPTED, "depot-edi")
    report = etree.parse(str(outcome.outputs[0]))
    comment = report.findtext(".//DonneesStatut/Commentaire")
    assert comment.startswith("Flux reçu et intégré")
    assert comment.endswith(
        "; contrôles | checks: ubl-en16931 (packs factur-x 7.8): factur-x 7.8, UBL-Invoice-2.1 "
        "(version not stated by the artefact), EN16931-UBL-validation 1.3.16"
    ), comment
    validated = next(e for e in events if e["event"] == "flux.validated")
    assert validated["artefacts"] == {
        "factur-x": "7.8",
        "UBL-Invoice-2.1": "unstated",
        "EN16931-UBL-validation": "1.3.16",
    }
    schema = etree.XMLSchema(etree.parse(str(need_shared(STATUT_XSD))))
    assert schema.validate(report), schema.error_log


def test_rerun_after_a_crash_before_commit_writes_the_same_names(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hard crash inside the transaction (the process killed: no clean-up ran, the
    transaction is rolled back) leaves only the four staged copies, no output under a final
    name; the re-run overwrites them and publishes the same four names once, one invoice row,
    three events, no temporary file left."""
    claim = _claim(engine, ACCEPTED)
    real = engine.store.update_flux

    def crash(*args: object, **kwargs: object) -> None:
        raise StateError("disk full (simulated)")

    monkeypatch.setattr(engine.store, "update_flux", crash)
    monkeypatch.setattr(Plan, "remove_all", lambda self: [])  # killed: no clean-up ran
    with pytest.raises(StateError):
        engine.process_claimed(claim)
    first = _tree(engine.config.outbound)
    assert len(first) == 4
    assert all(Path(p).name.startswith(".") and p.endswith(".tmp") for p in first), first
    assert engine.store.flux(claim.id_flux).state == "claimed"
    assert engine.store.invoices() == []
    monkeypatch.setattr(engine.store, "update_flux", real)
    outcome = engine.process_claimed(claim)
    final = _tree(engine.config.outbound)
    assert final == sorted(str(Path(p).with_name(Path(p).name[1:-4])) for p in first)
    assert sorted(str(p.relative_to(engine.config.outbound)) for p in outcome.outputs[:4]) == final
    assert len(engine.store.invoices()) == 1
    assert len(engine.store.events(outcome.invoice_id)) == 3


def test_database_failure_at_commit_removes_the_outputs(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database failure inside the transaction (the process alive) removes the four outputs
    already written: nothing of the flux stays in outbound/ while it is still claimed."""
    claim = _claim(engine, ACCEPTED)

    def crash(*args: object, **kwargs: object) -> None:
        raise StateError("disk full (simulated)")

    monkeypatch.setattr(engine.store, "update_flux", crash)
    with pytest.raises(StateError):
        engine.process_claimed(claim)
    assert _tree(engine.config.outbound) == []
    assert engine.store.flux(claim.id_flux).state == "claimed"


def test_rerun_after_commit_only_puts_the_original_away(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the commit (before the move): the re-run moves the original, adds nothing."""
    claim = _claim(engine, ACCEPTED)
    real = finish.put_away

    def crash(*args: object) -> Path:
        raise OutputError("simulated crash before the move")

    monkeypatch.setattr(finish, "put_away", crash)
    with pytest.raises(OutputError):
        engine.process_claimed(claim)
    assert engine.store.flux(claim.id_flux).state == "done"
    assert claim.work_path.exists()
    monkeypatch.setattr(finish, "put_away", real)
    again = engine.process_claimed(claim)
    assert again.verdict is Verdict.ACCEPTED
    assert not claim.work_path.exists()
    assert (engine.config.archive_dir / claim.work_path.name).exists()
    assert len(engine.store.invoices()) == 1
    assert len(_tree(engine.config.outbound)) == 4


def test_same_invoice_twice_is_rejected_as_duplicate(engine: Engine, tmp_path: Path) -> None:
    """A second file with the same seller, number and year is rejected (CPP-DUP-01, REJ_UNI);
    no second invoice row."""
    engine.process_path(ACCEPTED, "depot-edi")
    copy = tmp_path / "copie.xml"
    copy.write_bytes(ACCEPTED.read_bytes().replace(b"<cbc:ID>1</cbc:ID>", b"<cbc:ID>2</cbc:ID>"))
    outcome = engine.process_path(copy, "depot-edi")
    assert (outcome.verdict, outcome.reason) == (Verdict.REJECTED, "REJ_UNI")
    assert outcome.first_rules == ["CPP-DUP-01"]
    assert len(engine.store.invoices()) == 1


@pytest.mark.parametrize(
    ("name", "rule", "reason"),
    [
        ("26-irr-fichier-vide.xml", "GW-DETECT-01", "IRR_VIDE_F"),
        ("28-irr-xml-mal-forme.xml", "GW-XML-01", "IRR_SYNTAX"),
        ("29-irr-xsd-invalide.xml", "SCHEMAV_ELEMENT_CONTENT", "IRR_SYNTAX"),
    ],
)
def test_inadmissible_file_dropped_again_gets_its_own_reason_again(
    engine: Engine, name: str, rule: str, reason: str
) -> None:
    """The same bytes as an earlier inadmissible flux are no duplicate flux: every drop gets the
    same inadmissibility (first rule, reason), never CPP-DUP-02 / IRR_UNCITE."""
    for _ in range(3):
        outcome = engine.process_path(EXAMPLES / name, "depot-edi")
        errors = [f.rule for f in outcome.findings if f.severity is Severity.ERROR]
        assert (outcome.verdict, outcome.reason, errors[0]) == (Verdict.INADMISSIBLE, reason, rule)
        assert "CPP-DUP-02" not in errors


@pytest.mark.parametrize(
    "name", ["02-ok-ubl-mairie-services-techniques.xml", "24-rej-total-faux.xml"]
)
def test_accepted_or_rejected_file_dropped_again_is_a_duplicate_flux(
    engine: Engine, name: str
) -> None:
    """The same bytes as an earlier accepted or rejected flux: inadmissible, first error
    CPP-DUP-02 naming that flux, reason IRR_UNCITE, no second invoice."""
    first = engine.process_path(EXAMPLES / name, "depot-edi")
    again = engine.process_path(EXAMPLES / name, "depot-edi")
    errors = [f for f in again.findings if f.severity is Severity.ERROR]
    assert (again.verdict, again.reason) == (Verdict.INADMISSIBLE, "IRR_UNCITE")
    assert errors[0].rule == "CPP-DUP-02" and first.id_flux in errors[0].message
    assert again.first_rules[0] == "CPP-DUP-02"
    assert len(engine.store.invoices()) == (1 if first.verdict is Verdict.ACCEPTED else 0)


def test_unreadable_user_file_is_our_error(engine: Engine, tmp_path: Path) -> None:
    """process_path on a missing file raises OutputError (a GatewayError), nothing recorded."""
    with pytest.raises(GatewayError):
        engine.process_path(tmp_path / "missing.xml", "depot-edi")
    assert engine.store.fluxes() == []


def test_outcome_json_shape(engine: Engine) -> None:
    """as_dict carries the verdict, routing, statuses, outputs and findings as plain values."""
    data = engine.process_path(ACCEPTED, "depot-edi").as_dict()
    assert data["verdict"] == "accepted"
    assert data["statuses"] == ["01", "02", "03"]
    assert data["service_code"] == "SERVICES-TECHNIQUES"
    assert all(isinstance(p, str) for p in data["outputs"])


def _events(logs: list[dict], name: str) -> list[dict]:
    return [entry for entry in logs if entry["event"] == name]


def test_flux_detected_is_logged_before_validated(engine: Engine) -> None:
    """Every flux logs flux.detected (container, syntax, profile, flux syntax, attachment)
    before flux.validated, as docs/architecture.md lists it."""
    with capture_logs() as logs:
        engine.process_path(FACTURX, "depot-edi")
    names = [entry["event"] for entry in logs]
    assert names.index("flux.detected") < names.index("flux.validated")
    [detected] = _events(logs, "flux.detected")
    assert (detected["container"], detected["syntax"], detected["profile"]) == (
        "pdf",
        "facturx-pdf",
        "en16931",
    )
    assert (detected["flux_syntax"], detected["attachment"]) == (
        "IN_DP_E2_CII_FACTURX",
        "factur-x.xml",
    )


def test_first_rules_name_findings_without_rule_id_by_their_message() -> None:
    """An error finding without rule id is logged by the start of its message, not "(no id)";
    a rule repeated by several findings is listed once."""

    def error(rule: str, message: str) -> Finding:
        return Finding(layer=Layer.SCHEMATRON, rule=rule, severity=Severity.ERROR, message=message)

    not_used = "Attribute @currencyID' marked as not used in the given context."
    outcome = Outcome(
        id_flux="EDIGW11100000000000000001",
        file="f.pdf",
        channel="depot-edi",
        syntax="facturx-pdf",
        verdict=Verdict.REJECTED,
        findings=(
            error("(no id)", not_used),
            error("(no id)", not_used),
            error("BR-CO-10", "[BR-CO-10]-Sum of Invoice line net amount ..."),
            error("BR-CO-10", "[BR-CO-10]-Sum of Invoice line net amount ..."),
            error(
                "(no id)", "Element 'ram:BasisAmount' is marked as not used in the given context."
            ),
        ),
    )
    assert outcome.first_rules == [
        "Attribute @currencyID' marked as not used in the given cont…",
        "BR-CO-10",
        "Element 'ram:BasisAmount' is marked as not used in the give…",
    ]


def test_facturx_profile_findings_without_id_are_logged_usefully(engine: Engine) -> None:
    """A Factur-X BASIC PDF with "not used in the given context" errors: svrl.py names them
    FX-NOT-USED, so flux.done and flux.rejected / flux.inadmissible list that id once, never
    "(no id)"."""
    with capture_logs() as logs:
        outcome = engine.process_path(need_shared(NO_ID_PDF), "depot-edi")
    assert sum(f.rule == svrl.NOT_USED for f in outcome.findings) > 1
    [done] = _events(logs, "flux.done")
    [verdict] = _events(logs, f"flux.{outcome.verdict}")
    for rules in (done["first_rules"], verdict["rules"]):
        assert "(no id)" not in rules
        assert svrl.NOT_USED in rules
        assert len(rules) == len(set(rules)) <= 5


def test_log_lines_keep_the_inbound_file_and_name_the_validation_verdict(tmp_path: Path) -> None:
    """In the JSON log every line of a flux keeps ``file`` = the inbound file name; the written
    flow is under ``output``; flux.validated says ``validation=accepted`` (the layers alone) for
    an invoice the CPP rules then reject, and carries no ``verdict`` key."""
    config = config_module.load(tmp_config(tmp_path))
    logs.configure(config, console=False)
    built = Engine(config)
    try:
        built.process_path(ACCEPTED, "depot-edi")
        built.process_path(EXAMPLES / "09-rej-siret-inconnu.xml", "depot-edi")
    finally:
        built.close()
        structlog.reset_defaults()
    lines = [json.loads(line) for line in config.log_file.read_text(encoding="utf-8").splitlines()]
    names = {ACCEPTED.name, "09-rej-siret-inconnu.xml"}
    flux_lines = [line for line in lines if "id_flux" in line]
    assert flux_lines and {line["file"] for line in flux_lines} == names
    emitted = [line for line in lines if line["event"] == "status.emitted"]
    assert [(e["kind"], e["output"][:8]) for e in emitted] == [
        ("flux", "CSO1100A"),
        ("invoice", "FEN1200A"),
        ("flux", "CSO1100A"),
    ]
    validated = [line for line in lines if line["event"] == "flux.validated"]
    assert [v["validation"] for v in validated] == ["accepted", "accepted"]
    assert all("verdict" not in v for v in validated)
    [done] = [
        line
        for line in lines
        if line["event"] == "flux.done" and line["file"] in names - {ACCEPTED.name}
    ]
    assert done["verdict"] == "rejected"


@pytest.mark.parametrize("name", ["a\x1b[31mb\x01.xml", "caf\udce9.xml"])
def test_file_name_xml_cannot_carry_is_processed_normally(
    engine: Engine, tmp_path: Path, name: str
) -> None:
    """A name with ESC / U+0001, or with a byte that is not UTF-8, is accepted like any other:
    the four outputs, the pivot's NomPJ with \\xNN escapes, the flux done, nothing left claimed."""
    source = tmp_path / name
    shutil.copyfile(ACCEPTED, source)
    outcome = engine.process_path(source, "depot-edi")
    assert outcome.verdict is Verdict.ACCEPTED
    [pivot] = [p for p in outcome.outputs if p.name.startswith("FEN0036A")]
    nom_pj = etree.parse(str(pivot)).findtext(".//PJ/NomPJ")
    assert nom_pj in ("a\\x1b[31mb\\x01.xml", "caf\\xe9.xml")
    assert len(_tree(engine.config.outbound)) == 4
    row = engine.store.flux(outcome.id_flux)
    assert (row.state, row.verdict) == ("done", "accepted")
    assert row.original_name == outcome.file == readable(name)


def _outbound_files(engine: Engine) -> list[str]:
    """Regular files under outbound/ (folders left out), relative, sorted."""
    return _tree(engine.config.outbound)


def test_failed_output_write_leaves_no_output_of_the_flux(engine: Engine) -> None:
    """Delivery is all-or-nothing: when the pivot path is taken by a folder, the flux report and
    the recipient's copy already written are removed before the error rises, the flux stays
    claimed, and a set-aside then leaves only its own 93 report (never a 90 and a 93)."""
    claim = _claim(engine, ACCEPTED)
    folder = engine.config.outbound / "99900001000010" / "SERVICES-TECHNIQUES"
    (folder / f"FEN0036A_EDIGW1_{claim.id_flux}.xml").mkdir(parents=True)
    with pytest.raises(OutputError):
        engine.process_claimed(claim)
    assert _outbound_files(engine) == []
    assert engine.store.flux(claim.id_flux).state == "claimed"
    assert engine.store.invoices() == []
    recovery.set_aside(engine.config, engine.store, claim, set_aside_reasons.FAILED, "test")
    assert _outbound_files(engine) == [f"canaux/EDIGW1/CSO1100A_EDIGW1_{claim.id_flux}.xml"]


def test_a_retry_after_a_failed_write_delivers_the_same_names(engine: Engine) -> None:
    """Once the obstacle is gone, the retry writes the four outputs under the same names."""
    claim = _claim(engine, ACCEPTED)
    blocker = engine.config.outbound / "fournisseurs" / "99910000600018"
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"")  # a file where the supplier folder goes
    with pytest.raises(OutputError):
        engine.process_claimed(claim)
    assert _outbound_files(engine) == ["fournisseurs/99910000600018"]
    blocker.unlink()
    outcome = engine.process_claimed(claim)
    i = claim.id_flux
    assert outcome.verdict is Verdict.ACCEPTED
    assert _outbound_files(engine) == [
        f"99900001000010/SERVICES-TECHNIQUES/{i}__{ACCEPTED.name}",
        f"99900001000010/SERVICES-TECHNIQUES/FEN0036A_EDIGW1_{i}.xml",
        f"fournisseurs/99910000600018/CSO1100A_EDIGW1_{i}.xml",
        f"fournisseurs/99910000600018/FEN1200A_EDIGW1_{i}.xml",
    ]


def test_a_file_where_a_folder_goes_is_reported_as_not_a_directory(engine: Engine) -> None:
    """A parent path that is a file gives the real cause (ENOTDIR, naming that file), not
    "File exists"."""
    claim = _claim(engine, ACCEPTED)
    blocker = engine.config.outbound / "99900001000010"
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"")
    with pytest.raises(OutputError) as caught:
        engine.process_claimed(claim)
    message = str(caught.value)
    assert "Not a directory" in message and str(blocker) in message
    assert "File exists" not in message
    assert _outbound_files(engine) == ["99900001000010"]


def _small_limit_engine(tmp_path: Path, limit: int) -> Engine:
    """An engine whose validation.max_file_bytes is ``limit``."""
    path = tmp_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "\n".join(
            f"max_file_bytes = {limit}" if line.startswith("max_file_bytes") else line
            for line in text.splitlines()
        ),
        encoding="utf-8",
    )
    return Engine(config_module.load(path))


def _peak_bytes(action: object) -> int:
    """Peak Python memory (tracemalloc) while ``action()`` runs."""
    tracemalloc.start()
    try:
        action()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("entry", ["process_path", "daemon claim"])
def test_oversize_file_is_inadmissible_without_being_read(tmp_path: Path, entry: str) -> None:
    """A sparse file far over validation.max_file_bytes (1 MiB here, 64 MiB file) is
    inadmissible GW-XML-04 / IRR_TAILLE_F from its size alone: the engine never holds it in
    memory (peak well under the limit) and the one-shot copy in var/work is never written out."""
    built = _small_limit_engine(tmp_path, 1 << 20)
    try:
        big = tmp_path / "sparse.xml"
        with big.open("wb") as handle:
            handle.write(b"<?xml version='1.0'?><Invoice/>")
            handle.truncate(64 << 20)
        outcomes: list[Outcome] = []
        if entry == "process_path":
            run = lambda: outcomes.append(built.process_path(big, "depot-edi"))  # noqa: E731
        else:
            claim = _claim(built, EXAMPLES / "28-irr-xml-mal-forme.xml")
            os.truncate(claim.work_path, 64 << 20)  # claimed by the daemon, sha256 left empty
            run = lambda: outcomes.append(built.process_claimed(claim))  # noqa: E731
        assert _peak_bytes(run) < 4 << 20
        [outcome] = outcomes
        assert (outcome.verdict, outcome.reason) == (Verdict.INADMISSIBLE, "IRR_TAILLE_F")
        assert [f.rule for f in outcome.findings] == ["GW-XML-04"]
        assert str(64 << 20) in outcome.findings[0].message
        [kept] = list(built.config.error_dir.iterdir())
        assert kept.stat().st_blocks * 512 < 1 << 20  # no 64 MiB copy was written
        assert big.stat().st_size == 64 << 20  # the user's file is untouched
    finally:
        built.close()


def test_oversize_user_file_is_never_linked_only_its_head_is_copied(tmp_path: Path) -> None:
    """process on an oversize file copies its first 4 KiB into var/work, never a hard link: the
    copy kept in var/error shares no inode with the user's file, and editing the user's file
    afterwards leaves it unchanged. The verdict comes from the size and the sniffed head."""
    built = _small_limit_engine(tmp_path, 1 << 20)
    try:
        big = tmp_path / "sparse.pdf"
        with big.open("wb") as handle:
            handle.write(b"%PDF-1.7\n")
            handle.truncate(8 << 20)
        outcome = built.process_path(big, "depot-edi")
        assert (outcome.verdict, outcome.reason) == (Verdict.INADMISSIBLE, "IRR_TAILLE_F")
        [kept] = list(built.config.error_dir.iterdir())
        assert kept.stat().st_size == 4096 and kept.read_bytes().startswith(b"%PDF-1.7")
        assert kept.stat().st_ino != big.stat().st_ino and big.stat().st_nlink == 1
        with big.open("r+b") as handle:
            handle.write(b"CHANGED!")
        assert kept.read_bytes().startswith(b"%PDF-1.7")
        assert built.store.flux(outcome.id_flux).size == 8 << 20
        assert any(p.name.startswith("CSO1117A") for p in outcome.outputs)  # sniffed as a PDF
    finally:
        built.close()


@pytest.mark.parametrize(
    ("example", "verdict"),
    [
        ("02-ok-ubl-mairie-services-techniques.xml", "accepted"),
        ("09-rej-siret-inconnu.xml", "rejected"),
    ],
)
def test_identical_bytes_taken_at_the_same_instant_are_taken_in_once(
    engine: Engine, example: str, verdict: str
) -> None:
    """Two workers with identical bytes: both analyses run before either commits (neither
    sees the other), then the commits serialise. The duplicate-flux rule is checked again
    inside the commit transaction, so the second ends exactly as if it came later:
    inadmissible, CPP-DUP-02 naming the first, IRR_UNCITE; one flux taken in, one invoice at
    most."""
    source = EXAMPLES / example
    first, second = _claim(engine, source, digest=True), _claim(engine, source, digest=True)
    read = engine._read_claimed(second)
    early = engine._analyse(second, read)  # before the first flux is recorded
    assert str(early.verdict) == verdict
    assert str(engine.process_claimed(first).verdict) == verdict
    late = engine.delivery.commit(second, engine.config.channel("depot-edi"), read.data, early)
    assert (late.verdict, late.reason) == (Verdict.INADMISSIBLE, "IRR_UNCITE")
    assert late.first_rules[0] == "CPP-DUP-02" and first.id_flux in late.findings[0].message
    assert engine.store.flux(second.id_flux).verdict == "inadmissible"
    assert len(engine.store.invoices()) == (1 if verdict == "accepted" else 0)


@pytest.mark.parametrize("number", ["ex-2025-002", "EX-2025\u200b-002", "\u00a0EX-2025-002"])
def test_same_invoice_number_written_differently_is_a_duplicate(
    engine: Engine, tmp_path: Path, number: str
) -> None:
    """BT-1 in another case, with a zero-width space or a no-break space is still the invoice
    already accepted: rejected with CPP-DUP-01 (REJ_UNI), no second invoice row."""
    engine.process_path(ACCEPTED, "depot-edi")
    copy = tmp_path / "copie.xml"
    data = ACCEPTED.read_bytes().replace(b">EX-2025-002<", f">{number}<".encode())
    copy.write_bytes(data)
    outcome = engine.process_path(copy, "depot-edi")
    assert (outcome.verdict, outcome.reason) == (Verdict.REJECTED, "REJ_UNI")
    assert "CPP-DUP-01" in outcome.first_rules
    assert len(engine.store.invoices()) == 1
