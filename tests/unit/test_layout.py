"""The layout holds: no import circle in app/, the layers point downwards, demo data apart.

Every ``import`` and ``from … import`` of a module of ``app`` counts (module level and inside
functions alike), so a circle cannot hide in a function body.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in APP.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of ``app`` that ``path`` imports (``from pkg import mod`` resolves to the module)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:
                    found.add(sub)
                elif target in modules:
                    found.add(target)
    found.discard(own)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import circle, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_circle_in_app() -> None:
    """No module of app/ reaches itself again through its imports."""
    circle = _cycle(_graph())
    assert circle is None, "Import-Kreis: " + " -> ".join(circle or [])


def test_cycle_finder_finds_a_circle() -> None:
    """The finder itself works (a test that cannot fail proves nothing)."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("layer", ["app.services", "app.security", "app.models", "app.datamodel"])
def test_lower_layers_never_import_views(layer: str) -> None:
    """Services, security and models sit below the views and never import them."""
    offenders = {
        name: sorted(i for i in imports if i == "app.views" or i.startswith("app.views."))
        for name, imports in _graph().items()
        if name == layer or name.startswith(layer + ".")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_domain_module_imports_demo_code() -> None:
    """Demo data lives in app/demo and is imported only by the CLI that loads it."""
    allowed = {"app.cli"}
    offenders = {
        name: sorted(i for i in imports if i == "app.demo" or i.startswith("app.demo."))
        for name, imports in _graph().items()
        if not name.startswith("app.demo") and name not in allowed
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_services_are_grouped_by_domain() -> None:
    """app/services holds domain packages plus a few shared modules, nothing else."""
    shared = {
        "__init__.py",
        "bundle.py",
        "catalogues.py",
        "errors.py",
        "export_safety.py",
        "organisations.py",
        "record_payloads.py",
        "setup.py",
    }
    loose = {p.name for p in (APP / "services").glob("*.py")} - shared
    assert loose == set(), f"Modul ohne Domäne in app/services: {sorted(loose)}"
