"""Land-inventory audit: 批而未供, 供而未用, 闲置土地, unmatched supply and supply rates."""

from __future__ import annotations

from geoplan.audit._land import audit_land
from geoplan.audit._options import audit_options
from geoplan.audit._result import AuditResult, AuditRules

__all__ = [
    "AuditResult",
    "AuditRules",
    "audit_land",
    "audit_options",
]
