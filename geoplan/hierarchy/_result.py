"""What the settlement hierarchy returns: :class:`HierarchyResult` (settlements with tiers and
parents, catchment links, the reach check, summary; files, database tables, maps) and the
Chinese labels of its tables. :func:`geoplan.hierarchy.settlement_hierarchy` computes it
(:mod:`geoplan.hierarchy._settlements`)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd

from geoplan.hierarchy._tiers import HierarchyWeights, ReachTargets

if TYPE_CHECKING:
    import folium

    from geoplan.io import RunRecord
    from geoplan.maps import MapContext

__all__ = ["HIERARCHY_LABELS", "HierarchyResult"]


#: Chinese labels of the hierarchy tables' columns (database comments)
HIERARCHY_LABELS = {
    "settlement_id": "居民点编号", "name": "名称", "kind": "类型", "population": "人口",
    "tier": "等级", "parent": "上级居民点", "parent_id": "上级居民点编号",
    "parent_tier": "上级等级", "time_to_parent_min": "到上级时间(分钟)",
    "time_to_seat_min": "到县城时间(分钟)", "score": "中心镇得分", "score_population": "人口得分",
    "score_villages": "服务村庄得分", "score_centrality": "中心性得分",
    "score_seat_distance": "距县城得分", "villages_served": "服务村庄数",
    "settlements_within": "范围内居民点数", "snap_distance_m": "到路网距离(米)", "reason": "说明",
    "link": "联系类型", "time_min": "时间(分钟)", "check": "核查项",
    "counterpart_id": "对应居民点编号", "counterpart": "对应居民点", "target_min": "目标时间(分钟)",
    "meets": "达到目标", "shortfall_min": "差距(分钟)",
}  # fmt: skip


@dataclass(frozen=True)
class HierarchyResult:
    """The settlement hierarchy of a county.

    Attributes
    ----------
    settlements : GeoDataFrame
        The input settlements (same index and columns) plus ``settlement_id`` (the index label),
        ``tier``, ``parent``, ``parent_id``, ``parent_tier``, ``time_to_parent_min``,
        ``time_to_seat_min``, ``score`` (towns only) with its four normalised terms
        ``score_population``, ``score_villages``, ``score_centrality``, ``score_seat_distance``
        and raw ``villages_served``, ``settlements_within``; ``snap_distance_m`` (to the nearest
        road node) and ``reason`` (why a time or parent is missing, else null).
    catchment_links : GeoDataFrame
        One routed line per settlement with a parent: ``settlement_id``, ``name``, ``tier``,
        ``parent_id``, ``parent``, ``parent_tier``, ``link`` (``village-town``,
        ``town-central``, ``town-seat``), ``time_min``.
    reach : GeoDataFrame
        One row per checked pair at the lower settlement's point: ``check``
        (``seat_town`` or ``town_village``), ``settlement_id``, ``name``, ``tier``,
        ``counterpart_id``, ``counterpart``, ``target_min``, ``time_min``, ``meets``,
        ``shortfall_min`` (minutes over the target, 0 when met, NaN when unreachable),
        ``reason``.
    summary : dict
        JSON-serialisable figures (see :func:`settlement_hierarchy`).
    roads : GeoDataFrame or None
        The road lines drawn under the hierarchy on maps (highway, ref, name, is_trunk).

    Examples
    --------
    >>> import tempfile, geopandas as gpd, shapely
    >>> from geoplan.hierarchy import settlement_hierarchy
    >>> roads = gpd.GeoDataFrame(
    ...     {"highway": ["trunk"]}, geometry=[shapely.LineString([(0, 0), (7000, 0)])], crs=4547)
    >>> pts = gpd.GeoDataFrame(
    ...     {"name": ["县城", "<b>村</b>"], "kind": ["县城", "村"]},
    ...     geometry=[shapely.Point(0, 0), shapely.Point(7000, 50)], crs=4547)
    >>> h = settlement_hierarchy(pts, roads)
    >>> m = h.explore(lang="en")          # a folium map; shows itself in Jupyter
    >>> files = h.to_files(tempfile.mkdtemp())
    >>> sorted(p.name for p in files.values())
    ['hierarchy.gpkg', 'hierarchy.html']
    >>> "&lt;b&gt;村&lt;/b&gt;" in files["html"].read_text(encoding="utf-8")
    True
    """

    settlements: gpd.GeoDataFrame
    catchment_links: gpd.GeoDataFrame
    reach: gpd.GeoDataFrame
    summary: dict[str, Any]
    roads: gpd.GeoDataFrame | None = None
    targets: ReachTargets = field(default_factory=ReachTargets)
    weights: HierarchyWeights = field(default_factory=HierarchyWeights)

    def _repr_html_(self) -> str:
        """The key figures as a table (Chinese headers) when shown in a notebook."""
        from geoplan._repr import figures_html

        return figures_html(
            "城镇村体系", self.summary, "hierarchy",
            tables={"居民点": self.settlements, "联系线": self.catchment_links,
                    "可达性检查": self.reach},
        )  # fmt: skip

    def to_files(
        self, directory: str | os.PathLike[str], *, context: MapContext | None = None
    ) -> dict[str, Path]:
        """Write ``hierarchy.gpkg`` (layers settlements, catchment_links, reach) and
        ``hierarchy.html`` (the offline map) into ``directory``, each atomically.

        The map draws ``context`` (county and township outlines,
        :func:`geoplan.runs.map_context`) under the hierarchy.
        """
        from geoplan import maps
        from geoplan.io import write_gpkg

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        gpkg = write_gpkg(
            out / "hierarchy.gpkg",
            {
                "settlements": self.settlements,
                "catchment_links": self.catchment_links,
                "reach": self.reach,
            },
        )
        html = maps.save_html(self.explore(context=context), out / "hierarchy.html")
        return {"gpkg": gpkg, "html": html}

    def to_postgis(
        self,
        url: str,
        *,
        adcode: str,
        as_of: dt.date,
        schema: str | None = None,
        mode: Literal["replace", "append"] = "replace",
        county_name: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        started: dt.datetime | None = None,
    ) -> RunRecord:
        """Write the result into a PostGIS database in one transaction: tables ``hierarchy_settlements``, ``hierarchy_catchment_links`` and ``hierarchy_reach``
        (typed, a ``gid`` primary key, ``geom`` with its SRID and a GiST index, Chinese column
        comments) and a ``geoplan_runs`` row keyed by county ``adcode``, ``as_of`` and the
        analysis (``parameters``: the options used, stored as jsonb). ``mode="replace"``
        removes the earlier runs of the same key, ``"append"`` keeps them. ``url`` is
        ``postgresql://user@host:5432/db#schema``, the password from ``PGPASSWORD`` or
        ``~/.pgpass``; see :func:`geoplan.io.write_postgis`.
        """
        from geoplan.io import write_result

        tables = (
            ("hierarchy_settlements", self.settlements, "城镇体系 · 居民点等级", "point"),
            ("hierarchy_catchment_links", self.catchment_links, "城镇体系 · 服务联系", "line"),
            ("hierarchy_reach", self.reach, "城镇体系 · 可达性目标核查", "point"),
        )
        return write_result(
            url, "hierarchy", tables, HIERARCHY_LABELS, adcode=adcode, as_of=as_of,
            summary=self.summary, parameters={"targets": self.targets, "weights": self.weights, **(parameters or {})}, county_name=county_name,
            started=started, schema=schema, mode=mode,
        )  # fmt: skip

    def add_to_map(self, m: folium.Map, *, roads: bool = True) -> None:
        """Add roads by class with trunk routes emphasised, catchment links, the settlements by
        tier (county seat largest; villages sized by population and coloured by whether they
        meet the town → village target) and legends."""
        from geoplan.hierarchy._map import add_hierarchy

        add_hierarchy(self, m, roads=roads)

    def explore(self, *, context: MapContext | None = None, **kwargs: Any) -> folium.Map:
        """An offline folium map of the hierarchy over ``context`` (county and township
        outlines; keywords go to :func:`geoplan.maps.new_map`: ``tiles``, ``lang``, ``title``,
        ``height``)."""
        from geoplan import maps

        kwargs.setdefault(
            "title", "Settlement hierarchy" if kwargs.get("lang") == "en" else "村镇体系"
        )
        return maps.compose(self, extent=[self.settlements], context=context, **kwargs)
