"""A synthetic province: several synthetic counties placed side by side, with a province.toml.

Every synthetic county has the same real outline (兰考县), so each is moved to a position of its
own on a grid (west and north of the original, spaced by the outline's extent plus a gap):
the counties never overlap, each keeps its own seed's townships, roads, parcels and records.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
from affine import Affine
from pyproj import Transformer

from geoplan.datasets._synthetic import LandCover, SyntheticCounty, synthetic_county
from geoplan.errors import InputError

__all__ = ["province_adcode", "synthetic_province", "translated"]

#: the synthetic province's adcode prefix (41 = Henan; 99 is no real city code)
PROVINCE_PREFIX = "4199"
GAP_M = 5_000.0


def province_adcode(k: int) -> str:
    """The made-up adcode of the province's ``k``-th county (``419901`` …)."""
    return f"{PROVINCE_PREFIX}{k + 1:02d}"


def translated(county: SyntheticCounty, dx: float, dy: float, *, name: str,
               adcode: str) -> SyntheticCounty:  # fmt: skip
    """``county`` moved by ``(dx, dy)`` metres in its CRS, renamed."""
    layers = {}
    for role, gdf in county.layers.items():
        moved = gdf.copy()
        moved.geometry = gdf.geometry.translate(dx, dy)
        layers[role] = moved
    b = layers["boundary"]
    layers["boundary"] = b.assign(name=[name], adcode=[adcode])
    to_xy = Transformer.from_crs(4326, county.crs, always_xy=True)
    to_ll = Transformer.from_crs(county.crs, 4326, always_xy=True)
    x, y = to_xy.transform(
        county.roads_nodes["lon"].to_numpy(), county.roads_nodes["lat"].to_numpy()
    )
    lon, lat = to_ll.transform(x + dx, y + dy)
    nodes = county.roads_nodes.assign(lon=lon.round(7), lat=lat.round(7))
    lc = county.landcover
    landcover = LandCover(lc.array, Affine.translation(dx, dy) @ lc.transform, lc.crs, lc.nodata,
                          lc.scheme)  # fmt: skip
    return SyntheticCounty(
        name=name, name_en=f"{name} (synthetic)", adcode=adcode, as_of=county.as_of,
        crs=county.crs, layers=layers, landcover=landcover, roads_nodes=nodes,
        roads_ways=county.roads_ways, seed=county.seed, scale=county.scale,
        stats=dict(county.stats),
    )  # fmt: skip


def synthetic_province(
    folder: str | os.PathLike[str],
    *,
    counties: int = 3,
    scale: float = 0.05,
    seed: int = 0,
    name: str = "示范省",
    as_of: dt.date = dt.date(2026, 6, 30),
    layout: str = "packages",
) -> Path:
    """Write a synthetic province package of ``counties`` counties (seeds ``seed``,
    ``seed + 1`` …) into ``folder``.

    Parameters
    ----------
    folder
        The province folder (must not exist or be empty).
    counties, scale, seed
        How many counties, their :func:`synthetic_county` scale, the first seed.
    name, as_of
        The province's name and as-of date (``province.toml``).
    layout
        ``"packages"``: one county package per sub-folder (named by adcode, ``419901`` …);
        ``"layers"``: province-wide layers in ``province.gpkg`` (counties, approvals, supplies,
        landuse, roads as lines, settlements, parks, townships, zoning) to be split by county.

    Returns
    -------
    pathlib.Path
        ``folder``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = synthetic_province(pathlib.Path(tempfile.mkdtemp()) / "p", counties=2, scale=0.02)
    >>> sorted(x.name for x in p.iterdir())
    ['419901', '419902', 'province.toml']
    """
    if layout not in ("packages", "layers"):
        raise InputError(f"layout={layout!r}: use 'packages' or 'layers'.")
    if counties < 1:
        raise InputError(f"counties must be at least 1, got {counties}.")
    root = Path(folder)
    if root.exists() and any(root.iterdir()):
        raise InputError(f"{root} exists and is not empty; choose a new folder.")
    root.mkdir(parents=True, exist_ok=True)
    # at most three columns, westward, then rows northward: the counties stay in the original's
    # 3° Gauss–Krüger zone (moving east would leave it at the next column), so no county's
    # layers are reprojected on opening (reprojecting 三调 parcels opens tiny overlaps)
    cols = min(3, math.ceil(math.sqrt(counties)))
    made = []
    for k in range(counties):
        c = synthetic_county(seed=seed + k, scale=scale, name=f"示范{k + 1}县", as_of=as_of)
        xmin, ymin, xmax, ymax = c.layers["boundary"].total_bounds
        dx = -(k % cols) * (xmax - xmin + GAP_M)
        dy = (k // cols) * (ymax - ymin + GAP_M)
        made.append(translated(c, dx, dy, name=c.name, adcode=province_adcode(k)))
    toml = f'[province]\nname = "{name}"\nas_of = "{as_of.isoformat()}"\n'
    if layout == "packages":
        for c in made:
            c.write(root / c.adcode)
    else:
        toml += _write_layers(made, root / "province.gpkg")
    (root / "province.toml").write_text(toml, encoding="utf-8")
    return root


def _write_layers(made: list[SyntheticCounty], path: Path) -> str:
    from geoplan.io import write_gpkg

    roles = ("approvals", "supplies", "landuse", "roads", "settlements", "parks", "townships",
             "zoning")  # fmt: skip
    layers = {"counties": pd.concat([c.layers["boundary"] for c in made], ignore_index=True)}
    for role in roles:
        frames = [c.layers[role] for c in made if role in c.layers]
        layers[role] = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=made[0].crs)
    write_gpkg(path, layers)
    lines = "\n".join(f'{role} = "province.gpkg:{role}"' for role in layers)
    return f"\n[layers]\n{lines}\n\n[parameters.audit]\nsliver_width = 1.0\nsliver_area = 10.0\n"
