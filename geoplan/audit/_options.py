"""``[parameters.audit]`` of county.toml as checked :class:`AuditRules` (the audit's part of the
one input path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geoplan.audit._result import AuditRules

__all__ = ["audit_options"]


def audit_options(params: Mapping[str, Any], **overrides: Any) -> AuditRules:
    """Checked :class:`AuditRules` from a ``[parameters.audit]`` table (unknown keys are an
    error); ``overrides`` that are not None win (command-line options such as ``match``).

    Examples
    --------
    >>> audit_options({"sliver_width": 0.5}, match="both").match
    'both'
    """
    return AuditRules.from_params(params, **overrides)
