"""``edi-gateway validate PATH...``: validate invoice files without routing or emitting anything.

Exit codes: 0 every file accepted, 1 any file rejected or inadmissible, 2 usage or configuration
error (a missing or unreadable path included). ``fr_ctc`` and ``max_file_bytes`` come from
``config.toml`` (``--config``); ``--fr-ctc`` / ``--no-fr-ctc`` override the first. ``--cpp``
also runs the Chorus Pro reception rules (:mod:`edi_gateway.reception.cpp_layer`) against the
structures directory of ``gateway.structures`` with today's date as deposit date; without it the
text output ends with one line saying they did not run. The rule packs installed in
``<state_dir>/packs`` (or ``--packs DIR``) choose the scenarios (docs/validation.md).

Scale (:mod:`edi_gateway.cli.validate_jobs`): ``--jobs N`` worker processes (default: the CPUs)
each compile once; each file is read in its worker and its report printed as soon as it is
done (JSON lines as they finish unless ``--ordered``; text, SVRL and HTML in input order), so
memory stays flat whatever the number of files. On a terminal a progress bar (files, rate,
ETA) runs on stderr (``--no-progress``: off); with more than one file a table of verdicts by
syntax and profile and the most frequent error rules closes the run on stderr
(:mod:`edi_gateway.cli.validate_summary`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from edi_gateway.cli.validate_jobs import Options, results
from edi_gateway.cli.validate_summary import Tally, progress
from edi_gateway.core import config
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.model import Verdict
from edi_gateway.reception import structures
from edi_gateway.validation import render

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
    parser.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="worker processes (default or 0: the number of CPUs; at most one per 16 files; "
        "1: in this process)",
    )
    parser.add_argument(
        "--ordered",
        action="store_true",
        help="JSON lines in input order (default: as they finish; other formats are in order)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="progress bar on stderr when it is a terminal (default: on)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate every file under ``args.paths``, print the reports as they come, return the
    exit code: 0 all accepted, 1 one not accepted, 2 usage or configuration error (a file
    that cannot be read included: the others are still validated and printed).

    Raises:
        ConfigError: the configuration or, with ``--cpp``, the structures directory cannot be
            read (the top-level CLI turns it into exit 2).
    """
    cfg = config.load(args.config)
    if args.cpp:
        structures.load(cfg.structures)  # a broken directory stops here, before any worker
    try:
        files = collect(args.paths)
    except UsageError as exc:
        print(f"edi-gateway validate: {exc}", file=sys.stderr)
        return 2
    options = Options(
        fr_ctc=cfg.fr_ctc if args.fr_ctc is None else args.fr_ctc,
        max_file_bytes=cfg.max_file_bytes,
        packs_dir=str(Path(args.packs) if args.packs else cfg.packs_dir),
        structures=str(cfg.structures) if args.cpp else None,
        fmt=args.format,
        colour=args.format == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
    )
    jobs = args.jobs or os.cpu_count() or 1
    stream = results(files, options, jobs=jobs, ordered=args.ordered or args.format != "json")
    tally, sections = Tally(), []
    for result in progress(stream, len(files), enabled=args.progress):
        tally.add(result)
        if result.verdict is None:
            print(f"edi-gateway validate: {result.path}: {result.problem}", file=sys.stderr)
        elif args.format == "html":
            sections.append(result.output)
        else:
            print(result.output, end="\n\n" if args.format == "text" else "\n", flush=True)
    _close(args.format, tally, sections, cpp=args.cpp)
    if tally.unreadable:
        return 2
    return 0 if tally.verdicts[Verdict.ACCEPTED] == sum(tally.verdicts.values()) else 1


def _close(fmt: str, tally: Tally, sections: list[str], *, cpp: bool) -> None:
    """After the reports: the HTML page, or the text summary line; the table on stderr."""
    if fmt == "html":
        print(render.html_page(sections, tally.line(), title="edi-gateway validation"))
    elif fmt == "text":
        print(tally.line())
        if not cpp:
            print(render.CPP_NOT_RUN)
    if sum(tally.verdicts.values()) + tally.unreadable > 1:
        print(tally.table(), file=sys.stderr)


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
