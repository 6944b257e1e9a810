"""``edi-gateway db``: the ledger's schema version.

``db upgrade`` brings the configured database (``gateway.database``: a SQLite file or a
``postgresql://`` URL) to this gateway's schema with the Alembic migrations, creating the
tables on an empty database; a PostgreSQL ledger needs it once before the first ``run`` and
after each upgrade of the gateway. ``db version`` prints the version the database records and
the one this gateway needs. Exit 0; 1 when ``db version`` finds the two differ; 2 for a
configuration or database error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from edi_gateway.core import config as config_module
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.errors import StateError
from edi_gateway.store import postgres, versions
from edi_gateway.store.schema import SCHEMA_VERSION


def add_parser(subparsers: Any) -> None:
    """Register ``db upgrade`` and ``db version`` on the top-level parser."""
    parser = subparsers.add_parser(
        "db",
        help="the ledger's schema: upgrade it, show its version",
        description="Create or upgrade the gateway database schema (Alembic migrations).",
    )
    actions = parser.add_subparsers(dest="db_action", required=True, metavar="ACTION")
    for name, text in (
        ("upgrade", "create the schema or bring it to this gateway's version"),
        ("version", "print the schema version the database records and the one needed"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        add_config_argument(action)
        action.set_defaults(handler=run)


def _where(database: object) -> str:
    return postgres.redact(str(database))


def run(args: argparse.Namespace) -> int:
    """Run ``db upgrade`` or ``db version``.

    Raises:
        ConfigError: the configuration is invalid. StateError: the database failed.
    """
    config = config_module.load(args.config)
    if args.db_action == "upgrade":
        upgraded = versions.upgrade(config.database)
        print(f"{_where(config.database)}: schema version {upgraded}")
        return 0
    found = _recorded(config.database)
    print(f"{_where(config.database)}: schema version {found or 'none'} (needed {SCHEMA_VERSION})")
    return 0 if found == SCHEMA_VERSION else 1


def _recorded(database: object) -> str | None:
    """The version ``database`` records, read without creating anything.

    Raises:
        StateError: the database cannot be read.
    """
    from sqlalchemy import create_engine, inspect, text

    if not postgres.is_url(database) and not Path(str(database)).exists():
        return None
    engine = None
    try:
        engine = create_engine(versions.sqlalchemy_url(str(database)))
        with engine.connect() as connection:
            if not inspect(connection).has_table(versions.TABLE):
                return None
            value = connection.execute(text("SELECT version_num FROM alembic_version"))
            found = value.scalar()
            return None if found is None else str(found)
    except Exception as exc:  # SQLAlchemy's and the driver's errors
        why = versions.quiet(exc, str(database))
        raise StateError(f"{_where(database)}: cannot read the schema version: {why}") from exc
    finally:
        if engine is not None:
            engine.dispose()
