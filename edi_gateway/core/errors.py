"""Exceptions: our own failures, never the sender's.

A broken document is data (findings in a report, then a rejection status). A broken
configuration, disk or engine is an exception::

    GatewayError
     ├── ConfigError        config.toml or a rules/ file is missing or invalid
     │    └── LogFileError  the log file cannot be opened (core.logs; also an OSError)
     ├── ArtefactError      a schema or stylesheet cannot be found or compiled
     │    └── PivotError    the pivot transform failed (outputs.pivot)
     ├── StateError         the SQLite state cannot be read or written
     └── OutputError        an output cannot be written or an original put away
          └── InputUnreadable  a file given to `process` cannot be read (that file is skipped)

Outside the tree, because they describe input, not our failures, and never leave the stage
that raises them: ``xmlsafe.XmlProblem`` (bytes that cannot be parsed safely: a finding),
``recipient_status_read.Malformed`` (an unusable CPPStatut file: its findings),
``readlimit.NotRegularFile`` (an ``OSError``: a path that is no regular file),
``lifecycle.table.UnknownStatus`` (a ``LookupError``) and ``cli.validate.UsageError`` (bad
command-line arguments, exit code 2) and ``web.errors.ApiError`` (a call the Service mode cannot
serve: its HTTP status and ``codeRetour``, turned into the answer) and
``web.portal.common.LoginRequired`` (a portal page asked without a session: a redirect to the
login page) and ``pipeline.delivery.AlreadyDone`` (another run of the same flux committed first:
the engine only puts the original away). tests/test_layout.py checks this list is whole.
"""


class GatewayError(Exception):
    """Root of the errors the gateway raises for its own failures."""


class ConfigError(GatewayError):
    """A configuration or rules file is missing, malformed or inconsistent."""


class ArtefactError(GatewayError):
    """A schema or stylesheet cannot be located, loaded or compiled."""


class StateError(GatewayError):
    """The gateway's database (the ledger) cannot be read or written."""


class OutputError(GatewayError):
    """An output file or folder cannot be written, or an original cannot be put away."""


class InputUnreadable(OutputError):
    """A file a user handed to the one-shot ``process`` command cannot be read (permissions,
    I/O error): that file is skipped, the others are processed."""
