"""Land audit rules on hand-computed rectangles (areas exact in m² and 亩)."""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.audit import AuditResult, AuditRules, audit_land
from geoplan.units import M2_PER_MU

CRS = 4547
X0, Y0 = 500_000.0, 3_800_000.0
AS_OF = "2024-06-30"


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def approvals(rows: list[tuple[str, str | None, shapely.Geometry]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "batch_id": [r[0] for r in rows],
            "approval_no": [f"文号-{r[0]}" for r in rows],
            "approved_on": pd.to_datetime([r[1] for r in rows]),
        },
        geometry=[r[2] for r in rows],
        crs=CRS,
    )


def supplies(rows: list[dict]) -> gpd.GeoDataFrame:
    cols = [
        "supply_id", "batch_id", "supplied_on", "agreed_start", "actual_start",
        "developed_ratio", "invested_ratio", "suspended_since", "land_price", "gov_cause",
    ]  # fmt: skip
    data = {c: [r.get(c) for r in rows] for c in cols}
    frame = pd.DataFrame(data)
    for c in ("supplied_on", "agreed_start", "actual_start", "suspended_since"):
        frame[c] = pd.to_datetime(frame[c])
    for c in ("developed_ratio", "invested_ratio", "land_price"):
        frame[c] = frame[c].astype(float)
    frame["gov_cause"] = frame["gov_cause"].astype("boolean")
    return gpd.GeoDataFrame(frame, geometry=[r["geometry"] for r in rows], crs=CRS)


def mu(m2: float) -> float:
    return m2 / M2_PER_MU


@pytest.fixture(scope="module")
def basic() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    a = approvals(
        [
            ("A", "2020-01-15", box(0, 0, 100, 100)),  # 10000 m², 6000 supplied
            ("B", "2023-01-01", box(200, 0, 300, 50)),  # 5000 m², young, nothing supplied
            ("C", "2021-03-01", box(400, 0, 500, 100)),  # 10000 m², lapsed
            ("D", "2019-05-05", box(600, 0, 700, 100)),  # covered by two overlapping supplies
            ("E", "2018-01-01", box(1000, 0, 1100, 100)),  # half supplied by S5
        ]
    )
    s = supplies(
        [
            # not started, 911 days past the agreed start: idle type 1, recoverable
            dict(supply_id="S1", batch_id="A", geometry=box(0, 0, 60, 100),
                 agreed_start="2022-01-01", land_price=1_000_000.0, gov_cause=False),
            # not started, 181 days past: supplied but unused
            dict(supply_id="S2", batch_id="D", geometry=box(600, 0, 650, 100),
                 agreed_start="2024-01-01", land_price=500_000.0),
            # agreed start after as_of: not due
            dict(supply_id="S3", batch_id="D", geometry=box(640, 0, 700, 100),
                 agreed_start="2024-12-01"),
            # outside every approval; started, 20 % developed, suspended 546 days: idle type 2,
            # government's fault: no fee
            dict(supply_id="S4", geometry=box(800, 0, 820, 50), agreed_start="2020-03-01",
                 actual_start="2020-06-01", developed_ratio=0.2, invested_ratio=0.5,
                 suspended_since="2023-01-01", land_price=2_000_000.0, gov_cause=True),
            # half inside E; started and well developed
            dict(supply_id="S5", batch_id="E", geometry=box(1050, 0, 1150, 100),
                 agreed_start="2020-06-01", actual_start="2021-01-01", developed_ratio=0.8,
                 invested_ratio=0.9),
            # dates missing: unknown
            dict(supply_id="S6", geometry=box(1200, 0, 1210, 10)),
        ]
    )  # fmt: skip
    return a, s


@pytest.fixture(scope="module")
def result(basic: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> AuditResult:
    return audit_land(*basic, as_of=AS_OF)


def test_summary_hand_computed(result: AuditResult) -> None:
    s = result.summary
    assert s["as_of"] == AS_OF
    assert s["approved_area_mu"] == pytest.approx(mu(45_000), rel=1e-12)
    assert s["approved_area_mu"] == pytest.approx(67.5, rel=1e-12)
    assert s["supplied_area_mu"] == pytest.approx(mu(21_000), rel=1e-12)
    assert s["unsupplied_area_mu"] == pytest.approx(36.0, rel=1e-12)
    assert s["sliver_area_mu"] == 0
    assert s["supply_rate"] == pytest.approx(21_000 / 45_000, rel=1e-12)
    # window 2019-2023: A (2020), B (2023), C (2021), D (2019); E (2018) is outside
    assert s["supply_rate_5y"] == pytest.approx(16_000 / 35_000, rel=1e-12)
    assert s["unsupplied_parcels"] == 4
    assert s["supplied_unused_parcels"] == 1
    assert s["idle_parcels"] == 2
    assert s["idle_area_mu"] == pytest.approx(mu(6000 + 1000), rel=1e-12)
    assert s["idle_fee_total"] == pytest.approx(200_000.0)
    assert s["recoverable_parcels"] == 1
    assert s["unmatched_supply_area_mu"] == pytest.approx(mu(1000 + 5000 + 100), rel=1e-12)


def test_conservation(result: AuditResult) -> None:
    b = result.batches
    approved = b["approved_area_m2"].sum()
    total = b["supplied_area_m2"] + b["unsupplied_area_m2"] + b["sliver_area_m2"]
    assert approved == pytest.approx(total.sum(), rel=1e-9)
    assert result.unsupplied["area_m2"].sum() == pytest.approx(b["unsupplied_area_m2"].sum())
    # per batch too
    per = b["supplied_area_m2"] + b["unsupplied_area_m2"] + b["sliver_area_m2"]
    np.testing.assert_allclose(per, b["approved_area_m2"], rtol=1e-9)


def test_batches(result: AuditResult) -> None:
    b = result.batches.set_index("batch_id")
    assert list(b.index) == ["E", "D", "A", "C", "B"]  # priority: approval date
    expected = {  # approved, supplied, unsupplied (m²)
        "A": (10_000, 6000, 4000),
        "B": (5000, 0, 5000),
        "C": (10_000, 0, 10_000),
        "D": (10_000, 10_000, 0),
        "E": (10_000, 5000, 5000),
    }
    for bid, (app, sup, uns) in expected.items():
        assert b.loc[bid, "approved_area_m2"] == pytest.approx(app)
        assert b.loc[bid, "supplied_area_m2"] == pytest.approx(sup)
        assert b.loc[bid, "unsupplied_area_m2"] == pytest.approx(uns)
        assert b.loc[bid, "approved_area_mu"] == pytest.approx(mu(app))
        assert b.loc[bid, "unsupplied_area_mu"] == pytest.approx(mu(uns))
        assert b.loc[bid, "supply_rate"] == pytest.approx(sup / app)
    assert b.loc["D", "n_supplies"] == 2
    assert set(b["match_method"]) == {"overlay"}
    assert b.loc["A", "approval_no"] == "文号-A"
    # lapse: two years since approval and nothing supplied
    assert b["lapsed"].tolist() == [False, False, False, True, False]
    assert b.loc["B", "age_years"] == pytest.approx(546 / 365.25)


def test_unsupplied_pieces(result: AuditResult) -> None:
    u = result.unsupplied.set_index("batch_id").sort_index()
    assert list(u.index) == ["A", "B", "C", "E"]
    assert u["area_m2"].tolist() == pytest.approx([4000, 5000, 10_000, 5000])
    assert u["area_mu"].tolist() == pytest.approx([6.0, 7.5, 15.0, 7.5])
    assert shapely.equals(u.loc["A", "geometry"], box(60, 0, 100, 100))
    assert shapely.equals(u.loc["E", "geometry"], box(1000, 0, 1050, 100))
    assert u.loc["C", "lapsed"] and not u.loc["B", "lapsed"]
    assert u.loc["A", "approved_on"] == pd.Timestamp("2020-01-15")
    assert u.loc["A", "age_years"] == pytest.approx(1628 / 365.25)
    assert result.unsupplied.crs.to_epsg() == CRS
    assert "township" not in result.unsupplied.columns


def test_statuses(result: AuditResult) -> None:
    s = result.supplies.set_index("supply_id")
    assert s["status"].to_dict() == {
        "S1": "idle_type1",
        "S2": "supplied_unused",
        "S3": "not_due",
        "S4": "idle_type2",
        "S5": "started",
        "S6": "unknown",
    }
    assert s.loc["S1", "days_late"] == 911
    assert s.loc["S2", "days_late"] == 181
    assert s.loc["S3", "days_late"] == 0
    assert s.loc["S4", "days_late"] == 546  # days since suspension
    assert pd.isna(s.loc["S6", "days_late"])
    assert s.loc["S1", "idle_fee"] == pytest.approx(200_000.0)
    assert s.loc["S4", "idle_fee"] == 0.0  # government's fault
    assert s["recoverable"].tolist() == [True, False, False, False, False, False]
    assert s.loc["S1", "area_m2"] == pytest.approx(6000)
    assert s.loc["S5", "overlay_batches"] == "E"
    assert pd.isna(s.loc["S4", "overlay_batches"])
    assert result.idle["supply_id"].tolist() == ["S1", "S4"]
    assert result.supplied_unused["supply_id"].tolist() == ["S2"]
    assert result.quality["supplies_unknown_status"] == ["S6"]


def test_unmatched_supplies(result: AuditResult) -> None:
    u = result.unmatched_supplies.set_index("supply_id").sort_index()
    assert u["area_m2"].to_dict() == pytest.approx({"S4": 1000, "S5": 5000, "S6": 100})
    assert shapely.equals(u.loc["S5", "geometry"], box(1100, 0, 1150, 100))
    s = result.supplies.set_index("supply_id")
    assert s.loc["S5", "unmatched_area_m2"] == pytest.approx(5000)
    assert s.loc["S1", "unmatched_area_m2"] == 0


def test_cohorts(result: AuditResult) -> None:
    c = result.cohorts.set_index("year")
    assert list(c.index) == [2018, 2019, 2020, 2021, 2023]
    assert c.loc[2020, "approved_area_m2"] == pytest.approx(10_000)
    assert c.loc[2020, "supplied_area_mu"] == pytest.approx(9.0)
    assert c.loc[2021, "supply_rate"] == 0
    assert c["in_window"].tolist() == [False, True, True, True, True]
    win = c[c["in_window"]]
    assert win["supplied_area_m2"].sum() / win["approved_area_m2"].sum() == pytest.approx(
        result.summary["supply_rate_5y"]
    )
    assert result.meets_floor is False  # 0.457 < 0.60
    assert audit_land(
        *_only(result), as_of=AS_OF, rules=AuditRules(supply_rate_floor=0.4)
    ).meets_floor


def _only(result: AuditResult) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    a = approvals([("A", "2020-01-15", box(0, 0, 100, 100))])
    s = supplies([dict(supply_id="S1", geometry=box(0, 0, 60, 100), agreed_start="2022-01-01")])
    return a, s


def test_inputs_not_mutated(basic: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]) -> None:
    a, s = basic
    a0, s0 = a.copy(), s.copy()
    audit_land(a, s, as_of=AS_OF)
    pd.testing.assert_frame_equal(a, a0)
    pd.testing.assert_frame_equal(s, s0)


def test_slivers_thin_strip_and_tiny_piece() -> None:
    l_shape = shapely.difference(box(200, 0, 300, 100), box(297, 97, 300, 100))
    a = approvals(
        [
            ("F", "2020-01-01", box(0, 0, 100, 100)),
            ("G", "2020-01-01", box(200, 0, 300, 100)),
            ("H", "2020-01-01", box(400, 0, 500, 100)),
        ]
    )
    s = supplies(
        [
            dict(supply_id="thin", geometry=box(0, 0, 100, 99.5), agreed_start="2021-01-01"),
            dict(supply_id="tiny", geometry=l_shape, agreed_start="2021-01-01"),
            dict(supply_id="wide", geometry=box(400, 0, 500, 98), agreed_start="2021-01-01"),
        ]
    )
    r = audit_land(a, s, as_of=AS_OF)
    b = r.batches.set_index("batch_id")
    # a 0.5 m strip (50 m², above the area tolerance but thinner than 1 m) and a 3 x 3 m corner
    assert b.loc["F", "sliver_area_m2"] == pytest.approx(50)
    assert b.loc["G", "sliver_area_m2"] == pytest.approx(9)
    assert b.loc["F", "unsupplied_area_m2"] == 0 and b.loc["G", "unsupplied_area_m2"] == 0
    # a 2 m strip is real unsupplied land
    assert b.loc["H", "unsupplied_area_m2"] == pytest.approx(200)
    assert b.loc["H", "sliver_area_m2"] == 0
    assert r.summary["sliver_area_mu"] == pytest.approx(mu(59))
    assert r.summary["unsupplied_parcels"] == 1
    app = r.summary["approved_area_mu"]
    parts = r.summary["supplied_area_mu"] + r.summary["unsupplied_area_mu"]
    assert app == pytest.approx(parts + r.summary["sliver_area_mu"], rel=1e-12)
    # with a 3 m width tolerance the 2 m strip becomes a sliver too
    wider = AuditRules(sliver_width=3.0)
    r3 = audit_land(a, s, as_of=AS_OF, rules=wider)
    assert r3.batches.set_index("batch_id").loc["H", "sliver_area_m2"] == pytest.approx(200)


def test_sliver_supply_does_not_stop_lapse() -> None:
    # batch K is touched only by a 0.4 m strip of a neighbour's supply: still lapsed
    a = approvals(
        [("J", "2020-01-01", box(0, 0, 100, 100)), ("K", "2020-01-01", box(100, 0, 200, 100))]
    )
    s = supplies([dict(supply_id="S", geometry=box(0, 0, 100.4, 100), agreed_start="2021-01-01")])
    r = audit_land(a, s, as_of=AS_OF)
    b = r.batches.set_index("batch_id")
    assert b.loc["K", "supplied_area_m2"] == pytest.approx(40)
    assert bool(b.loc["K", "lapsed"]) and not bool(b.loc["J", "lapsed"])


def test_overlapping_approvals_count_once() -> None:
    a = approvals(
        [
            ("H", "2019-01-01", box(0, 0, 100, 100)),
            ("I", "2020-01-01", box(50, 0, 150, 100)),  # half inside H
        ]
    )
    s = supplies([dict(supply_id="S", geometry=box(50, 0, 100, 100), agreed_start="2021-01-01")])
    r = audit_land(a, s, as_of=AS_OF)
    b = r.batches.set_index("batch_id")
    assert r.summary["approved_area_mu"] == pytest.approx(mu(15_000))
    assert b.loc["H", "approved_area_m2"] == pytest.approx(10_000)
    assert b.loc["I", "approved_area_m2"] == pytest.approx(5000)
    assert b.loc["I", "gross_area_m2"] == pytest.approx(10_000)
    assert b.loc["I", "overlap_area_m2"] == pytest.approx(5000)
    # the supply lies in the overlap, which belongs to the earlier batch H
    assert b.loc["H", "supplied_area_m2"] == pytest.approx(5000)
    assert b.loc["I", "supplied_area_m2"] == 0
    assert bool(b.loc["I", "lapsed"])
    assert r.quality["approval_overlap_pairs"] == 1
    assert r.quality["approval_overlap_area_m2"] == pytest.approx(5000)
    assert r.summary["supplied_area_mu"] == pytest.approx(mu(5000))


def test_overlapping_supplies_and_multipart_batch() -> None:
    a = approvals(
        [
            ("M", "2020-01-01", box(0, 0, 100, 100)),
            ("M", "2020-01-01", box(200, 0, 300, 100)),  # second polygon of batch M
            (
                "N",
                "2020-02-01",
                shapely.MultiPolygon([box(400, 0, 450, 100), box(500, 0, 550, 100)]),
            ),
        ]
    )
    s = supplies(
        [
            dict(supply_id="P", geometry=box(0, 0, 80, 100), supplied_on="2021-01-01",
                 agreed_start="2021-06-01"),
            dict(supply_id="Q", geometry=box(40, 0, 100, 50), supplied_on="2021-02-01",
                 agreed_start="2021-06-01"),
            dict(supply_id="R", geometry=box(420, 0, 530, 100), agreed_start="2021-06-01"),
        ]
    )  # fmt: skip
    r = audit_land(a, s, as_of=AS_OF)
    b = r.batches.set_index("batch_id")
    assert b.loc["M", "n_polygons"] == 2
    assert b.loc["M", "approved_area_m2"] == pytest.approx(20_000)
    # P ∪ Q = 8000 + 1000 (Q's part beyond P); the overlap is counted once
    assert b.loc["M", "supplied_area_m2"] == pytest.approx(9000)
    assert b.loc["M", "unsupplied_area_m2"] == pytest.approx(11_000)
    assert r.quality["supply_overlap_pairs"] == 1
    assert r.quality["supply_overlap_area_m2"] == pytest.approx(2000)
    # R covers 30 + 30 m of N's two parts; the 50 m gap between them is unmatched supply
    assert b.loc["N", "supplied_area_m2"] == pytest.approx(6000)
    assert r.summary["unmatched_supply_area_mu"] == pytest.approx(mu(5000))
    assert r.summary["unsupplied_parcels"] == 4  # M: 1 + 1, N: 1 + 1
    assert r.summary["idle_area_mu"] == pytest.approx(mu(8000 + 3000 + 11_000))


def test_match_id_overlay_both() -> None:
    a = approvals(
        [("K", "2020-01-01", box(0, 0, 100, 100)), ("L", "2020-01-01", box(200, 0, 300, 100))]
    )
    s = supplies(
        [
            dict(supply_id="SK", batch_id="K", geometry=box(0, 0, 100, 60), agreed_start="2021-01-01"),
            # recorded against K but drawn in L
            dict(supply_id="SX", batch_id="K", geometry=box(200, 0, 250, 100), agreed_start="2021-01-01"),
            dict(supply_id="SZ", batch_id="ZZZ", geometry=box(800, 0, 810, 10)),
        ]
    )  # fmt: skip
    by = {
        m: audit_land(a, s, as_of=AS_OF, rules=AuditRules(match=m))
        for m in ("overlay", "id", "both")
    }
    ov = by["overlay"].batches.set_index("batch_id")
    idm = by["id"].batches.set_index("batch_id")
    both = by["both"].batches.set_index("batch_id")
    assert ov.loc["L", "supplied_area_m2"] == pytest.approx(5000)
    assert idm.loc["L", "supplied_area_m2"] == 0
    assert idm.loc["L", "unsupplied_area_m2"] == pytest.approx(10_000)
    assert idm.loc["K", "supplied_area_m2"] == pytest.approx(6000)
    assert set(idm["match_method"]) == {"id"}
    assert both.loc["L", "match_disagree"] and not both.loc["K", "match_disagree"]
    assert both.loc["L", "match_method"] == "overlay" and both.loc["K", "match_method"] == "both"
    assert both.loc["L", "id_supplied_area_mu"] == 0
    assert both.loc["L", "supplied_area_m2"] == pytest.approx(5000)  # figures from geometry
    assert by["both"].quality["batches_match_disagree"] == ["L"]
    assert by["id"].quality["supplies_batch_id_not_found"] == ["SZ"]
    sup = by["id"].supplies.set_index("supply_id")
    assert bool(sup.loc["SK", "id_in_batch"]) and not bool(sup.loc["SX", "id_in_batch"])
    assert by["id"].summary["unsupplied_area_mu"] == pytest.approx(mu(4000 + 10_000))
    assert by["overlay"].summary["unsupplied_area_mu"] == pytest.approx(mu(4000 + 5000))


def test_statuses_edge_cases() -> None:
    a = approvals([("A", "2020-01-01", box(0, 0, 1000, 1000))])
    rows = [
        # exactly 365 days: idle; 364: still supplied-but-unused
        dict(supply_id="d365", agreed_start="2023-07-01"),
        dict(supply_id="d364", agreed_start="2023-07-02"),
        # exactly 730 days: recoverable; 729: idle but not recoverable
        dict(supply_id="d730", agreed_start="2022-07-01", land_price=100.0),
        dict(supply_id="d729", agreed_start="2022-07-02", land_price=100.0),
        # recorded start after as_of: not started yet
        dict(supply_id="later", agreed_start="2022-01-01", actual_start="2024-08-01"),
        # started, suspended long, low investment only: idle type 2
        dict(supply_id="lowinv", agreed_start="2020-01-01", actual_start="2020-02-01",
             developed_ratio=0.9, invested_ratio=0.2, suspended_since="2023-01-01"),
        # started, suspended long, ratios unknown: unknown (never guessed)
        dict(supply_id="noratio", agreed_start="2020-01-01", actual_start="2020-02-01",
             suspended_since="2023-01-01"),
        # started, suspended long, but well developed: started
        dict(supply_id="fine", agreed_start="2020-01-01", actual_start="2020-02-01",
             developed_ratio=0.5, invested_ratio=0.5, suspended_since="2023-01-01"),
        # started, low development, suspended only 200 days: started
        dict(supply_id="short", agreed_start="2020-01-01", actual_start="2020-02-01",
             developed_ratio=0.1, invested_ratio=0.1, suspended_since="2023-12-13"),
        # idle, government's fault: no fee and not recoverable
        dict(supply_id="gov", agreed_start="2020-01-01", land_price=100.0, gov_cause=True),
        # idle, price unknown: fee unknown (listed)
        dict(supply_id="noprice", agreed_start="2020-01-01"),
    ]  # fmt: skip
    for k, r in enumerate(rows):
        r["geometry"] = box(10 * k, 0, 10 * k + 5, 5)
    res = audit_land(a, supplies(rows), as_of=AS_OF)
    s = res.supplies.set_index("supply_id")
    assert s["status"].to_dict() == {
        "d365": "idle_type1", "d364": "supplied_unused", "d730": "idle_type1",
        "d729": "idle_type1", "later": "idle_type1", "lowinv": "idle_type2",
        "noratio": "unknown", "fine": "started", "short": "started", "gov": "idle_type1",
        "noprice": "idle_type1",
    }  # fmt: skip
    assert s.loc["d365", "days_late"] == 365
    assert s["recoverable"][s["recoverable"]].index.tolist() == ["d730", "later", "noprice"]
    assert s.loc["d730", "idle_fee"] == pytest.approx(20.0)
    assert s.loc["gov", "idle_fee"] == 0 and not s.loc["gov", "recoverable"]
    assert math.isnan(s.loc["noprice", "idle_fee"])
    assert res.quality["idle_without_land_price"] == ["d365", "later", "lowinv", "noprice"]
    assert res.summary["idle_fee_total"] == pytest.approx(40.0)
    custom = AuditRules(idle_days=180, recover_days=400, idle_fee_rate=0.1)
    s2 = audit_land(a, supplies(rows), as_of=AS_OF, rules=custom).supplies.set_index("supply_id")
    assert s2.loc["d364", "status"] == "idle_type1"
    assert not s2.loc["d364", "recoverable"] and s2.loc["d729", "recoverable"]
    assert s2.loc["d730", "idle_fee"] == pytest.approx(10.0)


def test_missing_approval_date_and_future_approvals() -> None:
    a = approvals(
        [
            ("A", "2020-01-01", box(0, 0, 100, 100)),
            ("X", None, box(200, 0, 300, 100)),
            ("Y", "2025-01-01", box(400, 0, 500, 100)),
        ]
    )
    s = supplies([dict(supply_id="S", geometry=box(0, 0, 10, 10), agreed_start="2021-01-01")])
    r = audit_land(a, s, as_of=AS_OF)
    b = r.batches.set_index("batch_id")
    assert pd.isna(b.loc["X", "lapsed"]) and math.isnan(b.loc["X", "age_years"])
    assert r.quality["approvals_missing_date"] == ["X"]
    assert r.quality["approvals_after_as_of"] == ["Y"]
    c = r.cohorts
    assert c["year"].isna().sum() == 1
    assert c.loc[c["year"].isna(), "approved_area_m2"].item() == pytest.approx(10_000)


def test_townships_largest_overlap() -> None:
    a = approvals(
        [("A", "2020-01-01", box(0, 0, 100, 100)), ("B", "2020-01-01", box(0, 200, 100, 300))]
    )
    s = supplies([dict(supply_id="S", geometry=box(0, 10, 100, 100), agreed_start="2021-01-01")])
    t = gpd.GeoDataFrame(
        {"name": ["西镇", "东镇"]},
        geometry=[box(-500, -500, 30, 500), box(30, -500, 500, 500)],
        crs=CRS,
    )
    r = audit_land(a, s, as_of=AS_OF, townships=t)
    # the unsupplied strip of A (x 0-100, y 0-10) lies 30 % west, 70 % east
    u = r.unsupplied.set_index("batch_id")
    assert u.loc["A", "township"] == "东镇" and u.loc["B", "township"] == "东镇"
    assert r.supplies["township"].tolist() == ["东镇"]
    assert r.batches.set_index("batch_id").loc["A", "township"] == "东镇"
    t2 = t.assign(geometry=[box(-500, -500, 80, 500), box(80, -500, 500, 500)])
    r2 = audit_land(a, s, as_of=AS_OF, townships=t2)
    assert r2.unsupplied.set_index("batch_id").loc["A", "township"] == "西镇"


def test_outside_townships_is_missing() -> None:
    a = approvals([("A", "2020-01-01", box(0, 0, 100, 100))])
    s = supplies([dict(supply_id="S", geometry=box(0, 0, 50, 100), agreed_start="2021-01-01")])
    t = gpd.GeoDataFrame({"name": ["远镇"]}, geometry=[box(5000, 0, 6000, 100)], crs=CRS)
    r = audit_land(a, s, as_of=AS_OF, townships=t)
    assert r.unsupplied["township"].isna().all()


def test_robust_recompute_when_overlay_slips(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong floating-point overlay (GEOS can return one without raising) is caught by the
    per-component check and recomputed on the snapping grid."""
    import geoplan.audit._core as core

    real = core.safe_binary

    def flaky(op, a, b, *, what, grid_size=None):  # type: ignore[no-untyped-def]
        if what == "unmatched supply" and grid_size is None:
            return a.copy()  # pretend nothing of the supply lies inside approvals
        return real(op, a, b, what=what, grid_size=grid_size)

    monkeypatch.setattr(core, "safe_binary", flaky)
    a = approvals(
        [("A", "2020-01-01", box(0, 0, 100, 100)), ("B", "2020-01-01", box(500, 0, 600, 100))]
    )
    s = supplies(
        [
            dict(supply_id="in", geometry=box(500, 0, 550, 100), agreed_start="2021-01-01"),
            dict(supply_id="cross", geometry=box(50, 0, 150, 100), agreed_start="2021-01-01"),
        ]
    )
    r = audit_land(a, s, as_of=AS_OF)
    assert r.quality["robust_recomputed"] == {"batches": 1, "supplies": 1}
    assert r.summary["unmatched_supply_area_mu"] == pytest.approx(mu(5000))
    assert r.summary["supplied_area_mu"] == pytest.approx(mu(10_000))

    def broken(op, a, b, *, what, grid_size=None):  # type: ignore[no-untyped-def]
        if what == "unmatched supply":
            return a.copy()
        return real(op, a, b, what=what, grid_size=grid_size)

    monkeypatch.setattr(core, "safe_binary", broken)
    from geoplan.errors import GeoplanError

    with pytest.raises(GeoplanError, match="not conserved"):
        audit_land(a, s, as_of=AS_OF)


def test_conservation_check_raises() -> None:
    from geoplan.audit._overlay import check_conservation
    from geoplan.errors import GeoplanError

    check_conservation(100.0, 60.0, 39.99999999, 0.0)
    with pytest.raises(GeoplanError, match="not conserved"):
        check_conservation(100.0, 60.0, 39.0, 0.5)


def test_demo_county_audit() -> None:
    from geoplan.county import County
    from geoplan.datasets import demo_path

    c = County.open(demo_path())
    r = audit_land(
        c.layer("approvals"), c.layer("supplies"), as_of=c.as_of,
        rules=AuditRules.from_params(c.params("audit")), townships=c.layer("townships"),
    )  # fmt: skip
    s = r.summary
    assert s["approved_area_mu"] == pytest.approx(
        s["supplied_area_mu"] + s["unsupplied_area_mu"] + s["sliver_area_mu"], rel=1e-9
    )
    # approved area is the area of the union of all approval polygons
    union = shapely.union_all(c.layer("approvals").geometry.values)
    assert s["approved_area_mu"] == pytest.approx(union.area / M2_PER_MU, rel=1e-9)
    supplied = shapely.intersection(union, shapely.union_all(c.layer("supplies").geometry.values))
    assert s["supplied_area_mu"] == pytest.approx(supplied.area / M2_PER_MU, rel=1e-6)
    assert set(r.supplies["status"]) == {
        "idle_type1", "idle_type2", "supplied_unused", "not_due", "started", "unknown"
    }  # fmt: skip
    assert r.unsupplied["lapsed"].any() and len(r.unmatched_supplies) > 0
    assert r.unsupplied["township"].notna().all()


def test_threaded_equals_serial(
    basic: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    import geoplan._threads as geom

    serial = audit_land(*basic, as_of=AS_OF, workers=1)
    monkeypatch.setattr(geom, "_CHUNK", 1)  # split even tiny arrays across threads
    monkeypatch.setattr(geom, "cpu_threads", lambda: 3)
    calls = []
    real = geom.ThreadPoolExecutor

    def spy(*a, **k):  # type: ignore[no-untyped-def]
        calls.append(k.get("max_workers"))
        return real(*a, **k)

    monkeypatch.setattr(geom, "ThreadPoolExecutor", spy)
    threaded = audit_land(*basic, as_of=AS_OF)
    assert calls and max(calls) == 3
    assert threaded.summary == serial.summary
    pd.testing.assert_frame_equal(
        threaded.batches.drop(columns="geometry"), serial.batches.drop(columns="geometry")
    )
    assert shapely.equals(
        threaded.unsupplied.geometry.values, serial.unsupplied.geometry.values
    ).all()
    from geoplan.errors import InputError

    with pytest.raises(InputError, match="workers"):
        audit_land(*basic, as_of=AS_OF, workers=0)


# --------------------------------------------------------------------------- as-of (issue 11)


def _timeline() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two batches and four supplies whose dates run past 2020 into 2025 and 2099."""
    a = approvals(
        [
            ("P", "2018-03-01", box(0, 0, 100, 100)),  # 10,000 m²
            ("Q", "2021-06-01", box(200, 0, 300, 100)),  # 10,000 m², after 2020-06-30
            ("Z", "2099-01-01", box(400, 0, 500, 100)),  # a typo'd approval date
        ]
    )
    s = supplies(
        [
            # supplied 2019, agreed start 2019-06-01, started 2022-03-01
            dict(supply_id="T1", geometry=box(0, 0, 40, 100), supplied_on="2019-01-10",
                 agreed_start="2019-06-01", actual_start="2022-03-01", land_price=4_000_000.0),
            # supplied 2019, started 2019-09-01, 10 % developed, suspended 2021-01-01
            dict(supply_id="T2", geometry=box(40, 0, 70, 100), supplied_on="2019-02-01",
                 agreed_start="2019-08-01", actual_start="2019-09-01", developed_ratio=0.1,
                 invested_ratio=0.1, suspended_since="2021-01-01", land_price=3_000_000.0),
            # supplied 2022 in Q, agreed start 2023-01-01, never started
            dict(supply_id="T3", geometry=box(200, 0, 250, 100), supplied_on="2022-01-01",
                 agreed_start="2023-01-01", land_price=5_000_000.0),
            # supplied 2020-03-01, agreed start 2020-09-01
            dict(supply_id="T4", geometry=box(70, 0, 100, 100), supplied_on="2020-03-01",
                 agreed_start="2020-09-01", land_price=1_000_000.0),
        ]
    )  # fmt: skip
    return a, s


def test_as_of_is_a_point_in_time() -> None:
    """The same records audited as of 2020-06-30 and 2025-06-30.

    As of 2020-06-30: Q (2021) and Z (2099) are not approved yet; T3 (supplied 2022) is not
    supplied yet. P = 10,000 m², supplied by T1 + T2 + T4 = 4,000 + 3,000 + 3,000 m²: rate 1.0.
    T1: T1's start (2022-03-01) has not happened; agreed 2019-06-01 → 395 days (2019-06-01 →
    2020-06-01 = 366, leap 2020, + 29) → idle_type1, fee 800,000, not recoverable (< 730).
    T2: started 2019-09-01; its suspension (2021-01-01) has not happened → started.
    T4: agreed 2020-09-01 → not_due.

    As of 2025-06-30: Q exists, Z still not (2099). T3 supplied; 2023-01-01 → 2025-06-30 =
    365 + 366 (leap 2024) + 180 = 911 days → idle_type1, recoverable, fee 1,000,000. T1 started 2022 →
    started. T2 suspended 2021-01-01 → 1641 days (365·3 + 366 + 180), 10 % developed →
    idle_type2, fee 600,000. T4 agreed 2020-09-01, never started → 1763 days (2020-09-01 →
    2025-09-01 = 1826, − 63) → idle_type1, recoverable, fee 200,000. Approved 20,000 m²,
    supplied 10,000 + 5,000; unsupplied 5,000 (Q's east half).
    """
    a, s = _timeline()
    early = audit_land(a, s, as_of="2020-06-30")
    e = early.summary
    assert e["approved_area_mu"] == pytest.approx(mu(10_000))
    assert e["supplied_area_mu"] == pytest.approx(mu(10_000))
    assert e["supply_rate"] == pytest.approx(1.0)
    assert e["after_as_of_approvals"] == 2 and e["after_as_of_supplies"] == 1
    assert early.quality["approvals_after_as_of"] == ["Q", "Z"]
    assert early.quality["supplies_after_as_of"] == ["T3"]
    st = early.supplies.set_index("supply_id")
    assert st["status"].to_dict() == {"T1": "idle_type1", "T2": "started", "T4": "not_due"}
    assert st.loc["T1", "days_late"] == 395
    assert e["idle_parcels"] == 1 and e["idle_fee_total"] == pytest.approx(800_000.0)
    assert e["recoverable_parcels"] == 0
    assert list(early.batches["batch_id"]) == ["P"]
    assert "2 条批准记录的批准日期晚于基准日，未计入" in e["notes"]

    late = audit_land(a, s, as_of="2025-06-30")
    x = late.summary
    assert x["approved_area_mu"] == pytest.approx(mu(20_000))
    assert x["supplied_area_mu"] == pytest.approx(mu(15_000))
    assert x["unsupplied_area_mu"] == pytest.approx(mu(5_000))
    assert x["after_as_of_approvals"] == 1 and x["after_as_of_supplies"] == 0
    st = late.supplies.set_index("supply_id")
    assert st["status"].to_dict() == {
        "T1": "started", "T2": "idle_type2", "T3": "idle_type1", "T4": "idle_type1"
    }  # fmt: skip
    assert st["days_late"].to_dict() == {"T1": 0, "T2": 1641, "T3": 911, "T4": 1763}
    assert x["idle_fee_total"] == pytest.approx(600_000.0 + 1_000_000.0 + 200_000.0)
    assert x["recoverable_parcels"] == 2
    # the 2099 approval never shows up with a negative age
    assert (late.batches["age_years"] >= 0).all()


def test_dates_out_of_order_are_unknown_with_a_reason(caplog: pytest.LogCaptureFixture) -> None:
    a = approvals([("A", "2020-01-01", box(0, 0, 1000, 1000)),
                   ("B", "2021-01-01", box(2000, 0, 2100, 100))])  # fmt: skip
    rows = [
        # started before the land was supplied: "started" rests on that date → unknown
        dict(supply_id="early_start", supplied_on="2021-01-01", agreed_start="2021-06-01",
             actual_start="2020-06-01"),
        # agreed start before the supply: "idle" would rest on it → unknown
        dict(supply_id="early_agreed", supplied_on="2021-01-01", agreed_start="2020-06-01"),
        # suspended before it started, long ago, low development: idle type 2 rests on it
        dict(supply_id="early_susp", supplied_on="2020-02-01", agreed_start="2020-03-01",
             actual_start="2021-01-01", suspended_since="2020-06-01", developed_ratio=0.1,
             invested_ratio=0.1),
        # supplied (2020-06-01) before its batch B was approved (2021-01-01): listed only
        dict(supply_id="early_supply", batch_id="B", supplied_on="2020-06-01",
             agreed_start="2020-09-01", actual_start="2020-10-01"),
        # in order
        dict(supply_id="fine", supplied_on="2020-02-01", agreed_start="2020-06-01"),
    ]  # fmt: skip
    for k, r in enumerate(rows[:3] + rows[4:]):
        r["geometry"] = box(10 * k, 0, 10 * k + 5, 5)
    rows[3]["geometry"] = box(2000, 0, 2050, 100)
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        res = audit_land(a, supplies(rows), as_of=AS_OF)
    st = res.supplies.set_index("supply_id")
    assert st["status"].to_dict() == {
        "early_start": "unknown", "early_agreed": "unknown", "early_susp": "unknown",
        "early_supply": "started", "fine": "idle_type1",
    }  # fmt: skip
    assert st["unknown_reason"].dropna().to_dict() == {
        "early_start": "start_before_supply", "early_agreed": "agreed_before_supply",
        "early_susp": "suspended_before_start",
    }  # fmt: skip
    assert st.loc["early_start", "unknown_reason_zh"] == "实际动工日期早于供地日期"
    assert res.quality["dates_out_of_order"] == {
        "start_before_supply": ["early_start"], "agreed_before_supply": ["early_agreed"],
        "suspended_before_start": ["early_susp"], "supplied_before_approval": ["early_supply"],
    }  # fmt: skip
    assert res.summary["dates_out_of_order"] == 4
    assert res.summary["unknown_parcels"] == 3
    assert res.summary["unknown_area_mu"] == pytest.approx(mu(75))
    assert "dates out of order (start_before_supply): early_start" in caplog.text
    assert "1 宗因实际动工日期早于供地日期无法判定，待核实" in res.summary["notes"]
    assert "4 宗供地的日期先后矛盾" in res.summary["notes"]


def test_as_of_forms() -> None:
    a = approvals([("A", "2020-01-01", box(0, 0, 100, 100))])
    s = supplies([dict(supply_id="S", geometry=box(0, 0, 50, 100), agreed_start="2021-01-01")])
    for value in (20240630, "20240630", "2024/6/30", "2024年6月30日", pd.Timestamp("2024-06-30")):
        assert audit_land(a, s, as_of=value).summary["as_of"] == "2024-06-30", value
    from geoplan.errors import InputError

    for bad in (1_700_000_000, 20241331, 2024.5, True, "30/06/2024"):
        with pytest.raises(InputError, match="as_of"):
            audit_land(a, s, as_of=bad)


def test_all_supplies_after_as_of_is_a_clear_error() -> None:
    from geoplan.errors import InputError

    a = approvals([("A", "2020-01-01", box(0, 0, 100, 100))])
    s = supplies([dict(supply_id="S", geometry=box(0, 0, 50, 100), supplied_on="2025-01-01",
                       agreed_start="2025-06-01")])  # fmt: skip
    with pytest.raises(InputError, match="after as_of 2024-06-30"):
        audit_land(a, s, as_of=AS_OF)


def test_absent_actual_start_field_is_not_read_as_not_started(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A layer without any actual-start column cannot tell 'not started' from 'not recorded'."""
    from geoplan.io import read_layer

    a = approvals([("A", "2020-01-01", box(0, 0, 100, 100))])
    s = gpd.GeoDataFrame(
        {"电子监管号": ["S1", "S2"], "约定动工日期": ["2021-01-01", "2025-01-01"]},
        geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100)],
        crs=CRS,
    )
    s.to_file(tmp_path / "s.gpkg")
    r = audit_land(a, read_layer(tmp_path / "s.gpkg", role="supplies"), as_of=AS_OF)
    st = r.supplies.set_index("supply_id")
    # S1 would be idle if unstarted, but nobody recorded starts: unknown; S2 is not due either way
    assert st["status"].to_dict() == {"S1": "unknown", "S2": "not_due"}
    assert st.loc["S1", "unknown_reason_zh"] == "缺少实际动工日期字段"
    assert r.quality["supplies_absent_fields"] == [
        "actual_start", "agreed_finish", "batch_id", "developed_ratio", "gov_cause",
        "invested_ratio", "land_price", "supplied_on", "supply_method", "suspended_since",
    ]  # fmt: skip
    # and neither has a supply date: both are counted as supplied, and the headline says so
    assert r.summary["notes"] == (
        "1 宗因缺少实际动工日期字段无法判定，待核实；"
        "2 条供地记录缺少供地日期，按基准日前已供计入，待核实"
    )
    assert r.summary["undated_supplies"] == 2
    assert r.quality["supplies_without_date"] == ["S1", "S2"]
    assert r.summary["supplied_area_mu"] == pytest.approx(10_000 / M2_PER_MU)


def test_undated_supply_counts_as_supplied_and_is_said() -> None:
    """A supply without a supply date cannot be placed in time: it counts as supplied (its land
    is not 批而未供), is listed by id and is said in the headline; dated ones after as_of are not
    supplied yet."""
    a = approvals([("A", "2020-01-01", box(0, 0, 100, 100))])  # 10,000 m²
    s = supplies(
        [
            dict(supply_id="S1", geometry=box(0, 0, 30, 100), supplied_on="2021-01-01"),
            dict(supply_id="S2", geometry=box(30, 0, 60, 100)),  # no date
            dict(supply_id="S3", geometry=box(60, 0, 100, 100), supplied_on="2025-01-01"),
        ]
    )  # fmt: skip
    r = audit_land(a, s, as_of=AS_OF)
    # supplied: S1 3,000 m² + S2 3,000 m²; S3 (2025) is after the 2024-06-30 as-of: unsupplied
    assert r.summary["supplied_area_mu"] == pytest.approx(6_000 / M2_PER_MU)
    assert r.summary["unsupplied_area_mu"] == pytest.approx(4_000 / M2_PER_MU)
    assert r.summary["undated_supplies"] == 1 and r.quality["supplies_without_date"] == ["S2"]
    assert r.summary["after_as_of_supplies"] == 1
    assert "1 条供地记录缺少供地日期，按基准日前已供计入，待核实" in r.notes("zh")
    assert any("no supply date" in n for n in r.notes("en"))
