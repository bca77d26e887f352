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


def test_cli_reference_covers_every_command() -> None:
    from geoplan.cli import COMMANDS

    documented = set(re.findall(r"^### `geoplan (\w+)", _section("Command-line reference"), re.M))
    assert documented == set(COMMANDS)
