"""``edi-gateway validate PATH...``: validate invoice files without routing or emitting anything.

Exit codes: 0 every file accepted, 1 any file rejected or inadmissible, 2 usage or configuration
error (a missing or unreadable path included). ``fr_ctc`` and ``max_file_bytes`` come from
``config.toml`` (``--config``); ``--fr-ctc`` / ``--no-fr-ctc`` override the first.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from edi_gateway import config, render
from edi_gateway.config import add_config_argument
from edi_gateway.model import ValidationReport, Verdict
from edi_gateway.validate import Validator

FORMATS = ("text", "json", "svrl", "html")


class UsageError(Exception):
    """A path given on the command line cannot be used."""


def add_parser(subparsers: Any) -> None:
    """Register ``validate`` on the top-level parser."""
    parser = subparsers.add_parser(
        "validate",
        help="validate UBL / CII / Factur-X files (XSD + Schematron) and print the findings",
        description="Validate files or folders (recursive, sorted) through every layer that "
        "applies: detect, xml, xsd, schematron, fr-ctc.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file or folder")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output (text)")
    add_config_argument(parser)
    parser.add_argument(
        "--fr-ctc",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the French CTC rules BR-FR Flux 2 (default: config validation.fr_ctc)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate every file under ``args.paths``, print the reports, return the exit code.

    Raises:
        ConfigError: the configuration cannot be read (the top-level CLI turns it into exit 2).
    """
    cfg = config.load(args.config)
    try:
        files = collect(args.paths)
        inputs = [(str(path), _read(path)) for path in files]
    except UsageError as exc:
        print(f"edi-gateway validate: {exc}", file=sys.stderr)
        return 2
    fr_ctc = cfg.fr_ctc if args.fr_ctc is None else args.fr_ctc
    validator = Validator(fr_ctc=fr_ctc, max_file_bytes=cfg.max_file_bytes)
    reports = [validator.validate(data, name) for name, data in inputs]
    _print(reports, args.format)
    return 0 if all(r.verdict is Verdict.ACCEPTED for r in reports) else 1


def collect(paths: list[str]) -> list[Path]:
    """Expand ``paths``: files as given, folders recursively (regular files, sorted by path).

    Raises:
        UsageError: a path does not exist, is neither file nor folder, or a folder has no file.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
            if not found:
                raise UsageError(f"{raw}: the folder holds no file")
            files.extend(found)
        elif path.exists():
            raise UsageError(f"{raw}: neither a file nor a folder")
        else:
            raise UsageError(f"{raw}: no such file or folder")
    return files


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from exc


def _print(reports: list[ValidationReport], fmt: str) -> None:
    out = sys.stdout
    if fmt == "json":
        for report in reports:
            print(render.json_line(report), file=out)
    elif fmt == "svrl":
        for report in reports:
            print(render.svrl(report), file=out)
    elif fmt == "html":
        print(render.html(reports), file=out)
    else:
        colour = out.isatty() and not os.environ.get("NO_COLOR")
        for report in reports:
            print(render.text(report, colour=colour), end="\n\n", file=out)
        print(render.summary(reports), file=out)
