"""Building a road network: from a source to raw ways, and from raw ways to node/edge tables."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geoplan.errors import CRSError, DataFileNotFoundError, InputError
from geoplan.io import OSM_SUFFIXES, is_osm_source, split_source
from geoplan.network import _graph
from geoplan.network._osm import RawWays, lines_to_ways, read_osm_ways
from geoplan.network._roadclass import RoadClasses, Speeds, parse_maxspeed, parse_oneway

__all__ = ["NetworkReport", "assemble", "raw_from_source"]

logger = logging.getLogger("geoplan.network")

_TRUNK_RANK = {"motorway": 0, "trunk": 1, "primary": 2}


@dataclass(frozen=True)
class NetworkReport:
    """What happened while building a network: kept, excluded, cut and defaulted ways.

    ``ways_cut``: ways of a clipped extract that referenced nodes missing from the file; each
    was split into runs of present nodes (``missing_node_refs`` refs skipped, never bridged;
    runs of one node dropped, counted in ``runs_dropped``). ``oneway_fallback`` /
    ``maxspeed_fallback`` map each value that was not understood (or ``reversible``) to the
    number of ways that carried it: those ways were treated as two-way / given their class speed.
    ``unnoded_ends`` (line layers): line ends lying on another line without a shared vertex;
    they are not joined (node the layer, e.g. QGIS "Split with lines", if they should be).
    """

    source: str
    network: str
    ways_read: int
    ways_kept: int
    excluded: dict[str, int]
    ways_cut: int
    missing_node_refs: int
    runs_dropped: int
    oneway_fallback: dict[str, int]
    maxspeed_tagged: int
    maxspeed_fallback: dict[str, int]
    nodes: int
    edges: int
    trunk_nodes: int
    motorway_entrances: int
    unnoded_ends: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of the report."""
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.__dict__.items()}


def _road_source(source: str | Path) -> tuple[Path, str | None]:
    path, layer = split_source(source)
    if not path.exists():
        raise DataFileNotFoundError(
            f"Road source {str(source)!r} does not exist. Give an OpenStreetMap extract "
            f"({', '.join(OSM_SUFFIXES)}), a vector file, or 'file.gpkg:layer' for one layer of "
            "a multi-layer file."
        )
    return path, layer


def raw_from_source(
    source: str | Path | gpd.GeoDataFrame, highways: frozenset[str], crs: Any
) -> tuple[RawWays, CRS, str]:
    if isinstance(source, gpd.GeoDataFrame):
        from geoplan.crs import to_metric

        gdf = to_metric(source, crs, name="roads")
        return lines_to_ways(gdf, highways), CRS.from_user_input(gdf.crs), "GeoDataFrame"
    path, layer = _road_source(source)
    if is_osm_source(source):
        raw = read_osm_ways(path, highways)
        if len(raw.ptr) <= 1:
            return raw, CRS.from_epsg(4326), str(path)
        from geoplan.crs import metric_crs_for

        if crs is not None:
            target = CRS.from_user_input(crs)
            if not target.is_projected:
                raise CRSError(f"crs={target.name} is not projected; give a metric CRS.")
        else:
            target = metric_crs_for(
                float((raw.x.min() + raw.x.max()) / 2), float((raw.y.min() + raw.y.max()) / 2)
            )
            logger.info("%s: projecting roads to %s", path.name, target.name)
        tr = Transformer.from_crs(4326, target, always_xy=True)
        raw.x, raw.y = tr.transform(raw.x, raw.y)
        raw.crs = target
        return raw, target, str(path)
    from geoplan.crs import to_metric
    from geoplan.io import read_layer

    gdf = read_layer(str(source), role="roads")
    gdf = to_metric(gdf, crs, name=f"roads ({source})")
    return lines_to_ways(gdf, highways), CRS.from_user_input(gdf.crs), str(source)


def assemble(
    raw: RawWays, crs: CRS, label: str, net_name: str, speeds: Speeds, classes: RoadClasses
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, NetworkReport, np.ndarray]:
    """Node and edge tables, the build report and the road-piece id of each edge."""
    tags = raw.tags
    direction, oneway_odd = parse_oneway(tags["oneway"], tags["highway"], tags["junction"])
    kmh, speed_odd = parse_maxspeed(tags["maxspeed"])
    default = speeds.for_highways(tags["highway"])
    run_speed = np.where(np.isnan(kmh), default, kmh)
    run_trunk = classes.is_trunk(tags["highway"], tags["ref"])
    topo = _graph.build_topology(raw.ptr, raw.node_id, raw.x, raw.y, direction, raw.junction_nodes)
    if len(topo.u) == 0:
        raise InputError(
            f"{label}: the {net_name!r} roads form no edges ({raw.ways_kept} ways kept, all of "
            "them shorter than two distinct nodes after clipping)."
        )
    r = topo.run
    speed = run_speed[r]
    edges = gpd.GeoDataFrame(
        {
            "u": topo.node_id[topo.u],
            "v": topo.node_id[topo.v],
            "key": topo.key,
            "osmid": tags["osmid"].to_numpy(dtype=np.int64)[r],
            "highway": pd.array(tags["highway"].to_numpy(dtype=object)[r], dtype="string"),
            "ref": pd.array(tags["ref"].to_numpy(dtype=object)[r], dtype="string"),
            "name": pd.array(tags["name"].to_numpy(dtype=object)[r], dtype="string"),
            "oneway": direction[r] != 0,
            "reversed": topo.reversed,
            "maxspeed": pd.array(tags["maxspeed"].to_numpy(dtype=object)[r], dtype="string"),
            "length_m": topo.length,
            "speed_kmh": speed,
            "time_s": topo.length / (speed / 3.6),
            "is_trunk": run_trunk[r],
        },
        geometry=topo.geometry,
        crs=crs,
    )
    nodes = _node_frame(topo, edges, raw.junction_nodes, crs)
    report = NetworkReport(
        source=label,
        network=net_name,
        ways_read=raw.ways_read,
        ways_kept=raw.ways_kept,
        excluded=dict(raw.excluded),
        ways_cut=raw.ways_cut,
        missing_node_refs=raw.missing_node_refs,
        runs_dropped=raw.runs_dropped + topo.runs_dropped,
        oneway_fallback=dict(oneway_odd),
        maxspeed_tagged=int(tags["maxspeed"].notna().sum()),
        maxspeed_fallback=dict(speed_odd),
        nodes=len(nodes),
        edges=len(edges),
        trunk_nodes=int(nodes["is_trunk"].sum()),
        motorway_entrances=int(nodes["is_motorway_entrance"].sum()),
        unnoded_ends=raw.unnoded_ends,
    )
    _log_report(report)
    return nodes, edges, report, topo.piece


def _node_frame(
    topo: _graph.Topology, edges: gpd.GeoDataFrame, junctions: np.ndarray, crs: CRS
) -> gpd.GeoDataFrame:
    n = len(topo.node_id)
    ends = np.concatenate([topo.u, topo.v])
    hw = np.concatenate([edges["highway"].to_numpy(dtype=object)] * 2)
    trunk = np.concatenate([edges["is_trunk"].to_numpy()] * 2)
    is_trunk = np.bincount(ends[trunk], minlength=n) > 0
    is_link = hw == "motorway_link"
    is_local = ~np.isin(hw, ["motorway", "motorway_link"])
    has_link = np.bincount(ends[is_link], minlength=n) > 0
    has_local = np.bincount(ends[is_local], minlength=n) > 0
    is_junction = np.isin(topo.node_id, junctions)
    # trunk_ref: ref of the highest-class trunk edge at the node (motorway > trunk > primary)
    refs = np.concatenate([edges["ref"].to_numpy(dtype=object)] * 2)
    rank = pd.Series(hw).map(_TRUNK_RANK).fillna(9).to_numpy()
    pick = np.flatnonzero(trunk)
    order = pick[np.lexsort((pd.isna(refs[pick]), rank[pick], ends[pick]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ends[order][1:] != ends[order][:-1]
    trunk_ref = np.full(n, None, dtype=object)
    trunk_ref[ends[order][first]] = refs[order][first]
    trunk_ref[pd.isna(trunk_ref)] = None
    return gpd.GeoDataFrame(
        {
            "x": topo.node_x,
            "y": topo.node_y,
            "street_count": topo.street_count,
            "highway": pd.array(
                np.array([None, "motorway_junction"], dtype=object)[is_junction.astype(int)],
                dtype="string",
            ),
            "is_trunk": is_trunk,
            "is_motorway_entrance": is_junction | (has_link & has_local),
            "trunk_ref": pd.array(trunk_ref, dtype="string"),
        },
        index=pd.Index(topo.node_id, name="node_id"),
        geometry=shapely.points(topo.node_x, topo.node_y),
        crs=crs,
    )


def _log_report(rep: NetworkReport) -> None:
    logger.info(
        "%s: %d nodes, %d directed edges from %d of %d highway ways (%d trunk nodes, %d motorway "
        "entrances)",
        rep.source, rep.nodes, rep.edges, rep.ways_kept, rep.ways_read, rep.trunk_nodes,
        rep.motorway_entrances,
    )  # fmt: skip
    if rep.ways_cut:
        logger.info(
            "%s: %d ways cut at %d node references missing from the (clipped) file",
            rep.source, rep.ways_cut, rep.missing_node_refs,
        )  # fmt: skip
    if rep.unnoded_ends:
        logger.warning(
            "%s: %d line ends lie on another road without a shared vertex (T-junctions not "
            "noded); they are not joined. Node the layer if they should be.",
            rep.source, rep.unnoded_ends,
        )  # fmt: skip
    if rep.oneway_fallback:
        logger.warning("%s: oneway values treated as two-way: %s", rep.source, rep.oneway_fallback)
    if rep.maxspeed_fallback:
        logger.warning(
            "%s: maxspeed values not understood, class default speed used: %s",
            rep.source, rep.maxspeed_fallback,
        )  # fmt: skip
