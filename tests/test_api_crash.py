"""HTTP and folder deposits together, through one SIGKILL: 200 corpus files, half deposited over
HTTP (``factures/v1/deposer/flux``) and half dropped in ``inbound/``, at the same time, into a real
``edi-gateway run`` serving the API; the gateway is SIGKILLed mid-way and started again. Then every
file is a flux exactly once (a deposit whose answer the kill swallowed is deposited again by the
client, as a real one would: that second flux is the duplicate flux IRR_UNCITE, never a second
invoice), every answered ``numeroFluxDepot`` is in the ledger, nothing is lost or left behind."""

from __future__ import annotations

import csv
import hashlib
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS, need_shared
from tests.fixtures.api import service
from tests.fixtures.daemon import support

pytestmark = [pytest.mark.slow, pytest.mark.corpus]
SYNTAX = {
    "ubl-invoice": "IN_DP_E1_UBL_INVOICE",
    "ubl-creditnote": "IN_DP_E1_UBL_INVOICE",
    "cii": "IN_DP_E1_CII_16B",
    "facturx-pdf": "IN_DP_E2_CII_FACTURX",
}
COUNT = 200


def _files() -> list[tuple[str, bytes, str]]:
    corpus = need_shared(CORPUS)
    with (corpus / "manifest.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["syntax"] in SYNTAX]
    files = []
    for index, row in enumerate(r for r in rows if (corpus / r["file"]).stat().st_size < 400_000):
        data = (corpus / row["file"]).read_bytes()
        mark = b"\n%% copy %d\n" if data.startswith(b"%PDF") else b"\n<!-- copy %d -->\n"
        files.append(
            (f"{index:03d}-{Path(row['file']).name}", data + mark % index, SYNTAX[row["syntax"]])
        )
        if len(files) == COUNT:
            break
    assert len(files) == COUNT
    return files


def _rows(db: Path) -> list[tuple[str, str, str, str | None]]:
    try:
        with sqlite3.connect(db, timeout=10) as conn:
            return conn.execute("SELECT id_flux, sha256, state, reason FROM flux").fetchall()
    except sqlite3.Error:
        return []


def test_http_and_folder_deposits_through_a_sigkill(tmp_path: Path) -> None:
    files = _files()
    config = service.write_api_config(tmp_path, workers=2, settle=0.1, sweep=0.5)
    base = f"http://127.0.0.1:{service.port_of(config)}"
    db = tmp_path / "var" / "gateway.sqlite3"
    log = (tmp_path / "gateway.err").open("wb")
    process = [service.start(config, "run", log)]
    service.wait_healthy(base, process[0])
    api = service.Api(base, tmp_path, process[0])
    answered: dict[str, str] = {}  # file name -> numeroFluxDepot
    retried: set[str] = set()

    def deposit_all() -> None:
        client = httpx.Client(base_url=base, timeout=30)
        for name, data, syntax in files[0::2]:
            body = {"fichierFlux": service.b64(data), "nomFichier": name, "syntaxeFlux": syntax}
            while True:
                try:
                    answer = client.post(
                        "/cpro/factures/v1/deposer/flux",
                        json=body,
                        headers=api.headers("TECH_FOURNISSEUR"),
                    )
                    if answer.status_code == 200 and answer.json()["codeRetour"] == 0:
                        answered[name] = answer.json()["numeroFluxDepot"]
                        break
                except httpx.HTTPError:
                    pass
                retried.add(name)  # no answer: the client deposits it again
                time.sleep(0.2)
        client.close()

    def drop_all() -> None:
        for name, data, _ in files[1::2]:
            part = tmp_path / "inbound" / f"{name}.part"
            part.write_bytes(data)
            part.rename(part.with_name(name))
            time.sleep(0.01)

    threads = [threading.Thread(target=deposit_all), threading.Thread(target=drop_all)]
    for thread in threads:
        thread.start()
    assert support.wait_until(lambda: len(_rows(db)) >= 60, 120, 0.05)
    process[0].send_signal(signal.SIGKILL)
    process[0].wait()
    process[0] = service.start(config, "run", log)
    try:
        for thread in threads:
            thread.join(timeout=300)
        assert len(answered) == COUNT // 2
        settled = support.wait_until(
            lambda: (
                len(_rows(db)) >= COUNT
                and all(r[2] == "done" for r in _rows(db))
                and not any((tmp_path / "inbound").glob("*.*"))
                and not any((tmp_path / "var" / "work").iterdir())
            ),
            300,
            0.2,
        )
        assert settled, _rows(db)[-5:]
    finally:
        process[0].send_signal(signal.SIGTERM)
        process[0].wait(timeout=60)
        log.close()
    rows = _rows(db)
    by_sha: dict[str, list[tuple[str, str, str, str | None]]] = {}
    for row in rows:
        by_sha.setdefault(row[1], []).append(row)
    ids = {row[0] for row in rows}
    for name, data, _ in files:
        found = by_sha.get(hashlib.sha256(data).hexdigest(), [])
        if name in retried:  # the swallowed first deposit may be a flux too: then a duplicate
            assert 1 <= len(found) <= 2, name
            assert sum(1 for r in found if r[3] != "IRR_UNCITE") == 1, found
        else:
            assert len(found) == 1, (name, found)
    assert set(answered.values()) <= ids
    extra = len(rows) - COUNT
    assert 0 <= extra <= len(retried)
    assert not [p for p in (tmp_path / "var" / "api-staging").rglob("*") if p.is_file()]
    print(f"\n{COUNT} files, {len(rows)} fluxes, {len(retried)} deposit(s) retried after the kill")
