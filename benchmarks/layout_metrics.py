"""Layout metrics of the ``edi_gateway`` package: module sizes and function lengths.

Run: ``.venv/bin/python benchmarks/layout_metrics.py`` (no argument). Prints the number of
modules and functions, the median / p90 / longest function in lines (``def`` line to last line,
docstring included), every module over :data:`MODULE_LIMIT` lines and every function over
:data:`FUNCTION_LIMIT` lines (with its length without the docstring, what a reader reads as
code). ``tests/test_layout.py`` asserts the limits the layout issue set
(function p90 <= 30 lines, no module over 300 lines) with :func:`measure`.
"""

from __future__ import annotations

import ast
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "edi_gateway"
MODULE_LIMIT = 300  # lines per module
FUNCTION_P90_LIMIT = 30  # lines, 90th percentile of every function and method
FUNCTION_LIMIT = 40  # lines: longer functions are listed


@dataclass(frozen=True)
class Metrics:
    """Sizes measured over one package.

    Attributes:
        modules: ``(path relative to the package parent, lines)`` of every module.
        functions: ``(qualified name, lines)`` of every function and method.
        code: ``{qualified name: lines without the docstring}`` (what a reader reads as code).
    """

    modules: list[tuple[str, int]]
    functions: list[tuple[str, int]]
    code: dict[str, int]

    @property
    def p90(self) -> float:
        """90th percentile of the function lengths, in lines."""
        lengths = sorted(n for _, n in self.functions)
        return statistics.quantiles(lengths, n=10, method="inclusive")[-1]


def measure(package: Path = PACKAGE) -> Metrics:
    """Measure every ``*.py`` file under ``package``.

    Raises:
        SyntaxError: a module does not parse.
    """
    modules, functions, code = [], [], {}
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(package.parent))
        modules.append((name, len(text.splitlines())))
        for node in ast.walk(ast.parse(text, filename=name)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                qualified = f"{name}:{node.lineno} {node.name}"
                functions.append((qualified, length))
                code[qualified] = length - _docstring_lines(node)
    return Metrics(modules=modules, functions=functions, code=code)


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of the function's docstring (0 when it has none)."""
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return (first.end_lineno or first.lineno) - first.lineno + 1
    return 0


def main() -> int:
    """Print the metrics; exit code 1 when a limit the layout issue set is passed."""
    m = measure()
    lengths = [n for _, n in m.functions]
    print(f"modules: {len(m.modules)}, functions: {len(m.functions)}")
    print(
        f"function lines: median {statistics.median(lengths):.0f}, p90 {m.p90:.1f} "
        f"(limit {FUNCTION_P90_LIMIT}), longest {max(lengths)}"
    )
    largest = max(m.modules, key=lambda item: item[1])
    print(f"largest module: {largest[0]} {largest[1]} lines (limit {MODULE_LIMIT})")
    over = [(p, n) for p, n in m.modules if n > MODULE_LIMIT]
    for path, n in sorted(over, key=lambda item: -item[1]):
        print(f"  module over {MODULE_LIMIT}: {path} {n}")
    for name, n in sorted(m.functions, key=lambda item: -item[1]):
        if n > FUNCTION_LIMIT:
            print(
                f"  function over {FUNCTION_LIMIT}: {name} {n} ({m.code[name]} without docstring)"
            )
    return 1 if over or m.p90 > FUNCTION_P90_LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
