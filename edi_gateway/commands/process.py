"""``edi-gateway process PATH... [--config FILE] [--channel NAME] [--format text|json]``.

Runs the whole pipeline once per file (folders are walked recursively, in name order) exactly
as the daemon would, on the channel that accepts invoices (or ``--channel``). The user's files
are copied into ``var/work/`` first and are never moved or deleted. Prints, per file, the
IdFlux, syntax, verdict, recipient and service, statuses and output paths; ``--format json``
prints one JSON object per line. Exit 0 when every file was accepted, 1 when one was rejected or
inadmissible, 2 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edi_gateway import config as config_module
from edi_gateway import logs
from edi_gateway.config import Channel, Config, add_config_argument
from edi_gateway.errors import ConfigError, GatewayError
from edi_gateway.model import Finding, Verdict

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


def files_of(paths: list[str]) -> Iterator[Path]:
    """Yield the files named, and the files under the folders named (recursive, sorted).

    Raises:
        FileNotFoundError: a path does not exist.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(raw)


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
    """Process every file; return 0 (all accepted), 1 (one not accepted) or 2 (usage/config)."""
    from edi_gateway.engine import Engine

    config = config_module.load(args.config)
    channel = choose_channel(config, args.channel)
    try:
        files = list(files_of(args.paths))
    except FileNotFoundError as exc:
        print(f"edi-gateway process: no such file or folder: {exc}", file=sys.stderr)
        return 2
    try:
        logs.configure(config, console=False)  # the log file only: stdout stays the report
    except OSError:
        logs.configure(None, console=False)
    engine = Engine(config)
    worst = 0
    try:
        for path in files:
            try:
                outcome = engine.process_path(path, channel)
            except GatewayError as exc:
                print(f"edi-gateway process: {path}: {exc}", file=sys.stderr)
                return 2
            if outcome.verdict is not Verdict.ACCEPTED:
                worst = 1
            if args.format == "json":
                record = outcome.as_dict()
                record["path"] = str(path)
                print(json.dumps(record, ensure_ascii=False))
            else:
                print(render_text(path, outcome))
    finally:
        engine.close()
    return worst


def render_text(path: Path, outcome: Any) -> str:
    """Human-readable block for one file."""
    lines = [
        f"{path}",
        f"  flux        {outcome.id_flux}  ({outcome.syntax})",
        f"  verdict     {outcome.verdict}" + (f"  [{outcome.reason}]" if outcome.reason else ""),
    ]
    if outcome.recipient_siret:
        service = outcome.service_code or "(sans service)"
        lines.append(f"  recipient   {outcome.recipient_siret} / {service}")
    statuses = [outcome.flux_status, *outcome.statuses] if outcome.flux_status else []
    lines.append(f"  statuses    {' '.join(s for s in statuses if s)}")
    for finding in outcome.findings:
        if finding.severity == "error":
            lines.extend(error_lines(finding))
    lines.extend(f"  output      {p}" for p in outcome.outputs)
    return "\n".join(lines)


def error_lines(finding: Finding, width: int = WIDTH) -> list[str]:
    """The ``error`` lines of one finding: rule, line number and the WHOLE message, wrapped on
    spaces at ``width`` columns with continuation lines under the value column.

    Words are never split (a word longer than the line, such as a long XPath, gets a line of
    its own), so joining the lines with single spaces gives back the message.
    """
    where = f" (line {finding.line})" if finding.line else ""
    return textwrap.wrap(
        f"{finding.rule}{where}: {finding.message}",
        width=width,
        initial_indent="  error".ljust(LABEL),
        subsequent_indent=" " * LABEL,
        break_long_words=False,
        break_on_hyphens=False,
    )
