"""``validate`` over many files: worker processes that compile once, results as they finish.

Job: turn a list of paths into a stream of :class:`FileResult` (the rendered report of one file
and what the summary counts), computed in ``jobs`` worker processes (``spawn`` context: each
builds its own :class:`~edi_gateway.validation.validator.Validator`, so every schema and
stylesheet compiles once per process, as ``../shared/guides/measured-facts.md`` says saxonche
wants) or in this process when ``jobs`` is 1. Each file is read in the worker, bounded by
``validation.max_file_bytes`` (a larger file is judged on its size and head, never read
further), rendered there, and only the text goes back: memory does not grow with the number of
files. Results come in input order (``ordered``) or as they finish.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edi_gateway.core.model import Severity, ValidationReport
from edi_gateway.core.readlimit import read_bounded

FILES_PER_PROCESS = 16  # fewer files than this per process: not worth a process's compile


@dataclass(frozen=True, slots=True)
class Options:
    """What every worker builds and how it renders (picklable).

    Attributes:
        fr_ctc: run BR-FR Flux 2. max_file_bytes: larger files are inadmissible (unread).
        packs_dir: installed rule packs folder, or None. structures: the structures directory
            file for ``--cpp``, or None (reception rules not run). fmt: text, json, svrl, html.
        colour: ANSI colours in text output.
    """

    fr_ctc: bool
    max_file_bytes: int
    packs_dir: str | None
    structures: str | None
    fmt: str
    colour: bool = False


@dataclass(frozen=True, slots=True)
class FileResult:
    """One file done: ``output`` (its rendered report: text, a JSON line, SVRL or an HTML
    section), ``verdict`` (None when the file could not be read: ``problem`` says why),
    syntax label, BT-24 profile and the rule ids of its errors (for the summary)."""

    index: int
    path: str
    output: str
    verdict: str | None
    syntax: str = ""
    profile: str | None = None
    error_rules: tuple[str, ...] = ()
    problem: str | None = None


_worker: dict[str, Any] = {}


def init_worker(options: Options) -> None:
    """Build this process's validator (and structures directory with ``--cpp``) once."""
    from edi_gateway.reception import structures
    from edi_gateway.validation.validator import Validator

    _worker["options"] = options
    _worker["validator"] = Validator(
        fr_ctc=options.fr_ctc,
        max_file_bytes=options.max_file_bytes,
        packs_dir=Path(options.packs_dir) if options.packs_dir else None,
    )
    _worker["directory"] = structures.load(Path(options.structures)) if options.structures else None


def check_one(task: tuple[int, str]) -> FileResult:
    """Read, validate and render one file in a worker set up by :func:`init_worker`; never
    raises for the file (an unreadable one is a result with ``problem``)."""
    index, path = task
    options: Options = _worker["options"]
    try:
        read = read_bounded(path, options.max_file_bytes)
    except OSError as exc:
        return FileResult(index, path, "", None, problem=f"cannot read: {exc.strerror or exc}")
    report = _validate(path, read.data, read.size, read.complete)
    if _worker["directory"] is not None:
        from edi_gateway.reception import cpp_layer

        today = datetime.now(UTC).date()  # the engine dates deposits in UTC too
        report = cpp_layer.with_reception(report, _worker["directory"], today)
    return FileResult(
        index,
        path,
        _render(report, options),
        str(report.verdict),
        report.detection.label,
        report.detection.profile,
        tuple(f.rule for f in report.findings if f.severity is Severity.ERROR),
    )


def _validate(path: str, data: bytes, size: int, complete: bool) -> ValidationReport:
    validator = _worker["validator"]
    if complete:
        return validator.validate(data, path)  # type: ignore[no-any-return]
    from edi_gateway.validation import detect

    return validator.validate_detected(detect.too_large(data), path, size)  # type: ignore[no-any-return]


def _render(report: ValidationReport, options: Options) -> str:
    from edi_gateway.validation import render

    if options.fmt == "json":
        return render.json_line(report)
    if options.fmt == "svrl":
        return render.svrl(report)
    if options.fmt == "html":
        return render.html_section(report)
    return render.text(report, colour=options.colour)


def processes_for(jobs: int, files: int) -> int:
    """Worker processes worth starting: at most ``jobs``, one per :data:`FILES_PER_PROCESS`
    files, at least 1 (1 = validate in this process)."""
    return max(1, min(jobs, files // FILES_PER_PROCESS))


def results(
    paths: Sequence[Path], options: Options, *, jobs: int, ordered: bool
) -> Iterator[FileResult]:
    """Yield one :class:`FileResult` per path, in input order when ``ordered``, else as the
    workers finish them. ``jobs`` 1 validates in this process, with no pool."""
    tasks = ((i, str(p)) for i, p in enumerate(paths))
    processes = processes_for(jobs, len(paths))
    if processes == 1:
        init_worker(options)
        yield from map(check_one, tasks)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=init_worker, initargs=(options,)) as pool:
        run = pool.imap if ordered else pool.imap_unordered
        yield from run(check_one, tasks, chunksize=4)
