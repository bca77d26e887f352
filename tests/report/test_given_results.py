"""build_report(results=...): analyses already run (by the province's workers) are shown, not
run again; an exception given in place of a result is shown as that analysis's failure."""

from __future__ import annotations

import json
from pathlib import Path

from geoplan.county import County
from geoplan.errors import InputError
from geoplan.report import build_report
from tests.support.county import small_package


def test_a_given_exception_is_shown_instead_of_running(tmp_path: Path) -> None:
    pkg = small_package(tmp_path / "c")
    county = County.open(pkg)
    out = tmp_path / "r"
    build_report(county, out=out, results={"audit": InputError("supplies: boom from a worker")})
    report = json.loads((out / "report.json").read_text("utf-8"))
    sections = {s["key"]: s for s in report["sections"]}
    # without results the audit is skipped (the package has no supplies layer); the given
    # failure is shown instead, so nothing was run for it
    assert sections["audit"]["status"] == "error"
    assert sections["audit"]["note"].startswith("分析失败：输入数据或参数无法直接使用")
    assert sections["audit"]["detail"] == "InputError: supplies: boom from a worker"
    assert sections["zones"]["status"] == "skipped"  # not given: run (skipped for want of layers)
    build_report(county, out=tmp_path / "r2")
    plain = json.loads((tmp_path / "r2" / "report.json").read_text("utf-8"))
    assert {s["key"]: s["status"] for s in plain["sections"]}["audit"] == "skipped"
