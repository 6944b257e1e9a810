"""Portail mode: the web pages where trainees, suppliers and public entities see and act, on the
Service mode's application (same process, engine and ledger)."""
