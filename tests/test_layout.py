"""The package's shape: one subpackage per concern, no import cycles, no reaching into privates.

The import graph is read from the source (``ast``), every ``import`` statement in a module —
at the top or inside a function — except those under ``if TYPE_CHECKING:`` (annotations only,
never executed).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "geoplan"
SUBPACKAGES = ("audit", "cli", "connectivity", "datasets", "hierarchy", "io", "landuse", "maps",
               "network", "province", "report", "zones")  # fmt: skip


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every runtime import in ``path``."""
    out: list[tuple[str, list[str], int]] = []
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.extend((a.name, [], node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            out.append((base, [a.name for a in node.names], node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return out


def _targets(imported: str, names: list[str]) -> list[str]:
    """The geoplan modules an import statement loads (``from pkg import module`` included)."""
    if not imported.startswith("geoplan"):
        return []
    found = [imported] if imported in MODULES else []
    found += [f"{imported}.{n}" for n in names if f"{imported}.{n}" in MODULES]
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for imported, names, _ in _imports(path):
            for target in _targets(imported, names):
                # importing a.b.c runs a and a.b first
                parts = target.split(".")
                for k in range(1, len(parts) + 1):
                    dep = ".".join(parts[:k])
                    if dep in MODULES and dep != module and not module.startswith(dep + "."):
                        graph[module].add(dep)
    return graph


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def dfs(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                dfs(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_graph_is_read() -> None:
    # the walk itself: a module known to import others has edges, TYPE_CHECKING ones excluded
    graph = _graph()
    assert {"geoplan.county", "geoplan.audit", "geoplan.zones"} <= graph["geoplan.runs"]
    assert "geoplan.audit._result" not in graph["geoplan.audit._write"]  # annotation only


def _subpackage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SUBPACKAGES else None


def test_no_module_reaches_into_another_subpackages_privates() -> None:
    offences = []
    for module, path in MODULES.items():
        own = _subpackage(module)
        for imported, names, line in _imports(path):
            if not imported.startswith("geoplan.") or _subpackage(imported) in (None, own):
                continue
            private = [p for p in imported.split(".")[2:] if p.startswith("_")]
            private += [n for n in names if n.startswith("_")]
            if private:
                offences.append(f"{path.relative_to(PKG.parent)}:{line}: {imported} {names}")
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_each_subpackage_init_holds_its_public_names(name: str) -> None:
    import importlib

    module = importlib.import_module(f"geoplan.{name}")
    public = getattr(module, "__all__", None)
    assert public, f"geoplan.{name} has no __all__"
    assert all(hasattr(module, n) and not n.startswith("_") for n in public)
    private_modules = [p.stem for p in (PKG / name).glob("*.py") if p.stem != "__init__"]
    assert all(stem.startswith("_") or name in ("cli",) for stem in private_modules), (
        f"geoplan.{name}: modules without the leading underscore: {private_modules}"
    )
