"""The command line: info, --version, and exit 2 with a plain message on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from geoplan import __version__
from geoplan.cli import main
from tests.support.county import small_package


def test_version() -> None:
    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0 and __version__ in res.output


def test_info_prints_layers(tmp_path: Path) -> None:
    pkg = small_package(tmp_path)
    res = CliRunner().invoke(main, ["info", str(pkg)])
    assert res.exit_code == 0, res.output
    assert "示例县" in res.output and "townships" in res.output and "EPSG:4547" in res.output
    res = CliRunner().invoke(main, ["info", str(pkg), "--json"])
    data = json.loads(res.output)
    assert [lyr["role"] for lyr in data["layers"]] == [
        "boundary",
        "townships",
        "settlements",
        "approvals",
    ]
    assert data["layers"][3]["area_m2"] == 30000.0


def test_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    # a real process, so the exit status and stderr are what a user sees
    proc = subprocess.run(
        [sys.executable, "-m", "geoplan.cli", "info", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "county.toml" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "p").mkdir()
    pkg = small_package(tmp_path / "p", approvals_date_col="日期")  # 日期: no alias of approved_on
    proc = subprocess.run(
        [sys.executable, "-m", "geoplan.cli", "info", str(pkg)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "approved_on" in proc.stderr and "county.gpkg" in proc.stderr
    assert "Traceback" not in proc.stderr
