"""Exceptions: our own failures, never the sender's.

A broken document is data (findings in a report, then a rejection status). A broken
configuration, disk or engine is an exception::

    GatewayError
     ├── ConfigError        config.toml or a rules/ file is missing or invalid
     ├── ArtefactError      a schema or stylesheet cannot be found or compiled
     └── StateError         the SQLite state cannot be read or written
"""


class GatewayError(Exception):
    """Root of the errors the gateway raises for its own failures."""


class ConfigError(GatewayError):
    """A configuration or rules file is missing, malformed or inconsistent."""


class ArtefactError(GatewayError):
    """A schema or stylesheet cannot be located, loaded or compiled."""


class StateError(GatewayError):
    """The gateway's SQLite state cannot be read or written."""
