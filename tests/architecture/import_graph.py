"""The package's module import graph, read from the source with ``ast`` (nothing is imported).

An edge ``a -> b`` means module ``a`` imports module ``b`` when it runs: at the top of the
module or inside a function (a lazy import still ties the two modules together). Imports under
``if TYPE_CHECKING:`` are kept apart: they never run, so they cannot make an import cycle, but
they still count for the layering rule (the core names no adapter type either).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportGraph:
    modules: dict[str, Path]
    runtime: dict[str, set[str]] = field(default_factory=dict)
    typing_only: dict[str, set[str]] = field(default_factory=dict)

    def all_edges(self, module: str) -> set[str]:
        return self.runtime.get(module, set()) | self.typing_only.get(module, set())


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under the package folder ``root``."""
    out: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                ids.update(id(n) for n in ast.walk(stmt))
    return ids


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_pkg: bool, known: set[str]):
    """The package's own modules an import statement loads."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            here = module.split(".") if is_pkg else module.split(".")[:-1]
            up = here[: len(here) - node.level + 1]
            base = ".".join([*up, base] if base else up)
        # `from pkg import name` loads pkg.name when it is a module, else pkg itself.
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            yield name


def build(root: Path) -> ImportGraph:
    """The import graph of the package whose folder is ``root``."""
    graph = ImportGraph(module_names(root))
    known = set(graph.modules)
    for module, path in graph.modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        typing = _type_checking_nodes(tree)
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                into = graph.typing_only if id(node) in typing else graph.runtime
                into.setdefault(module, set()).update(_targets(node, module, is_pkg, known))
    return graph


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other in a loop (Tarjan's strongly connected
    components with more than one module), each sorted, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    nodes = sorted(set(edges) | {b for bs in edges.values() for b in bs})

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in nodes:
        if v not in index:
            visit(v)
    return sorted(found, key=lambda g: (-len(g), g))


def describe(group: list[str], edges: dict[str, set[str]]) -> str:
    """A cycle as the imports that make it, one per line, for the failure message."""
    members = set(group)
    lines = [f"  {a} -> {b}" for a in group for b in sorted(edges.get(a, ())) if b in members]
    return "\n".join(lines)
