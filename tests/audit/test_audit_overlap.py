"""Overlapping approvals (issue 10, parts 3–4): polygonal overlay results, no raw GEOS error, the
priority sweep on an overlap-heavy county, and unmatched slivers in the summary."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.errors import GEOSException

from geoplan.audit import audit_land
from geoplan.audit._ops import OverlayError, grouped_union, safe_binary, subtract_pairs
from geoplan.audit._priority import disjoint_by_priority
from geoplan.errors import GeoplanError
from geoplan.units import M2_PER_MU

CRS = 4547
X0, Y0 = 500_000.0, 3_800_000.0
AS_OF = "2024-06-30"


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def mu(m2: float) -> float:
    return m2 / M2_PER_MU


# The shape behind "Overlay input is mixed-dimension": a unit square and a sliver 1e-7 m thin
# along its right edge. Snapped to a 1 µm grid, their union keeps the collapsed sliver as a
# LineString (1 0, 2 0) inside a GeometryCollection, which the next snapped overlay rejects.
SQUARE = shapely.box(0, 0, 1, 1)
SLIVER = shapely.Polygon([(1, 0), (2, 0), (2, 2e-7), (1, 1e-7)])
STRIP = shapely.box(0.5, 0, 3, 0.5)


def test_collapsed_line_is_what_geos_rejects() -> None:
    raw = shapely.union(SQUARE, SLIVER, grid_size=1e-6)
    assert raw.geom_type == "GeometryCollection"
    assert "LineString" in {g.geom_type for g in shapely.get_parts(raw)}
    with pytest.raises(GEOSException, match="mixed-dimension"):
        shapely.union(raw, STRIP, grid_size=1e-6)


def test_grouped_union_on_grid_stays_polygonal() -> None:
    geoms = np.array([SQUARE, SLIVER, STRIP], dtype=object)
    u = grouped_union(geoms, np.zeros(3, dtype=np.intp), 1, grid_size=1e-6)[0]
    assert u.geom_type == "Polygon"
    # square 1 + strip 1.25 − their overlap (x 0.5–1, y 0–0.5) 0.25 = 2; the sliver has no area
    assert u.area == pytest.approx(2.0, abs=1e-6)


def test_difference_of_a_collapsed_result_is_polygonal() -> None:
    raw = shapely.union(SQUARE, SLIVER, grid_size=1e-6)  # GeometryCollection with a line
    got = safe_binary(
        shapely.difference,
        np.array([STRIP], dtype=object),
        np.array([raw], dtype=object),
        what="test",
        grid_size=1e-6,
    )[0]
    assert got.geom_type == "Polygon"
    # strip 1.25 minus the square's part of it (0.25) = 1.0 (x 1–3, y 0–0.5)
    assert got.area == pytest.approx(1.0, abs=1e-6)
    # the priority sweep on the same three shapes, on the grid: the square keeps 1, the sliver
    # nothing (or a collapsed nothing), the strip what lies right of the square, 1.0
    out, qi, tj = disjoint_by_priority(
        np.array([SQUARE, SLIVER, STRIP], dtype=object), np.arange(3), grid_size=1e-6
    )
    assert set(shapely.get_type_id(out)) <= {3, 6}
    np.testing.assert_allclose(shapely.area(out), [1.0, 0.0, 1.0], atol=1e-6)


def test_unresolvable_overlay_raises_overlay_error() -> None:
    def broken(a, b, **kw):  # type: ignore[no-untyped-def]
        raise GEOSException("TopologyException: side location conflict")

    with pytest.raises(OverlayError, match="test op") as info:
        safe_binary(
            broken,
            np.array([SQUARE], dtype=object),
            np.array([STRIP], dtype=object),
            what="test op",
        )
    assert info.value.bounds == (0.0, 0.0, 3.0, 1.0)  # both inputs' bounding box
    assert isinstance(info.value, GeoplanError)


def test_geos_failure_names_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    import geoplan.audit._core as core

    def failing(a, b, ai, bj, *, what, grid_size=None):  # type: ignore[no-untyped-def]
        raise OverlayError(f"{what} failed", what=what, bounds=(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20))

    monkeypatch.setattr(core, "subtract_pairs", failing)
    a = gpd.GeoDataFrame(
        {"batch_id": ["甲", "乙"], "approved_on": pd.to_datetime(["2020-01-01"] * 2)},
        geometry=[box(0, 0, 100, 100), box(500, 0, 600, 100)],
        crs=CRS,
    )
    s = gpd.GeoDataFrame(
        {"supply_id": ["GD-7"], "agreed_start": pd.to_datetime(["2021-01-01"]),
         "actual_start": pd.to_datetime([None])},
        geometry=[box(0, 0, 50, 50)], crs=CRS,
    )  # fmt: skip
    with pytest.raises(GeoplanError, match="could not overlay") as info:
        audit_land(a, s, as_of=AS_OF)
    msg = str(info.value)
    assert "batches 甲" in msg and "supplies GD-7" in msg and "乙" not in msg
    assert not isinstance(info.value, GEOSException)


# An overlap-heavy county by hand. Batches B0..B9 are 100 × 100 m squares shifted 10 m right each
# (B_k = x 10k–10k+100), approved a day apart: every two of them overlap (45 pairs). M, approved
# last, has a part over all ten (x 50–150, y 50–150: 10 more pairs) and a part far away
# (x 1000–1100). Priority: the earliest approval keeps an overlap, so B0 keeps 100 × 100 =
# 10,000 m², each later B_k the 10 m strip x 10k+90–10k+100: 1,000 m², M the top half of its first
# part above the B's (x 50–150, y 100–150: 5,000 m²) plus its far part, 10,000 m².
STACK = 10
APPROVED = {"B0": 10_000.0, **{f"B{k}": 1_000.0 for k in range(1, STACK)}, "M": 15_000.0}


def stack_county() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    ids = [f"B{k}" for k in range(STACK)] + ["M", "M"]
    days = pd.to_datetime("2018-01-01") + pd.to_timedelta(list(range(STACK)) + [400, 400], "D")
    geoms = [box(10 * k, 0, 10 * k + 100, 100) for k in range(STACK)]
    geoms += [box(50, 50, 150, 150), box(1000, 0, 1100, 100)]
    a = gpd.GeoDataFrame({"batch_id": ids, "approved_on": days}, geometry=geoms, crs=CRS)
    rows = [
        ("S1", box(0, 0, 190, 50)),  # the bottom half of the ten B's
        ("S2", box(0, 25, 20, 75)),  # overlaps S1; adds x 0–20, y 50–75 (500 m², in B0)
        ("S3", box(2000, 0, 2010, 10)),  # outside every approval, 100 m²
        ("S4", box(1050, 0, 1200, 100)),  # half in M's far part (5,000), half outside (10,000)
        ("S5", box(1200, 0, 1200.5, 40)),  # outside, 0.5 m thin: a 20 m² sliver
        ("S6", box(3000, 0, 3002, 3)),  # outside, 6 m²: a sliver by area
    ]
    s = gpd.GeoDataFrame(
        {
            "supply_id": [r[0] for r in rows],
            "supplied_on": pd.to_datetime("2019-01-01") + pd.to_timedelta(range(len(rows)), "D"),
            "agreed_start": pd.to_datetime(["2020-01-01"] * len(rows)),
            "actual_start": pd.to_datetime(["2020-06-01"] * len(rows)),
        },
        geometry=[r[1] for r in rows],
        crs=CRS,
    )
    return a, s


def test_overlap_heavy_county_by_hand() -> None:
    a, s = stack_county()
    r = audit_land(a, s, as_of=AS_OF)
    b = r.batches.set_index("batch_id")
    for bid, area in APPROVED.items():
        assert b.loc[bid, "approved_area_m2"] == pytest.approx(area, rel=1e-12), bid
    # supplied: S1 gives each B its bottom half (B0 5,000, B1..B9 500 each), S2 500 more in B0,
    # S4 5,000 in M's far part
    supplied = {"B0": 5_500.0, **{f"B{k}": 500.0 for k in range(1, STACK)}, "M": 5_000.0}
    for bid, area in supplied.items():
        assert b.loc[bid, "supplied_area_m2"] == pytest.approx(area, rel=1e-12), bid
    assert r.quality["approval_overlap_pairs"] == 45 + 10
    assert r.quality["supply_overlap_pairs"] == 1  # S1–S2
    assert r.quality["supply_overlap_area_m2"] == pytest.approx(500.0)  # S2 ∩ S1: 20 × 25
    total = sum(APPROVED.values())  # 34,000
    assert r.summary["approved_area_mu"] == pytest.approx(mu(total), rel=1e-12)
    assert r.summary["supplied_area_mu"] == pytest.approx(mu(15_000), rel=1e-12)
    assert r.summary["unsupplied_area_mu"] == pytest.approx(mu(total - 15_000), rel=1e-12)
    # unmatched: S3 100 + S4's outer half 10,000 kept; S5 (20 m², 0.5 m thin) and S6 (6 m²) are
    # slivers. Together they are the supplied land outside every approval.
    assert r.summary["unmatched_supply_area_mu"] == pytest.approx(mu(10_100), rel=1e-12)
    assert r.summary["unmatched_sliver_area_mu"] == pytest.approx(mu(26), rel=1e-12)
    outside = shapely.difference(
        shapely.union_all(s.geometry.values), shapely.union_all(a.geometry.values)
    )
    both = r.summary["unmatched_supply_area_mu"] + r.summary["unmatched_sliver_area_mu"]
    assert both == pytest.approx(mu(outside.area), rel=1e-12)
    assert r.quality["unmatched_sliver_area_m2"] == pytest.approx(26.0, rel=1e-12)


def test_priority_sweep_equals_union_of_earlier_batches() -> None:
    """Independent check of the sweep: approved land of batch i = its polygons minus the
    ``shapely.union_all`` of every earlier batch, on random overlapping rectangles."""
    rng = np.random.default_rng(7)
    n = 300
    xy = rng.uniform(0, 600, (n, 2))
    wh = rng.uniform(20, 120, (n, 2))
    polys = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + wh[:, 0], xy[:, 1] + wh[:, 1])
    rot = shapely.affinity.rotate
    polys = np.array([rot(p, float(t)) for p, t in zip(polys, rng.uniform(0, 90, n), strict=True)])
    # about 140 batches of 1-4 polygons; a fifth of the polygons moved 5 km away, so many
    # batches have far-apart parts
    owner = np.sort(rng.integers(0, 140, n))
    far = rng.random(n) < 0.2
    polys[far] = shapely.affinity.translate(
        shapely.GeometryCollection(list(polys[far])), 5000.0
    ).geoms
    batches = grouped_union(polys, owner, int(owner.max()) + 1)
    batches = batches[~shapely.is_missing(batches)]
    rank = rng.permutation(len(batches)).astype(np.int64)
    got, qi, tj = disjoint_by_priority(batches, rank)
    order = np.argsort(rank)
    expect = np.empty(len(batches))
    for k, i in enumerate(order):
        earlier = shapely.union_all(batches[order[:k]]) if k else shapely.Polygon()
        expect[i] = shapely.difference(batches[i], earlier).area
    np.testing.assert_allclose(shapely.area(got), expect, rtol=1e-9, atol=1e-6)
    assert shapely.area(got).sum() == pytest.approx(shapely.union_all(batches).area, rel=1e-12)
    # the pairs are exactly those whose interiors meet, earlier one second
    assert (rank[tj] < rank[qi]).all()
    inter = shapely.area(shapely.intersection(batches[qi], batches[tj]))
    assert (inter > 0).all()
    i, j = np.triu_indices(len(batches), 1)
    meet = shapely.area(shapely.intersection(batches[i], batches[j])) > 0
    assert meet.sum() == len(qi)


def test_subtract_pairs_against_union() -> None:
    """``a − ∪ partners`` part by part equals the difference with the union of the partners."""
    a = np.array(
        [shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)]),
         shapely.box(100, 100, 110, 110)],
        dtype=object,
    )  # fmt: skip
    b = np.array([shapely.box(5, 5, 25, 15), shapely.box(8, -5, 9, 20), shapely.box(0, 0, 1, 1)])
    got = subtract_pairs(a, b, np.array([0, 0, 0]), np.array([0, 1, 2]), what="test")
    # part 1 (100 m²) loses x 5–10 × y 5–10 (25), the strip x 8–9 × y 0–5 below it (5; its upper
    # half is already in the first) and x 0–1 × y 0–1 (1): 100 − 31 = 69; part 2 (100 m²) loses
    # x 20–25 × y 5–10 (25): 75
    assert got[0].area == pytest.approx(69 + 75)
    assert shapely.equals(got[0], shapely.difference(a[0], shapely.union_all(b)))
    assert got[1] is a[1]


def test_prefix_sweep_running_union_equals_union_of_earlier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With blocks of 8 parts the running union of earlier blocks does most of the work; each
    batch still equals its polygons minus ``shapely.union_all`` of every earlier batch."""
    import geoplan.audit._priority as geom

    monkeypatch.setattr(geom, "_SWEEP_BLOCK", 8)
    rng = np.random.default_rng(11)
    n = 120
    xy = rng.uniform(0, 300, (n, 2))
    wh = rng.uniform(20, 90, (n, 2))
    polys = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + wh[:, 0], xy[:, 1] + wh[:, 1])
    owner = np.sort(rng.integers(0, 70, n))
    batches = grouped_union(polys, owner, int(owner.max()) + 1)
    batches = batches[~shapely.is_missing(batches)]
    rank = rng.permutation(len(batches)).astype(np.int64)
    got = geom.prefix_sweep(batches, rank)
    order = np.argsort(rank)
    for k, i in enumerate(order):
        earlier = shapely.union_all(batches[order[:k]]) if k else shapely.Polygon()
        expect = shapely.difference(batches[i], earlier)
        assert got[i].area == pytest.approx(expect.area, rel=1e-9, abs=1e-6)
        assert shapely.difference(got[i], expect).area < 1e-6
    assert set(shapely.get_type_id(got)) <= {3, 6}


def test_prefix_sweep_boxes_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three squares of 100 m², each shifted 5 m right of the one before, one per block: the
    first keeps 100 m², the others the 5 × 10 m strip right of the one before (50 m² each);
    a fourth, earliest-ranked square far away is untouched; one swallowed whole is empty."""
    import geoplan.audit._priority as geom

    monkeypatch.setattr(geom, "_SWEEP_BLOCK", 1)
    g = np.array(
        [shapely.box(0, 0, 10, 10), shapely.box(5, 0, 15, 10), shapely.box(10, 0, 20, 10),
         shapely.box(100, 0, 110, 10), shapely.box(1, 1, 9, 9)],
        dtype=object,
    )  # fmt: skip
    got = geom.prefix_sweep(g, np.array([1, 2, 3, 0, 4]))
    np.testing.assert_allclose(shapely.area(got), [100, 50, 50, 100, 0])
    assert shapely.equals(got[2], shapely.box(15, 0, 20, 10))


def test_attribute_by_priority_boxes() -> None:
    """A 10 × 10 piece under three supplies: A (rank 1) covers x 0–6, B (rank 0) x 4–10, C
    (rank 2) the whole piece. B, earliest, takes x 4–10 (60 m²), A what is left of x 0–6
    (x 0–4: 40 m²), C nothing. A piece under one supply goes to it whole."""
    from geoplan.audit._priority import attribute_by_priority

    piece = shapely.box(0, 0, 10, 10)
    lone = shapely.box(50, 0, 52, 2)
    geoms = np.array(
        [shapely.box(0, 0, 6, 10), shapely.box(4, 0, 10, 10), shapely.box(-1, -1, 11, 11),
         shapely.box(49, -1, 53, 3)],
        dtype=object,
    )  # fmt: skip
    shares, owner = attribute_by_priority(
        np.array([piece, lone], dtype=object), geoms, np.array([1, 0, 2, 3]), grid_size=None
    )
    got = dict(zip(owner.tolist(), shapely.area(shares).tolist(), strict=True))
    assert got == pytest.approx({0: 40.0, 1: 60.0, 3: 4.0})
    assert shapely.area(shares).sum() == pytest.approx(104.0, rel=1e-12)


def test_union_by_group_and_touching_groups() -> None:
    """Groups of touching boxes are found across two layers, and unions per group equal
    ``shapely.union_all`` of each group, cascaded or pairwise."""
    import geoplan.audit._ops as ops
    import geoplan.audit._priority as geom

    a = np.array([shapely.box(0, 0, 10, 10), shapely.box(100, 0, 110, 10)], dtype=object)
    s = np.array(
        [shapely.box(10, 0, 20, 10), shapely.box(20, 0, 30, 10), shapely.box(200, 0, 201, 1)],
        dtype=object,
    )
    ga, gs = geom.touching_groups(a, s)
    # the first approval and the first two supplies touch edge to edge: one group
    assert ga[0] == gs[0] == gs[1] and len({ga[0], ga[1], gs[2]}) == 3
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 200, (300, 2))
    boxes = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 15, xy[:, 1] + 15)
    groups = rng.integers(0, 3, 300)  # about 100 per group: cascaded
    groups[:5] = 3  # a small group: pairwise
    got = ops.union_by_group(boxes, groups, 5)
    assert got[4] is None
    for k in range(4):
        assert got[k].area == pytest.approx(shapely.union_all(boxes[groups == k]).area, rel=1e-12)


def test_unions_of_unmatched_land_by_hand() -> None:
    """The supply side from the unions: two overlapping supplies sticking out of one batch
    share the land outside by supply date, and the two sides of the check agree."""
    a = gpd.GeoDataFrame(
        {"batch_id": ["A"], "approved_on": pd.to_datetime(["2020-01-01"])},
        geometry=[box(0, 0, 100, 100)],
        crs=CRS,
    )
    s = gpd.GeoDataFrame(
        {
            "supply_id": ["early", "late"],
            "supplied_on": pd.to_datetime(["2021-01-01", "2021-02-01"]),
            "agreed_start": pd.to_datetime(["2021-06-01"] * 2),
            "actual_start": pd.to_datetime(["2021-07-01"] * 2),
        },
        # early: x 50–150 (5,000 m² outside: x 100–150); late: x 80–180, y 0–50 (its part
        # outside, x 100–180 × y 0–50 = 4,000 m², of which x 100–150 × y 0–50 = 2,500 m² is
        # early's: late keeps x 150–180 × y 0–50 = 1,500 m²)
        geometry=[box(50, 0, 150, 100), box(80, 0, 180, 50)],
        crs=CRS,
    )
    r = audit_land(a, s, as_of=AS_OF)
    out = r.supplies.set_index("supply_id")["unmatched_area_m2"]
    assert out["early"] == pytest.approx(5_000.0, rel=1e-12)
    assert out["late"] == pytest.approx(1_500.0, rel=1e-12)
    # supplied: x 50–100 × 100 = 5,000 m² of A
    assert r.batches["supplied_area_m2"].iloc[0] == pytest.approx(5_000.0, rel=1e-12)
    assert r.quality["supply_overlap_pairs"] == 1
    # overlap of the supplies: x 80–150 × y 0–50 = 3,500 m²
    assert r.quality["supply_overlap_area_m2"] == pytest.approx(3_500.0, rel=1e-12)


def test_sweep_slip_caught_by_union_of_approvals(monkeypatch: pytest.MonkeyPatch) -> None:
    """A silently wrong priority sweep (here: overlaps left in, as if GEOS had returned the
    polygon unchanged) is caught by the approved land against the union of approvals, and the
    group is recomputed on the grid: B (x 50–150) keeps only x 100–150, 5,000 m²."""
    import geoplan.audit._core as core

    real = core.prefix_sweep

    def slip(geoms, rank, *, grid_size=None):  # type: ignore[no-untyped-def]
        return geoms.copy() if grid_size is None else real(geoms, rank, grid_size=grid_size)

    monkeypatch.setattr(core, "prefix_sweep", slip)
    a = gpd.GeoDataFrame(
        {"batch_id": ["A", "B"], "approved_on": pd.to_datetime(["2020-01-01", "2021-01-01"])},
        geometry=[box(0, 0, 100, 100), box(50, 0, 150, 100)],
        crs=CRS,
    )
    s = gpd.GeoDataFrame(
        {"supply_id": ["S"], "agreed_start": pd.to_datetime(["2022-01-01"]),
         "actual_start": pd.to_datetime([None])},
        geometry=[box(1000, 0, 1010, 10)], crs=CRS,
    )  # fmt: skip
    r = audit_land(a, s, as_of=AS_OF)
    assert r.quality["robust_recomputed"] == {"batches": 2, "supplies": 0}
    b = r.batches.set_index("batch_id")["approved_area_m2"]
    assert b["A"] == pytest.approx(10_000.0, rel=1e-9)
    assert b["B"] == pytest.approx(5_000.0, rel=1e-9)
