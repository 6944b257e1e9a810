"""Structured logs (structlog): JSON lines to the log file, readable lines on the console.

Every line carries an ISO 8601 UTC ``timestamp``, a ``level`` and an ``event`` name from the
catalog in ``docs/architecture.md`` (``flux.claimed``, ``flux.done`` ...). The fields bound with
:func:`bound_flux` (``id_flux``, ``file``, ``channel``) are added to every line logged inside the
block, in whichever process logs it (each worker process calls :func:`configure` itself).

Several processes append to one file: it is opened with ``O_APPEND`` and each line is written
with a single ``os.write``, so lines never interleave. A failing write (disk full, file removed,
console closed) is swallowed: logging never stops processing.

Safety net (the log must never carry document content or personal data): every string value
that looks like XML is replaced by ``[xml removed]``, every IBAN by ``[iban removed]`` (any
case, inside longer tokens, behind any separator, Unicode space or dash, invisible character or
fullwidth form: see :func:`redact_ibans`; the country's IBAN length and a valid mod-97 check tell
it from an invoice number), and long strings are truncated to
:data:`MAX_VALUE_CHARS`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import unicodedata
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

from edi_gateway.core.config import Config
from edi_gateway.core.errors import ConfigError

MAX_VALUE_CHARS = 300
XML_REMOVED = "[xml removed]"
IBAN_REMOVED = "[iban removed]"
# Keys set by the gateway itself, never redacted (an IdFlux can look like an IBAN).
TRUSTED_KEYS = frozenset({"timestamp", "level", "event", "id_flux", "channel", "stage"})

_XML = re.compile(r"<\s*[?!A-Za-z_][^<>]*>")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


# IBAN length per country code (SWIFT IBAN registry, ISO 13616, plus the countries of the
# partial / national registries); a country code not listed is not an IBAN.
_IBAN_COUNTRIES = (
    (15, "NO"),
    (16, "BE"),
    (18, "DK FI FK FO GL NL SD"),
    (19, "MK SI"),
    (20, "AT BA EE KZ LT LU MN XK"),
    (21, "CH HR LI LV"),
    (22, "BG BH CR DE GB GE IE ME RS VA"),
    (23, "AE GI IL IQ OM SO TL"),
    (24, "AD CZ ES MD PK RO SA SE SK TN VG"),
    (25, "AO CV GW LY MZ ST"),
    (26, "DZ IR IS TR"),
    (27, "BI CF CG CM DJ FR GA GQ GR IT KM MC MG MR SM TD BL GF GP MF MQ NC PF PM RE TF WF YT"),
    (28, "AL AZ BF BJ BY CI CY DO GT HN HU LB ML NE NI PL SN SV"),
    (29, "BR EG PS QA UA"),
    (30, "JO KW MU YE"),
    (31, "MT SC"),
    (32, "LC"),
    (33, "RU"),
)
_IBAN_LENGTHS = {code: length for length, codes in _IBAN_COUNTRIES for code in codes.split()}
# Folding for detection: characters that separate IBAN groups (ASCII punctuation seen in
# file names and notes; Unicode spaces Z*, controls Cc such as tab, dashes Pd, connectors Pc such
# as "_" are added by category) and characters skipped as if absent (format characters Cf and the
# other Unicode default-ignorable code points: combining grapheme joiner, Hangul fillers,
# variation selectors ...). Source: Unicode 15 DerivedCoreProperties (Default_Ignorable_Code_Point).
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_SEPARATOR_CHARS = frozenset(" .-_:+,;/\u2212")
_SEPARATOR_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Pd", "Pc"})
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x2800, 0x2800),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
_MAX_GAP = 4  # separators in a row between two IBAN characters ("FR76 - 3000" has three)
_SCAN_CHARS = 10_000  # a value is cut here before the scan; the log keeps 300 characters

_SKIP, _SEPARATOR, _BREAK = "", " ", "|"


def _iban_checks(compact: str) -> bool:
    """True when ``compact`` (upper case, no separators) passes the ISO 13616 / ISO 7064
    mod-97 check of an IBAN."""
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _fold_char(char: str) -> str:
    """Detection form of one character: upper-case ASCII letters / digits (NFKC: fullwidth
    forms; any decimal digit), ``_SKIP`` (invisible), ``_SEPARATOR`` or ``_BREAK``."""
    code = ord(char)
    if char in _ALNUM:
        return char.upper()
    category = unicodedata.category(char)
    if category == "Cf" or any(low <= code <= high for low, high in _IGNORABLE_RANGES):
        return _SKIP
    if char in _SEPARATOR_CHARS or category in _SEPARATOR_CATEGORIES:
        return _SEPARATOR
    if category == "Nd":
        return str(unicodedata.decimal(char))
    folded = unicodedata.normalize("NFKC", char)
    if folded and all(ch in _ALNUM for ch in folded):
        return folded.upper()
    return _BREAK


def _fold(text: str) -> tuple[list[str], list[int], list[int]]:
    """Alphanumeric characters of ``text`` in detection form, with for each its original
    index and the number of separators just before it; a ``_BREAK`` character is kept as
    ``"|"`` (it ends any IBAN)."""
    chars: list[str] = []
    where: list[int] = []
    gaps: list[int] = []
    gap = 0
    for index, char in enumerate(text):
        folded = _fold_char(char)
        if folded == _SKIP:
            continue
        if folded == _SEPARATOR:
            gap += 1
            continue
        for ch in folded:  # NFKC may give several characters ("⑩" -> "10")
            chars.append(ch)
            where.append(index)
            gaps.append(gap)
        gap = 0
    return chars, where, gaps


def _iban_at(chars: list[str], gaps: list[int], start: int) -> int | None:
    """Index (in ``chars``) just past an IBAN that starts at ``chars[start]``, or None.

    The IBAN is the country's registry length of letters and digits, at most ``_MAX_GAP``
    separators between two of them, two digits after the country code and a valid mod-97.
    """
    length = _IBAN_LENGTHS.get("".join(chars[start : start + 2]))
    end = start + (length or 0)
    if length is None or end > len(chars):
        return None
    picked = chars[start:end]
    if "|" in picked or any(gap > _MAX_GAP for gap in gaps[start + 1 : end]):
        return None
    compact = "".join(picked)
    if not compact[2:4].isdigit():
        return None
    return end if _iban_checks(compact) else None


def redact_ibans(text: str) -> str:
    """Replace every IBAN in ``text`` by ``[iban removed]``, the whole original span.

    Detection works on a folded copy (:func:`_fold_char`): any case; NFKC (fullwidth digits and
    letters); ``_``, ``.``, ``-``, ``:``, ``+``, ``,``, ``;``, ``/``, tab, any Unicode space or
    dash as separators (up to four in a row: ``FR76 - 3000``); zero-width, format and other
    default-ignorable characters skipped; IBANs inside longer tokens found. The country length
    and the mod-97 check keep invoice numbers that merely look like an IBAN; a false positive
    is preferred to a leak. Source: ISO 13616-1 (IBAN structure), ISO 7064 (MOD 97-10).
    """
    chars, where, gaps = _fold(text)
    parts: list[str] = []
    kept = index = 0
    while index <= len(chars) - 15:
        end = _iban_at(chars, gaps, index) if chars[index] != "|" else None
        if end is None:
            index += 1
            continue
        parts += [text[kept : where[index]], IBAN_REMOVED]
        kept = where[end - 1] + 1
        index = end
    return "".join(parts) + text[kept:]


def _clean_text(value: str) -> str:
    """Return ``value`` without XML, IBANs, undecodable characters, cut at MAX_VALUE_CHARS."""
    if _XML.search(value):
        return XML_REMOVED
    value = redact_ibans(value[:_SCAN_CHARS])
    if any("\udc80" <= ch <= "\udcff" for ch in value):  # os.fsdecode surrogateescape
        value = os.fsencode(value).decode("utf-8", "backslashreplace")
    if len(value) > MAX_VALUE_CHARS:
        value = value[:MAX_VALUE_CHARS] + "…"
    return value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, bytes):
        return f"[{len(value)} bytes removed]"
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value[:20]]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in list(value.items())[:20]}
    if value is None or isinstance(value, bool | int | float):
        return value
    return _clean_text(str(value))


def redact(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: drop XML, IBANs and bytes from values, truncate long strings.

    Keys in :data:`TRUSTED_KEYS` are left as they are. Returns the cleaned event dict.
    """
    for key, value in list(event_dict.items()):
        if key not in TRUSTED_KEYS:
            event_dict[key] = _clean(value)
    return event_dict


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
                line = json.dumps(event_dict, ensure_ascii=False, default=str) + "\n"
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
