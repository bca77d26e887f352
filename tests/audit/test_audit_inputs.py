"""Bad input to the land audit: each case a clear error or a counted, reported repair."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geoplan.audit import AuditRules, audit_land
from geoplan.errors import (
    CRSError,
    DateParseError,
    EmptyLayerError,
    GeometryTypeError,
    InputError,
    MissingFieldError,
)

CRS = 4547
X0, Y0 = 500_000.0, 3_800_000.0


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def layers(
    a_geoms: list | None = None, s_geoms: list | None = None, s_ids: list | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    a_geoms = a_geoms or [box(0, 0, 100, 100)]
    s_geoms = s_geoms or [box(0, 0, 50, 100)]
    a = gpd.GeoDataFrame(
        {
            "batch_id": [f"B{i}" for i in range(len(a_geoms))],
            "approved_on": pd.to_datetime(["2020-01-01"] * len(a_geoms)),
        },
        geometry=a_geoms,
        crs=CRS,
    )
    s = gpd.GeoDataFrame(
        {
            "supply_id": s_ids or [f"S{i}" for i in range(len(s_geoms))],
            "agreed_start": pd.to_datetime(["2021-01-01"] * len(s_geoms)),
            "actual_start": pd.to_datetime([None] * len(s_geoms)),
        },
        geometry=s_geoms,
        crs=CRS,
    )
    return a, s


def test_minimal_columns_accepted_and_optional_filled() -> None:
    a, s = layers()
    r = audit_land(a, s, as_of=dt.date(2024, 6, 30))
    assert r.supplies["land_price"].isna().all()
    assert r.summary["as_of"] == "2024-06-30"
    assert r.as_of == dt.date(2024, 6, 30)


def test_missing_fields_named() -> None:
    a, s = layers()
    with pytest.raises(MissingFieldError, match=r"approvals.*approved_on.*columns are: batch_id"):
        audit_land(a.drop(columns="approved_on"), s, as_of="2024-06-30")
    with pytest.raises(MissingFieldError, match=r"supplies.*agreed_start"):
        audit_land(a, s.drop(columns="agreed_start"), as_of="2024-06-30")
    # batch_id on supplies is only needed to match by id
    with pytest.raises(MissingFieldError, match=r"supplies.*batch_id"):
        audit_land(a, s, as_of="2024-06-30", rules=AuditRules(match="id"))


def test_crs_checks() -> None:
    a, s = layers()
    with pytest.raises(CRSError, match="supplies"):
        audit_land(a, s.set_crs(4548, allow_override=True), as_of="2024-06-30")
    with pytest.raises(CRSError, match="geographic"):
        audit_land(a.to_crs(4490), s.to_crs(4490), as_of="2024-06-30")
    with pytest.raises(CRSError, match="no CRS"):
        audit_land(a.set_crs(None, allow_override=True), s, as_of="2024-06-30")


def test_empty_layers() -> None:
    a, s = layers()
    with pytest.raises(EmptyLayerError, match="approvals"):
        audit_land(a.iloc[:0], s, as_of="2024-06-30")
    with pytest.raises(EmptyLayerError, match="supplies"):
        audit_land(a, s.assign(geometry=[None]), as_of="2024-06-30")


def test_wrong_geometry_type() -> None:
    a, s = layers(s_geoms=[shapely.Point(X0, Y0)])
    with pytest.raises(GeometryTypeError, match=r"supplies.*polygons.*Point"):
        audit_land(a, s, as_of="2024-06-30")


def test_as_of_before_every_approval() -> None:
    a, s = layers()
    with pytest.raises(InputError, match=r"before every approval.*2020-01-01"):
        audit_land(a, s, as_of="2019-12-31")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        audit_land(a, s, as_of="last year")


def test_invalid_and_multipart_polygons_repaired_and_counted() -> None:
    # a bow-tie (two triangles of base 100 m and height 50 m: 2500 m² each) and a valid two-part polygon
    bowtie = shapely.Polygon(
        [(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100), (X0, Y0)]
    )
    multi = shapely.MultiPolygon([box(200, 0, 250, 100), box(300, 0, 350, 100)])
    a, s = layers(a_geoms=[bowtie, multi], s_geoms=[box(200, 0, 250, 100)])
    assert not bowtie.is_valid
    r = audit_land(a, s, as_of="2024-06-30")
    assert r.quality["approvals"]["geometries_repaired"] == 1
    assert r.quality["approvals"]["features_dropped"] == 0
    assert r.summary["approved_area_mu"] * 10000 / 15 == pytest.approx(5000 + 10_000)
    assert r.summary["unsupplied_area_mu"] * 10000 / 15 == pytest.approx(5000 + 5000)


def test_duplicate_supply_records() -> None:
    g = box(0, 0, 50, 100)
    # S0 twice with the same geometry (vertices in another order), S1 twice with different ones
    same = shapely.Polygon(list(g.exterior.coords)[::-1])
    a, s = layers(
        s_geoms=[g, same, box(60, 0, 70, 10), box(80, 0, 90, 10)], s_ids=["S0", "S0", "S1", "S1"]
    )
    r = audit_land(a, s, as_of="2024-06-30")
    q = r.quality
    assert q["supply_duplicates_dropped"] == 1 and q["supply_duplicate_ids"] == ["S0"]
    assert q["supply_same_id_different_geometry"] == ["S1"]
    assert r.supplies["supply_id"].tolist() == ["S0", "S1", "S1"]
    assert r.summary["idle_area_mu"] * 10000 / 15 == pytest.approx(5000 + 100 + 100)
    assert r.summary["supplied_area_mu"] * 10000 / 15 == pytest.approx(5200)


def test_missing_dates_are_unknown_and_listed() -> None:
    a, s = layers(s_geoms=[box(0, 0, 10, 10), box(20, 0, 30, 10)])
    s.loc[1, "agreed_start"] = pd.NaT
    r = audit_land(a, s, as_of="2024-06-30")
    assert r.supplies["status"].tolist() == ["idle_type1", "unknown"]
    assert r.quality["supplies_unknown_status"] == ["S1"]


def test_bad_values() -> None:
    a, s = layers()
    with pytest.raises(InputError, match=r"developed_ratio.*between 0 and 1.*percentages"):
        audit_land(a, s.assign(developed_ratio=[35.0]), as_of="2024-06-30")
    with pytest.raises(InputError, match="land_price.*negative"):
        audit_land(a, s.assign(land_price=[-1.0]), as_of="2024-06-30")
    with pytest.raises(DateParseError, match="agreed_start"):
        audit_land(a, s.assign(agreed_start=["not a date"]), as_of="2024-06-30")
    with pytest.raises(InputError, match="gov_cause"):
        audit_land(a, s.assign(gov_cause=["maybe"]), as_of="2024-06-30")
    with pytest.raises(InputError, match="must be a GeoDataFrame"):
        audit_land(pd.DataFrame(a), s, as_of="2024-06-30")


def test_text_dates_and_flags_are_parsed() -> None:
    a, s = layers()
    s = s.assign(agreed_start=["2021年1月1日"], gov_cause=["是"], land_price=["1000"])
    r = audit_land(a.assign(approved_on=["2020/1/1"]), s, as_of="2024-06-30")
    sup = r.supplies.iloc[0]
    assert sup["status"] == "idle_type1" and sup["idle_fee"] == 0 and bool(sup["gov_cause"])


def test_null_ids_are_named() -> None:
    a, s = layers(s_geoms=[box(0, 0, 10, 10), box(20, 0, 30, 10)], s_ids=["S0", None])
    r = audit_land(a, s, as_of="2024-06-30")
    assert r.supplies["supply_id"].tolist() == ["S0", "未编号#1"]
    assert r.quality["supplies"]["missing_ids"] == 1


def test_rules_validation() -> None:
    with pytest.raises(InputError, match="match"):
        AuditRules(match="nearest")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="sliver_width"):
        AuditRules(sliver_width=-1)
    with pytest.raises(InputError, match="idle_days"):
        AuditRules(idle_days=0)
    with pytest.raises(InputError, match="supply_rate_floor"):
        AuditRules(supply_rate_floor=60)
    with pytest.raises(InputError, match=r"Unknown audit parameter.*sliver_widht"):
        AuditRules.from_params({"sliver_widht": 2})
    assert AuditRules.from_params({"idle_days": 300}, match=None).idle_days == 300
