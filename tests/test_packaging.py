"""pyproject.toml and environment.yml list the same dependencies with the same version ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name where they differ
CONDA_NAMES = {"osmium": "pyosmium", "h3": "h3-py"}


def _split(req: str) -> tuple[str, str]:
    """(name, version spec) of a requirement; pip extras such as ``psycopg[binary]`` dropped
    (conda packages have none: conda-forge's psycopg brings its libpq itself)."""
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(.*)$", req)
    assert m, req
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs.extend(extra)
    out = {}
    for req in reqs:
        name, spec = _split(req)
        out[CONDA_NAMES.get(name, name)] = spec
    return out


def _environment() -> dict[str, str]:
    out = {}
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        m = re.match(r"^  - ([^:#]+?)\s*$", line)
        if in_deps and m:
            name, spec = _split(m.group(1))
            if name not in {"python=3.11", "pip"} and not name.startswith("python"):
                out[name] = spec
    return out


def test_environment_matches_pyproject() -> None:
    py, env = _pyproject(), _environment()
    assert set(py) == set(env), (
        f"only in pyproject: {sorted(set(py) - set(env))}; "
        f"only in environment.yml: {sorted(set(env) - set(py))}"
    )
    for name, spec in py.items():
        assert env[name] == spec, f"{name}: pyproject {spec!r} vs environment.yml {env[name]!r}"


def test_python_pinned_to_311() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.11,<3.12"
    assert "  - python=3.11" in (ROOT / "environment.yml").read_text().splitlines()


def test_every_public_name_resolves() -> None:
    import geoplan

    missing = [n for n in geoplan.__all__ if getattr(geoplan, n, None) is None]
    assert missing == []
    assert sorted(dir(geoplan)) == sorted(geoplan.__all__)


def test_every_cli_command_loads() -> None:
    import click

    from geoplan.cli import COMMANDS, main

    ctx = click.Context(main)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        assert isinstance(main.get_command(ctx, name), click.Command), name


def _imported_top_modules(root: Path) -> dict[str, str]:
    """Top-level module -> first file importing it, for every import under ``root``."""
    import ast

    out: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                out.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return out


def test_every_third_party_import_is_declared() -> None:
    """A module geoplan imports comes from a distribution pyproject.toml lists (directly), so a
    fresh install from pyproject alone never misses it."""
    import importlib.metadata as md
    import sys

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [*meta["dependencies"], *(r for x in meta["optional-dependencies"].values() for r in x)]
    declared = {_split(r)[0].replace("_", "-") for r in reqs}
    dists = md.packages_distributions()
    undeclared = []
    for module, where in _imported_top_modules(ROOT / "geoplan").items():
        if module == "geoplan" or module in sys.stdlib_module_names:
            continue
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not names & declared:
            undeclared.append(f"{module} ({where}; distributions {sorted(names)})")
    assert undeclared == [], "imported but not declared in pyproject.toml: " + ", ".join(undeclared)
