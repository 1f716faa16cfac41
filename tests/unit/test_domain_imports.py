"""The pure core's imports: only `domain` and the standard library, and no cycle among its
modules (also none hidden behind `if TYPE_CHECKING:`, which only postpones the knot)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import inbox_worker.domain

DOMAIN = Path(inbox_worker.domain.__file__).parent


def domain_imports(path: Path) -> set[str]:
    """The top-level packages and `inbox_worker.domain.X` modules `path` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "inbox_worker.domain":  # from inbox_worker.domain import rules
                names = [f"inbox_worker.domain.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in DOMAIN.glob("*.py") if p.stem != "__init__"}
    return {name: {m.removeprefix("inbox_worker.domain.").split(".")[0]
                   for m in domain_imports(path) if m.startswith("inbox_worker.domain.")}
            for name, path in modules.items()}


def test_domain_imports_only_itself_and_the_standard_library() -> None:
    for path in DOMAIN.glob("*.py"):
        for name in domain_imports(path):
            top = name.split(".")[0]
            assert name.startswith("inbox_worker.domain") or top in sys.stdlib_module_names, (
                f"{path.name} imports {name}")


def test_domain_modules_import_each_other_without_a_cycle() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError("import cycle: " + " -> ".join([*trail, name]))
        if name in done:
            return
        for other in sorted(edges.get(name, ())):
            visit(other, [*trail, name])
        done.add(name)

    for name in sorted(edges):
        visit(name, [])
