"""The ledger's tables, as SQLite DDL (created on open when missing).

Tables:
    ``flux``: one row per file taken from an inbound channel (IdFlux, sha256, original name,
        channel, received at, detection, verdict, recipient, outputs, processing state).
    ``invoice``: one row per invoice made available (or rejected) by reception, with its
        current CPP status; ``id`` is the CPP invoice id (IdFacture CPP).
    ``status_event``: every status an invoice went through (time, actor, motif, comment,
        mandate number, 2026 reform code), append-only.
    ``sequence``: named counters (IdFlux sequence, ...).
    ``deposit``: who deposited a flux over HTTP (Service mode), with the ``syntaxeFlux`` and
        ``avecSignature`` the request declared; a flux dropped in a folder has no row.
    ``draft``: invoices entered on the portal and saved as "brouillon" (the form, as JSON).
    ``structure_change``: every edit of a fiche structure made on the portal (who, when, what).
    ``portal_session``: the portal's open sessions (a logout or an expiry ends one for good).

The records the rows become are in :mod:`edi_gateway.store.records`.

Versions: :data:`SCHEMA` is the head schema (``SCHEMA_VERSION``), as SQLite DDL; the same
tables on PostgreSQL are :func:`postgres_ddl` of it. A database records its version in
``alembic_version``; the Alembic migrations under ``store/migrations/`` (``edi-gateway db
upgrade``) bring an older one to the head, and every change of the tables is a new migration
with the new :data:`SCHEMA_VERSION`. An embedded SQLite database is created (or brought to the
head) on open; a PostgreSQL database must be upgraded by ``edi-gateway db upgrade`` first
(``store.versions.check``).
"""

import re

#: The head schema version (the last Alembic revision under ``store/migrations/versions/``).
SCHEMA_VERSION = "0001"

#: Tables whose ``id`` the database draws (the insert reads it back).
SERIAL_TABLES = frozenset({"invoice", "status_event", "draft", "structure_change"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS sequence (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS flux (
    id_flux         TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    original_name   TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    work_path       TEXT,
    state           TEXT NOT NULL DEFAULT 'claimed',
    attempts        INTEGER NOT NULL DEFAULT 0,
    syntax          TEXT,
    flux_syntax     TEXT,
    profile         TEXT,
    verdict         TEXT,
    reason          TEXT,
    recipient_siret TEXT,
    service_code    TEXT,
    seller_id       TEXT,
    error_count     INTEGER,
    outputs         TEXT,
    finished_at     TEXT
);
CREATE INDEX IF NOT EXISTS flux_sha256 ON flux (sha256);
CREATE INDEX IF NOT EXISTS flux_state ON flux (state);
CREATE INDEX IF NOT EXISTS flux_seller ON flux (seller_id);
CREATE INDEX IF NOT EXISTS flux_recipient ON flux (recipient_siret);
CREATE INDEX IF NOT EXISTS flux_received ON flux (received_at);
CREATE TABLE IF NOT EXISTS invoice (
    id              INTEGER PRIMARY KEY,
    id_flux         TEXT NOT NULL REFERENCES flux (id_flux),
    seller_key      TEXT NOT NULL,
    seller_id       TEXT,
    seller_scheme   TEXT,
    seller_name     TEXT,
    number          TEXT NOT NULL,
    issue_date      TEXT,
    issue_year      INTEGER,
    type_code       TEXT,
    recipient_siret TEXT NOT NULL,
    service_code    TEXT,
    engagement      TEXT,
    currency        TEXT,
    amount_due      TEXT,
    status_code     TEXT NOT NULL,
    status_name     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS invoice_key ON invoice (seller_key, number, issue_year);
CREATE INDEX IF NOT EXISTS invoice_recipient ON invoice (recipient_siret);
CREATE INDEX IF NOT EXISTS invoice_seller ON invoice (seller_id);
CREATE TABLE IF NOT EXISTS status_event (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoice (id),
    status_code TEXT NOT NULL,
    status_name TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    motif       TEXT,
    comment     TEXT,
    mandate     TEXT,
    reform_code TEXT,
    id_flux     TEXT,
    flow_file   TEXT
);
CREATE INDEX IF NOT EXISTS status_event_invoice ON status_event (invoice_id);
CREATE TABLE IF NOT EXISTS deposit (
    id_flux      TEXT PRIMARY KEY REFERENCES flux (id_flux),
    account      TEXT NOT NULL,
    flux_syntax  TEXT NOT NULL,
    signed       INTEGER NOT NULL DEFAULT 0,
    sellers      TEXT NOT NULL DEFAULT '[]',
    deposited_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deposit_account ON deposit (account);
CREATE TABLE IF NOT EXISTS draft (
    id       INTEGER PRIMARY KEY,
    login    TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    data     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS draft_login ON draft (login);
CREATE TABLE IF NOT EXISTS structure_change (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    login  TEXT NOT NULL,
    siret  TEXT NOT NULL,
    what   TEXT NOT NULL,
    old    TEXT,
    new    TEXT
);
CREATE INDEX IF NOT EXISTS structure_change_siret ON structure_change (siret);
CREATE TABLE IF NOT EXISTS portal_session (
    id       TEXT PRIMARY KEY,
    login    TEXT NOT NULL,
    expires  REAL NOT NULL
);
"""


def postgres_ddl(sqlite_ddl: str) -> str:
    """``sqlite_ddl`` for PostgreSQL: an ``INTEGER PRIMARY KEY`` (SQLite's rowid) becomes an
    identity column, integers 64-bit (SQLite's INTEGER) and ``REAL`` double precision."""
    ddl = sqlite_ddl.replace(
        "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    )
    ddl = re.sub(r"\bINTEGER\b", "BIGINT", ddl)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", ddl)
