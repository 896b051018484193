"""The package layout holds: no import cycles, the core imports nothing outside itself
(nor Flask or SQLAlchemy), the offline tools need no Flask, and modules and functions stay
small enough to read."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "consent"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports (at any depth of its code), absolute."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    return {
        name: {dep for dep in _imports(name, path) if dep in MODULES and dep != name}
        for name, path in MODULES.items()
    }


def _is_type_only(path: Path) -> set[str]:
    """Modules imported only under ``if TYPE_CHECKING:`` (no import at run time)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module:
                    found.add(inner.module)
    return found


def test_no_import_cycles() -> None:
    graph = _graph()
    for name, path in MODULES.items():
        graph[name] -= _is_type_only(path)
    # A package's __init__ importing its own modules is not a cycle of concepts.
    for name in graph:
        graph[name] = {dep for dep in graph[name] if not name.startswith(dep + ".")}
    done: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> None:
        if node in stack:
            cycle = [*stack[stack.index(node) :], node]
            pytest.fail("import cycle: " + " → ".join(cycle))
        if node in done:
            return
        stack.append(node)
        for dep in sorted(graph[node]):
            visit(dep)
        stack.pop()
        done.add(node)

    for name in sorted(graph):
        visit(name)


@pytest.mark.parametrize("package", ["consent.core", "consent.offline"])
def test_inner_packages_need_no_web_framework(package: str) -> None:
    allowed_inside = ("consent.core",) if package == "consent.core" else ("consent.core", package)
    for name, path in MODULES.items():
        if not (name == package or name.startswith(package + ".")):
            continue
        for dep in _imports(name, path):
            root = dep.split(".")[0]
            assert root not in ("flask", "sqlalchemy", "werkzeug", "jinja2"), (name, dep)
            if root == "consent" and dep != "consent":
                assert dep.startswith(allowed_inside), f"{name} imports {dep}"


def test_modules_and_functions_stay_small() -> None:
    too_long: dict[str, int] = {}
    for name, path in MODULES.items():
        text = path.read_text()
        if text.count("\n") > MAX_MODULE_LINES:
            too_long[name] = text.count("\n")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long[f"{name}.{node.name}"] = length
    assert not too_long, too_long
