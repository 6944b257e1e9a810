"""Structured logs (structlog): JSON lines to the log file, readable lines on the console.

Every line carries an ISO 8601 UTC ``timestamp``, a ``level`` and an ``event`` name from the
catalog in ``docs/architecture.md`` (``flux.claimed``, ``flux.done`` ...). The fields bound with
:func:`bound_flux` (``id_flux``, ``file``, ``channel``) are added to every line logged inside the
block, in whichever process logs it (each worker process calls :func:`configure` itself).

Several processes append to one file: it is opened with ``O_APPEND`` and each line is written
with a single ``os.write``, so lines never interleave. A failing write (disk full, file removed,
console closed) is swallowed: logging never stops processing.

Safety net: every value goes through :func:`edi_gateway.core.redaction.redact` (no XML, no
IBAN, bounded length) before it is written.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

from edi_gateway.core.config import Config
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.redaction import redact
from edi_gateway.core.terminal import json_text

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


class _Sinks:
    """Where rendered lines go: the JSON log file (fd, O_APPEND) and optionally the console."""

    def __init__(self, log_file: Path | None, console: TextIO | None) -> None:
        self.fd: int | None = None
        self.console = console
        self.console_renderer: Any = None
        if console is not None:
            if _isatty(console):
                self.console_renderer = structlog.dev.ConsoleRenderer(colors=True)
            else:
                self.console_renderer = structlog.processors.KeyValueRenderer(
                    key_order=["timestamp", "level", "event"], drop_missing=True
                )
        if log_file is not None:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)

    def emit(self, _logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
        """Final processor: write the line to every sink, then drop the event."""
        if self.fd is not None:
            try:
                line = json_text(event_dict, default=str) + "\n"
                os.write(self.fd, line.encode("utf-8", "backslashreplace"))
            except Exception:  # noqa: S110 - a logging failure never stops processing
                pass
        if self.console is not None and self.console_renderer is not None:
            try:
                text = self.console_renderer(_logger, method, dict(event_dict))
                self.console.write(f"{text}\n")
                self.console.flush()
            except Exception:  # noqa: S110 - a logging failure never stops processing
                pass
        raise structlog.DropEvent


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


_current: _Sinks | None = None


class LogFileError(ConfigError, OSError):
    """``gateway.log_file`` cannot be created or opened (a configuration error and an OSError)."""


def configure(
    config: Config | None, *, console: bool, level: str | None = None, stream: TextIO | None = None
) -> None:
    """Set up structlog for this process (call once in the daemon and once in each worker).

    Args:
        config: gateway configuration; its ``log_file`` (folder created when missing) receives
            JSON lines and ``log_level`` filters. None: no log file (console only).
        console: also write readable lines to ``stream`` (default ``sys.stderr``): structlog's
            console renderer on a terminal, plain ``key=value`` otherwise.
        level: overrides ``config.log_level`` (``debug``, ``info``, ``warning``, ``error``).
        stream: console stream, for tests.

    Raises:
        LogFileError: the log file cannot be created or opened (a folder such as ``/etc``,
            no permission, a file in the way of its folder). It is a ``ConfigError`` (the CLI
            prints one line and exits 2) and an ``OSError`` (callers that fall back to no log
            file on ``OSError`` keep doing so).
    """
    global _current
    if _current is not None and _current.fd is not None:
        os.close(_current.fd)
        _current.fd = None
    chosen = level or (config.log_level if config is not None else "info")
    try:
        _current = _Sinks(
            config.log_file if config is not None else None,
            (stream or sys.stderr) if console else None,
        )
    except OSError as exc:
        where = f"{config.path}: " if config is not None else ""
        log_file = config.log_file if config is not None else None
        raise LogFileError(
            f"{where}gateway.log_file {log_file} cannot be opened for appending: "
            f"{exc.strerror or exc}"
        ) from exc
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            structlog.processors.format_exc_info,
            redact,
            _current.emit,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(chosen, logging.ERROR)),
        logger_factory=structlog.ReturnLoggerFactory(),
        cache_logger_on_first_use=False,
    )


def get_logger(**initial: Any) -> Any:
    """Return a structlog logger (with ``initial`` fields bound) for the current configuration."""
    return structlog.get_logger(**initial)


@contextmanager
def bound_flux(id_flux: str, file: str, channel: str, **extra: Any) -> Iterator[None]:
    """Bind ``id_flux``, ``file`` (readable original name) and ``channel`` to every line logged
    inside the block by this thread or task (structlog.contextvars)."""
    with structlog.contextvars.bound_contextvars(
        id_flux=id_flux, file=file, channel=channel, **extra
    ):
        yield


@contextmanager
def stage(name: str, **fields: Any) -> Iterator[MutableMapping[str, Any]]:
    """Time a processing stage; on exit log ``event`` (``fields['event']``, default
    ``stage.done``) at debug level with ``stage`` and ``duration_ms`` (milliseconds, 0.1 ms).

    Yields a dict the block may fill with extra keys for that line.
    """
    event = fields.pop("event", "stage.done")
    extra: dict[str, Any] = dict(fields)
    start = time.perf_counter()
    try:
        yield extra
    finally:
        ms = round((time.perf_counter() - start) * 1000, 1)
        get_logger().debug(event, stage=name, duration_ms=ms, **extra)


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a ``time.perf_counter()`` value), rounded to 0.1 ms."""
    return round((time.perf_counter() - start) * 1000, 1)


def log_config_in_force(config: Config) -> None:
    """Log ``gateway.config``: the configuration file in force and where it came from
    (``--config``, ``./config.toml`` or the packaged demo config). Commands that log call it
    right after :func:`configure`, so it is their first line."""
    structlog.get_logger("edi_gateway").info(
        "gateway.config", config=str(config.path), source=config.source
    )


def configure_log_file_only(config: Config, command: str) -> None:
    """Set up logging for a one-shot command whose standard output is its report (``process``,
    ``status set``): lines go to the log file only, the first one ``gateway.config``.

    A log file that cannot be opened does not stop the command: one line
    ``edi-gateway <command>: log file not written: <why>`` goes to standard error and the
    command runs without a log file.
    """
    try:
        configure(config, console=False)
    except OSError as exc:
        print(f"edi-gateway {command}: log file not written: {exc}", file=sys.stderr)
        configure(None, console=False)
        return
    log_config_in_force(config)
