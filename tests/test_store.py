"""The SQLite store: sequences, flux rows, invoices and events."""

from __future__ import annotations

from pathlib import Path

from edi_gateway.store import Store


def test_sequence_counts_per_name(tmp_path: Path) -> None:
    """Each named counter starts at 1 and increments by one, also across connections."""
    path = tmp_path / "db.sqlite3"
    with Store(path) as a, Store(path) as b:
        assert [a.next_value("x"), b.next_value("x"), a.next_value("y")] == [1, 2, 1]


def test_flux_roundtrip_and_filters(tmp_path: Path) -> None:
    """A flux row is recorded, updated with outputs as JSON, and found by verdict and sha256."""
    with Store(tmp_path / "db.sqlite3") as store:
        store.add_flux(
            id_flux="F1", channel="c", original_name="a b.xml", sha256="ab", size=3, work_path=None
        )
        store.update_flux("F1", state="done", verdict="accepted", outputs=["/o/1.xml"])
        row = store.flux("F1")
        assert row is not None and row["outputs"] == '["/o/1.xml"]'
        assert [r["id_flux"] for r in store.fluxes(verdict="accepted")] == ["F1"]
        assert store.fluxes(verdict="rejected") == []
        assert [r["id_flux"] for r in store.fluxes_with_sha256("ab")] == ["F1"]
        assert store.fluxes_with_sha256("ab", exclude="F1") == []


def test_invoice_and_events(tmp_path: Path) -> None:
    """Invoices are found by duplicate key; events come back newest first."""
    with Store(tmp_path / "db.sqlite3") as store:
        store.add_flux(
            id_flux="F1", channel="c", original_name="a", sha256="x", size=1, work_path=None
        )
        inv = store.add_invoice(
            id_flux="F1",
            seller_key="123456789",
            number="F-1",
            issue_year=2026,
            recipient_siret="11000201100044",
            status_code="03",
            status_name="MISE_A_DISPOSITION",
        )
        store.add_event(
            invoice_id=inv,
            status_code="01",
            status_name="DEPOSEE",
            actor="platform",
            at="2026-01-01T00:00:00.000+00:00",
        )
        store.add_event(
            invoice_id=inv,
            status_code="03",
            status_name="MISE_A_DISPOSITION",
            actor="platform",
            at="2026-01-01T00:00:01.000+00:00",
        )
        assert [e["status_code"] for e in store.events(inv)] == ["03", "01"]
        assert len(store.invoices_with_key("123456789", "F-1", 2026)) == 1
        assert store.invoices_with_key("123456789", "F-1", 2025) == []
