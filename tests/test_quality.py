"""Project hygiene that CI enforces through the test command: ruff lint and format, mypy strict."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("ruff is not installed in this environment (it comes with the [test] extra)")
    return [exe]


def test_ruff_check_is_clean() -> None:
    """`ruff check` reports nothing on the repository."""
    result = subprocess.run([*_ruff(), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    """`ruff format --check` would change no file."""
    result = subprocess.run(
        [*_ruff(), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    """`mypy` (``strict = true`` in pyproject.toml, as ``mypy --strict``) finds no type error in
    the package."""
    exe = shutil.which("mypy", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("mypy is not installed in this environment (it comes with the [test] extra)")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_output_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """`edi-gateway ... | head` ends without a BrokenPipeError traceback and with exit status
    141 (128 + SIGPIPE, as a Unix tool), never 0: the files after the cut were not checked."""
    script = (
        "import sys\n"
        "from edi_gateway import cli\n"
        "sys.exit(cli.main(['validate', '--format', 'json', sys.argv[1]]))\n"
    )
    for i in range(400):
        (tmp_path / f"f{i:03}.xml").write_bytes(b"<a/>")
    reader = subprocess.Popen(
        ["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    writer = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait(timeout=10)
    assert "Traceback" not in writer.stderr, writer.stderr
    assert writer.returncode == 141


def test_state_error_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    """A database that cannot be opened ends with a one-line message and exit code 2."""
    base = (ROOT / "config.toml").read_text(encoding="utf-8")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        base.replace('database = "var/gateway.sqlite3"', 'database = "/proc/x/db.sqlite3"'),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "edi_gateway", "flows", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "StateError" in result.stderr
