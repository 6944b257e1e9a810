"""The ledger on a real PostgreSQL server (issue #12, first part): schema versions and
``edi-gateway db``, counters drawn by several processes at once, and the real daemon taking
files on a PostgreSQL ledger. The store, engine and lifecycle cases run on both backends
through the ``ledger`` fixture (tests/test_store.py, test_engine.py, test_actions.py)."""

from __future__ import annotations

import multiprocessing
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from edi_gateway.cli import main
from edi_gateway.core.errors import StateError
from edi_gateway.store.database import Store
from edi_gateway.store.schema import SCHEMA_VERSION
from tests.conftest import ROOT
from tests.fixtures import postgres
from tests.fixtures.daemon import support

pytestmark = pytest.mark.slow


def _config(tmp_path: Path, url: str) -> Path:
    return support.write_config(tmp_path, workers=2, settle=0.1, sweep=0.5, database=url)


def test_a_database_without_the_schema_is_refused_until_db_upgrade(
    postgres_server: postgres.Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty PostgreSQL database is refused at open with the command to run; ``db version``
    says none (exit 1); ``db upgrade`` creates the schema; then it opens and says 0001."""
    url = postgres.new_database(postgres_server)
    with pytest.raises(StateError, match="run `edi-gateway db upgrade`"):
        Store(url)
    config = _config(tmp_path, url)
    assert main(["db", "version", "--config", str(config)]) == 1
    assert f"schema version none (needed {SCHEMA_VERSION})" in capsys.readouterr().out
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert f"schema version {SCHEMA_VERSION}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--config", str(config)]) == 0  # a second upgrade: nothing
    assert main(["db", "version", "--config", str(config)]) == 0
    with Store(url) as store:
        assert store.next_value("x") == 1


def test_a_database_of_another_version_is_refused(postgres_url: str, tmp_path: Path) -> None:
    """A database recording another schema version (a newer gateway made it) is refused on
    both backends, never used with the wrong tables."""
    with Store(postgres_url) as store:
        store.db.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StateError, match="version 9999, this gateway needs 0001"):
        Store(postgres_url)
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StateError, match="version 9999"):
        Store(path)


def test_the_schema_version_is_the_last_migration() -> None:
    """The version the gateway needs is the head of its Alembic migrations (a new migration
    without a new SCHEMA_VERSION, or the reverse, fails here)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from edi_gateway.store.versions import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_VERSION]


def test_a_sqlite_database_from_before_versions_is_stamped(tmp_path: Path) -> None:
    """A SQLite ledger made before schema versions were recorded (no ``alembic_version``)
    opens and is stamped at the head; ``db upgrade`` on it then has nothing to do."""
    path = tmp_path / "var" / "gateway.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE alembic_version")
    with Store(path) as store:
        assert store.db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    config = support.write_config(tmp_path)
    assert main(["db", "upgrade", "--config", str(config)]) == 0


def _draw(url: str, count: int, queue: multiprocessing.Queue) -> None:
    with Store(url) as store:
        queue.put([store.next_value("idflux:TEST01") for _ in range(count)])


def test_processes_drawing_one_counter_never_get_the_same_value(postgres_url: str) -> None:
    """Four processes draw 100 values each from one counter at once: 400 distinct values,
    exactly 1 to 400 (the writers' lock serialises the increments)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_draw, args=(postgres_url, 100, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    drawn = [value for _ in workers for value in queue.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(drawn) == list(range(1, 401))


def test_the_daemon_on_a_postgresql_ledger(postgres_url: str, tmp_path: Path) -> None:
    """The real daemon with ``database = "postgresql://..."``: three example files dropped in
    ``inbound/`` end as three done fluxes in PostgreSQL (one accepted and made available, one
    rejected by reception, one duplicate of the first), each with its CPP report."""
    config = _config(tmp_path, postgres_url)
    examples = ROOT / "examples"
    drops = {
        "a.xml": examples / "02-ok-ubl-mairie-services-techniques.xml",
        "b.xml": examples / "11-rej-service-obligatoire.xml",
        "c.xml": examples / "02-ok-ubl-mairie-services-techniques.xml",
    }
    log = (tmp_path / "console.log").open("wb")
    gateway = support.start_daemon(config, stderr=log)
    try:
        for name, source in drops.items():
            shutil.copyfile(source, tmp_path / "inbound" / f".{name}.part")
            (tmp_path / "inbound" / f".{name}.part").rename(tmp_path / "inbound" / name)
            if name == "a.xml":  # the duplicate comes after the first is done
                assert support.wait_until(lambda: len(_done(postgres_url)) == 1, 120)

        assert support.wait_until(lambda: len(_done(postgres_url)) == 3, 120), _done(postgres_url)
    finally:
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=60) == 0
        log.close()
    verdicts = {row["original_name"]: row["verdict"] for row in _done(postgres_url)}
    assert verdicts == {"a.xml": "accepted", "b.xml": "rejected", "c.xml": "inadmissible"}
    with Store(postgres_url) as store:
        rows = {row.original_name: row for row in store.fluxes()}
        assert [rows[name].reason for name in drops] == [None, "REJ_COH", "IRR_UNCITE"]
        (invoice,) = store.invoices_of_flux(rows["a.xml"].id_flux)
        assert invoice.status_name == "MISE_A_DISPOSITION"
        first = rows["a.xml"].id_flux
        assert {Path(p).name for p in rows["a.xml"].outputs} == {
            f"CSO1100A_EDIGW1_{first}.xml",
            f"FEN0036A_EDIGW1_{first}.xml",
            f"FEN1200A_EDIGW1_{first}.xml",
            f"{first}__a.xml",
        }
    for row in rows.values():  # every output the ledger names is there
        assert all(Path(p).is_file() for p in row.outputs), row
    assert not list((tmp_path / "var").glob("*.sqlite3")), "no SQLite ledger beside PostgreSQL"


def _done(url: str) -> list[dict[str, object]]:
    try:
        with Store(url) as store:
            return [
                {"original_name": r.original_name, "verdict": r.verdict}
                for r in store.fluxes()
                if r.done
            ]
    except StateError:
        return []


def test_a_password_never_shows_in_messages() -> None:
    """The URL in an error message or a command's output hides the password, in either form."""
    from edi_gateway.store.postgres import redact

    assert redact("postgresql://gw:s3cret@db/edigw") == "postgresql://gw:***@db/edigw"
    assert redact("postgresql://db/edigw?user=gw&password=s3cret&sslmode=require") == (
        "postgresql://db/edigw?user=gw&password=***&sslmode=require"
    )
    assert redact("postgresql://gw@/edigw?host=/run/pg") == "postgresql://gw@/edigw?host=/run/pg"


def test_a_connection_the_server_dropped_is_opened_again(postgres_url: str) -> None:
    """The server ends the gateway's connection (a restart, a failover): the next statement
    opens a new one and the instance lock is taken again; a transaction whose connection
    dropped fails as a whole with a StateError (nothing half-replayed)."""
    import psycopg

    def drop(store: Store) -> None:
        pid = store.db.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        with psycopg.connect(postgres_url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with Store(postgres_url) as store:
        assert store.postgres is not None and store.postgres.hold_instance(7)
        assert store.next_value("x") == 1
        drop(store)
        assert store.next_value("x") == 2
        with psycopg.connect(postgres_url, autocommit=True) as other:
            taken = other.execute("SELECT pg_try_advisory_lock(%s, 7)", (0x45444749,))
            assert taken.fetchone()[0] is False, "the instance lock was taken again"
        with pytest.raises(StateError, match="connection lost"), store.transaction() as db:
            store._bump(db, "x")
            drop(store)
            store._bump(db, "x")
        assert store.next_value("x") == 3


@pytest.mark.parametrize(
    "value", ["POSTGRESQL://gw:hunter2@/db", " postgresql://gw@/db", "mysql://gw@/db"]
)
def test_a_database_url_of_another_form_is_refused_not_taken_for_a_file(
    value: str, tmp_path: Path
) -> None:
    """A URL the gateway does not support is a configuration error, never a SQLite file
    named after it (with the password in its name)."""
    from edi_gateway.core import config as config_module
    from edi_gateway.core.errors import ConfigError

    config = support.write_config(tmp_path, database=value)
    with pytest.raises(ConfigError, match="is not supported"):
        config_module.load(config)
    assert not [p for p in tmp_path.rglob("*") if "://" in str(p) or ":" in p.name]
