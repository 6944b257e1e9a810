"""Portal page times with a full ledger: Factures reçues and Suivi des flux with 10,000 invoices.

A temporary gateway tree gets ``--invoices`` invoices (and their fluxes and first status event)
written straight into its ledger, half addressed to the Mairie, half to the Lycée, all from the
demo supplier; then ``edi-gateway serve`` runs on it and, logged in as the Mairie's user and as
the supplier's, each page is fetched ``--requests`` times: the time from request to the last
byte (p50 / p95, ms; loopback, so the server's time) and the page weight. Target: p95 under
100 ms (the lists are paged, 50 rows, on indexed queries).

Usage: ``python benchmarks/portal.py [--invoices 10000] [--requests 100]``
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import gateway_tree as tree
import httpx

sys.path.insert(0, str(tree.ROOT))
from edi_gateway.core import config as config_module
from edi_gateway.store.database import Store
from tests.fixtures.api import service

MAIRIE, LYCEE, SELLER = "99900001000010", "99900002000019", "99910000600018"


def fill(config_path: Path, count: int) -> None:
    """Write ``count`` done fluxes, their invoices and a DEPOSEE event, in one transaction."""
    config = config_module.load(config_path)
    with Store(config.database) as store, store.transaction() as db:
        for n in range(count):
            id_flux = f"EDIGW1110000000{n:010d}"
            recipient = MAIRIE if n % 2 else LYCEE
            at = f"2026-11-{1 + n % 28:02d}T10:{n % 60:02d}:00.000+00:00"
            store.add_flux(
                id_flux=id_flux,
                channel="depot-edi",
                original_name=f"f{n}.xml",
                sha256=f"{n:064x}",
                size=4000,
                work_path=None,
                received_at=at,
                db=db,
            )
            store.update_flux(
                id_flux,
                db=db,
                state="done",
                verdict="accepted",
                syntax="ubl-invoice",
                profile="en16931",
                recipient_siret=recipient,
                seller_id=SELLER,
                service_code="INTENDANCE" if recipient == LYCEE else None,
                error_count=0,
                finished_at=at,
            )
            invoice = store.add_invoice(
                db,
                id_flux=id_flux,
                seller_key="999100006",
                seller_id=SELLER,
                seller_name="Fournitures Démo SARL",
                number=f"BENCH-{n}",
                issue_date="2026-11-01",
                issue_year=2026,
                type_code="380",
                recipient_siret=recipient,
                service_code="INTENDANCE" if recipient == LYCEE else None,
                currency="EUR",
                amount_due="150.00",
                status_code="03",
                status_name="MISE_A_DISPOSITION",
            )
            store.add_event(
                db,
                invoice_id=invoice,
                status_code="01",
                status_name="DEPOSEE",
                actor="platform",
                at=at,
            )


def login(base: str, who: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/portail/connexion").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/portail/connexion", data={"login": who, "password": password, "csrf": csrf})
    return client


def timed(client: httpx.Client, path: str, requests: int) -> tuple[float, float, int]:
    """p50 and p95 in ms, and the page's bytes."""
    times, size = [], 0
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        size = len(answer.content)
        assert answer.status_code == 200, (path, answer.status_code)
    return tree.percentile(times, 50), tree.percentile(times, 95), size


def main() -> None:
    """Print one line per page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edi-bench-portal-") as tmp:
        root = Path(tmp)
        config = service.write_api_config(root, workers=1)
        start = time.perf_counter()
        fill(config, args.invoices)
        print(f"ledger filled with {args.invoices} invoices in {time.perf_counter() - start:.1f} s")
        process = service.start(config, "serve")
        base = f"http://127.0.0.1:{service.port_of(config)}"
        try:
            service.wait_healthy(base, process)
            mairie = login(base, "mairie@demo.fr", "Mairie-Portail-1")
            supplier = login(base, "fournisseur@demo.fr", "Fournisseur-Portail-1")
            print("| page | user | p50 ms | p95 ms | bytes |")
            print("|---|---|---|---|---|")
            for client, who, path in (
                (mairie, "mairie", "/portail/factures/recues"),
                (mairie, "mairie", "/portail/factures/recues?page=40"),
                (mairie, "mairie", "/portail/flux"),
                (mairie, "mairie", "/portail/flux.json"),
                (mairie, "mairie", "/portail/"),
                (supplier, "supplier", "/portail/factures/emises"),
                (supplier, "supplier", "/portail/flux"),
            ):
                p50, p95, size = timed(client, path, args.requests)
                print(f"| {path} | {who} | {p50:.1f} | {p95:.1f} | {size:,} |", flush=True)
        finally:
            process.terminate()
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
