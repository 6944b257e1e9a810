"""Shared fixtures: repository paths and the optional ../shared material."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The shared corpus and reference schemas: ``../shared`` beside the clone, or the folder named by
#: the environment variable EDI_GATEWAY_SHARED.
SHARED = Path(os.environ.get("EDI_GATEWAY_SHARED") or ROOT.parent / "shared")
CORPUS = SHARED / "corpus"
REFERENCE = SHARED / "reference"
STATUT_XSD = REFERENCE / "cpp" / "CPPStatutPivot_V1_19.xsd"
PIVOT_XSD = REFERENCE / "cpp" / "CPPFacturePivot_V2_02.xsd"


def need_shared(path: Path) -> Path:
    """Return ``path`` or skip the calling test when ../shared (or that file) is absent."""
    if not path.exists():
        pytest.skip(
            f"needs {path} (the shared corpus/reference folder: ../shared beside the clone, "
            "or set EDI_GATEWAY_SHARED)"
        )
    return path


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """A PostgreSQL server of this test session (tests/fixtures/postgres.py), or a skip."""
    pytest.importorskip("psycopg", reason="needs psycopg (pip install -e '.[test]')")
    from tests.fixtures import postgres

    server, why = postgres.start()
    if server is None:
        pytest.skip(why)
    yield server
    postgres.stop(server)


@pytest.fixture
def postgres_url(postgres_server) -> str:  # type: ignore[no-untyped-def]
    """The URL of a fresh database on the session's server, at the gateway's schema head
    (``edi-gateway db upgrade`` done)."""
    from tests.fixtures import postgres

    return postgres.upgraded_database(postgres_server)


@pytest.fixture(scope="session")
def redis_server():  # type: ignore[no-untyped-def]
    """A Redis server of this test session (tests/fixtures/redis_server.py), or a skip."""
    from tests.fixtures import redis_server as redis_fixture

    server, why = redis_fixture.start()
    if server is None:
        pytest.skip(why)
    yield server
    redis_fixture.stop(server)


_broker_dbs = iter(range(1, 64))


@pytest.fixture
def broker_url(redis_server) -> str:  # type: ignore[no-untyped-def]
    """The URL of a logical Redis database of its own for one test (``cluster.broker``)."""
    return str(redis_server.url(next(_broker_dbs)))


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path: Path) -> str | Path:  # type: ignore[no-untyped-def]
    """A fresh ledger location: a SQLite file, then a PostgreSQL database (skipped when no
    server can start). Tests that take it run their cases on both backends."""
    if request.param == "sqlite":
        return tmp_path / "db.sqlite3"
    return request.getfixturevalue("postgres_url")
