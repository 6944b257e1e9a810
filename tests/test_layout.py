"""The package layout shows the architecture: stages import one way, the package list is whole,
and the size limits the layout issue set hold (docs/architecture.md, "Layout")."""

from __future__ import annotations

import ast
import importlib.util
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "edi_gateway"

#: The stages in the order the data goes through them; a module may import its own stage or an
#: earlier one, never a later one (docs/architecture.md gives the same list).
LAYERS = (
    "core",
    "store",
    "ingest",
    "validation",
    "reception",
    "outputs",
    "lifecycle",
    "pipeline",
    "runtime",
    "web",
    "cli",
)
TOP = ("__init__", "__main__")  # edi_gateway/__init__.py and __main__.py: above every stage


def _stage(module: str) -> str:
    """``edi_gateway.<stage>.<module>`` -> ``<stage>``; the package's own files -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _rank(stage: str) -> int:
    return len(LAYERS) if stage in TOP else LAYERS.index(stage)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``edi_gateway`` module ``path`` imports, anywhere in the file (function bodies
    included), with its line; ``importlib.import_module("edi_gateway...")`` literals too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in found if name.split(".")[0] == "edi_gateway"]


def _package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_stage_folder_is_a_known_layer() -> None:
    """Each sub-package of edi_gateway is one of the stages (a new one joins LAYERS on purpose)."""
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders <= set(LAYERS), sorted(folders - set(LAYERS))
    loose = {p.stem for p in PACKAGE.glob("*.py")} - set(TOP)
    assert loose == set(), f"modules outside a stage sub-package: {sorted(loose)}"


def test_stages_import_one_way() -> None:
    """No module imports a later stage (AST check over every import, lazy ones included)."""
    wrong = []
    for path in _package_modules():
        own = _stage(_module_name(path))
        for line, name in _imports(path):
            target = _stage(name)
            if target in LAYERS and _rank(target) > _rank(own):
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {name} ({target})")
    assert wrong == [], "\n".join(wrong)


def test_the_check_sees_a_backward_import(tmp_path: Path) -> None:
    """The import check is not blind: a planted lifecycle -> pipeline import is reported."""
    planted = tmp_path / "edi_gateway" / "lifecycle" / "bad.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("def f():\n    from edi_gateway.pipeline.engine import Engine\n")
    [(line, name)] = [i for i in _imports(planted) if i[1].endswith("engine")]
    assert (line, _stage(name)) == (2, "pipeline") and _rank("pipeline") > _rank("lifecycle")


def test_only_the_cli_dispatch_imports_by_name() -> None:
    """``importlib`` is used only by the command dispatch (``edi_gateway.cli``, its own stage)
    and by the worker's engine factory (a ``module:callable`` named in its start arguments):
    no stage reaches a later one by name."""
    users = [
        str(path.relative_to(ROOT))
        for path in _package_modules()
        if "importlib.import_module" in path.read_text(encoding="utf-8")
    ]
    assert users == ["edi_gateway/cli/__init__.py", "edi_gateway/runtime/worker_process.py"]


def test_pyproject_package_list_is_whole() -> None:
    """The explicit setuptools package list names every folder with an __init__.py (a wheel
    without one of them would break), plus the packaged data."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    folders = {_module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("__init__.py")}
    assert listed == folders | {"edi_gateway._data"}


def test_every_module_imports() -> None:
    """Each module imports on its own (no cycle hidden by import order)."""
    for path in _package_modules():
        name = _module_name(path)
        if name.endswith("__main__") or ".migrations." in name:
            continue  # run as scripts (python -m, Alembic), not imported
        assert importlib.util.find_spec(name) is not None, name
        __import__(name)
        assert name in sys.modules


def test_errors_docstring_names_every_gateway_error() -> None:
    """core/errors.py draws the tree of the gateway's errors: every GatewayError subclass and
    every other exception class the package defines is named there."""
    from edi_gateway.core import errors

    doc = errors.__doc__ or ""
    defined = []
    for path in _package_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name)
                and (
                    b.id.endswith(("Error", "Exception"))
                    or b.id in ("NotRegularFile", "LookupError", "OSError")
                )
                for b in node.bases
            ):
                defined.append(node.name)
    assert defined and [name for name in defined if name not in doc] == []


def test_size_limits_hold() -> None:
    """benchmarks/layout_metrics.py: no module over 300 lines, function p90 at most 30 lines."""
    spec = importlib.util.spec_from_file_location(
        "layout_metrics", ROOT / "benchmarks" / "layout_metrics.py"
    )
    if spec is None or spec.loader is None:
        pytest.fail("benchmarks/layout_metrics.py is missing")
    metrics = importlib.util.module_from_spec(spec)
    sys.modules["layout_metrics"] = metrics  # dataclasses look their module up there
    spec.loader.exec_module(metrics)
    measured = metrics.measure()
    over = [(p, n) for p, n in measured.modules if n > metrics.MODULE_LIMIT]
    assert over == []
    assert measured.p90 <= metrics.FUNCTION_P90_LIMIT
