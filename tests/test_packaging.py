"""pyproject.toml and environment.yml list the same dependencies with the same version ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name where they differ
CONDA_NAMES = {"osmium": "pyosmium", "h3": "h3-py"}


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
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
