"""The layers stay layers: who may import whom (docs/ARCHITECTURE.md), read from the source without running it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PRODUCT = ("backends", "core", "ui", "benchmarks", "cli", "testkit", "scripts")


def modules() -> dict[str, Path]:
    found = {}
    for folder in PRODUCT:
        for path in (ROOT / folder).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    found["launch"] = ROOT / "launch.py"
    return found


def imports(path: Path, name: str) -> set[str]:
    """Every module `path` imports, at module level or inside functions, absolute or relative."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")[: -node.level] if path.name != "__init__.py" else name.split(".")
                base = ".".join(package[: len(package) - (node.level - 1)] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


GRAPH = {name: imports(path, name) for name, path in modules().items()}


def importers_of(prefix: str, within: tuple[str, ...]) -> list[str]:
    return sorted(m for m, targets in GRAPH.items() if m.startswith(within)
                  and any(t == prefix or t.startswith(prefix + ".") for t in targets))


@pytest.mark.parametrize("layer", ["backends", "core"])
def test_backends_and_core_never_import_gradio(layer):
    assert importers_of("gradio", (layer,)) == []


def test_ui_never_imports_an_engine_or_the_runtime():
    assert importers_of("backends.engines", ("ui",)) == []
    assert importers_of("backends.runtime", ("ui",)) == []


def test_the_product_never_imports_the_tests():
    assert importers_of("tests", PRODUCT + ("launch",)) == []


@pytest.mark.parametrize("lower, upper", [("backends", "core"), ("backends", "ui"), ("backends", "benchmarks"),
                                          ("core", "ui"), ("core", "benchmarks"), ("core", "cli")])
def test_a_lower_layer_never_imports_a_higher_one(lower, upper):
    assert importers_of(upper, (lower,)) == []


def test_there_is_no_import_cycle():
    paths = modules()
    # A module importing its own package's __init__ (a package re-exporting its children) is not a cycle.
    edges = {m: sorted(t for t in targets if t in GRAPH and t != m
                       and not (m.startswith(t + ".") and paths[t].name == "__init__.py"))
             for m, targets in GRAPH.items()}
    done: set[str] = set()
    stack: list[str] = []

    def cycle_from(module: str) -> list[str] | None:
        stack.append(module)
        for target in edges[module]:
            if target in stack:
                return stack[stack.index(target):] + [target]
            if target not in done and (found := cycle_from(target)):
                return found
        stack.pop()
        done.add(module)
        return None

    for module in sorted(edges):
        if module not in done:
            found = cycle_from(module)
            assert found is None, " -> ".join(found)
