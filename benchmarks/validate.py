"""Benchmark of the validation layers over ../shared/corpus (prints figures; asserts nothing).

Usage: python benchmarks/validate.py [--rounds N] [--small-bytes B]

Prints, for UBL, CII and Factur-X PDF files of the corpus that are accepted or rejected (a
complete run through every layer): ms per layer (median, p95), documents/s with 1 and 2 worker
processes (multiprocessing spawn, a Validator built inside each worker), stylesheet compile
times, worker-ready time and peak RSS (resource.getrusage).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import resource
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("EDI_GATEWAY_SHARED") or ROOT.parent / "shared") / "corpus"
GROUPS = {"ubl": ("ubl-invoice", "ubl-creditnote"), "cii": ("cii",), "pdf": ("facturx-pdf",)}

_validator = None


def _files(small_bytes: int) -> dict[str, list[bytes]]:
    """Corpus files per group (files up to small_bytes; PDFs are taken whatever their size)."""
    out: dict[str, list[bytes]] = {g: [] for g in GROUPS}
    with (CORPUS / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for group, syntaxes in GROUPS.items():
                path = CORPUS / row["file"]
                if row["syntax"] in syntaxes and (
                    group == "pdf" or path.stat().st_size <= small_bytes
                ):
                    out[group].append(path.read_bytes())
    return out


def _ms(values: list[float]) -> str:
    values = sorted(v * 1000 for v in values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values):7.2f} ms  p95 {p95:7.2f} ms"


def per_layer(files: dict[str, list[bytes]], rounds: int) -> None:
    """Time detect / parse / xsd / schematron separately, in this process (already warm)."""
    from edi_gateway.core import xmlsafe
    from edi_gateway.validation import artefacts, detect, xsd
    from edi_gateway.validation import validator as validate

    for group, docs in files.items():
        layers: dict[str, list[float]] = {"detect": [], "parse": [], "xsd": [], "schematron": []}
        total: list[float] = []
        for _ in range(rounds):
            for data in docs:
                t0 = time.perf_counter()
                det = detect.detect(data)
                t1 = time.perf_counter()
                if det.xml is None:
                    continue
                tree = xmlsafe.parse(det.xml)
                t2 = time.perf_counter()
                plan = artefacts.plan_for(det.syntax, det.profile)
                assert plan.xsd is not None and plan.schematron is not None
                found = xsd.validate(tree, xsd.load(plan.xsd.path), source="")
                t3 = time.perf_counter()
                if not found:
                    validate._ruleset(plan.schematron).run(det.xml, tree=tree)
                    layers["schematron"].append(time.perf_counter() - t3)
                layers["detect"].append(t1 - t0)
                layers["parse"].append(t2 - t1)
                layers["xsd"].append(t3 - t2)
                total.append(time.perf_counter() - t0)
        print(f"\n{group}: {len(docs)} files x {rounds} rounds")
        for name, values in layers.items():
            if values:
                print(f"  {name:<11} {_ms(values)}")
        print(f"  {'whole':<11} {_ms(total)}")


def _init() -> None:
    global _validator
    from edi_gateway.validation.validator import Validator

    _validator = Validator()
    _validator.warm_up()


def _one(data: bytes) -> str:
    assert _validator is not None
    return str(_validator.validate(data, "bench").verdict)


def _ready(common_only: bool) -> tuple[float, dict[str, float], int]:
    """In a fresh process: seconds to import + warm up, per-artefact times, peak RSS (KiB).

    common_only: warm up only the UBL and CII EN 16931 artefacts instead of all 18.
    """
    start = time.perf_counter()
    from edi_gateway.core.model import Syntax
    from edi_gateway.validation import artefacts
    from edi_gateway.validation.validator import Validator

    only = None
    if common_only:
        ubl = artefacts.plan_for(Syntax.UBL_INVOICE, "en16931")
        cii = artefacts.plan_for(Syntax.CII, "en16931")
        only = [a for p in (ubl, cii) for a in (p.xsd, p.schematron) if a is not None]
    timings = Validator(fr_ctc=True).warm_up(only)
    return time.perf_counter() - start, timings, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def throughput(docs: list[bytes], workers: int) -> float:
    """Documents per second with ``workers`` spawned processes (warm-up excluded)."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init) as pool:
        pool.map(_one, docs[: workers * 2])  # make sure every worker is up and warm
        start = time.perf_counter()
        pool.map(_one, docs, chunksize=8)
        return len(docs) / (time.perf_counter() - start)


def main() -> None:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small-bytes", type=int, default=20_000)
    args = parser.parse_args()
    files = _files(args.small_bytes)
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        ready, _, rss = pool.apply(_ready, (True,))
    print(f"worker ready (import + UBL/CII EN 16931 XSD+XSLT): {ready:.2f} s, {rss / 1024:.0f} MiB")
    with ctx.Pool(1) as pool:
        ready, timings, rss = pool.apply(_ready, (False,))
    print(f"worker ready (import + compile all {len(timings)} artefacts, fr-ctc on): {ready:.2f} s")
    for name, seconds in sorted(timings.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<45} {seconds * 1000:7.0f} ms")
    print(f"peak RSS of that worker: {rss / 1024:.0f} MiB")
    _init()
    per_layer(files, args.rounds)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\npeak RSS of the per-layer process: {rss / 1024:.0f} MiB")
    small = [d for g in ("ubl", "cii") for d in files[g]] * args.rounds * 2
    for workers in (1, 2):
        rate = throughput(small, workers)
        print(f"small UBL+CII ({len(small)} docs), {workers} process(es): {rate:6.0f} docs/s")
    pdfs = files["pdf"] * args.rounds
    for workers in (1, 2):
        rate = throughput(pdfs, workers)
        print(f"Factur-X PDF ({len(pdfs)} docs), {workers} process(es): {rate:6.0f} docs/s")


if __name__ == "__main__":
    main()
