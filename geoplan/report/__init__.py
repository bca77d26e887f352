"""The county report: every analysis the county's layers allow, in one self-contained HTML page."""

from __future__ import annotations

from geoplan.report._build import (
    ReportStep,
    build_report,
)

__all__ = [
    "ReportStep",
    "build_report",
]
