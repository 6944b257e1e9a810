"""``edi-gateway validate --jobs N`` beside the in-process bound of the same work, and its memory.

1. The corpus (``../shared/corpus``, every file of ``manifest.csv``) is hard-linked ``--copies``
   times (default 4) into a temporary folder; ``python -m edi_gateway validate --format json
   --jobs N --no-progress FOLDER`` runs on it as a user would (output to /dev/null): files/s
   (wall time of the whole command: start, spawn, compiles, reads, validation, output) and the
   peak RSS of the whole command (the sum over its process tree, sampled every 0.1 s).
2. The same files validated by N processes that each built a
   :class:`~edi_gateway.validation.validator.Validator` and compiled everything before the
   clock starts (files already in memory): files/s, and the ratio CLI / in-process (target: at
   least 0.85).
3. Memory over the number of files: the command's peak RSS on ``--small`` and ``--large``
   files (default 1,000 and 10,000, the corpus cycled) and the spread (target: within 10 %).

Usage: ``python benchmarks/validate_cli.py [--jobs 2] [--copies 4] [--small 1000] [--large 10000]``
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import gateway_tree

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("EDI_GATEWAY_SHARED") or ROOT.parent / "shared") / "corpus"


def corpus_files() -> list[Path]:
    """Every file the corpus manifest lists (SystemExit when the corpus is absent)."""
    manifest = CORPUS / "manifest.csv"
    if not manifest.is_file():
        raise SystemExit(f"needs the shared corpus: {manifest} not found")
    with manifest.open(encoding="utf-8", newline="") as handle:
        return [CORPUS / row["file"] for row in csv.DictReader(handle)]


def linked_tree(files: list[Path], count: int, into: Path) -> list[Path]:
    """``count`` hard links cycled over ``files`` in ``into`` (copies where links fail)."""
    into.mkdir(parents=True, exist_ok=True)
    made = []
    for index in range(count):
        source = files[index % len(files)]
        target = into / f"{index:06d}-{source.name}"
        try:
            os.link(source, target)
        except OSError:
            target.write_bytes(source.read_bytes())
        made.append(target)
    return made


def _tree_rss_mib(pid: int) -> float:
    """VmRSS of ``pid`` and all its descendants, MiB."""
    parents: dict[int, int] = {}
    rss: dict[int, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[int(proc.name)] = int(line.split()[1]) / 1024
        except (OSError, IndexError, ValueError):
            continue
    tree, changed = {pid}, True
    while changed:
        grown = tree | {p for p, parent in parents.items() if parent in tree}
        changed, tree = grown != tree, grown
    return sum(rss.get(p, 0.0) for p in tree)


def run_cli(folder: Path, jobs: int) -> tuple[float, float, int]:
    """Run the command on ``folder``; return (seconds, peak tree RSS MiB, exit code)."""
    command = [sys.executable, "-m", "edi_gateway", "validate", "--format", "json"]
    command += ["--jobs", str(jobs), "--no-progress", str(folder)]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = [0.0]

    def watch() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mib(process.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    code = process.wait()
    seconds = time.perf_counter() - start
    watcher.join()
    return seconds, peak[0], code


def main() -> None:
    """Build the trees, run the command and the in-process bound, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    args = parser.parse_args()
    files = corpus_files()
    with tempfile.TemporaryDirectory(prefix="edi-validate-") as tmp:
        copies = linked_tree(files, len(files) * args.copies, Path(tmp) / "copies")
        seconds, rss, code = run_cli(Path(tmp) / "copies", args.jobs)
        cli_rate = len(copies) / seconds
        bound = gateway_tree.in_process([(str(p), p.read_bytes()) for p in copies], args.jobs)
        print(f"corpus x{args.copies}: {len(copies)} files, --jobs {args.jobs}")
        print(f"| validate --jobs {args.jobs} (whole command) | {cli_rate:.1f} files/s "
              f"| peak RSS {rss:.0f} MiB | exit {code} |")  # fmt: skip
        print(f"| in-process, {args.jobs} warm processes | {bound:.1f} files/s | ratio "
              f"{cli_rate / bound:.2f} |")  # fmt: skip
        peaks = {}
        for count in (args.small, args.large):
            folder = Path(tmp) / f"n{count}"
            linked_tree(files, count, folder)
            seconds, peaks[count], _ = run_cli(folder, args.jobs)
            rate = count / seconds
            print(f"| {count} files | {rate:.1f} files/s | peak RSS {peaks[count]:.0f} MiB |")
        low, high = peaks[args.small], peaks[args.large]
        print(f"peak RSS {args.large} vs {args.small} files: {(high / low - 1) * 100:+.1f} %")


if __name__ == "__main__":
    main()
