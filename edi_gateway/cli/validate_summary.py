"""What ``validate`` prints after the reports: verdict counts by syntax and profile, frequent
rules; and the progress bar it shows on a terminal while it works.

Job: :class:`Tally` counts :class:`~edi_gateway.cli.validate_jobs.FileResult` s as they stream
by (a few counters, whatever the number of files) and renders the closing table;
:func:`progress` wraps the stream in a ``tqdm`` bar on stderr (files done, rate, ETA) when
stderr is a terminal and the user did not ask ``--no-progress``.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TextIO

from edi_gateway.cli.validate_jobs import FileResult
from edi_gateway.core.model import Verdict
from edi_gateway.validation import render

TOP_RULES = 10


class Tally:
    """Counters over the results seen: verdicts, (syntax, profile, verdict), error rules (each
    rule counted once per file), and the files that could not be read."""

    def __init__(self) -> None:
        self.verdicts: Counter[Verdict] = Counter()
        self.kinds: Counter[tuple[str, str, str]] = Counter()
        self.rules: Counter[str] = Counter()
        self.unreadable = 0

    def add(self, result: FileResult) -> None:
        """Count one result."""
        if result.verdict is None:
            self.unreadable += 1
            return
        verdict = Verdict(result.verdict)
        self.verdicts[verdict] += 1
        self.kinds[(result.syntax, result.profile or "-", result.verdict)] += 1
        self.rules.update(set(result.error_rules))

    def line(self) -> str:
        """``N files: a accepted, r rejected, i inadmissible`` (:func:`render.summary_of`)."""
        return render.summary_of(self.verdicts)

    def table(self) -> str:
        """The closing table: one row per syntax and profile with its verdict counts, then
        the most frequent error rules (at most :data:`TOP_RULES`; ties by rule id), then the
        unreadable files."""
        rows: dict[tuple[str, str], Counter[str]] = {}
        for (syntax, profile, verdict), count in self.kinds.items():
            rows.setdefault((syntax, profile), Counter())[verdict] += count
        head = (
            f"{'syntax':<16} {'profile':<20} {'accepted':>9} {'rejected':>9} {'inadmissible':>12}"
        )
        lines = [head, "-" * len(head)]
        for (syntax, profile), counts in sorted(rows.items()):
            lines.append(
                f"{syntax:<16} {profile:<20} {counts['accepted']:>9} {counts['rejected']:>9} "
                f"{counts['inadmissible']:>12}"
            )
        if self.rules:
            ranked = sorted(self.rules.items(), key=lambda item: (-item[1], item[0]))
            frequent = ", ".join(f"{rule} ({n})" for rule, n in ranked[:TOP_RULES])
            lines.append(f"most frequent error rules (files): {frequent}")
        if self.unreadable:
            lines.append(f"{self.unreadable} file(s) could not be read (see above)")
        return "\n".join(lines)


def progress(
    results: Iterable[FileResult], total: int, *, enabled: bool, stream: TextIO | None = None
) -> Iterator[FileResult]:
    """``results`` passed through a progress bar on ``stream`` (stderr) when ``enabled`` and
    the stream is a terminal; else ``results`` unchanged."""
    out = stream or sys.stderr
    if not enabled or not out.isatty():
        yield from results
        return
    from tqdm import tqdm

    # a pty with no window size (script, docker exec -t) reports 0 x 0: tqdm then hides its
    # bar (row 0 is not < 0 rows), so give it the size with an 80 x 24 fallback
    size = shutil.get_terminal_size((80, 24))
    with tqdm(
        total=total, file=out, unit="file", ncols=size.columns or 80, nrows=size.lines or 24
    ) as bar:
        for result in results:
            bar.update(1)
            yield result
