"""Taking a file: temporary names, settling, the claim rename, start-up recovery, set-aside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from edi_gateway.core import config as config_module
from edi_gateway.core import files
from edi_gateway.ingest.claim import (
    Claimer,
    Settler,
    is_temporary,
    readable,
    split_work_name,
    work_name,
)
from edi_gateway.pipeline import recovery, set_aside_reasons
from edi_gateway.store.database import Store
from tests.conftest import STATUT_XSD, need_shared
from tests.fixtures.daemon import support


@pytest.fixture
def gateway(tmp_path):
    """A configuration on tmp folders, its store and a claimer."""
    config = config_module.load(support.write_config(tmp_path))
    store = Store(config.database)
    yield config, store, Claimer(config, store)
    store.close()


@pytest.mark.parametrize(
    ("name", "temporary"),
    [
        (".facture.xml", True),
        ("facture.xml.tmp", True),
        ("facture.XML.PART", True),
        ("facture.xml.crdownload", True),
        ("facture.xml~", True),
        ("~$facture.xlsx", True),
        ("facture.xml", False),
        ("facture tmp.xml", False),
        ("factüre.pdf", False),
    ],
)
def test_temporary_names(name, temporary):
    """Writers' temporary names are recognised, final names are not."""
    assert is_temporary(name) is temporary


def test_readable_and_work_name_round_trip():
    """Non-UTF-8 bytes read as \\xNN; the work name keeps the raw name and splits back."""
    raw = os.fsdecode(b"caf\xe9 1.xml")
    assert readable(raw) == "caf\\xe9 1.xml"
    name = work_name("EDIGW11100000000000000007", raw)
    assert os.fsencode(name) == b"EDIGW11100000000000000007__caf\xe9 1.xml"
    assert split_work_name(name) == ("EDIGW11100000000000000007", raw)
    assert split_work_name("notes.txt") is None


def test_work_name_fits_in_255_bytes_and_keeps_the_extension():
    """A very long accented name is cut (on a character boundary) to fit one path component."""
    name = work_name("EDIGW11100000000000000007", "é" * 190 + ".xml")
    assert len(os.fsencode(name)) <= 255
    assert name.endswith("é.xml")


def test_settler_waits_for_a_stable_file(tmp_path):
    """A file is ripe only after keeping size and mtime for settle_seconds; growth resets."""
    now = [100.0]
    settler = Settler(1.0, clock=lambda: now[0])
    channel = config_module.load(support.write_config(tmp_path)).channels[0]
    path = tmp_path / "inbound" / "a.xml"
    path.write_bytes(b"<a")
    settler.note(str(path), channel)
    assert settler.ripe() == []  # first look records the state
    now[0] += 0.6
    with path.open("ab") as handle:
        handle.write(b"/>")
    assert settler.ripe() == []  # changed: the clock restarts
    now[0] += 0.9
    assert settler.ripe() == []
    now[0] += 0.2
    assert settler.ripe() == [(str(path), channel)]
    assert len(settler) == 0


def test_settler_takes_a_vouched_file_at_once_but_an_empty_one_waits(tmp_path):
    """A close-write or moved-in hint (complete=True) makes a non-empty file ripe on the next
    look, without the settle time; it upgrades a candidate already noted by a plain event. An
    empty file with the same hint still waits settle_seconds (its writer may fill it)."""
    now = [100.0]
    settler = Settler(30.0, clock=lambda: now[0])
    channel = config_module.load(support.write_config(tmp_path)).channels[0]
    full, empty = tmp_path / "inbound" / "full.xml", tmp_path / "inbound" / "empty.xml"
    full.write_bytes(b"<a/>")
    empty.write_bytes(b"")
    settler.note(str(full), channel)  # created / modified: no promise
    assert settler.ripe() == []
    settler.note(str(full), channel, complete=True)  # then closed after writing
    settler.note(str(empty), channel, complete=True)
    assert settler.ripe() == [(str(full), channel)]
    now[0] += 29.0
    assert settler.ripe() == []
    now[0] += 1.5
    assert settler.ripe() == [(str(empty), channel)]
    assert len(settler) == 0 and settler.complete == set()


def test_settler_tells_files_an_event_noted_from_files_a_sweep_found(tmp_path):
    """ripe_by_source: a file an observer event noted (event=True), even after a sweep noted
    it first, is fresh; a file only sweeps noted is swept; ripe() lists the fresh ones first.
    A candidate forgotten (vanished) leaves no mark behind."""
    now = [100.0]
    settler = Settler(1.0, clock=lambda: now[0])
    channel = config_module.load(support.write_config(tmp_path)).channels[0]
    old, new, both, gone = (
        tmp_path / "inbound" / f"{n}.xml" for n in ("old", "new", "both", "gone")
    )
    for path in (old, new, both, gone):
        path.write_bytes(b"<a/>")
    settler.note(str(old), channel)
    settler.note(str(both), channel)
    settler.note(str(gone), channel, event=True)
    settler.note(str(new), channel, event=True)
    settler.note(str(both), channel, event=True)
    gone.unlink()
    assert settler.ripe_by_source() == ([], [])
    now[0] += 1.5
    assert settler.ripe_by_source() == (
        [(str(both), channel), (str(new), channel)],
        [(str(old), channel)],
    )
    assert settler.evented == set()
    for path in (old, new):
        settler.release(str(path))
        settler.note(str(path), channel)
    settler.note(str(old), channel, event=True)
    now[0] += 0.1
    settler.ripe()
    now[0] += 1.5
    assert settler.ripe() == [(str(old), channel), (str(new), channel)]


def test_settler_ignores_temporary_names_and_vanished_files(tmp_path):
    """*.part names are never candidates; a vanished candidate is dropped."""
    settler = Settler(0.0)
    channel = config_module.load(support.write_config(tmp_path)).channels[0]
    settler.note(str(tmp_path / "inbound" / "a.xml.part"), channel)
    settler.note(str(tmp_path / "inbound" / "gone.xml"), channel)
    assert len(settler) == 1
    assert settler.ripe() == []
    assert len(settler) == 0


def test_claim_renames_then_records(gateway):
    """The claim moves the file to var/work/<IdFlux>__<name> and inserts a claimed row."""
    config, store, claimer = gateway
    path = config.channels[0].folder / "facture 1.xml"
    path.write_bytes(b"<Invoice/>")
    claim = claimer.claim(str(path), config.channels[0])
    assert claim is not None and not path.exists()
    assert claim.id_flux == "EDIGW11100000000000000001"
    assert claim.work_path == config.work_dir / "EDIGW11100000000000000001__facture 1.xml"
    assert claim.work_path.read_bytes() == b"<Invoice/>"
    row = store.flux(claim.id_flux)
    assert (row.state, row.original_name, row.size) == ("claimed", "facture 1.xml", 10)
    assert row.sha256 == claim.sha256 and len(claim.sha256) == 64


def test_claim_loser_gets_none(gateway):
    """A file another gateway took first (gone before the rename) gives None, no row."""
    config, store, claimer = gateway
    assert claimer.claim(str(config.channels[0].folder / "gone.xml"), config.channels[0]) is None
    assert store.fluxes() == []


def test_recovery_adopts_retries_and_puts_away(gateway):
    """Start-up: a work file without a row gets one, a claimed row is retried, a done row's
    original still in var/work is moved to var/archive."""
    config, store, claimer = gateway
    folder = config.channels[0].folder
    (folder / "a.xml").write_bytes(b"<a/>")
    (folder / "b.xml").write_bytes(b"<b/>")
    claimed = claimer.claim(str(folder / "a.xml"), config.channels[0])
    done = claimer.claim(str(folder / "b.xml"), config.channels[0])
    store.update_flux(done.id_flux, state="done", verdict="accepted")
    orphan = config.work_dir / "EDIGW21100000000000000009__status.xml"
    orphan.write_bytes(b"<CPPStatut/>")
    claims = recovery.recover(config, store, claimer)
    assert [c.id_flux for c in claims] == [claimed.id_flux, "EDIGW21100000000000000009"]
    assert claims[1].channel == "statuts-destinataires"
    assert store.flux("EDIGW21100000000000000009").state == "claimed"
    assert not done.work_path.exists()
    assert (config.archive_dir / done.work_path.name).read_bytes() == b"<b/>"


def test_recovery_closes_a_claimed_row_without_its_file(gateway):
    """A claimed row whose original vanished from var/work is closed with GW-DAEMON-04."""
    config, store, claimer = gateway
    (config.channels[0].folder / "a.xml").write_bytes(b"<a/>")
    claim = claimer.claim(str(config.channels[0].folder / "a.xml"), config.channels[0])
    claim.work_path.rename(config.state_dir / "elsewhere.xml")
    assert recovery.recover(config, store, claimer) == []
    row = store.flux(claim.id_flux)
    assert (row.state, row.reason) == ("done", "GW-DAEMON-04")


def test_set_aside_symlink_moves_the_link_and_writes_a_valid_flux_report(gateway, tmp_path):
    """A symbolic link is moved (not its target) to var/error with a CPPFluxStatuts 93 report."""
    config, store, claimer = gateway
    target = tmp_path / "secret.txt"
    target.write_text("secret")
    link = config.channels[0].folder / "link.xml"
    link.symlink_to(target)
    claim = claimer.claim(str(link), config.channels[0])
    assert claim.sha256 == "" and claim.size == 0
    why = set_aside_reasons.why_not_regular(claim.work_path)
    assert why == set_aside_reasons.SYMLINK
    moved = recovery.set_aside(config, store, claim, why)
    assert moved.is_symlink() and moved.parent == config.error_dir
    assert target.read_text() == "secret"
    row = store.flux(claim.id_flux)
    assert (row.state, row.verdict, row.reason) == ("done", "inadmissible", "IRR_TYPE_F")
    report = config.outbound / "canaux" / "EDIGW1" / f"CSO1100A_EDIGW1_{claim.id_flux}.xml"
    tree = etree.parse(str(report))
    assert tree.findtext(".//IdStatut") == "93"
    assert tree.findtext(".//CodeErreur") == "GW-DAEMON-01"
    schema = etree.XMLSchema(etree.parse(str(need_shared(STATUT_XSD))))
    assert schema.validate(tree), schema.error_log


def test_settler_holds_a_ripe_file_until_released(tmp_path):
    """A ripe path is not noted again by a sweep until the caller released it."""
    settler = Settler(0.0)
    channel = config_module.load(support.write_config(tmp_path)).channels[0]
    path = str(tmp_path / "inbound" / "a.xml")
    Path(path).write_bytes(b"<a/>")
    settler.note(path, channel)
    settler.ripe()
    assert settler.ripe() == [(path, channel)]
    settler.note(path, channel)
    assert len(settler) == 0
    settler.release(path)
    settler.note(path, channel)
    assert len(settler) == 1


def test_an_oversized_file_is_claimed_without_being_read(tmp_path):
    """A file over max_file_bytes is still taken (size recorded, no hash: the engine rejects it)."""
    config = config_module.load(support.write_config(tmp_path, max_file_bytes=10))
    with Store(config.database) as store:
        path = config.channels[0].folder / "big.xml"
        path.write_bytes(b"<a>" + b"x" * 100 + b"</a>")
        claim = Claimer(config, store).claim(str(path), config.channels[0])
        assert (claim.size, claim.sha256) == (107, "")
        assert store.flux(claim.id_flux).size == 107


@pytest.mark.parametrize(
    "raw", [b"L" * 251 + b".xml", "é".encode() * 125 + b".xml", b"bad\xff" * 80 + b".pdf"]
)
def test_a_long_name_keeps_its_extension_from_work_to_archive(tmp_path, raw):
    """A name too long for ``<IdFlux>__`` + name is cut once, extension kept, on a character
    boundary, with room for a '.N' suffix; var/work and var/archive show the same name."""
    id_flux = "EDIGW11100000000000000007"
    name = work_name(id_flux, os.fsdecode(raw))
    encoded = os.fsencode(name)
    assert len(encoded) <= 251 and encoded.endswith(raw[-4:])
    assert encoded.startswith(id_flux.encode() + b"__" + raw[:20])
    if raw.startswith("é".encode()):
        encoded.decode("utf-8")  # no character cut in half
    work = tmp_path / "work" / name
    work.parent.mkdir()
    work.write_bytes(b"x")
    archived = files.move_original(work, tmp_path / "archive", id_flux, readable(os.fsdecode(raw)))
    assert os.fsencode(archived.name) == encoded


def test_non_utf8_bytes_of_a_name_are_kept_in_the_archive(tmp_path):
    """bad\\xff\\xfe.xml is archived under its own bytes, not its readable \\xNN form."""
    id_flux = "EDIGW11100000000000000007"
    raw = os.fsdecode(b"bad\xff\xfeutf8.xml")
    work = tmp_path / work_name(id_flux, raw)
    work.write_bytes(b"x")
    archived = files.move_original(work, tmp_path / "archive", id_flux, readable(raw))
    assert os.listdir(os.fsencode(tmp_path / "archive")) == [
        id_flux.encode() + b"__bad\xff\xfeutf8.xml"
    ]
    assert archived.read_bytes() == b"x"


def _flux_report_of(config, id_flux):
    """The flux report file written for ``id_flux`` in outbound/canaux/<code>/ (one expected)."""
    return [p for p in config.outbound.rglob(f"*{id_flux}*") if p.is_file()]


def test_recovery_finishes_a_set_aside_cut_by_a_crash(gateway):
    """A claimed row whose original is already in var/error (crash between the move and the
    report) gets its 93 report, verdict inadmissible and flux.done at start-up."""
    config, store, claimer = gateway
    (config.channels[0].folder / "a.xml").write_bytes(b"<a/>")
    claim = claimer.claim(str(config.channels[0].folder / "a.xml"), config.channels[0])
    moved = files.move_original(claim.work_path, config.error_dir, claim.id_flux, "a.xml")
    assert recovery.recover(config, store, claimer) == []
    row = store.flux(claim.id_flux)
    assert (row.state, row.verdict, row.reason) == ("done", "inadmissible", "GW-DAEMON-03")
    assert moved.read_bytes() == b"<a/>"
    [report] = _flux_report_of(config, claim.id_flux)
    assert etree.parse(str(report)).findtext(".//IdStatut") == "93"


def test_recovery_gives_a_lost_original_a_status_and_a_report(gateway):
    """A claimed row whose original is nowhere is closed GW-DAEMON-04 with a flux report."""
    config, store, claimer = gateway
    (config.channels[0].folder / "a.xml").write_bytes(b"<a/>")
    claim = claimer.claim(str(config.channels[0].folder / "a.xml"), config.channels[0])
    claim.work_path.unlink()
    assert recovery.recover(config, store, claimer) == []
    row = store.flux(claim.id_flux)
    assert (row.state, row.verdict, row.reason) == ("done", "inadmissible", "GW-DAEMON-04")
    [report] = _flux_report_of(config, claim.id_flux)
    assert etree.parse(str(report)).findtext(".//IdStatut") == "93"


def test_a_gateway_failure_report_is_an_incident_in_french_and_english(gateway):
    """A GW-DAEMON-03 set-aside report names an incident (IN_INCIDENTE), never IRR_SYNTAX, and
    its LibelleErreur is French then ``| EN:`` English."""
    config, store, claimer = gateway
    (config.channels[0].folder / "a.xml").write_bytes(b"<a/>")
    claim = claimer.claim(str(config.channels[0].folder / "a.xml"), config.channels[0])
    recovery.set_aside(config, store, claim, set_aside_reasons.FAILED, "3 attempts")
    [report] = _flux_report_of(config, claim.id_flux)
    tree = etree.parse(str(report))
    assert "IRR_SYNTAX" not in report.read_text(encoding="utf-8")
    assert tree.findtext(".//Note") == "IN_INCIDENTE"
    assert tree.findtext(".//Commentaire").startswith("Incident de traitement")
    libelle = tree.findtext(".//LibelleErreur")
    assert libelle.startswith("incident de traitement") and " | EN: processing failed" in libelle
