"""The body of one worker process: build the processor once, then process one claim at a time.

Job: everything that runs *inside* a worker process started by
:class:`edi_gateway.runtime.workers.WorkerPool`. Input: a :class:`WorkerSpec` and the worker's end
of a duplex pipe; output: ``{"ready": True}`` once the processor is built (``WorkerSpec.factory``,
by default ``edi_gateway.pipeline.engine:Engine``, so schemas and stylesheets are compiled once per
process) and its validator warmed up (:func:`warm_up`: a worker whose Saxon cannot start never
reports ready; the rest of the configured rules compile while it has no claim, then
``worker.warmed``), then one result dict per claim received (``ok``, the :func:`summarize` fields,
``duration_ms``). The worker is started with the ``spawn`` context (a fresh interpreter: no
inherited locks, threads or Saxon state), ignores SIGINT/SIGTERM (the parent decides when it stops)
and dies with the parent (Linux ``PR_SET_PDEATHSIG``, plus a parent-pid watch), so a killed gateway
never leaves a worker finishing a flux behind the back of the next one. It never lets a processor
exception escape (it becomes ``ok=False`` and ``flux.failed``) and never decides about retries:
that is the daemon's job.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import structlog

from edi_gateway.core import logs
from edi_gateway.core.config import Config

DEFAULT_FACTORY = "edi_gateway.pipeline.engine:Engine"
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """What each worker process builds and how it logs.

    Attributes:
        config: the gateway configuration (logging set-up, given to the factory).
        factory: ``"module:callable"``; called once per worker as ``factory(config)``, it returns
            an object with ``process_claimed(claim) -> outcome``.
        console: worker log lines also go to the console (stderr), like the parent's.
        sys_path: folders put in front of ``sys.path`` in the worker before importing the
            factory (tests inject a fake engine this way).
    """

    config: Config
    factory: str = DEFAULT_FACTORY
    console: bool = False
    sys_path: tuple[str, ...] = ()


def _die_with_parent(parent_pid: int) -> None:
    """Make the kernel kill this process when its parent dies (Linux); watch the ppid too."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(70)
            time.sleep(0.5)

    if os.getppid() != parent_pid:
        os._exit(70)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def load_factory(reference: str) -> Callable[[Config], Any]:
    """Import ``"module:callable"`` and return the callable.

    Raises:
        ValueError: the reference has no ``:``.
        ImportError, AttributeError: the module or the name does not exist.
    """
    module_name, sep, attr = reference.partition(":")
    if not sep:
        raise ValueError(f"factory {reference!r} must be 'module:callable'")
    factory: Callable[[Config], Any] = getattr(importlib.import_module(module_name), attr)
    return factory


def summarize(outcome: Any) -> dict[str, Any]:
    """The loggable fields of an engine outcome (no document content): verdict, recipient,
    service_code, error_count, first_rules, reason. Missing attributes are left out."""
    fields: dict[str, Any] = {}
    if isinstance(outcome, dict):
        source: Callable[[str], Any] = outcome.get
    else:

        def source(name: str) -> Any:
            return getattr(outcome, name, None)

    for key, names in (
        ("verdict", ("verdict",)),
        ("recipient", ("recipient", "recipient_siret")),
        ("service_code", ("service_code",)),
        ("error_count", ("error_count",)),
        ("first_rules", ("first_rules",)),
        ("reason", ("reason",)),
    ):
        for name in names:
            value = source(name)
            if value is not None:
                fields[key] = value if isinstance(value, int | float | list) else str(value)
                break
    return fields


def warm_up_artefacts() -> tuple[Any, ...]:
    """What a worker prepares before it reports ready: the UBL invoice schema and the EN 16931
    UBL Schematron (the most used ruleset; compiling it starts Saxon)."""
    from edi_gateway.core.model import Syntax
    from edi_gateway.validation import artefacts

    plan = artefacts.plan_for(Syntax.UBL_INVOICE, None)
    return tuple(a for a in (plan.xsd, plan.schematron) if a is not None)


def warm_up(processor: Any) -> list[str]:
    """Prove the processor's engine works before it gets a file: its own ``warm_up()`` hook
    when it has one, else ``processor.validator.warm_up(only=warm_up_artefacts())`` when it has
    a validator (``edi_gateway.validation.validator.Validator``), else nothing.

    A Saxon that cannot start (no memory for its isolate, ``ulimit -v``) raises here or ends
    the process here, before the worker reports ready, so no file is ever given to it.

    Returns:
        The names of the artefacts prepared ([] when nothing was warmed up).

    Raises:
        Exception: whatever the warm-up raises (``ArtefactError`` ...).
    """
    hook = getattr(processor, "warm_up", None)
    if callable(hook):
        done = hook()
        return sorted(done) if isinstance(done, dict) else []
    validator = getattr(processor, "validator", None)
    if validator is None or not callable(getattr(validator, "warm_up", None)):
        return []
    return sorted(validator.warm_up(only=warm_up_artefacts()))


def idle_warm_up_plan(processor: Any, warmed: list[str]) -> list[Any]:
    """The artefacts a worker prepares while it has no claim, after it reported ready: every
    artefact its validator may need (``Validator.warm_up`` default set: all schemas and
    stylesheets of the configured rules) not yet prepared. [] when the processor has its own
    ``warm_up()`` hook or no validator."""
    validator = getattr(processor, "validator", None)
    if callable(getattr(processor, "warm_up", None)) or validator is None:
        return []
    from edi_gateway.validation import artefacts, scenarios

    fr_ctc = bool(getattr(validator, "fr_ctc", False))
    available = getattr(validator, "available", None)  # the built-in and installed rule packs
    every = (
        scenarios.all_artefacts(available, fr_ctc=fr_ctc)
        if available is not None
        else artefacts.all_artefacts(fr_ctc=fr_ctc)
    )
    return [a for a in every if a.file_name not in warmed]


def _warm_next(processor: Any, rest: list[Any], failed: list[str], start: float) -> None:
    """Prepare the first artefact of ``rest`` (idle time); log ``worker.warmed`` after the last.
    A failure is remembered, never raised: the flux that needs the artefact reports it."""
    artefact = rest.pop(0)
    try:
        processor.validator.warm_up(only=[artefact])
    except Exception:
        failed.append(artefact.file_name)
    if not rest:
        log = logs.get_logger()
        method = log.warning if failed else log.info
        method("worker.warmed", duration_ms=logs.elapsed_ms(start), failed=failed)


def _run_one(processor: Any, claim: Any) -> dict[str, Any]:
    """Process one claim inside the worker; never raises (an exception becomes ok=False)."""
    log = logs.get_logger()
    start = time.perf_counter()
    with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
        try:
            outcome = processor.process_claimed(claim)
        except Exception as exc:
            ms = logs.elapsed_ms(start)
            log.error("flux.failed", error=type(exc).__name__, message=str(exc), duration_ms=ms)
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "duration_ms": ms}
        summary = summarize(outcome)
        summary["duration_ms"] = logs.elapsed_ms(start)  # the engine logged flux.done
        return {"ok": True, **summary}


def worker_main(spec: WorkerSpec, index: int, conn: Connection, parent_pid: int) -> None:
    """Entry point of a worker process: build the processor once, then serve claims from
    ``conn`` until it receives None or the pipe closes. Exit code 3: the processor could not
    be built (logged as ``worker.failed``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    sys.path[:0] = list(spec.sys_path)
    with contextlib.suppress(OSError):
        logs.configure(spec.config, console=spec.console)
    structlog.contextvars.bind_contextvars(worker=index)  # on every line of this worker
    log = logs.get_logger()
    start = time.perf_counter()
    try:
        processor = load_factory(spec.factory)(spec.config)
        warmed = warm_up(processor)
    except Exception as exc:
        log.error("worker.failed", error=type(exc).__name__, message=str(exc))
        sys.exit(3)
    log.info(
        "worker.started",
        pid=os.getpid(),
        duration_ms=logs.elapsed_ms(start),
        warmed_up=warmed,
    )
    conn.send({"ready": True})
    rest = idle_warm_up_plan(processor, warmed)
    failed: list[str] = []
    while True:
        if rest and not conn.poll(0):
            _warm_next(processor, rest, failed, start)
            continue
        try:
            claim = conn.recv()
        except (EOFError, OSError):
            break
        if claim is None:
            break
        conn.send(_run_one(processor, claim))
