"""The layout by role stays a layering: no module imports, at run time, one that imports
it back (imports for type checking only are not run, and do not count)."""

from __future__ import annotations

import ast
from pathlib import Path

import intake

ROOT = Path(intake.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if not (node.module or "").startswith("intake"):
                    continue
                targets = [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                targets = [a.name for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            strong(node)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = _graph()
    assert len(graph) > 50 and graph["intake.pipeline.run"]  # it read the package
    assert _cycles(graph) == []


def test_front_ends_sit_on_top() -> None:
    """Nothing below the command line imports it."""
    graph = _graph()
    below = [m for m in graph if not m.startswith(("intake.cli", "intake.demo"))
             and m not in ("intake.__main__",)]
    assert [m for m in below if any(t.startswith("intake.cli") for t in graph[m])] == []


def test_the_main_process_of_a_poll_does_not_load_the_converters() -> None:
    """Documents are converted in workers, whose fork server loads the converters once;
    loading python-docx, pypdf, lxml and Pillow in the main process too would only make
    every cron run, most of which find no new mail, start later."""
    import subprocess
    import sys

    heavy = ("docx", "pypdf", "lxml", "PIL", "intake.convert.word", "intake.convert.worker")
    probe = ("import sys, intake.cli, intake.pipeline.poll, intake.pipeline.run, "
             f"intake.drafts.build; print([m for m in {heavy!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
