"""A progress bar for the report on the console: one tick per step, with each step's time."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geoplan.report import ReportStep


class ReportProgress:
    """A ``progress`` callback for :func:`geoplan.report.build_report` that draws a tqdm bar on
    stderr and writes one line per finished step (``zones  12.3 s  ok``).

    Use it as a context manager so the bar is closed however the report ends.
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def __enter__(self) -> ReportProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def __call__(self, step: ReportStep) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=step.total, file=sys.stderr, unit="step", leave=False,
                            bar_format="{desc} {bar} {n_fmt}/{total_fmt} [{elapsed}]")  # fmt: skip
        if step.seconds is None:
            self.bar.set_description_str(f"{step.name} …")
            return
        status = f"  {step.status}" if step.status else ""
        self.bar.write(f"{step.name:<18} {step.seconds:8.1f} s{status}", file=sys.stderr)
        self.bar.update(1)
