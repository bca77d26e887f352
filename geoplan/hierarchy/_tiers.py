"""Settlement hierarchy, pure parts: input checks, tiers from ``kind``, central-town scores.

Nothing here touches the road network: the network passes live in :mod:`geoplan.hierarchy`,
which feeds the numbers (villages served, settlements reached, time to the seat) into
:func:`town_scores`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.crs import ensure_projected
from geoplan.errors import EmptyLayerError, GeometryTypeError, InputError, MissingFieldError
from geoplan.io import SETTLEMENT_KIND_VALUES

__all__ = [
    "TIERS",
    "TIER_RANK",
    "HierarchyWeights",
    "ReachTargets",
    "assign_tiers",
    "check_settlements",
    "minmax",
    "n_central_for",
    "pick_central",
    "town_scores",
]

logger = logging.getLogger(__name__)

#: tiers from the top of the hierarchy down.
TIERS: tuple[str, ...] = ("county_seat", "central_town", "town", "village")
TIER_RANK: dict[str, int] = {t: i for i, t in enumerate(TIERS)}

_KIND_LOOKUP: dict[str, str] = {k.strip().lower(): v for k, v in SETTLEMENT_KIND_VALUES.items()}
_SHOW = 10  # rows named in an error message


def _rows(labels: pd.Index | list[object], names: pd.Series | None = None) -> str:
    """``id 3 (name), id 7 (name) … and 12 more`` for error messages."""
    items = list(labels)
    parts = []
    for lab in items[:_SHOW]:
        if names is not None:
            parts.append(f"id {lab} ({names.loc[lab]!s})")
        else:
            parts.append(f"id {lab}")
    more = f" and {len(items) - _SHOW} more" if len(items) > _SHOW else ""
    return ", ".join(parts) + more


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class ReachTargets:
    """Travel-time targets (minutes) the hierarchy is checked against (domain notes §5).

    Parameters
    ----------
    seat_to_town_min
        County seat ↔ each township seat (central and ordinary towns): 30 min.
    town_to_village_min
        Township seat ↔ each village in its catchment: 20 min (15–20 in practice, **local**).
        Also the time budget for "villages served" and the reach centrality of the town score.

    Examples
    --------
    >>> ReachTargets().seat_to_town_min, ReachTargets(town_to_village_min=15).town_to_village_min
    (30.0, 15)
    """

    seat_to_town_min: float = 30.0
    town_to_village_min: float = 20.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not _is_number(value) or not math.isfinite(value) or value <= 0:
                raise InputError(
                    f"ReachTargets.{f.name} must be a positive number of minutes; got {value!r}."
                )


@dataclass(frozen=True)
class HierarchyWeights:
    """How central towns are inferred from ordinary towns when no settlement has
    ``kind = central_town``.

    Each town gets four terms, each min-max normalised over the towns (0 = lowest town,
    1 = highest; a term that is equal for every town, or unknown for a town, counts 0):

    - ``population``: the town's population;
    - ``villages_served``: villages in the town's catchment that reach it within
      ``ReachTargets.town_to_village_min``;
    - ``centrality``: reach centrality, the number of other settlements (towns, villages and the
      county seat) the town reaches within ``ReachTargets.town_to_village_min``;
    - ``seat_distance``: travel time from the town to the county seat (further away = more of a
      sub-centre).

    ``score = Σ weight × term / Σ weights`` (0–1). Without ``n_central``, the
    ``floor(central_share × towns)`` best-scoring towns become central towns.

    Examples
    --------
    >>> w = HierarchyWeights()
    >>> w.population, w.villages_served, w.centrality, w.seat_distance, w.central_share
    (0.35, 0.25, 0.2, 0.2, 0.25)
    """

    population: float = 0.35
    villages_served: float = 0.25
    centrality: float = 0.2
    seat_distance: float = 0.2
    central_share: float = 0.25

    def __post_init__(self) -> None:
        for name in ("population", "villages_served", "centrality", "seat_distance"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                raise InputError(f"HierarchyWeights.{name} must be a number >= 0; got {value!r}.")
        if self.total <= 0:
            raise InputError(
                "HierarchyWeights: the four term weights are all 0; give at least one a positive "
                "weight (defaults: population 0.35, villages_served 0.25, centrality 0.2, "
                "seat_distance 0.2)."
            )
        share = self.central_share
        if not _is_number(share) or not 0 <= share <= 1:
            raise InputError(
                f"HierarchyWeights.central_share must be between 0 and 1; got {share!r}."
            )

    @property
    def total(self) -> float:
        """Sum of the four term weights."""
        return float(self.population + self.villages_served + self.centrality + self.seat_distance)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --------------------------------------------------------------------------- input


def check_settlements(settlements: object) -> tuple[gpd.GeoDataFrame, int]:
    """A checked copy of the settlements: projected points, unique index, ``name`` filled,
    ``kind`` canonical, ``population`` float. Returns the copy and the number of unnamed rows."""
    if not isinstance(settlements, gpd.GeoDataFrame):
        raise InputError(
            f"settlements must be a GeoDataFrame of points, got {type(settlements).__name__}. "
            "Read it with geoplan.read_layer(path, role='settlements')."
        )
    if settlements.empty:
        raise EmptyLayerError("The settlements layer has no features; the hierarchy needs them.")
    ensure_projected(settlements, name="settlements")
    missing = [c for c in ("name", "kind") if c not in settlements.columns]
    if missing:
        raise MissingFieldError(
            f"settlements lacks column(s) {missing}; it has "
            f"{[c for c in settlements.columns if c != settlements.geometry.name]}. Read it with "
            "geoplan.read_layer(path, role='settlements') (which maps 名称/类型/人口 aliases) or "
            "add name and kind (county_seat / central_town / town / village, or 县城/中心镇/镇/村)."
        )
    if not settlements.index.is_unique:
        dup = settlements.index[settlements.index.duplicated()].unique()
        raise InputError(
            f"settlements has duplicate index labels ({_rows(list(dup))}); the labels identify "
            "settlements in parent_id. Use settlements.reset_index(drop=True)."
        )
    geom = settlements.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        raise InputError(
            f"settlements: {int(empty.sum())} rows have no geometry ({_rows(geom.index[empty])}). "
            "Give every settlement a point, or drop those rows."
        )
    types = geom.geom_type
    bad = ~types.isin(["Point", "MultiPoint"])
    if bad.any():
        raise GeometryTypeError(
            f"settlements must be points; {int(bad.sum())} rows are "
            f"{sorted(set(types[bad]))} ({_rows(geom.index[bad])}). Use each settlement's "
            "centre point (e.g. gdf.representative_point())."
        )
    out = settlements.copy()
    multi = (types == "MultiPoint").to_numpy()
    if multi.any():
        out.loc[multi, out.geometry.name] = geom[multi].centroid
        logger.info("settlements: %d MultiPoints replaced by their centroid", int(multi.sum()))
    names = out["name"].astype("string").str.strip()
    unnamed = names.isna() | (names == "")
    names = names.astype(object)
    names[unnamed.to_numpy()] = [f"(unnamed {lab})" for lab in out.index[unnamed.to_numpy()]]
    out["name"] = pd.array(names.tolist(), dtype="string")
    out["kind"] = _canonical_kinds(out["kind"], out["name"])
    if "population" in out.columns:
        pop = pd.to_numeric(out["population"], errors="coerce").astype(float)
        bad_text = pop.isna() & out["population"].notna()
        negative = pop < 0
        if bad_text.any() or negative.any():
            wrong = out.index[(bad_text | negative).to_numpy()]
            raise InputError(
                f"settlements.population must be a number >= 0 (or empty); rows "
                f"{_rows(wrong, out['name'])} have {out['population'][wrong].tolist()[:_SHOW]}."
            )
        out["population"] = pop
    else:
        out["population"] = np.nan
    return out, int(unnamed.sum())


def _canonical_kinds(kind: pd.Series, names: pd.Series) -> pd.Series:
    text = kind.astype("string").str.strip()
    missing = text.isna() | (text == "")
    if missing.any():
        labels = kind.index[missing.to_numpy()]
        raise InputError(
            f"settlements.kind is empty for {int(missing.sum())} of {len(kind)} settlements "
            f"({_rows(labels, names)}). The hierarchy takes tiers from kind: give each settlement "
            "county_seat / central_town / town / village (or 县城 / 中心镇 / 镇 / 村); central "
            "towns may be left as town and are then inferred."
        )
    mapped = text.str.lower().map(_KIND_LOOKUP)
    unknown = mapped.isna()
    if unknown.any():
        counts = text[unknown.to_numpy()].value_counts()
        shown = ", ".join(f"{v!r} ({n})" for v, n in counts.head(_SHOW).items())
        raise InputError(
            f"settlements.kind has values geoplan does not know: {shown} (rows "
            f"{_rows(kind.index[unknown.to_numpy()], names)}). Known: "
            f"{', '.join(sorted(set(SETTLEMENT_KIND_VALUES)))}. Fix the values, or map them "
            "before calling settlement_hierarchy."
        )
    return mapped.astype("string")


def assign_tiers(settlements: gpd.GeoDataFrame) -> tuple[np.ndarray, int, bool]:
    """Tier per row from the canonical ``kind``, the position of the county seat, and whether
    central towns were given (any ``kind == central_town``)."""
    kind = settlements["kind"].astype(str).to_numpy()
    seats = np.flatnonzero(kind == "county_seat")
    if len(seats) != 1:
        if len(seats) == 0:
            detail = "none has kind county_seat (县城)"
        else:
            detail = f"{len(seats)} have it: {_rows(settlements.index[seats], settlements['name'])}"
        raise InputError(
            f"settlements: the hierarchy needs exactly one county seat, but {detail}. Mark the "
            "county seat with kind = county_seat (or 县城) and the other towns with town (镇)."
        )
    tier = kind.astype(object)
    return tier, int(seats[0]), bool((kind == "central_town").any())


# --------------------------------------------------------------------------- scores


def minmax(values: np.ndarray) -> np.ndarray:
    """Min-max normalise to 0–1; non-finite values and a constant column give 0.

    Examples
    --------
    >>> minmax(np.array([10.0, 20.0, np.nan, 30.0])).tolist()
    [0.0, 0.5, 0.0, 1.0]
    >>> minmax(np.array([5.0, 5.0])).tolist()
    [0.0, 0.0]
    """
    x = np.asarray(values, dtype=float)
    out = np.zeros(len(x))
    finite = np.isfinite(x)
    if not finite.any():
        return out
    lo, hi = float(x[finite].min()), float(x[finite].max())
    if hi > lo:
        out[finite] = (x[finite] - lo) / (hi - lo)
    return out


def town_scores(
    *,
    population: np.ndarray,
    villages_served: np.ndarray,
    reach_count: np.ndarray,
    seat_time_min: np.ndarray,
    weights: HierarchyWeights,
) -> pd.DataFrame:
    """Normalised terms and the composite score for each town (arrays in the same order).

    Examples
    --------
    >>> t = town_scores(
    ...     population=np.array([1000.0, 3000.0]), villages_served=np.array([2, 0]),
    ...     reach_count=np.array([3, 1]), seat_time_min=np.array([10.0, 20.0]),
    ...     weights=HierarchyWeights(),
    ... )
    >>> t["score"].round(2).tolist()
    [0.45, 0.55]
    """
    terms = pd.DataFrame(
        {
            "score_population": minmax(population),
            "score_villages": minmax(villages_served),
            "score_centrality": minmax(reach_count),
            "score_seat_distance": minmax(seat_time_min),
        }
    )
    w = np.array(
        [weights.population, weights.villages_served, weights.centrality, weights.seat_distance]
    )
    terms["score"] = terms.to_numpy() @ w / weights.total
    return terms


def n_central_for(n_towns: int, weights: HierarchyWeights, n_central: int | None) -> int:
    """How many central towns to infer among ``n_towns`` ordinary towns.

    Examples
    --------
    >>> n_central_for(9, HierarchyWeights(), None), n_central_for(9, HierarchyWeights(), 5)
    (2, 5)
    """
    if n_central is None:
        return int(math.floor(weights.central_share * n_towns + 1e-9))
    if isinstance(n_central, bool) or not isinstance(n_central, int | np.integer) or n_central < 0:
        raise InputError(f"n_central must be a whole number >= 0 or None; got {n_central!r}.")
    if n_central > n_towns:
        raise InputError(
            f"n_central={n_central} but there are only {n_towns} towns to choose central towns "
            "from. Pass a smaller n_central (or None for the default share)."
        )
    return int(n_central)


def pick_central(score: np.ndarray, population: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` best towns: highest score, then population, then input order.

    Examples
    --------
    >>> pick_central(np.array([0.2, 0.9, 0.9, 0.1]), np.array([5.0, 1.0, 2.0, 9.0]), 2).tolist()
    [1, 2]
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    pop = np.where(np.isfinite(population), population, -np.inf)
    order = np.lexsort((np.arange(len(score)), -pop, -score))
    return np.sort(order[:k])
