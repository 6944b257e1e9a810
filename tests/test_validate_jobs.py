"""``validate --jobs``: worker processes, streamed results, the closing table, the progress bar
(issue #8, "validate that scales")."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from edi_gateway.cli import main, validate_jobs
from edi_gateway.cli.validate_jobs import FileResult
from edi_gateway.cli.validate_summary import Tally, progress

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
SOURCES = ["ubl-valid.xml", "ubl-br-co-10.xml", "cii-en16931.xml", "cii-minimum.xml"]


@pytest.fixture
def forty(tmp_path: Path) -> list[Path]:
    """40 files (10 copies of 4 fixtures, accepted and rejected), names sorted = input order."""
    files = []
    for index in range(40):
        source = FIXTURES / SOURCES[index % len(SOURCES)]
        target = tmp_path / "in" / f"{index:02d}-{source.name}"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, target)
        files.append(target)
    return files


def _lines(capsys: pytest.CaptureFixture[str]) -> tuple[list[dict], str]:
    captured = capsys.readouterr()
    return [json.loads(line) for line in captured.out.splitlines()], captured.err


@pytest.mark.slow
def test_two_workers_give_the_verdicts_of_one_process(forty, capsys) -> None:
    folder = str(forty[0].parent)
    assert main(["validate", "--format", "json", "--jobs", "1", folder]) == 1
    alone, _ = _lines(capsys)
    assert main(["validate", "--format", "json", "--jobs", "2", "--ordered", folder]) == 1
    ordered, err = _lines(capsys)
    assert [r["file"] for r in ordered] == [str(p) for p in forty]  # input order
    assert ordered == alone
    assert main(["validate", "--format", "json", "--jobs", "2", folder]) == 1
    unordered, _ = _lines(capsys)
    assert sorted(unordered, key=lambda r: r["file"]) == alone  # each file once, same report
    verdicts = {Path(r["file"]).name[3:]: r["verdict"] for r in alone}
    assert verdicts == {
        "ubl-valid.xml": "accepted",
        "ubl-br-co-10.xml": "rejected",
        "cii-en16931.xml": "accepted",
        "cii-minimum.xml": "accepted",
    }
    assert "most frequent error rules (files): BR-CO-10 (10), BR-CO-13 (10)" in err


def test_the_table_counts_by_syntax_and_profile() -> None:
    tally = Tally()
    for verdict, rules in (("accepted", ()), ("rejected", ("BR-CO-10", "BR-CO-10")), ("x", ())):
        if verdict == "x":
            tally.add(FileResult(9, "gone.xml", "", None, problem="cannot read: denied"))
            continue
        tally.add(FileResult(0, "a.xml", "", verdict, "ubl-invoice", "en16931", rules))
    tally.add(FileResult(1, "c.xml", "", "inadmissible", "other", None, ("GW-DETECT-03",)))
    assert tally.line() == "3 files: 1 accepted, 1 rejected, 1 inadmissible"
    table = tally.table().splitlines()
    assert table[2].split() == ["other", "-", "0", "0", "1"]
    assert table[3].split() == ["ubl-invoice", "en16931", "1", "1", "0"]
    assert table[4] == "most frequent error rules (files): BR-CO-10 (1), GW-DETECT-03 (1)"
    assert table[5] == "1 file(s) could not be read (see above)"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_shows_on_a_terminal_only() -> None:
    items = [FileResult(i, f"{i}.xml", "", "accepted") for i in range(3)]
    terminal, pipe = _Terminal(), io.StringIO()
    assert list(progress(iter(items), 3, enabled=True, stream=terminal)) == items
    assert "3/3" in terminal.getvalue() and "file" in terminal.getvalue()
    assert list(progress(iter(items), 3, enabled=True, stream=pipe)) == items
    assert pipe.getvalue() == ""
    quiet = _Terminal()
    assert list(progress(iter(items), 3, enabled=False, stream=quiet)) == items
    assert quiet.getvalue() == ""


def test_few_files_stay_in_this_process() -> None:
    assert validate_jobs.processes_for(8, 3) == 1
    assert validate_jobs.processes_for(2, 40) == 2
    assert validate_jobs.processes_for(1, 10_000) == 1


def test_a_file_over_the_limit_is_judged_unread(tmp_path: Path, capsys) -> None:
    """A file larger than validation.max_file_bytes is inadmissible (GW-XML-04) from its size
    and head: the worker reads at most the limit + 1 bytes of it."""
    big = tmp_path / "big.xml"
    big.write_bytes(b"<a>" + b" " * 2000 + b"</a>")
    from tests.fixtures.daemon import support

    cfg = support.write_config(tmp_path, max_file_bytes=1000)
    assert main(["validate", "--config", str(cfg), "--format", "json", str(big)]) == 1
    [report], _ = _lines(capsys)
    assert report["verdict"] == "inadmissible"
    assert [f["rule"] for f in report["findings"]] == ["GW-XML-04"]


def test_the_bar_is_drawn_on_a_terminal_with_no_window_size() -> None:
    """A fresh pty (as ``script`` or ``docker exec -t`` give) has a 0 x 0 window: the bar is still
    drawn, 80 wide (tqdm alone hid it: row 0 is not inside 0 rows)."""
    import os
    import pty
    import select

    master, slave = pty.openpty()
    items = [FileResult(i, f"{i}.xml", "", "accepted") for i in range(2)]
    with os.fdopen(slave, "w") as stream:
        assert list(progress(iter(items), 2, enabled=True, stream=stream)) == items
        stream.flush()
        data = b""
        while select.select([master], [], [], 0.5)[0]:  # every chunk the bar wrote
            data += os.read(master, 65536)
    os.close(master)
    assert b"2/2" in data and b"file" in data
