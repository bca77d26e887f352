"""Area units used in Chinese land administration: m², 亩 (mu) and hectares.

1 亩 = 10000/15 m² ≈ 666.667 m²; 1 ha = 10 000 m² = 15 亩.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

__all__ = ["M2_PER_HA", "M2_PER_MU", "MU_PER_HA", "ha_to_m2", "m2_to_ha", "m2_to_mu", "mu_to_m2"]

M2_PER_MU: float = 10000.0 / 15.0
M2_PER_HA: float = 10000.0
MU_PER_HA: float = 15.0

_A = TypeVar("_A", float, np.ndarray, pd.Series)


def m2_to_mu(area_m2: _A) -> _A:
    """Square metres to 亩.

    Examples
    --------
    >>> m2_to_mu(10000.0)
    15.0
    """
    return area_m2 / M2_PER_MU


def mu_to_m2(area_mu: _A) -> _A:
    """亩 to square metres.

    Examples
    --------
    >>> round(mu_to_m2(1.0), 3)
    666.667
    """
    return area_mu * M2_PER_MU


def m2_to_ha(area_m2: _A) -> _A:
    """Square metres to hectares.

    Examples
    --------
    >>> m2_to_ha(25000.0)
    2.5
    """
    return area_m2 / M2_PER_HA


def ha_to_m2(area_ha: _A) -> _A:
    """Hectares to square metres.

    Examples
    --------
    >>> ha_to_m2(1.5)
    15000.0
    """
    return area_ha * M2_PER_HA
