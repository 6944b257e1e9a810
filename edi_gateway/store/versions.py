"""Schema versions of the ledger: the version a database records, the check at open, upgrades.

Job: every database records its schema version in Alembic's own table (``alembic_version``,
one row); the gateway opens only a database at :data:`~edi_gateway.store.schema.SCHEMA_VERSION`.
An embedded SQLite database is created at the head on open and stamped (:func:`stamp`); a
PostgreSQL database is made or brought to the head by :func:`upgrade` (``edi-gateway db
upgrade``, the Alembic migrations of ``store/migrations/``) and checked at every open
(:func:`check`). Alembic and SQLAlchemy are imported by :func:`upgrade` only, never on the hot
path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edi_gateway.core.errors import StateError
from edi_gateway.store.schema import SCHEMA_VERSION

TABLE = "alembic_version"
MIGRATIONS = Path(__file__).with_name("migrations")


def stamp(db: Any, where: str) -> None:
    """Record :data:`SCHEMA_VERSION` in a SQLite database created at the head (or made before
    versions were recorded: its tables are the head's); refuse one of another version.

    Raises:
        StateError: the database records another schema version.
    """
    db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (version_num VARCHAR(32) PRIMARY KEY)")
    db.execute(
        f"INSERT INTO {TABLE} (version_num) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM {TABLE})",
        (SCHEMA_VERSION,),
    )
    _same(recorded(db), where)


def recorded(db: Any) -> str | None:
    """The schema version ``db`` records, or None (no version table, or an empty one)."""
    row = db.execute(f"SELECT version_num FROM {TABLE}").fetchone()
    return None if row is None else str(row["version_num"])


def check(db: Any, where: str) -> None:
    """Refuse a PostgreSQL database that is not at :data:`SCHEMA_VERSION`.

    Raises:
        StateError: no schema yet, or another version: the message says to run ``edi-gateway
            db upgrade``.
    """
    try:
        found = db.execute("SELECT to_regclass(?) IS NOT NULL AS present", (TABLE,)).fetchone()[
            "present"
        ] and recorded(db)
    except Exception as exc:  # the driver's error: the server refused the query
        raise StateError(f"{where}: cannot read the schema version: {exc}") from exc
    if not found:
        raise StateError(
            f"{where}: the database has no gateway schema yet: run `edi-gateway db upgrade`"
        )
    _same(str(found), where)


def _same(found: str | None, where: str) -> None:
    if found != SCHEMA_VERSION:
        raise StateError(
            f"{where}: the database schema is version {found}, this gateway needs "
            f"{SCHEMA_VERSION}: run `edi-gateway db upgrade` (or use the gateway that made it)"
        )


def sqlalchemy_url(database: Path | str) -> str:
    """The SQLAlchemy URL of ``database`` (a SQLite path or a ``postgresql://`` URL)."""
    text = str(database)
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return f"sqlite:///{Path(text).resolve()}"


def upgrade(database: Path | str, revision: str = "head") -> str:
    """Bring ``database`` to ``revision`` with the Alembic migrations; return the version it
    records afterwards. Creates the schema on an empty database.

    Raises:
        StateError: Alembic or the database failed (the message says which).
    """
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    if not str(database).startswith(("postgresql://", "postgres://")):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = None
    try:
        engine = create_engine(sqlalchemy_url(database))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        with engine.connect() as connection:
            return str(connection.execute(text(f"SELECT version_num FROM {TABLE}")).scalar_one())
    except Exception as exc:  # SQLAlchemy's and the driver's errors
        raise StateError(f"cannot upgrade the gateway database: {quiet(exc, database)}") from exc
    finally:
        if engine is not None:
            engine.dispose()


def quiet(exc: BaseException, database: Path | str) -> str:
    """The first line of ``exc``'s message (SQLAlchemy appends the SQL and a help link), with
    the password of ``database`` hidden."""
    from edi_gateway.store import postgres

    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return postgres.hide_secrets(first, str(database))
