"""``edi-gateway validate PATH...``: validate invoice files without routing or emitting anything.

Exit codes: 0 every file accepted, 1 any file rejected or inadmissible, 2 usage or configuration
error (a missing or unreadable path included). ``fr_ctc`` and ``max_file_bytes`` come from
``config.toml`` (``--config``); ``--fr-ctc`` / ``--no-fr-ctc`` override the first. ``--cpp``
also runs the Chorus Pro reception rules (:mod:`edi_gateway.reception.cpp_layer`) against the
structures directory of ``gateway.structures`` with today's date as deposit date; without it the
text output ends with one line saying they did not run. The rule packs installed in
``<state_dir>/packs`` (or ``--packs DIR``) choose the scenarios (docs/validation.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edi_gateway.core import config
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.model import ValidationReport, Verdict
from edi_gateway.reception import cpp_layer as validate_cpp
from edi_gateway.reception import structures
from edi_gateway.validation import render
from edi_gateway.validation.validator import Validator

FORMATS = ("text", "json", "svrl", "html")


class UsageError(Exception):
    """A path given on the command line cannot be used."""


def add_parser(subparsers: Any) -> None:
    """Register ``validate`` on the top-level parser."""
    parser = subparsers.add_parser(
        "validate",
        help="validate UBL / CII / Factur-X files (XSD + Schematron) and print the findings",
        description="Validate files or folders (recursive, sorted) through every layer that "
        "applies: detect, xml, xsd, schematron, fr-ctc, and cpp with --cpp.",
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
    parser.add_argument(
        "--cpp",
        action="store_true",
        help="also run the Chorus Pro reception rules (CPP-REC-*) against the structures "
        "directory of config gateway.structures, deposit date today (no duplicate rules)",
    )
    parser.add_argument(
        "--packs",
        metavar="DIR",
        help="installed rule packs folder (default: <state_dir>/packs of the configuration; "
        "see `edi-gateway artefacts list`)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate every file under ``args.paths``, print the reports, return the exit code.

    Raises:
        ConfigError: the configuration or, with ``--cpp``, the structures directory cannot be
            read (the top-level CLI turns it into exit 2).
    """
    cfg = config.load(args.config)
    directory = structures.load(cfg.structures) if args.cpp else None
    try:
        files = collect(args.paths)
        inputs = [(str(path), _read(path)) for path in files]
    except UsageError as exc:
        print(f"edi-gateway validate: {exc}", file=sys.stderr)
        return 2
    fr_ctc = cfg.fr_ctc if args.fr_ctc is None else args.fr_ctc
    packs_dir = Path(args.packs) if args.packs else cfg.packs_dir
    validator = Validator(fr_ctc=fr_ctc, max_file_bytes=cfg.max_file_bytes, packs_dir=packs_dir)
    reports = [validator.validate(data, name) for name, data in inputs]
    if directory is not None:
        today = datetime.now(UTC).date()  # the engine dates deposits in UTC too
        reports = [validate_cpp.with_reception(r, directory, today) for r in reports]
    _print(reports, args.format, cpp=directory is not None)
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


def _print(reports: list[ValidationReport], fmt: str, *, cpp: bool) -> None:
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
        if not cpp:
            print(render.CPP_NOT_RUN, file=out)
