"""The package imports in one direction (docs/architecture.md): no cycles, and the core
(model, normalize, rules) names no adapter, scheduler, command line or sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

import c3po_sync

from .import_graph import ImportGraph, build, cycles, describe

PACKAGE = Path(c3po_sync.__file__).parent
CORE = ("model", "normalize", "rules")
# What the core may not import: everything that talks to the outside world or runs it.
OUTER = ("m365", "sinks", "scheduler", "cli", "sandbox", "pipeline", "state", "wiring", "bench")
# The ports the core reads its input through (the records and references of a source).
CORE_MAY_USE = ("c3po_sync.sources.base",)
# The sandbox's own modules, and the root error every project exception derives from.
SANDBOX_MAY_USE = ("sandbox", "errors")


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layering_violations(graph: ImportGraph) -> list[str]:
    bad = []
    for module in sorted(graph.modules):
        if _package(module) not in CORE:
            continue
        for target in sorted(graph.all_edges(module)):
            pkg = _package(target)
            if pkg in OUTER or (pkg == "sources" and target not in CORE_MAY_USE):
                bad.append(f"  {module} -> {target}")
    # The sandbox stands in for SharePoint: it uses nothing of the service.
    for module in sorted(graph.modules):
        if _package(module) != "sandbox":
            continue
        outside = [t for t in sorted(graph.all_edges(module)) if _package(t) not in SANDBOX_MAY_USE]
        bad += [f"  {module} -> {t}" for t in outside]
    return bad


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return build(PACKAGE)


def test_the_package_has_no_import_cycle(graph: ImportGraph) -> None:
    found = cycles(graph.runtime)
    assert not found, "import cycles (break each along one direction):\n" + "\n".join(
        describe(g, graph.runtime) for g in found
    )


def test_the_core_imports_no_adapter_and_the_sandbox_nothing_of_the_service(
    graph: ImportGraph,
) -> None:
    bad = layering_violations(graph)
    assert not bad, "imports against docs/architecture.md's direction:\n" + "\n".join(bad)


def test_the_graph_sees_lazy_relative_and_type_only_imports(graph: ImportGraph) -> None:
    # A function-level import: the command line loads the validator only when asked to.
    assert "c3po_sync.cli.validate" in graph.runtime["c3po_sync.cli.main"]
    # `from c3po_sync.rules import scope as sc` is an import of the module rules.scope.
    assert "c3po_sync.rules.scope" in graph.runtime["c3po_sync.rules.assets"]
    # Type-only imports are kept apart from the ones that run.
    assert "c3po_sync.rules.config" in graph.typing_only["c3po_sync.rules.registry"]
    assert "c3po_sync.rules.config" not in graph.runtime["c3po_sync.rules.registry"]


def test_an_injected_cycle_and_an_upward_import_are_caught() -> None:
    graph = build(PACKAGE)
    # The model importing the command line closes a loop (cli -> ... -> model) and breaks
    # the layering at once; both checks must say so.
    graph.runtime.setdefault("c3po_sync.model.schema", set()).add("c3po_sync.cli.main")
    found = cycles(graph.runtime)
    assert any({"c3po_sync.model.schema", "c3po_sync.cli.main"} <= set(g) for g in found)
    assert "  c3po_sync.model.schema -> c3po_sync.cli.main" in layering_violations(graph)


def test_a_cycle_written_in_source_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from demo import b\n")
    (pkg / "b.py").write_text("def f():\n    from . import c\n")
    (pkg / "c.py").write_text("import demo.a\n")
    (pkg / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from demo import a\n"
    )
    (pkg / "e.py").write_text("from demo.a import thing\n")
    graph = build(pkg)
    assert cycles(graph.runtime) == [["demo.a", "demo.b", "demo.c"]]
    assert graph.typing_only["demo.d"] == {"demo.a"}
    assert graph.runtime["demo.e"] == {"demo.a"}


def test_docs_state_the_rules_this_test_checks() -> None:
    """docs/architecture.md says which way imports go; it names what the test enforces."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    rule = text[text.index("2. **The core") : text.index("3. **The sandbox")]
    assert all(f"`{p}`" in rule for p in (*CORE, *OUTER)), rule
    assert "sources/base.py" in rule
