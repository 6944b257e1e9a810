"""Alembic environment of the ledger's migrations (run by ``edi_gateway.store.versions.upgrade``,
which passes its open SQLAlchemy connection as ``config.attributes["connection"]``)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
