"""The synthetic-county generator, the committed demo county and the real fixtures."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

import geoplan.datasets as ds
from geoplan.crs import metric_crs_for
from geoplan.datasets import DEMO_SCALE, DEMO_SEED, demo_path, synthetic_county
from geoplan.errors import InputError

AS_OF = pd.Timestamp("2026-06-30")
ROLES = ("boundary", "townships", "settlements", "landuse", "approvals", "supplies", "parks",
         "roads", "zoning")  # fmt: skip


@pytest.fixture(scope="module")
def demo() -> ds.SyntheticCounty:
    return synthetic_county(seed=DEMO_SEED, scale=DEMO_SCALE)


@pytest.fixture(scope="module")
def small() -> ds.SyntheticCounty:
    return synthetic_county(seed=5, scale=0.08)


def _date(v: object) -> pd.Timestamp:
    """Independent parser of the four date spellings the generator writes."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return pd.NaT
    s = str(v)
    for pat, fmt in ((r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"), (r"\d{4}/\d{1,2}/\d{1,2}", "%Y/%m/%d"),
                     (r"\d{8}", "%Y%m%d"), (r"\d{4}年\d{1,2}月\d{1,2}日", "%Y年%m月%d日")):  # fmt: skip
        if re.fullmatch(pat, s):
            return pd.to_datetime(s, format=fmt)
    raise AssertionError(f"unexpected date spelling {s!r}")


# ---------------------------------------------------------------- determinism, API checks


def test_same_seed_same_county_other_seed_other_county(small: ds.SyntheticCounty) -> None:
    again = synthetic_county(seed=5, scale=0.08)
    for role in ROLES:
        a, b = small.layers[role], again.layers[role]
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert (shapely.to_wkb(a.geometry.values) == shapely.to_wkb(b.geometry.values)).all()
    assert np.array_equal(small.landcover.array, again.landcover.array)
    pd.testing.assert_frame_equal(small.roads_nodes, again.roads_nodes)
    other = synthetic_county(seed=6, scale=0.08)
    assert len(other.layers["landuse"]) != len(small.layers["landuse"]) or not np.allclose(
        other.layers["landuse"].area.to_numpy()[:50], small.layers["landuse"].area.to_numpy()[:50]
    )


def test_bad_options_raise_input_error(tmp_path: Path, small: ds.SyntheticCounty) -> None:
    with pytest.raises(InputError, match="scale"):
        synthetic_county(scale=0)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="overwrite"):
        small.write(tmp_path / "x")
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


# ---------------------------------------------------------------- content of the demo county


def test_every_role_with_its_fields(demo: ds.SyntheticCounty) -> None:
    L = demo.layers
    assert set(L) == set(ROLES)
    assert demo.crs.to_epsg() == 4547
    for role, g in L.items():
        assert g.crs.equals(demo.crs), role
        assert len(g) > 0, role
    assert {"BSM", "DLBM", "DLMC", "ZLDWDM", "TBMJ", "KCDLBM", "KCXS", "KCMJ", "TBDLMJ",
            "CZCSXM"} <= set(L["landuse"].columns)  # fmt: skip
    assert {"批次名称", "批准文号", "批准日期", "批准类型"} <= set(L["approvals"].columns)
    assert {"电子监管号", "批次名称", "供地方式", "合同签订日期", "约定动工日期", "约定竣工日期",
            "实际动工日期", "已开发比例", "已投资比例", "停工日期", "成交价款", "政府原因"} <= set(
        L["supplies"].columns)  # fmt: skip
    assert {"名称", "类型", "人口"} <= set(L["settlements"].columns)
    assert {"park_id", "name", "level"} <= set(L["parks"].columns)
    assert set(L["zoning"]["zone_type"]) == {"ugb", "basic_farmland", "eco_redline"}
    kinds = L["settlements"]["类型"].value_counts()
    assert (
        kinds["县城"] == 1 and kinds["村"] >= 250 and kinds.get("镇", 0) + kinds.get("乡", 0) >= 12
    )
    assert (L["settlements"]["人口"] > 0).all()
    assert 12 <= len(L["townships"]) <= 20
    assert all(re.fullmatch(r"410225\d{3}", c) for c in L["townships"]["乡镇代码"])
    assert 3 <= len(L["parks"]) <= 6 and set(L["parks"]["level"]) <= {"省级", "市级"}
    assert 18_000 <= len(L["landuse"]) <= 32_000
    assert L["approvals"]["批次名称"].nunique() == 150
    lc = demo.landcover
    assert lc.array.dtype == np.uint8 and set(np.unique(lc.array)) <= set(range(10))
    assert lc.transform.a == 30.0


def test_sandiao_fields(demo: ds.SyntheticCounty) -> None:
    lu = demo.layers["landuse"]
    codes = set(lu["DLBM"])
    for c in ("0101", "0102", "0103", "0201", "0301", "0404", "05H1", "0601", "0701", "0702",
              "08H2", "1003", "1004", "1006", "1101", "1103", "1104", "1107", "1107A"):  # fmt: skip
        assert c in codes, c
    tbmj, kcmj, tbdlmj = lu["TBMJ"].to_numpy(), lu["KCMJ"].to_numpy(), lu["TBDLMJ"].to_numpy()
    assert np.allclose(tbdlmj, np.round(tbmj - kcmj, 2), atol=1e-9)
    cult = lu["DLBM"].isin(["0101", "0102", "0103"]).to_numpy()
    assert (lu["KCDLBM"][cult] == "1203").all() and lu["KCDLBM"][~cult].isna().all()
    assert (lu["KCXS"].to_numpy()[cult] > 0).all() and (kcmj[~cult] == 0).all()
    assert (kcmj[cult] > 0).mean() > 0.95
    assert np.allclose(kcmj, np.round(tbmj * lu["KCXS"].to_numpy(), 2), atol=1e-9)
    # TBMJ is ellipsoidal: close to, but not equal to, the planar area (GK scale factor ~1.0001)
    ratio = tbmj[tbmj > 1000] / lu.area.to_numpy()[tbmj > 1000]
    assert np.all((ratio > 0.999) & (ratio < 1.0)) and ratio.std() > 0
    assert lu["ZLDWDM"].str.fullmatch(r"410225\d{6}").all()
    assert (lu["BSM"].str.len() == 14).all() and lu["BSM"].is_unique
    czc = lu["CZCSXM"].dropna()
    assert set(czc) <= {"201", "202", "203", "204", "205", "201A", "202A"}
    assert {"201", "202", "203"} <= set(czc) and ({"201A", "202A"} & set(czc))
    assert lu.loc[lu["DLBM"] == "0702", "CZCSXM"].notna().all()


def test_parcels_tile_the_boundary(demo: ds.SyntheticCounty) -> None:
    lu = demo.layers["landuse"]
    b = demo.layers["boundary"].geometry.iloc[0]
    g = lu.geometry.to_numpy()
    assert shapely.is_valid(g).all() and (shapely.get_type_id(g) == 3).all()
    assert abs(shapely.area(g).sum() / b.area - 1) < 1e-6
    i, j = shapely.STRtree(g).query(g, predicate="intersects")
    m = i < j
    overlap = shapely.area(shapely.intersection(g[i[m]], g[j[m]])).sum()
    assert overlap < 1e-6 * b.area
    assert shapely.covers(shapely.buffer(b, 0.01), shapely.envelope(shapely.union_all(g[:50])))
    # parcels touching the boundary, and an island parcel (inside a reservoir's hole)
    assert (shapely.distance(shapely.boundary(b), g) < 1e-6).sum() > 100
    holed = lu[shapely.get_num_interior_rings(g) > 0]
    assert "1103" in set(holed["DLBM"])
    res = holed[holed["DLBM"] == "1103"].geometry.iloc[0]
    hole = shapely.polygons(shapely.get_interior_ring(res, 0))
    inside = lu[lu.within(shapely.buffer(hole, 0.01))]
    assert len(inside) >= 1 and abs(inside.area.sum() - hole.area) < 1e-3 * hole.area


def test_parks_hold_industry_and_zoning_is_consistent(demo: ds.SyntheticCounty) -> None:
    lu, parks, zoning = demo.layers["landuse"], demo.layers["parks"], demo.layers["zoning"]
    pts = lu.representative_point()
    for poly in parks.geometry:
        inside = lu[pts.within(poly)]
        share = inside.loc[inside["DLBM"] == "0601"].area.sum() / inside.area.sum()
        assert share > 0.4
    for zt in ("ugb", "basic_farmland", "eco_redline"):
        assert zoning.loc[zoning["zone_type"] == zt].area.sum() > 1e6
    ugb = zoning[zoning["zone_type"] == "ugb"].union_all()
    farm = zoning[zoning["zone_type"] == "basic_farmland"].union_all()
    assert shapely.area(shapely.intersection(ugb, farm)) < 1.0


# ---------------------------------------------------------------- roads


def _graph(c: ds.SyntheticCounty) -> tuple[np.ndarray, object, pd.DataFrame]:
    nodes, ways = c.roads_nodes, c.roads_ways
    idx = pd.Series(np.arange(len(nodes)), index=nodes["id"].to_numpy())
    tr = Transformer.from_crs(4326, c.crs, always_xy=True)
    xy = np.column_stack(tr.transform(nodes["lon"].to_numpy(), nodes["lat"].to_numpy()))
    us, vs = [], []
    for refs, tags in zip(ways["nodes"], ways["tags"], strict=True):
        if "highway" not in tags:
            continue
        k = idx[np.asarray(refs)].to_numpy()
        one = tags.get("oneway")
        one = one or ("yes" if tags["highway"] in ("motorway", "motorway_link") else "no")
        if one == "-1":
            k = k[::-1]
        us.append(k[:-1])
        vs.append(k[1:])
        if one not in ("yes", "-1"):
            us.append(k[1:])
            vs.append(k[:-1])
    u, v = np.concatenate(us), np.concatenate(vs)
    w = np.linalg.norm(xy[u] - xy[v], axis=1)
    g = coo_matrix((w, (u, v)), shape=(len(xy), len(xy))).tocsr()
    return xy, g, nodes


def test_road_network_tagging(demo: ds.SyntheticCounty) -> None:
    tags = pd.DataFrame(list(demo.roads_ways["tags"]))
    hw = set(tags["highway"].dropna())
    assert {"motorway", "motorway_link", "trunk", "primary", "secondary", "tertiary",
            "unclassified", "residential"} <= hw  # fmt: skip
    refs = set(";".join(tags["ref"].dropna()).split(";"))
    for pat in (r"G\d{3}", r"S2\d\d", r"X0\d\d", r"Y\d{3}", r"C\d{3}", r"G\d{1,2}"):
        assert any(re.fullmatch(pat, r) for r in refs), pat
    assert {"60 mph", "signals"} <= set(tags["maxspeed"].dropna())
    assert {"yes", "-1"} <= set(tags["oneway"].dropna())
    mw = tags[tags["highway"] == "motorway"]
    assert (mw["oneway"] == "yes").all() and len(mw) >= 2
    junctions = [
        t for t in demo.roads_nodes["tags"] if t and t.get("highway") == "motorway_junction"
    ]
    assert 4 <= len(junctions) <= 6  # 2-3 exits, one junction per carriageway
    assert "railway" in tags.columns and "waterway" in tags.columns  # non-highway ways too
    # ways share nodes at junctions: many nodes are used by 3+ way ends/vertices
    used = np.concatenate([np.asarray(r) for r in demo.roads_ways["nodes"]])
    assert (np.bincount(used - used.min()) >= 2).sum() > 1000
    assert demo.stats["directed_edges"] > 15_000


def test_every_settlement_and_park_reachable_detour_and_nodeless_park(
    demo: ds.SyntheticCounty,
) -> None:
    xy, g, nodes = _graph(demo)
    n, lab = connected_components(g, directed=True, connection="strong")
    st = demo.layers["settlements"]
    d, k = cKDTree(xy).query(shapely.get_coordinates(st.geometry.to_numpy()))
    assert d.max() < 1.0  # every settlement is a road node
    seat = k[st["类型"].to_numpy() == "县城"][0]
    assert (lab[k] == lab[seat]).all()
    hw_nodes = {}
    for refs, tags in zip(demo.roads_ways["nodes"], demo.roads_ways["tags"], strict=True):
        for r in refs:
            hw_nodes.setdefault(tags.get("highway"), set()).add(int(r))
    idx = pd.Series(np.arange(len(nodes)), index=nodes["id"].to_numpy())
    trunk = idx[sorted(hw_nodes["trunk"] | hw_nodes["primary"])].to_numpy()
    nodeless, detoured = 0, 0
    for poly in demo.layers["parks"].geometry:
        inside = np.flatnonzero(shapely.contains_xy(poly, xy[:, 0], xy[:, 1]))
        if len(inside) == 0:
            nodeless += 1
            assert shapely.distance(poly, shapely.points(xy)).min() < 300
            continue
        assert (lab[inside] == lab[seat]).any()
        dist = dijkstra(g, indices=inside, min_only=True)
        net = dist[trunk].min()
        straight = shapely.distance(poly, shapely.points(xy[trunk])).min()
        if net > 1.5 * straight + 2000:
            detoured += 1
    assert nodeless == 1 and detoured >= 1


# ---------------------------------------------------------------- land records: audit cases


def test_supplies_cover_every_audit_status(demo: ds.SyntheticCounty) -> None:
    s = demo.layers["supplies"]
    a = demo.layers["approvals"]
    G = s["约定动工日期"].map(_date)
    A = s["实际动工日期"].map(_date)
    T = s["停工日期"].map(_date)
    dev, inv = s["已开发比例"].to_numpy(), s["已投资比例"].to_numpy()
    late = (AS_OF - G).dt.days
    status = np.select(
        [G.isna(), A.isna() & (late < 0), A.isna() & (late < 365), A.isna(),
         A.notna() & ((dev < 1 / 3) | (inv < 0.25)) & T.notna() & ((AS_OF - T).dt.days >= 365)],
        ["unknown", "not_due", "supplied_unused", "idle_type1", "idle_type2"],
        default="started",
    )  # fmt: skip
    counts = pd.Series(status).value_counts()
    for st in ("unknown", "not_due", "supplied_unused", "idle_type1", "idle_type2", "started"):
        assert counts.get(st, 0) >= 2, (st, counts.to_dict())
    gov = s["政府原因"].to_numpy().astype(bool)
    idle = np.isin(status, ["idle_type1", "idle_type2"])
    assert (idle & gov).sum() >= 1 and (idle & ~gov).sum() >= 5
    assert ((status == "idle_type1") & (late.to_numpy() >= 730) & ~gov).sum() >= 1  # recoverable
    # contracts come after approvals, dates in the past
    S = s["合同签订日期"].map(_date)
    assert (S <= AS_OF).all()
    styles = {("/" in x, "年" in x, x.isdigit()) for x in s["合同签订日期"].dropna()}
    assert len(styles) >= 3  # mixed spellings
    # lapsed batches: approved >= 2 years ago, nothing supplied (by id or by overlay)
    ap = a.assign(day=a["批准日期"].map(_date))
    old = ap[ap["day"] <= AS_OF - pd.DateOffset(years=2)]
    hit = set(old.index[old.intersects(s.union_all())]) | set(
        old.index[old["批次名称"].isin(set(s["批次名称"].dropna()))]
    )
    lapsed = set(old["批次名称"]) - set(old.loc[sorted(hit), "批次名称"])
    assert len(lapsed) >= 2
    # unmatched, duplicate, overlapping and mislabelled supplies
    outside = ~s.intersects(a.union_all())
    assert outside.sum() >= 3
    assert s.duplicated(subset=["电子监管号"]).sum() == 1
    sg = s.drop_duplicates(subset=["电子监管号"]).geometry.to_numpy()
    i, j = shapely.STRtree(sg).query(sg, predicate="intersects")
    m = i < j
    assert (shapely.area(shapely.intersection(sg[i[m]], sg[j[m]])) > 100).sum() >= 2
    joined = gpd.sjoin(s[~outside].assign(geometry=s[~outside].representative_point()), a,
                       predicate="within")  # fmt: skip
    mism = joined[joined["批次名称_left"].notna()]
    mism = mism.groupby(level=0).apply(lambda d: (d["批次名称_left"] != d["批次名称_right"]).all())
    assert mism.sum() >= 1
    # some approvals overlap each other (another batch)
    ag = a.geometry.to_numpy()
    i, j = shapely.STRtree(ag).query(ag, predicate="overlaps")
    assert (a["批次名称"].to_numpy()[i] != a["批次名称"].to_numpy()[j]).any()
    years = ap["day"].dt.year
    assert years.min() == 2015 and years.max() == 2026


# ---------------------------------------------------------------- the written package


def test_written_package_reads_back(tmp_path: Path, small: ds.SyntheticCounty) -> None:
    out = small.write(tmp_path / "county")
    manifest = tomllib.loads((out / "county.toml").read_text(encoding="utf-8"))
    assert manifest["county"]["adcode"] == "410225"
    assert manifest["county"]["as_of"] == "2026-06-30"
    assert manifest["layers"]["roads"] == "roads.osm.pbf"
    assert manifest["parameters"]["audit"] == {"sliver_width": 1.0, "sliver_area": 10.0}
    layers = dict(pyogrio.list_layers(out / "county.gpkg"))
    assert set(layers) == set(ROLES) - {"roads"}
    for role in layers:
        assert manifest["layers"][role] == f"county.gpkg:{role}"
        back = pyogrio.read_dataframe(out / "county.gpkg", layer=role)
        assert len(back) == len(small.layers[role]), role
    back = pyogrio.read_dataframe(out / "county.gpkg", layer="landuse")
    assert back["DLBM"].str.len().min() >= 2 and back["DLBM"].isin(["05H1", "0102"]).any()
    assert np.isclose(back.area.sum(), small.layers["landuse"].area.sum(), rtol=1e-12)
    counts = {"nodes": 0, "ways": 0, "highway": 0, "junction": 0}
    for obj in osmium.FileProcessor(str(out / "roads.osm.pbf")):
        if obj.is_node():
            counts["nodes"] += 1
            counts["junction"] += obj.tags.get("highway") == "motorway_junction"
        elif obj.is_way():
            counts["ways"] += 1
            counts["highway"] += "highway" in obj.tags
    assert counts["nodes"] == len(small.roads_nodes)
    assert counts["ways"] == len(small.roads_ways)
    assert counts["highway"] == sum("highway" in t for t in small.roads_ways["tags"])
    assert counts["junction"] >= 2
    with rasterio.open(out / "landcover.tif") as r:
        assert r.crs.to_epsg() == 4547 and r.res == (30.0, 30.0) and r.block_shapes == [(256, 256)]
        assert r.profile["compress"].lower() == "deflate"
        assert np.array_equal(r.read(1), small.landcover.array)
    again = small.write(tmp_path / "again")  # byte-identical: reproducible packages
    for f in out.iterdir():
        assert f.read_bytes() == (again / f.name).read_bytes(), f.name
    small.write(out, overwrite=True, landuse_format="parquet")
    assert (out / "landuse.parquet").is_file() and "landuse" not in dict(
        pyogrio.list_layers(out / "county.gpkg")
    )


def test_committed_demo_is_current_and_opens(demo: ds.SyntheticCounty) -> None:
    from geoplan.county import County

    path = demo_path()
    assert path == Path(ds.__file__).resolve().parents[2] / "data" / "demo"
    assert sum(p.stat().st_size for p in path.iterdir()) <= 5 * 1024 * 1024
    c = County.open(path)
    assert c.name == demo.name and c.adcode == demo.adcode and c.as_of == dt.date(2026, 6, 30)
    lu = c.layer("landuse")
    assert len(lu) == len(demo.layers["landuse"])
    assert np.isclose(lu["TBMJ"].sum(), demo.layers["landuse"]["TBMJ"].sum(), rtol=1e-12)
    st = c.layer("settlements")
    assert set(st["kind"]) <= {"county_seat", "town", "village"} and st["population"].notna().all()
    sup = c.layer("supplies")
    assert sup["supply_id"].notna().all() and sup["agreed_start"].notna().sum() > 0.8 * len(sup)
    assert len(sup) == len(demo.layers["supplies"])
    ap = c.layer("approvals")
    assert ap["approved_on"].notna().all() and ap["batch_id"].nunique() == 150
    # the enterprise table (enterprises.xlsx), read with its units, equals the generator's
    ent, gen = c.layer("enterprises"), demo.enterprises
    assert gen is not None and len(ent) == len(gen)
    assert ent["credit_code"].tolist() == gen["统一社会信用代码"].tolist()
    for field, column in (("tax", "税收(万元)"), ("power", "用电量(万千瓦时)"),
                          ("declared_area", "用地面积(亩)")):  # fmt: skip
        np.testing.assert_allclose(
            ent[field].to_numpy(dtype=float, na_value=np.nan),
            pd.to_numeric(gen[column]).to_numpy(dtype=float),
            equal_nan=True,
        )
    assert set(ent["scale"]) == {"above", "below"}


def test_demo_enterprises_cover_every_case() -> None:
    from geoplan.county import County
    from geoplan.runs import run_efficiency

    r = run_efficiency(County.open(demo_path()))
    f = r.firms
    assert set(f["link_method"]) == {"supply_id", "point", "declared", "none"}
    assert {"A", "B", "C", "D", "exempt", "unknown"} <= set(f["class"])
    assert {"公用事业", "在建项目"} <= set(f["exempt_reason"].dropna())
    assert f["exempt_reason"].dropna().str.startswith("投产未满").any()
    assert f["land_note"].notna().any()  # plots shared by two firms
    # 规上 is 营业收入 ≥ 2000 万元, as the statistics define it
    known = f["revenue"].notna()
    assert ((f.loc[known, "revenue"] >= 2000) == (f.loc[known, "scale"] == "above")).all()
    s = r.summary
    assert s["vacant_industrial_plots"] > 0 and s["low_efficiency_mu"] > 0
    # the stock ledger takes 批而未供 and 闲置 from the audit of the same county
    assert s["unsupplied_mu"] > 0 and s["idle_mu"] > 0
    assert s["stock_mu"] == pytest.approx(
        s["unsupplied_mu"] + s["idle_mu"] + s["low_efficiency_mu"]
    )


def test_demo_path_generates_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ds._demo, "_repo_demo", lambda: tmp_path / "nowhere")
    monkeypatch.setattr(ds._demo, "DEMO_SCALE", 0.03)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    p = demo_path()
    assert p == tmp_path / "cache" / "geoplan" / "demo"
    assert (p / "county.toml").is_file() and (p / "landuse.parquet").is_file()
    mtime = (p / "county.toml").stat().st_mtime_ns
    assert demo_path() == p and (p / "county.toml").stat().st_mtime_ns == mtime  # generated once


# ---------------------------------------------------------------- real fixtures


def test_real_fixtures_load(data_dir: Path) -> None:
    ways = hw = ind = 0
    for obj in osmium.FileProcessor(str(data_dir / "karhula.osm.pbf")):
        if obj.is_way():
            ways += 1
            hw += "highway" in obj.tags
            ind += obj.tags.get("landuse") == "industrial"
    assert ways > 100 and hw > 50 and ind == 10
    counties = pyogrio.read_dataframe(data_dir / "counties.geojson")
    assert counties.crs.to_epsg() == 4490
    assert list(counties["adcode"]) == ["650121", "532924", "410225", "230113"]
    assert counties.is_valid.all()
    cen = counties.geometry.representative_point()
    zones = [metric_crs_for(p.x, p.y).to_epsg() for p in cen]
    assert zones == [4534 + (3 * round(p.x / 3) - 75) // 3 for p in cen] == [4538, 4543, 4547, 4551]
    lankao = counties[counties["adcode"] == "410225"].to_crs(4547).area.iloc[0] / 1e6
    assert 1000 < lankao < 1200
    with rasterio.open(data_dir / "dem_small.tif") as r:
        dem = r.read(1, masked=True)
        assert r.crs.to_epsg() == 4326 and r.res == pytest.approx((0.2, 0.2))
        assert 0 <= dem.min() and 2000 < dem.max() < 4000
    assert sum(p.stat().st_size for p in data_dir.iterdir()) < 2 * 1024 * 1024


def test_densify_ways_keeps_order_and_bounds_segment_length(small: ds.SyntheticCounty) -> None:
    from geoplan.datasets._graph import densify_ways

    nodes, ways = densify_ways(small.roads_nodes, small.roads_ways, 25.0)
    assert len(nodes) > 3 * len(small.roads_nodes) and nodes["id"].is_unique
    pos = pd.Series(np.arange(len(nodes)), index=nodes["id"].to_numpy())
    tr = Transformer.from_crs(4326, small.crs, always_xy=True)
    x, y = tr.transform(nodes["lon"].to_numpy(), nodes["lat"].to_numpy())
    for old, new in zip(small.roads_ways["nodes"][:300], ways["nodes"][:300], strict=True):
        assert list(np.asarray(new)[np.isin(new, old)]) == list(old)  # originals, same order
        k = pos[np.asarray(new)].to_numpy()
        assert np.hypot(np.diff(x[k]), np.diff(y[k])).max() < 25.0 * 1.01 + 1.0
