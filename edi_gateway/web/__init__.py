"""Service mode (the Chorus Pro API over HTTP) and, later, the Portail: one ASGI application on
the gateway's own engine and ledger (``docs/architecture.md``, stage ``web``)."""
