"""Options of the 亩均效益 evaluation and ``[parameters.efficiency]`` of county.toml."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoplan.efficiency._scheme import list_schemes, load_scheme
from geoplan.errors import InputError

__all__ = ["EFFICIENCY_KEYS", "EfficiencyRules", "efficiency_options"]

#: keys ``[parameters.efficiency]`` may hold
EFFICIENCY_KEYS = ("scheme", "new_quota_per_stock_mu", "industrial_uses")


@dataclass(frozen=True)
class EfficiencyRules:
    """County rules around the scheme.

    Attributes
    ----------
    new_quota_per_stock_mu
        New construction-land quota (亩) per 亩 of stock land revitalised under 增存挂钩
        (**local**; default 0.5, i.e. 1 new for 2 revitalised).
    industrial_uses
        Words of the supplies' 土地用途 that make a plot industrial land (default 工业: 工业用地).
    """

    new_quota_per_stock_mu: float = 0.5
    industrial_uses: tuple[str, ...] = ("工业",)

    def __post_init__(self) -> None:
        q = self.new_quota_per_stock_mu
        if isinstance(q, bool) or not isinstance(q, int | float) or not math.isfinite(q) or q < 0:
            raise InputError(
                f"new_quota_per_stock_mu = {q!r}: give the new quota per 亩 of stock land as a "
                "number ≥ 0 (0.5 for 增存挂钩 at 1:2)."
            )
        if not self.industrial_uses or not all(
            isinstance(u, str) and u for u in self.industrial_uses
        ):
            raise InputError(
                f"industrial_uses = {self.industrial_uses!r}: give the words of 土地用途 that "
                'mean industrial land, e.g. ["工业"].'
            )


def efficiency_options(
    params: Mapping[str, Any], *, base: str | os.PathLike[str] | None = None, **overrides: Any
) -> dict[str, Any]:
    """Keyword arguments for :func:`~geoplan.efficiency.land_efficiency` from a
    ``[parameters.efficiency]`` table (``County.params("efficiency")``).

    Keys: ``scheme`` (a shipped scheme name or a .toml file, relative to ``base``: the county
    folder), ``new_quota_per_stock_mu``, ``industrial_uses``. Unknown keys are an error; the
    scheme is loaded and checked here, so a bad scheme stops a command before any work.
    ``overrides`` that are not None win (a ``--scheme`` file is relative to the working folder).

    Examples
    --------
    >>> opts = efficiency_options({"new_quota_per_stock_mu": 1.0})
    >>> opts["scheme"].name, opts["rules"].new_quota_per_stock_mu
    ('default', 1.0)
    >>> efficiency_options({"quota": 1})
    Traceback (most recent call last):
    ...
    geoplan.errors.InputError: [parameters.efficiency] has unknown key(s) ['quota']; ...
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    merged = {**dict(params), **given}
    unknown = sorted(set(merged) - set(EFFICIENCY_KEYS))
    if unknown:
        raise InputError(
            f"[parameters.efficiency] has unknown key(s) {unknown}; known: "
            f"{', '.join(EFFICIENCY_KEYS)}."
        )
    scheme = merged.get("scheme", "default")
    if not isinstance(scheme, str | os.PathLike):
        raise InputError(f"scheme = {scheme!r}: a scheme name or the path of a .toml file.")
    text = os.fspath(scheme)
    if text not in list_schemes() and "scheme" not in given and base is not None:
        path = Path(text)
        text = str(path if path.is_absolute() else Path(base) / path)
    uses = merged.get("industrial_uses", ("工业",))
    if isinstance(uses, str):
        uses = (uses,)
    rules = EfficiencyRules(
        new_quota_per_stock_mu=merged.get("new_quota_per_stock_mu", 0.5),
        industrial_uses=tuple(uses),
    )
    return {"scheme": load_scheme(text), "rules": rules}
