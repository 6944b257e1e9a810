"""Service mode load figures: deposits over HTTP beside the same files through ``inbound/``.

For each worker count N (default 1 and 2), one real gateway (``python -m edi_gateway run`` with
``[api]`` enabled, on a temporary tree, every worker warmed) takes, in one run:

1. folder burst: ``--files`` distinct files dropped into ``inbound/`` at once (``.part`` then
   rename); files / (last ``flux.done`` - first drop);
2. HTTP burst: ``--files`` other distinct copies deposited with ``factures/v1/deposer/flux`` by
   ``--clients`` concurrent clients (each with its token and ``cpro-account``); deposits / (last
   ``flux.done`` - first request), the ratio HTTP / folder (target: at least 0.90), and the
   answer time of a deposit (p50 / p95);
3. latency at half the folder rate: ``--latency-files`` copies deposited one by one at half the
   folder rate, request -> ``flux.done`` p50 / p95 (deposit to integrated); the same for files
   dropped at that rate.

Inputs: the shared corpus and ``examples/`` (files up to 200 kB), the same files in the same
order for both channels, every copy made distinct so none is a duplicate flux.

Usage: ``python benchmarks/api.py [--files 400] [--workers 1 2] [--clients 4]
[--latency-files 100]``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import gateway_tree as tree
import httpx

sys.path.insert(0, str(tree.ROOT))
from tests.fixtures.api import service


def syntax_of(data: bytes) -> str:
    """The syntaxeFlux of a file, as a careful client would declare it."""
    if data.startswith(b"%PDF"):
        return "IN_DP_E2_CII_FACTURX"
    head = data[:2000]
    return "IN_DP_E1_CII_16B" if b"CrossIndustryInvoice" in head else "IN_DP_E1_UBL_INVOICE"


class Client:
    """One HTTP client thread's connection, token and headers."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=120)
        token = self.http.post(
            "/api/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "demo-client",
                "client_secret": "demo-secret",
            },
        ).json()["access_token"]
        self.headers = {
            "Authorization": f"Bearer {token}",
            "cpro-account": service.cpro_account("TECH_FOURNISSEUR"),
        }

    def deposit(self, name: str, data: bytes) -> tuple[float, float]:
        """Deposit one file; (request start, answer time) in epoch seconds."""
        start = time.time()
        body = {
            "fichierFlux": service.b64(data),
            "nomFichier": name,
            "syntaxeFlux": syntax_of(data),
        }
        answer = self.http.post("/cpro/factures/v1/deposer/flux", json=body, headers=self.headers)
        assert answer.json()["codeRetour"] == 0, answer.text
        return start, time.time()


def run(workers: int, files: int, clients: int, latency_files: int) -> dict[str, float]:
    """The three measures on one gateway with ``workers`` workers."""
    pool = tree.sources(200_000)

    def copies(count: int, tag: str) -> list[tuple[str, bytes]]:
        # the same source files for both channels, each copy distinct (no duplicate flux)
        return [
            (f"{tag}-{n}", tree.distinct(hash(tag) % 10**6 + i, d))
            for i, (n, d) in enumerate(tree.distinct_copies(pool, count))
        ]

    folder, http = copies(files, "folder"), copies(files, "http")
    paced_http, paced_folder = copies(latency_files, "paced-http"), copies(latency_files, "paced")
    with tempfile.TemporaryDirectory(prefix="edi-bench-api-") as tmp:
        root = Path(tmp)
        config = service.write_api_config(root, workers=workers, settle=1.0, sweep=30.0)
        base = f"http://127.0.0.1:{service.port_of(config)}"
        process = service.start(config, "run")
        running = tree.Running(root, process)
        try:
            service.wait_healthy(base, process)
            ok = tree.support.wait_until(
                lambda: len(running.events("worker.warmed")) >= workers, 120, 0.1
            )
            if not ok:
                raise RuntimeError("workers not warmed within 120 s")
            inbound = root / "inbound"
            for name, data in folder:
                running.dropped[name] = tree.drop(inbound, name, data)
            tree.wait_done(running, files)
            done = tree.done_times(running)
            folder_rate = files / (max(done[n] for n, _ in folder) - min(running.dropped.values()))

            local = threading.local()

            def one(item: tuple[str, bytes]) -> tuple[str, float, float]:
                if not hasattr(local, "client"):
                    local.client = Client(base)
                start, answered = local.client.deposit(*item)
                return item[0], start, answered

            warm = [Client(base) for _ in range(clients)]  # tokens and connections first
            del warm
            with concurrent.futures.ThreadPoolExecutor(clients) as executor:
                results = list(executor.map(one, http))
            tree.wait_done(running, 2 * files)
            done = tree.done_times(running)
            first = min(s for _, s, _ in results)
            http_rate = files / (max(done[n] for n, _, _ in results) - first)
            answers = [(a - s) * 1000 for _, s, a in results]

            half = folder_rate / 2
            client = Client(base)
            requested = {}
            for name, data in paced_http:
                requested[name], _ = client.deposit(name, data)
                time.sleep(max(0.0, 1 / half - (time.time() - requested[name])))
            for name, data in paced_folder:
                running.dropped[name] = tree.drop(inbound, name, data)
                time.sleep(1 / half)
            tree.wait_done(running, 2 * files + 2 * latency_files)
            done = tree.done_times(running)
            http_lat = [(done[n] - requested[n]) * 1000 for n in requested if n in done]
            folder_lat = [(done[n] - running.dropped[n]) * 1000 for n, _ in paced_folder]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=300)
    return {
        "folder": folder_rate,
        "http": http_rate,
        "ratio": http_rate / folder_rate,
        "answer_p50": tree.percentile(answers, 50),
        "answer_p95": tree.percentile(answers, 95),
        "half": half,
        "http_p50": tree.percentile(http_lat, 50),
        "http_p95": tree.percentile(http_lat, 95),
        "folder_p50": tree.percentile(folder_lat, 50),
        "folder_p95": tree.percentile(folder_lat, 95),
    }


def main() -> None:
    """Print one table row per worker count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--latency-files", type=int, default=100)
    args = parser.parse_args()
    print(
        f"{args.files} files per burst, {args.clients} HTTP clients, "
        f"{args.latency_files} paced files per channel"
    )
    print(
        "| workers | folder files/s | HTTP deposits/s | HTTP / folder | deposit answer p50 / p95 "
        "| deposit -> integrated p50 / p95 (HTTP) | drop -> done p50 / p95 (folder) |"
    )
    print("|---|---|---|---|---|---|---|")
    for workers in args.workers:
        r = run(workers, args.files, args.clients, args.latency_files)
        print(
            f"| {workers} | {r['folder']:.0f} | {r['http']:.0f} | {r['ratio']:.2f} | "
            f"{r['answer_p50']:.0f} / {r['answer_p95']:.0f} ms | at {r['half']:.0f}/s: "
            f"{r['http_p50']:.0f} / {r['http_p95']:.0f} ms | {r['folder_p50']:.0f} / "
            f"{r['folder_p95']:.0f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
