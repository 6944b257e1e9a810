"""The Service mode's server: /metrics (series and access), the OpenAPI document, a taken port."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from edi_gateway.core import config as config_module
from edi_gateway.web import context
from edi_gateway.web.app import create_app
from edi_gateway.web.metrics import Metrics
from tests.fixtures.api import service
from tests.fixtures.api.service import EXAMPLES


def test_metrics_count_fluxes_statuses_calls_and_folders(tmp_path: Path) -> None:
    with service.started(tmp_path, workers=1) as api:
        data = (EXAMPLES / "01-ok-ubl-mairie-sans-service.xml").read_bytes()
        id_flux = api.deposit(data, "m.xml", "IN_DP_E1_UBL_INVOICE")
        assert api.wait_integrated(id_flux)["etatCourantFlux"] == "IN_INTEGRE"
        bad = api.deposit(b"<not-an-invoice/>", "x.xml", "IN_DP_E1_UBL_INVOICE")
        assert api.wait_integrated(bad)["etatCourantFlux"] == "IN_INCIDENTE"
        text = api.client.get("/metrics").text
        log = [json.loads(x) for x in (api.root / "var/log/gateway.jsonl").read_text().splitlines()]
    claimed = [e for e in log if e["event"] == "flux.claimed" and e.get("id_flux") == id_flux]
    assert claimed and claimed[0]["channel"] == "depot-api"
    assert claimed[0]["account"] == "TECH_FOURNISSEUR" and claimed[0]["size"] == len(data)
    lines = set(text.splitlines())
    assert 'edi_gateway_fluxes_total{channel="depot-api",verdict="accepted"} 1.0' in lines
    assert 'edi_gateway_fluxes_total{channel="depot-api",verdict="inadmissible"} 1.0' in lines
    assert 'edi_gateway_status_changes_total{code="03",status="MISE_A_DISPOSITION"} 1.0' in lines
    assert 'edi_gateway_api_deposits_total{syntaxe="IN_DP_E1_UBL_INVOICE"} 2.0' in lines
    assert (
        'edi_gateway_http_requests_total{code="200",operation="/cpro/factures/v1/deposer/flux"} 2.0'
        in lines
    )
    assert 'edi_gateway_files_waiting{folder="var/work"} 0.0' in lines
    # inbound/ holds the folder inbound/recipient-status: a folder is not a file waiting
    assert 'edi_gateway_files_waiting{folder="depot-edi"} 0.0' in lines
    assert "edi_gateway_workers_alive 1.0" in lines
    assert 'edi_gateway_flux_duration_seconds_count{stage="worker"} 2.0' in lines
    assert 'edi_gateway_flux_duration_seconds_count{stage="end_to_end"} 2.0' in lines
    assert 'edi_gateway_flux_duration_seconds_count{stage="queue"} 2.0' in lines


def _get(tmp_path: Path, access: str, path: str, host: str = "10.1.2.3") -> httpx.Response:
    """GET ``path`` from the application in-process (httpx's ASGI transport), as ``host``."""
    config = config_module.load(service.write_api_config(tmp_path))
    config = dataclasses.replace(config, api=dataclasses.replace(config.api, metrics=access))
    ctx = context.build(config, lambda pending: None)
    ctx.metrics = Metrics(config, ctx.store)
    transport = httpx.ASGITransport(app=create_app(ctx), client=(host, 4321))

    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            return await client.get(path)

    return asyncio.run(fetch())


def test_metrics_access_follows_the_config(tmp_path: Path) -> None:
    assert _get(tmp_path / "a", "localhost", "/metrics").status_code == 403
    assert _get(tmp_path / "b", "localhost", "/metrics", "127.0.0.1").status_code == 200
    assert _get(tmp_path / "c", "off", "/metrics", "127.0.0.1").status_code == 404
    opened = _get(tmp_path / "d", "open", "/metrics")
    assert opened.status_code == 200 and "edi_gateway_fluxes_total{" not in opened.text  # no flux
    assert "edi_gateway_workers_alive 0.0" in opened.text


def test_openapi_document_lists_every_operation(tmp_path: Path) -> None:
    paths = set(_get(tmp_path / "a", "localhost", "/openapi.json").json()["paths"])
    for path in (
        "/api/oauth/token",
        "/cpro/factures/v1/deposer/flux",
        "/cpro/transverses/v1/consulterCR",
        "/cpro/transverses/v1/consulterCRDetaille",
        "/cpro/factures/v1/rechercher/fournisseur",
        "/cpro/factures/v1/rechercher/recipiendaire",
        "/cpro/factures/v1/consulter/fournisseur",
        "/cpro/factures/v1/consulter/recipiendaire",
        "/cpro/factures/v1/consulter/historique",
        "/cpro/factures/v1/telecharger/groupe",
        "/cpro/factures/v1/traiter/recue",
        "/cpro/factures/v1/completer",
        "/cpro/structures/v1/rechercher",
        "/cpro/structures/v1/consulter",
        "/cpro/structures/v1/rechercher/services",
        "/cpro/structures/v1/consulter/service",
        "/cpro/transverses/v1/recuperer/formatflux",
        "/cpro/transverses/v1/health-check",
    ):
        assert path in paths, path
    assert "/metrics" not in paths
    page = _get(tmp_path / "b", "localhost", "/docs").text
    assert "/docs-static/swagger-ui-bundle.js" in page and "cdn" not in page  # no network
    script = _get(tmp_path / "c", "localhost", "/docs-static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000


def test_a_taken_port_stops_the_start_with_a_message(tmp_path: Path) -> None:
    config = service.write_api_config(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", service.port_of(config)))
        taken.listen()
        done = subprocess.run(
            [sys.executable, "-m", "edi_gateway", "serve", "--config", str(config)],
            cwd=service.REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert "[api] cannot listen on 127.0.0.1" in done.stderr and "api.port" in done.stderr
    assert not list((tmp_path / "var").glob("work/*"))
