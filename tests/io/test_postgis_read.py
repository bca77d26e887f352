"""Reading layers from PostGIS: the source syntax, every role against the same data in files,
filters (and no SQL injection through them), streaming, and the error cases — on a real
throwaway server (``pg_cluster`` in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely

from geoplan.datasets import demo_path
from geoplan.errors import (
    CRSError,
    DatabaseError,
    EmptyLayerError,
    InputError,
    LayerNotFoundError,
    MissingFieldError,
)
from geoplan.io import (
    is_database_source,
    is_osm_source,
    list_layers,
    parse_database_source,
    read_layer,
    read_report,
    split_source,
)
from geoplan.io._postgis import read_table
from tests.support.network import lines
from tests.support.postgis import PASSWORD, PASSWORD_USER, Cluster, load_table

DEMO = demo_path()

# ---------------------------------------------------------------- the source syntax (no server)


def test_source_parts_and_filters() -> None:
    src = parse_database_source(
        "postgresql://gis@db.example:5432/land?sslmode=require#sdc.DLTB"
        "?where=ZLDWDM^=410225&where=TBMJ >= 100&where=QSDWMC=东%26西村&bbox=1,2,3,4,EPSG:4490"
    )
    assert src.conninfo == "postgresql://gis@db.example:5432/land?sslmode=require"
    assert (src.schema, src.table, src.quoted) == ("sdc", "DLTB", (False, False))
    assert [(f.column, f.op, f.value) for f in src.where] == [
        ("ZLDWDM", "^=", "410225"),
        ("TBMJ", ">=", "100"),
        ("QSDWMC", "=", "东&西村"),  # %26 is how a value holds "&"
    ]
    assert src.bbox == (1.0, 2.0, 3.0, 4.0) and src.bbox_crs == "EPSG:4490"
    quoted = parse_database_source('postgres://u@h/db#"My.Schema"."批准用地"')
    assert (quoted.schema, quoted.table, quoted.quoted) == ("My.Schema", "批准用地", (True, True))
    bare = parse_database_source("postgresql://u@h/db#approvals")
    assert (bare.schema, bare.table) == (None, "approvals")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("postgresql://gis:secret@db/land#t", "password"),
        ("postgresql://gis@db/land?password=secret#t", "password"),
        ("postgresql://gis@db/land?where=a=1#t", "belong after the table"),
        ("postgresql://gis@db/land", "name the table"),
        ("postgresql://gis@db/land#t?where=a", "COLUMN OP VALUE"),
        ("postgresql://gis@db/land#t?bbox=1,2,3", "XMIN,YMIN,XMAX,YMAX"),
        ("postgresql://gis@db/land#t?bbox=3,2,1,4", "XMIN must be below"),
        ("postgresql://gis@db/land#t?limit=5", "not a filter"),
    ],
)
def test_malformed_sources_are_refused(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words) as err:
        parse_database_source(text)
    assert "secret" not in str(err.value)  # a password is never repeated in a message


def test_sources_know_databases() -> None:
    url = "postgresql://gis@db:5432/land#sdc.dltb"
    assert is_database_source(url) and is_database_source("POSTGRES://x/y#t")
    assert not is_database_source("county.gpkg:approvals")
    assert not is_osm_source(url)  # "…/land#sdc.dltb" is no path:layer
    with pytest.raises(InputError, match="database table, not a file"):
        split_source(url)


# ---------------------------------------------------------------- every role, file vs database


def _raw(role: str) -> tuple[gpd.GeoDataFrame, str]:
    """A role's layer as the file holds it (source column names), and the file source."""
    if role == "landuse":
        return gpd.read_parquet(DEMO / "landuse.parquet").iloc[:400], ""
    if role == "roads":
        return lines(
            [
                ([(500000, 3800000), (501000, 3800000)], {"highway": "primary", "ref": "G107"}),
                ([(501000, 3800000), (501000, 3801500)], {"highway": "residential"}),
            ]
        ), ""
    source = f"{DEMO / 'county.gpkg'}:{role}"
    return pyogrio.read_dataframe(DEMO / "county.gpkg", layer=role, fid_as_index=True), source


ROLES = ("boundary", "townships", "settlements", "landuse", "approvals", "supplies", "parks",
         "zoning", "roads")  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_same_from_postgis_as_from_a_file(
    role: str, pg_url: str, tmp_path: Path
) -> None:
    raw, source = _raw(role)
    if not source:  # landuse and roads: put the same rows into a GeoPackage first
        raw.index = pd.RangeIndex(1, len(raw) + 1, name="fid")
        pyogrio.write_dataframe(raw, tmp_path / "x.gpkg", layer=role)
        source = f"{tmp_path / 'x.gpkg'}:{role}"
    load_table(pg_url, f"land.{role}", raw)
    from_file = read_layer(source, role=role)
    from_db = read_layer(f"{pg_url}#land.{role}", role=role)

    # same columns, types, values and index (the file's fid is the table's primary key)
    pd.testing.assert_frame_equal(
        pd.DataFrame(from_db.drop(columns="geometry")),
        pd.DataFrame(from_file.drop(columns="geometry")),
        check_index_type=False,
    )
    assert from_db.index.tolist() == from_file.index.tolist()
    assert from_db.crs == from_file.crs
    assert shapely.equals_exact(from_db.geometry.values, from_file.geometry.values, 0).all()
    db_rep, file_rep = read_report(from_db), read_report(from_file)
    assert db_rep is not None and file_rep is not None
    assert (db_rep.fields, db_rep.added, db_rep.unused) == (
        file_rep.fields,
        file_rep.added,
        file_rep.unused,
    )
    assert db_rep.layer == f"land.{role}" and db_rep.features == len(raw)


def test_typed_columns_arrive_as_canonical_types(pg_url: str) -> None:
    # a bureau's table: lower-case pinyin columns (as ogr2ogr writes them), real date and
    # numeric types, 成交价款 in 万元 (said by the column name), a serial key
    raw = gpd.GeoDataFrame(
        {
            "dzjgh": ["S1", "S2"],
            "pcmc": ["B1", "B1"],
            "yddgrq": pd.to_datetime(["2021-03-01", None]).astype("datetime64[ms]"),
            "成交价款(万元)": [120.5, 80.0],
            "zfyy": [True, False],
        },
        geometry=[
            shapely.box(5e5, 38e5, 5e5 + 10, 38e5 + 10),
            shapely.box(5e5 + 20, 38e5, 5e5 + 30, 38e5 + 10),
        ],
        crs=4547,
    ).set_index(pd.Index([7, 9]))
    load_table(pg_url, "public.gd", raw, types={"成交价款(万元)": "numeric(14,2)"})
    got = read_layer(f"{pg_url}#gd", role="supplies")
    assert got.index.tolist() == [7, 9]
    assert got["supply_id"].tolist() == ["S1", "S2"]
    assert str(got["agreed_start"].dtype) == "datetime64[ms]"
    assert got["agreed_start"].iloc[0] == pd.Timestamp("2021-03-01") and pd.isna(
        got["agreed_start"].iloc[1]
    )
    # 120.5 万元 = 1,205,000 元; numeric(14,2) arrives as a float
    assert got["land_price"].tolist() == [1_205_000.0, 800_000.0]
    assert got["gov_cause"].tolist() == [True, False]


def test_streamed_in_chunks_gives_the_same_rows(pg_url: str) -> None:
    raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer="settlements", fid_as_index=True)
    load_table(pg_url, "public.settlements", raw)
    src = parse_database_source(f"{pg_url}#settlements")
    whole = read_table(src, "whole", chunk_rows=10_000)
    chunked = read_table(src, "chunked", chunk_rows=7)  # 320 rows: 46 round trips
    pd.testing.assert_frame_equal(whole, chunked)
    assert len(chunked) == 320


# ---------------------------------------------------------------- filters


def _approvals() -> gpd.GeoDataFrame:
    """The demo's approvals with 批准日期 as a real date column (the GeoPackage holds text in
    several formats, 2016年10月12日 among them: the dates as the file path parses them)."""
    raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer="approvals", fid_as_index=True)
    parsed = read_layer(f"{DEMO / 'county.gpkg'}:approvals", role="approvals")["approved_on"]
    raw["批准日期"] = parsed.reindex(raw.index)
    return raw


@pytest.fixture
def approvals_url(pg_url: str) -> str:
    load_table(pg_url, "land.pzyd", _approvals())
    return f"{pg_url}#land.pzyd"


def test_where_filters_select_rows_on_the_server(approvals_url: str) -> None:
    raw = _approvals()
    dates = raw["批准日期"]
    # by hand on the raw rows: approved in 2019 or later, and batches whose name starts with "2019"
    later = raw.index[dates >= "2019-01-01"]
    got = read_layer(f"{approvals_url}?where=批准日期>=2019-01-01", role="approvals")
    assert sorted(got.index) == sorted(later) and 0 < len(later) < len(raw)
    starts = raw.index[raw["批次名称"].str.startswith("2019")]
    got = read_layer(
        f"{approvals_url}?where=批次名称^=2019&where=批准日期>=2019-01-01", role="approvals"
    )
    assert sorted(got.index) == sorted(starts) and len(starts) > 0


def test_bbox_filter_in_the_tables_crs_and_in_another(approvals_url: str) -> None:
    raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer="approvals", fid_as_index=True)
    xmin, ymin, xmax, ymax = raw.total_bounds
    box = (xmin, ymin, (xmin + xmax) / 2, (ymin + ymax) / 2)  # the south-west quarter
    expected = raw.index[raw.intersects(shapely.box(*box))]
    text = ",".join(f"{v:.3f}" for v in box)
    got = read_layer(f"{approvals_url}?bbox={text}", role="approvals")
    assert sorted(got.index) == sorted(expected) and 0 < len(expected) < len(raw)
    # the same box in longitude/latitude (EPSG:4490): a box around the transformed corners
    lonlat = gpd.GeoSeries([shapely.box(*box)], crs=raw.crs).to_crs(4490).total_bounds
    text = ",".join(f"{v:.7f}" for v in lonlat) + ",EPSG:4490"
    wider = read_layer(f"{approvals_url}?bbox={text}", role="approvals")
    assert set(expected) <= set(wider.index)


@pytest.mark.parametrize(
    "attack",
    [
        "批次名称=x' OR '1'='1",
        "批次名称=x'; DROP TABLE land.pzyd; --",
        "批次名称^=%' OR 1=1 --",
        "批次名称^=%25",  # a LIKE wildcard in a starts-with value is a literal "%"
    ],
)
def test_filter_values_are_data_not_sql(approvals_url: str, attack: str) -> None:
    with pytest.raises(EmptyLayerError, match="has no features"):
        read_layer(f"{approvals_url}?where={attack}", role="approvals")
    url = approvals_url.split("#")[0]
    with psycopg.connect(url) as con:  # the table is still there, whole
        assert con.execute("SELECT count(*) FROM land.pzyd").fetchone() == (449,)


@pytest.mark.parametrize(
    "column",
    ['"批次名称"; DROP TABLE land.pzyd; --', "pg_sleep(5)", "1=1 OR 批次名称"],
)
def test_filter_columns_must_be_columns_of_the_table(approvals_url: str, column: str) -> None:
    from urllib.parse import quote

    with pytest.raises((LayerNotFoundError, InputError)):
        read_layer(f"{approvals_url}?where={quote(column)}=1", role="approvals")
    with psycopg.connect(approvals_url.split("#")[0]) as con:
        assert con.execute("SELECT count(*) FROM land.pzyd").fetchone() == (449,)


def test_table_names_are_identifiers_not_sql(pg_url: str) -> None:
    with pytest.raises(LayerNotFoundError, match="no table or view"):
        read_layer(f"{pg_url}#public.spatial_ref_sys; DROP TABLE spatial_ref_sys", role="parks")
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) > 0 FROM spatial_ref_sys").fetchone() == (True,)


def test_a_filter_value_of_the_wrong_type_is_one_clear_error(approvals_url: str) -> None:
    with pytest.raises(DatabaseError, match="rejected a filter value"):
        read_layer(f"{approvals_url}?where=批准日期>=not-a-date", role="approvals")


# ---------------------------------------------------------------- CRS rules


def test_srid_0_is_a_missing_crs_unless_the_caller_says_it(pg_url: str) -> None:
    raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer="parks", fid_as_index=True)
    load_table(pg_url, "public.parks", raw, srid=0)
    with pytest.raises(CRSError, match="no coordinate reference system") as err:
        read_layer(f"{pg_url}#parks", role="parks")
    assert "Gauss-Kruger zone without a zone prefix" in str(err.value)  # what x/y look like
    got = read_layer(f"{pg_url}#parks", role="parks", source_crs="EPSG:4547")
    assert got.crs.to_epsg() == 4547 and len(got) == 5
    with pytest.raises(CRSError, match="configuration says"):
        load_table(pg_url, "public.parks2", raw)  # SRID 4547 recorded …
        read_layer(f"{pg_url}#parks2", role="parks", source_crs="EPSG:4490")  # … and 4490 said


def test_an_unconstrained_geometry_column_takes_its_rows_srid(pg_url: str) -> None:
    raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer="parks", fid_as_index=True)
    load_table(pg_url, "public.parks", raw)
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("ALTER TABLE parks ALTER COLUMN geom TYPE geometry")  # no SRID in the type
        con.execute("CREATE VIEW parks_v AS SELECT * FROM parks")
    assert read_layer(f"{pg_url}#parks_v", role="parks").crs.to_epsg() == 4547


# ---------------------------------------------------------------- errors


def test_missing_table_lists_the_tables_there(approvals_url: str) -> None:
    url = approvals_url.split("#")[0]
    with pytest.raises(LayerNotFoundError, match="no table or view 'gdyd'") as err:
        read_layer(f"{url}#land.gdyd", role="supplies")
    assert "land.pzyd" in str(err.value)
    # unquoted names match in lower case, as SQL folds them
    assert len(read_layer(f"{url}#LAND.PZYD", role="approvals")) == 449


def test_missing_required_field_names_the_table(pg_url: str) -> None:
    raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer="approvals", fid_as_index=True)
    load_table(pg_url, "public.pzyd", raw.drop(columns=["批次名称"]))
    with pytest.raises(MissingFieldError, match="batch_id") as err:
        read_layer(f"{pg_url}#pzyd", role="approvals")
    assert "#pzyd" in str(err.value)


def test_several_geometry_columns_need_a_choice(pg_url: str) -> None:
    raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer="parks", fid_as_index=True)
    load_table(pg_url, "public.parks", raw)
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("ALTER TABLE parks ADD COLUMN centre geometry(Point, 4547)")
        con.execute("UPDATE parks SET centre = ST_PointOnSurface(geom)")
    with pytest.raises(LayerNotFoundError, match="several geometry columns"):
        read_layer(f"{pg_url}#parks", role="parks")
    assert read_layer(f"{pg_url}#parks?geometry=geom", role="parks").geom_type.iloc[0] in (
        "Polygon",
        "MultiPolygon",
    )
    points = read_layer(f"{pg_url}#parks?geometry=centre")
    assert (points.geom_type == "Point").all()


def test_a_database_without_postgis(pg_cluster: Cluster) -> None:
    from tests.support.postgis import new_database

    url = new_database(pg_cluster, "plain_pg", postgis=False)
    with pytest.raises(DatabaseError, match="no PostGIS extension") as err:
        read_layer(f"{url}#public.parks", role="parks")
    assert "CREATE EXTENSION postgis" in str(err.value)


def test_an_unreachable_server(tmp_path: Path) -> None:
    url = f"postgresql://postgres@{str(tmp_path).replace('/', '%2F')}:5999/db#public.parks"
    with pytest.raises(DatabaseError, match="cannot be reached"):
        read_layer(url, role="parks")


def test_passwords_come_from_the_environment_or_pgpass(
    pg_cluster: Cluster, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer="parks", fid_as_index=True)
    load_table(pg_url, "public.parks", raw)
    dbname = pg_url.rsplit("/", 1)[1]
    url = f"{pg_cluster.url(dbname, user=PASSWORD_USER)}#parks"
    with pytest.raises(DatabaseError, match="none was given") as err:
        read_layer(url, role="parks")
    assert "PGPASSWORD" in str(err.value)
    monkeypatch.setenv("PGPASSWORD", "wrong")
    with pytest.raises(DatabaseError, match="refused the password"):
        read_layer(url, role="parks")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert len(read_layer(url, role="parks")) == 5
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:{PASSWORD_USER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert len(read_layer(url, role="parks")) == 5


def test_list_layers_of_a_database(approvals_url: str) -> None:
    url = approvals_url.split("#")[0]
    assert list_layers(f"{url}#land") == ["land.pzyd"]
    assert "land.pzyd" in list_layers(url)


def test_no_geometry_column(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE t (id int primary key, name text)")
    with pytest.raises(LayerNotFoundError, match="no PostGIS geometry column"):
        read_layer(f"{pg_url}#t")


def test_integer_keys_index_and_other_keys_stay_columns(pg_url: str) -> None:
    raw = gpd.GeoDataFrame(
        {"code": ["a", "b"]},
        geometry=[shapely.Point(5e5, 38e5), shapely.Point(5e5 + 1, 38e5)],
        crs=4547,
    )
    load_table(pg_url, "public.nokey", raw, key=None)
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("ALTER TABLE nokey ADD PRIMARY KEY (code)")
    got = read_layer(f"{pg_url}#nokey")
    assert got["code"].tolist() == ["a", "b"] and list(got.index) == [0, 1]
    assert np.array_equal(got.geometry.x, [5e5, 5e5 + 1])
