"""``edi-gateway process PATH... [--config FILE] [--channel NAME] [--format text|json]``.

Runs the whole pipeline once per file (folders are walked recursively, in name order) exactly
as the daemon would, on the channel that accepts invoices (or ``--channel``). The user's files
are copied into ``var/work/`` first and are never moved or deleted. Prints, per file, the
IdFlux, syntax, verdict, recipient and service, statuses and output paths; ``--format json``
prints one JSON object per line. Exit 0 when every file was accepted, 1 when one was rejected,
inadmissible, set aside or skipped, 2 on a usage or configuration error.

A path that is no regular file (FIFO, socket, device, broken symbolic link) is named as such and
skipped, never opened; a file that cannot be read (permissions) is named with the reason and
skipped, and the next file is processed. When the engine fails on a file (our failure or a
bug, never the sender's document), the flux is set aside as the daemon does after its last attempt
(``recovery.set_aside``: original copy to ``var/error``, one 93 flux report ``GW-DAEMON-03`` in
``outbound/canaux/<app>/``, the row ``done`` / ``inadmissible``), one line on stderr says why,
and the next file is processed: a flux is never left ``claimed``.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edi_gateway.core import config as config_module
from edi_gateway.core import logs
from edi_gateway.core.config import Channel, Config, add_config_argument
from edi_gateway.core.errors import ConfigError, GatewayError, InputUnreadable
from edi_gateway.core.model import Finding, Layer, Severity, Verdict
from edi_gateway.core.records import Claim
from edi_gateway.core.terminal import json_text, printable
from edi_gateway.pipeline import recovery, set_aside_reasons
from edi_gateway.pipeline.outcome import Outcome, flux_status
from edi_gateway.store.records import FluxState

if TYPE_CHECKING:
    from edi_gateway.pipeline.engine import Engine

WIDTH = 100  # text output: long messages are wrapped at this width, never cut
LABEL = 14  # "  error       ": indent of the value column


def add_parser(subparsers: Any) -> None:
    """Register the command on the top-level parser."""
    parser = subparsers.add_parser(
        "process",
        help="run files once through the whole pipeline (validate, route, emit statuses)",
        description="Run each file once through the gateway pipeline, as if dropped in inbound/.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (recursive)")
    add_config_argument(parser)
    parser.add_argument("--channel", metavar="NAME", help="channel (default: the invoices one)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def files_of(paths: list[str]) -> Iterator[tuple[Path, str | None]]:
    """Yield ``(path, None)`` for each file named and each file under the folders named
    (recursive, sorted), and ``(path, why)`` for a path that is no regular file (to skip).

    Raises:
        FileNotFoundError: a path does not exist.
    """
    for raw in paths:
        path = Path(raw)
        if not os.path.lexists(path):
            raise FileNotFoundError(raw)
        if path.is_dir():
            for entry in sorted(path.rglob("*")):
                if not entry.is_dir():
                    yield entry, not_regular(entry)
        else:
            yield path, not_regular(path)


def not_regular(path: Path) -> str | None:
    """None for a regular file (a symbolic link to one included), else what the path is."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "broken symbolic link" if path.is_symlink() else "cannot be examined"
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return f"not a regular file ({kind})"
    return "not a regular file"


_KINDS = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


def choose_channel(config: Config, name: str | None) -> Channel:
    """The ``--channel`` named, else the first channel that accepts invoices.

    Raises:
        ConfigError: no such channel, or no channel accepts invoices.
    """
    if name:
        return config.channel(name)
    for channel in config.channels:
        if channel.accepts == "invoices":
            return channel
    raise ConfigError(f"{config.path}: no channel accepts invoices")


def run(args: argparse.Namespace) -> int:
    """Process every file; return 0 (all accepted), 1 (one not accepted, set aside or skipped)
    or 2 (usage, configuration, or our own failure before a flux exists)."""
    from edi_gateway.pipeline.engine import Engine

    config = config_module.load(args.config)
    channel = choose_channel(config, args.channel)
    try:
        files = list(files_of(args.paths))
    except FileNotFoundError as exc:
        print(f"edi-gateway process: no such file or folder: {printable(exc)}", file=sys.stderr)
        return 2
    if not files:
        names = ", ".join(printable(p) for p in args.paths)
        print(f"edi-gateway process: no file to process in {names}", file=sys.stderr)
        return 2
    logs.configure_log_file_only(config, "process")  # stdout stays the report
    engine = Engine(config)
    try:
        return process_all(engine, files, channel, args.format)
    finally:
        engine.close()


def process_all(
    engine: Engine, files: list[tuple[Path, str | None]], channel: Channel, fmt: str
) -> int:
    """Run each ``(path, reason to skip or None)`` in order, printing each outcome in ``fmt``.

    Returns:
        0 every file accepted, 1 one not accepted or skipped (no regular file, or one that
        cannot be read), 2 our own failure (the files after it are not processed).
    """
    worst = 0
    for path, skip in files:
        if skip is not None:
            print(f"edi-gateway process: {printable(path)}: {skip}; skipped", file=sys.stderr)
            worst = 1
            continue
        try:
            outcome = process_one(engine, path, channel)
        except InputUnreadable as exc:  # that file only: the others still run
            print(f"edi-gateway process: {printable(exc)}; skipped", file=sys.stderr)
            worst = 1
            continue
        except GatewayError as exc:
            print(f"edi-gateway process: {printable(path)}: {printable(exc)}", file=sys.stderr)
            return 2
        if outcome.verdict is not Verdict.ACCEPTED:
            worst = 1
        print_outcome(path, outcome, fmt)
    return worst


def process_one(engine: Engine, path: Path, channel: Channel) -> Outcome:
    """Claim one file and run it; an engine failure sets the flux aside (see the module doc).

    Raises:
        GatewayError: the file cannot be claimed (unreadable, ``var/work`` not writable), or
            the store failed while setting the flux aside.
    """
    claim = engine.claim_path(path, channel)
    try:
        return engine.process_claimed(claim)
    except Exception as exc:  # ours or a bug: the flux must not stay claimed
        why = f"{type(exc).__name__}: {exc}"
        outcome = set_aside(engine, claim, why)
        print(
            f"edi-gateway process: {printable(path)}: could not be processed ({printable(why)}); "
            f"flux {claim.id_flux} set aside ({outcome.reason})",
            file=sys.stderr,
        )
        return outcome


def set_aside(engine: Engine, claim: Claim, why: str) -> Outcome:
    """Give a flux the engine failed on its terminal status, as the daemon does
    (:func:`edi_gateway.pipeline.recovery.set_aside` with ``GW-DAEMON-03``); a flux already recorded
    (only its put-away failed) keeps its verdict. Returns its outcome from the store row.

    Raises:
        StateError: the row could not be read or updated.
    """
    with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
        logs.get_logger().error("flux.failed", error=why)
    row = engine.store.flux(claim.id_flux)
    if row is None or row.state is not FluxState.DONE:
        recovery.set_aside(
            engine.config, engine.store, claim, set_aside_reasons.FAILED, "1 attempt"
        )
        row = engine.store.flux(claim.id_flux)
    rule, _, message = set_aside_reasons.FAILED
    finding = Finding(
        layer=Layer.DETECT, rule=rule, severity=Severity.ERROR, message=f"{message} ({why})"
    )
    verdict = Verdict(row.verdict) if row and row.verdict else Verdict.INADMISSIBLE
    return Outcome(
        id_flux=claim.id_flux,
        file=claim.original_name,
        channel=claim.channel,
        syntax=(row.syntax if row else None) or "other",
        verdict=verdict,
        reason=row.reason if row else rule,
        flux_status=flux_status(verdict),
        outputs=tuple(Path(p) for p in (row.outputs if row else ())),
        findings=(finding,) if verdict is Verdict.INADMISSIBLE else (),
        error_count=(row.error_count or 0) if row else 1,
    )


def print_outcome(path: Path, outcome: Outcome, form: str) -> None:
    """Print one outcome: a JSON line (with ``path``) or the text block."""
    if form == "json":
        record = outcome.as_dict()
        record["path"] = str(path)
        print(json_text(record))
    else:
        print(render_text(path, outcome))


def render_text(path: Path, outcome: Any) -> str:
    """Human-readable block for one file. Every value that comes from a file name or an
    invoice (path, recipient, service code, messages, output paths) goes through
    :func:`edi_gateway.core.terminal.printable`: ESC, newlines, C1 and bidi controls are shown as
    ``\\xNN`` / ``\\uNNNN``, never sent to the terminal."""
    lines = [
        printable(path),
        f"  flux        {outcome.id_flux}  ({printable(outcome.syntax)})",
        f"  verdict     {outcome.verdict}"
        + (f"  [{printable(outcome.reason)}]" if outcome.reason else ""),
    ]
    if outcome.recipient_siret:
        service = printable(outcome.service_code or "(sans service)")
        lines.append(f"  recipient   {printable(outcome.recipient_siret)} / {service}")
    statuses = [outcome.flux_status, *outcome.statuses] if outcome.flux_status else []
    lines.append(f"  statuses    {' '.join(s for s in statuses if s)}")
    for finding in outcome.findings:
        if finding.severity == "error":
            lines.extend(error_lines(finding))
    lines.extend(f"  output      {printable(p)}" for p in outcome.outputs)
    return "\n".join(lines)


def error_lines(finding: Finding, width: int = WIDTH) -> list[str]:
    """The ``error`` lines of one finding: rule, line number and the WHOLE message, wrapped on
    spaces at ``width`` columns with continuation lines under the value column.

    Words are never split (a word longer than the line, such as a long XPath, gets a line of
    its own), so joining the lines with single spaces gives back the message.
    """
    where = f" (line {finding.line})" if finding.line else ""
    return textwrap.wrap(
        printable(f"{finding.rule}{where}: {finding.message}"),
        width=width,
        initial_indent="  error".ljust(LABEL),
        subsequent_indent=" " * LABEL,
        break_long_words=False,
        break_on_hyphens=False,
    )
