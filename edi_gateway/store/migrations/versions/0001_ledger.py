"""The ledger's first schema: flux, invoice, status_event, sequence, deposit, draft,
structure_change, portal_session (``edi_gateway.store.schema``, version 0001).

Revision ID: 0001
Revises: (none)
"""

from alembic import op

from edi_gateway.store.schema import SCHEMA, postgres_ddl

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables (``IF NOT EXISTS``: a SQLite database made before versions were
    recorded already has them)."""
    ddl = postgres_ddl(SCHEMA) if op.get_bind().dialect.name == "postgresql" else SCHEMA
    for statement in filter(None, (s.strip() for s in ddl.split(";"))):
        op.execute(statement)


def downgrade() -> None:
    """Not supported: the ledger is the gateway's record of what it did."""
    raise NotImplementedError("the ledger's first schema cannot be removed by a migration")
