"""The README's notebook session runs as written, and its CLI reference names every command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


@pytest.mark.slow
def test_notebook_session_runs(tmp_path, monkeypatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", _section("A notebook session"), flags=re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert 0 < namespace["audit"].summary["supply_rate_5y"] <= 1
    assert len(namespace["conn"].parks) == len(namespace["county"].parks)
    assert (tmp_path / "out" / "audit" / "audit.xlsx").is_file()
    assert (tmp_path / "maps" / "demo" / "index.html").is_file()
    assert namespace["zones"].cells["area_m2"].max() == pytest.approx(1e6)  # cell=1000
    assert 0 < namespace["other"].as_of.year == 2025


def test_cli_reference_covers_every_command() -> None:
    from geoplan.cli import COMMANDS

    documented = set(re.findall(r"^### `geoplan (\w+)", _section("Command-line reference"), re.M))
    assert documented == set(COMMANDS)


def test_no_heading_twice() -> None:
    """The README once held its intro through the notebook session twice; headings are unique
    (code blocks, whose ``#`` lines are comments, are left out)."""
    text = re.sub(r"```.*?```", "", README, flags=re.S)
    headings = re.findall(r"^(#{1,6} .+)$", text, re.M)
    repeated = sorted({h for h in headings if headings.count(h) > 1})
    assert headings and not repeated, repeated


def test_design_names_every_subpackage() -> None:
    design = (ROOT / "DESIGN.md").read_text(encoding="utf-8")
    packages = sorted(p.name for p in (ROOT / "geoplan").iterdir() if (p / "__init__.py").is_file())
    missing = [p for p in packages if f"{p}/" not in design]
    assert not missing, f"DESIGN.md does not show {missing}"
