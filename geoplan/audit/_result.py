"""What the land audit returns and the rules it applies: :class:`AuditRules` (every threshold
of the domain notes §2) and :class:`AuditResult` (tables, summary, notes, files, database
tables, maps). :func:`geoplan.audit.audit_land` computes it (:mod:`geoplan.audit._land`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from geoplan.errors import InputError

if TYPE_CHECKING:
    import folium

    from geoplan.io import RunRecord
    from geoplan.maps import MapContext

__all__ = ["AuditResult", "AuditRules", "Match"]

logger = logging.getLogger(__name__)

Match = Literal["overlay", "id", "both"]


@dataclass(frozen=True)
class AuditRules:
    """Thresholds of the land audit (defaults: national rules; adjust for local practice).

    Parameters
    ----------
    match
        How supplies are matched to approval batches: ``"overlay"`` (by geometry, default),
        ``"id"`` (by ``batch_id``), or ``"both"`` (figures by geometry; batches where matching
        by id would give a different supplied area are flagged).
    sliver_width, sliver_area
        An unsupplied (or unmatched) piece thinner than ``sliver_width`` metres or smaller than
        ``sliver_area`` m² is a digitising sliver: dropped, and its area reported.
    lapse_years
        An approval this many years old with nothing supplied has lapsed (国发〔2004〕28号).
    idle_days
        Days past the agreed start (or since suspension) after which supplied land is idle.
    recover_days
        Days past the agreed start after which idle land can be recovered without compensation.
    idle_fee_rate
        Idle fee (土地闲置费) as a share of the land price.
    developed_ratio_min, invested_ratio_min
        A started parcel below either share, suspended ``idle_days`` or more, is idle (type 2).
    supply_rate_floor
        Minimum 5-year supply rate (增存挂钩: 60 %).
    window_years
        Approval years counted by the 5-year rate: the ``window_years`` calendar years before
        the as-of year.
    match_tolerance_m2
        With ``match="both"``, supplied areas by overlay and by id differing by more than this
        flag the batch.
    """

    match: Match = "overlay"
    sliver_width: float = 1.0
    sliver_area: float = 10.0
    lapse_years: int = 2
    idle_days: int = 365
    recover_days: int = 730
    idle_fee_rate: float = 0.2
    developed_ratio_min: float = 1.0 / 3.0
    invested_ratio_min: float = 0.25
    supply_rate_floor: float = 0.60
    window_years: int = 5
    match_tolerance_m2: float = 10.0

    def __post_init__(self) -> None:
        if self.match not in ("overlay", "id", "both"):
            raise InputError(f"match must be 'overlay', 'id' or 'both', got {self.match!r}.")
        for name in ("sliver_width", "sliver_area", "match_tolerance_m2", "idle_fee_rate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value >= 0:
                raise InputError(f"AuditRules.{name} must be a number >= 0, got {value!r}.")
        for name in ("lapse_years", "idle_days", "recover_days", "window_years"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"AuditRules.{name} must be a whole number >= 1, got {value!r}.")
        for name in ("developed_ratio_min", "invested_ratio_min", "supply_rate_floor"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise InputError(f"AuditRules.{name} must be a share in [0, 1], got {value!r}.")

    @classmethod
    def from_params(cls, params: Mapping[str, Any], **overrides: Any) -> AuditRules:
        """Rules from a ``[parameters.audit]`` table (unknown keys are an error).

        Examples
        --------
        >>> AuditRules.from_params({"sliver_width": 0.5}, match="both").sliver_width
        0.5
        """
        known = {f.name for f in fields(cls)}
        merged = {**dict(params), **{k: v for k, v in overrides.items() if v is not None}}
        unknown = sorted(set(merged) - known)
        if unknown:
            raise InputError(
                f"Unknown audit parameter(s) {', '.join(unknown)} in [parameters.audit]; the "
                f"known ones are: {', '.join(sorted(known))}."
            )
        return cls(**merged)


@dataclass(frozen=True)
class AuditResult:
    """What :func:`audit_land` found.

    Attributes
    ----------
    unsupplied
        批而未供: unsupplied pieces (one polygon each) with batch_id, approval_no, approved_on,
        age_years, area_m2, area_mu, township (when townships were given) and lapsed.
    supplied_unused
        供而未用: supplies not started, agreed start passed less than ``idle_days`` ago.
    idle
        闲置土地: supplies with status idle_type1 / idle_type2, with days_late, idle_fee and
        recoverable.
    unmatched_supplies
        Supply land outside every approval (a review list, not a violation).
    supplies
        Every supply record (exact duplicates dropped) with its status.
    batches
        One row per approval batch: approved / supplied / unsupplied / sliver areas (m², 亩),
        supply_rate, lapsed, match_method; geometry is the batch as approved.
    cohorts
        Totals per approval year; ``in_window`` marks the years of the 5-year rate.
    summary
        The headline figures (keys of ``summary.json``; areas in 亩, rates 0–1).
    quality
        Data-quality report: repairs, duplicates, overlaps, missing dates, id mismatches.
    rules, as_of
        The rules and assessment date used.

    Examples
    --------
    >>> import tempfile, geopandas as gpd, pandas as pd, shapely
    >>> from geoplan.audit import audit_land
    >>> approvals = gpd.GeoDataFrame(
    ...     {"batch_id": ["B1"], "approved_on": pd.to_datetime(["2020-03-01"])},
    ...     geometry=[shapely.box(500000, 3800000, 500100, 3800100)], crs=4547)
    >>> supplies = gpd.GeoDataFrame(
    ...     {"supply_id": ["S1"], "agreed_start": pd.to_datetime(["2024-03-01"]),
    ...      "actual_start": pd.to_datetime([None])},
    ...     geometry=[shapely.box(500000, 3800000, 500040, 3800100)], crs=4547)
    >>> result = audit_land(approvals, supplies, as_of="2024-06-30")
    >>> result.supplied_unused["supply_id"].tolist(), result.unsupplied["area_m2"].round(1).tolist()
    (['S1'], [6000.0])
    >>> sorted(p.name for p in result.to_files(tempfile.mkdtemp()).values())
    ['audit.gpkg', 'audit.html', 'audit.xlsx', 'summary.json']
    >>> type(result.explore()).__mro__[1].__name__
    'Map'
    """

    unsupplied: gpd.GeoDataFrame
    supplied_unused: gpd.GeoDataFrame
    idle: gpd.GeoDataFrame
    unmatched_supplies: gpd.GeoDataFrame
    supplies: gpd.GeoDataFrame
    batches: gpd.GeoDataFrame
    cohorts: pd.DataFrame
    summary: dict[str, Any]
    quality: dict[str, Any]
    rules: AuditRules = field(default_factory=AuditRules)
    as_of: dt.date = dt.date(1970, 1, 1)

    @property
    def meets_floor(self) -> bool | None:
        """Whether the 5-year supply rate reaches ``rules.supply_rate_floor`` (None: no data)."""
        r = self.summary["supply_rate_5y"]
        return None if r is None else bool(r >= self.rules.supply_rate_floor)

    def notes(self, lang: str = "zh") -> list[str]:
        """What could not be judged or was left out, as sentences (``summary["notes"]`` split;
        ``lang="en"`` in English).

        Examples
        --------
        >>> from geoplan.county import County
        >>> from geoplan.datasets import demo_path
        >>> from geoplan.audit import audit_land
        >>> c = County.open(demo_path())
        >>> r = audit_land(c.approvals, c.supplies, as_of=c.as_of)
        >>> r.notes("zh")[0].endswith("待核实"), r.notes("en")[0].endswith("to be verified")
        (True, True)
        """
        from geoplan.audit._status import NOTE_SEP, notes_en

        if lang == "en":
            return notes_en(self.summary, self.quality.get("unknown_by_reason", {}))
        return [n for n in str(self.summary.get("notes") or "").split(NOTE_SEP) if n]

    def _repr_html_(self) -> str:
        """The key figures as a table (Chinese headers) when shown in a notebook."""
        from geoplan._repr import figures_html

        return figures_html(
            f"存量土地核查（基准日期 {self.as_of.isoformat()}）", self.summary, "audit",
            tables={"批次": self.batches, "批而未供图斑": self.unsupplied,
                    "供地": self.supplies, "闲置土地": self.idle},
        )  # fmt: skip

    def to_files(
        self, directory: str | Path, *, context: MapContext | None = None
    ) -> dict[str, Path]:
        """Write audit.gpkg, audit.xlsx, summary.json and audit.html into ``directory``.

        Each file is written atomically; the map draws ``context`` (the county and township
        outlines, :func:`geoplan.runs.map_context`) under the findings. Returns
        ``{kind: path}``.
        """
        from geoplan.audit._write import write_all

        return write_all(self, Path(directory), context=context)

    def to_postgis(
        self,
        url: str,
        *,
        adcode: str,
        schema: str | None = None,
        mode: Literal["replace", "append"] = "replace",
        county_name: str | None = None,
        started: dt.datetime | None = None,
    ) -> RunRecord:
        """Write the audit into a PostGIS database in one transaction.

        Tables ``audit_batches``, ``audit_unsupplied``, ``audit_supplies``, ``audit_idle``,
        ``audit_supplied_unused``, ``audit_unmatched_supplies`` and ``audit_cohorts`` (typed, a
        ``gid`` primary key, ``geom`` with its SRID and a GiST index, the ledger's Chinese
        headers as column comments) and a ``geoplan_runs`` row (county ``adcode``, as-of date,
        rules, summary). ``url`` is ``postgresql://user@host:5432/db#schema`` (the password from
        ``PGPASSWORD`` or ``~/.pgpass``). ``mode="replace"`` removes the earlier runs of the same
        adcode and as-of date; ``"append"`` keeps them. See :func:`geoplan.io.write_postgis`.
        """
        from geoplan.audit._write import postgis_tables
        from geoplan.io import RunInfo, json_ready, write_postgis

        run = RunInfo(
            analysis="audit",
            adcode=adcode,
            as_of=self.as_of,
            county_name=county_name,
            parameters={**json_ready(self.rules), "as_of": self.as_of.isoformat()},
            summary=self.summary,
            started=started,
        )
        return write_postgis(url, postgis_tables(self), run, schema=schema, mode=mode)

    def add_to_map(self, m: folium.Map) -> None:
        """Add the audit's layers and legend to a map from :func:`geoplan.maps.new_map`."""
        from geoplan.audit._map import add_audit_layers

        add_audit_layers(self, m)

    def explore(self, *, context: MapContext | None = None, **kw: Any) -> folium.Map:
        """An offline folium map of the findings over ``context`` (county and township
        outlines; keywords go to :func:`geoplan.maps.new_map`)."""
        from geoplan import maps

        return maps.compose(self, extent=[self.batches], context=context, **kw)
