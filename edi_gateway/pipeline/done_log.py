"""After a crash, the missing ``flux.done`` lines: one per flux, even when the gateway was killed.

Job: a flux is recorded ``done`` (the database commit, the point of no return), its original is
put away, then ``flux.done`` is logged (protocol step 4, ``docs/architecture.md``). A SIGKILL or
a power cut between the commit and that line leaves a finished flux with no ``flux.done``, and
operators who count those lines (one per file, the operations promise) miss one. At start-up,
:func:`log_missing_done` reads the log file backwards up to the last clean stop
(``gateway.stopped``), collects the IdFlux of every ``flux.done`` written since, and logs
``flux.done`` (``recovered=true``) for each flux the store says finished after that stop
without one.

Exactly once: the line is written with one ``write`` (:mod:`edi_gateway.core.logs`), so after a
kill it is either in the file or not; the store decides which fluxes are done. After a clean
stop the reading ends at the file's last lines (fast path). When the log file is missing or was
rotated, only fluxes finished after its first line are considered: nothing older is re-logged.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edi_gateway.core import logs
from edi_gateway.core.config import Config
from edi_gateway.core.errors import GatewayError
from edi_gateway.core.records import Claim
from edi_gateway.pipeline import finish
from edi_gateway.pipeline.recovery import find_work_file
from edi_gateway.store.database import Store
from edi_gateway.store.records import FluxRow

BLOCK = 1 << 20  # bytes read at a time from the end of the log
_DONE, _STOPPED = b'"flux.done"', b'"gateway.stopped"'


def log_missing_done(config: Config, store: Store) -> int:
    """Log ``flux.done`` for every flux finished since the last clean stop without one.

    Args:
        config: gives ``log_file`` and the ``var/`` folders. store: the gateway store.

    Returns:
        How many lines were logged (0 after a clean stop, or when there is no log file).

    Raises:
        StateError: the database cannot be read.
    """
    since, logged = _logged_since_clean_stop(config.log_file)
    if since is None:
        return 0
    missing = [row for row in store.fluxes_finished_after(since) if row.id_flux not in logged]
    if missing:
        _end_torn_line(config.log_file)
    log = logs.get_logger()
    for row in missing:
        with logs.bound_flux(row.id_flux, row.original_name, row.channel):
            _log_done(config, row, log)
    if missing:
        log.warning("log.recovered", flux_done=len(missing), since=since)
    return len(missing)


def _log_done(config: Config, row: FluxRow, log: Any) -> None:
    """Log the ``flux.done`` of a done row (its original is put away if still in ``var/work``)."""
    claim = Claim(
        id_flux=row.id_flux,
        channel=row.channel,
        work_path=find_work_file(config, row.id_flux) or config.work_dir / row.id_flux / "gone",
        original_name=row.original_name,
        sha256=row.sha256,
        size=row.size,
        received_at=row.received_at,
    )
    with contextlib.suppress(GatewayError, OSError):
        outcome = finish.already_done(config, claim, row, 0.0)
        finish.log_done(log, outcome, recovered=True)
        return
    log.info("flux.done", verdict=row.verdict, reason=row.reason, recovered=True)


def _end_torn_line(log_file: Path) -> None:
    """Append a newline when the file's last line was cut (a power cut mid-write), so that the
    next line is whole and readable."""
    with contextlib.suppress(OSError), log_file.open("rb+") as handle:
        if handle.seek(0, os.SEEK_END) == 0:
            return
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) != b"\n":
            handle.write(b"\n")


def _logged_since_clean_stop(log_file: Path) -> tuple[str | None, set[str]]:
    """``(moment, ids)``: the time of the last ``gateway.stopped`` (else of the file's first
    line) in :func:`~edi_gateway.store.connection.utc_now` form, and the IdFlux of the
    ``flux.done`` lines after it. ``(None, set())`` when the file cannot be read or is empty."""
    ids: set[str] = set()
    first: dict[str, Any] | None = None
    try:
        for line in _lines_backwards(log_file):
            if _DONE not in line and _STOPPED not in line:
                continue
            record = _record(line)
            if record.get("event") == "gateway.stopped":
                return _moment(record), ids
            if record.get("event") == "flux.done" and isinstance(record.get("id_flux"), str):
                ids.add(record["id_flux"])
        with log_file.open("rb") as handle:
            first = _record(handle.readline())
    except OSError:
        return None, set()
    return (_moment(first) if first else None), ids


def _lines_backwards(path: Path) -> Iterator[bytes]:
    """The lines of ``path`` from the last to the first, read :data:`BLOCK` bytes at a time."""
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        rest = b""
        while end > 0:
            start = max(0, end - BLOCK)
            handle.seek(start)
            lines = (handle.read(end - start) + rest).split(b"\n")
            end, rest = start, lines[0]
            yield from (line for line in reversed(lines[1:]) if line)
        if rest:
            yield rest


def _record(line: bytes) -> dict[str, Any]:
    """The JSON object of one log line; empty when it is not one (a torn or foreign line)."""
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _moment(record: dict[str, Any]) -> str | None:
    """The line's ``timestamp`` as ``2026-11-29T22:17:36.123+00:00`` (UTC), or None."""
    try:
        moment = datetime.fromisoformat(str(record.get("timestamp")))
    except ValueError:
        return None
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="milliseconds")
