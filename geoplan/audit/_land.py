"""Land-inventory audit: 批而未供, 供而未用, 闲置土地, unmatched supply and supply rates.

:func:`audit_land` compares approved construction land (批准用地) with land supply records
(供地) as of an assessment date and returns an :class:`AuditResult`: the unsupplied pieces of
each batch, every supply with its status (idle type 1/2, supplied but unused, …), the supplies
lying outside every approval, per-batch and per-year totals and a summary, with area conserved to
the square metre. Rules follow the domain notes §2 (闲置土地处置办法, 国发〔2004〕28号,
增存挂钩); every threshold is a field of :class:`AuditRules`.

How the areas are accounted (see :mod:`geoplan.audit._overlay`): polygons are unioned per batch;
overlapping batches are made disjoint (the earliest approval keeps the overlap), so approved area
is the area of the union of approvals; unsupplied = batch − ∪ matched supplies; thin or tiny
remainders are dropped as slivers and their area reported; approved = supplied + unsupplied +
slivers is checked in code.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.audit._inputs import (
    APPROVAL_FIELDS,
    APPROVAL_REQUIRED,
    PRICE_PER_M2_RANGE,
    SUPPLY_FIELDS,
    SUPPLY_REQUIRED,
    dedup_supplies,
    implausible_prices,
    parse_as_of,
    prepare_layer,
    prepare_townships,
)
from geoplan.audit._overlay import Accounting, account
from geoplan.audit._priority import largest_overlap
from geoplan.audit._status import (
    IDLE,
    build_summary,
    cohorts,
    date_order,
    happened,
    supply_status,
    unknown_by_reason,
)
from geoplan.audit._tables import (
    batches_table,
    pieces_table,
    quality_report,
    supplies_table,
    unmatched_table,
)
from geoplan.audit._threads import WORKERS
from geoplan.crs import check_same_crs
from geoplan.errors import InputError

if TYPE_CHECKING:
    import folium

    from geoplan.io import RunRecord
    from geoplan.maps import MapContext

__all__ = ["AuditResult", "AuditRules", "audit_land"]

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


def audit_land(
    approvals: gpd.GeoDataFrame,
    supplies: gpd.GeoDataFrame,
    *,
    as_of: dt.date | str | pd.Timestamp,
    rules: AuditRules | None = None,
    townships: gpd.GeoDataFrame | None = None,
    workers: int | None = None,
) -> AuditResult:
    """Audit approved, supplied and idle land as of a date.

    Parameters
    ----------
    approvals
        Approved land (role ``approvals``): ``batch_id``, ``approved_on`` (required),
        ``approval_no``, ``approval_type``; polygons in a projected CRS.
    supplies
        Supply records (role ``supplies``): ``supply_id``, ``agreed_start``, ``actual_start``
        (required), ``batch_id`` (required with ``match`` "id"/"both"), ``supplied_on``,
        ``developed_ratio``, ``invested_ratio``, ``suspended_since``, ``land_price``,
        ``gov_cause``; same CRS as ``approvals``.
    as_of
        Assessment date (``datetime.date``, ``YYYY-MM-DD`` text or Timestamp).
    rules
        Thresholds and the matching method (default :class:`AuditRules`).
    townships
        Optional township polygons (``name``) to attribute findings to (largest overlap).
    workers
        Threads for the large vectorised geometry steps (GEOS runs without the GIL); default:
        every CPU this process may use. ``1`` runs in one thread. Results do not depend on it.

    Returns
    -------
    AuditResult

    Raises
    ------
    InputError
        ``as_of`` is not a date or precedes every approval; bad values (ratios outside 0–1 …).
    MissingFieldError, EmptyLayerError, GeometryTypeError, CRSError, DateParseError
        The layers cannot be audited as they are (the message says what to fix).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> approvals = gpd.GeoDataFrame(
    ...     {"batch_id": ["B1"], "approved_on": pd.to_datetime(["2020-03-01"])},
    ...     geometry=[shapely.box(0, 0, 100, 100)], crs=4547)
    >>> supplies = gpd.GeoDataFrame(
    ...     {"supply_id": ["S1"], "agreed_start": pd.to_datetime(["2021-01-01"]),
    ...      "actual_start": pd.to_datetime([None])},
    ...     geometry=[shapely.box(0, 0, 60, 100)], crs=4547)
    >>> result = audit_land(approvals, supplies, as_of="2024-06-30")
    >>> result.summary["supply_rate"], round(result.summary["unsupplied_area_mu"], 2)
    (0.6, 6.0)
    >>> result.supplies["status"].tolist()
    ['idle_type1']
    """
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InputError(f"workers must be a whole number >= 1 or None, got {workers!r}.")
    token = WORKERS.set(workers)
    try:
        return _audit(approvals, supplies, as_of, rules, townships)
    finally:
        WORKERS.reset(token)


def _audit(
    approvals: gpd.GeoDataFrame,
    supplies: gpd.GeoDataFrame,
    as_of: dt.date | str | pd.Timestamp,
    rules: AuditRules | None,
    townships: gpd.GeoDataFrame | None,
) -> AuditResult:
    rules = rules if rules is not None else AuditRules()
    when = parse_as_of(as_of)
    # 1. checked inputs, and the land as it stood on as_of
    inputs = _prepare(approvals, supplies, townships, rules)
    held = _as_of(inputs, when)
    # 2. the area accounting (geometry) and the rules
    accounting = account(
        held.approvals,
        held.supplies,
        match=rules.match,
        sliver_width=rules.sliver_width,
        sliver_area=rules.sliver_area,
    )
    batches = batches_table(accounting, when, rules, held.approvals.crs)
    order = date_order(
        held.supplies.assign(
            actual_start=happened(held.supplies["actual_start"], when),
            suspended_since=happened(held.supplies["suspended_since"], when),
        )[["supplied_on", "agreed_start", "actual_start", "suspended_since"]],
        _batch_dates(accounting, held.supplies, held.approved_on_all),
    )
    absent = frozenset(inputs.supplies_quality.get("absent_fields", ()))
    status = supply_status(held.supplies, when, rules, absent=absent, order=order)
    # 3. the tables, attributed to townships
    crs = held.approvals.crs
    pieces = pieces_table(accounting, batches, crs)
    supply_rows = supplies_table(held.supplies, status, accounting, crs)
    unmatched = unmatched_table(accounting, supply_rows, crs)
    if inputs.townships is not None:
        attribute = _township_of(inputs.townships)
        batches["township"] = attribute(accounting.approved_geom)
        for table in (pieces, supply_rows, unmatched):
            table["township"] = attribute(table.geometry.values)
    # 4. what could not be judged, in words; the headline figures; the data-quality report
    disorder = _out_of_order_list(order, supply_rows["supply_id"])
    prices = implausible_prices(
        supply_rows["land_price"], accounting.supply_m2, supply_rows["supply_id"]
    )
    _warn_quality(disorder, prices)
    summary = build_summary(
        as_of=when,
        batches=batches,
        pieces_m2=float(accounting.piece_m2.sum()),
        n_pieces=len(pieces),
        supplies=supply_rows,
        unmatched_m2=float(accounting.unmatched_m2.sum()),
        unmatched_sliver_m2=accounting.unmatched_sliver_m2,
        window_years=rules.window_years,
        after_as_of=(held.late_approval_records, len(held.after_supplies)),
        out_of_order=int(order.any(axis=1).sum()),
        implausible_price=len(prices),
        undated_supplies=len(held.undated_supplies),
    )
    quality = quality_report(
        inputs.approvals_quality,
        inputs.supplies_quality,
        held.dedup_quality,
        accounting=accounting,
        supplies=supply_rows,
        batches=batches,
        as_of=when,
        rules=rules,
        summary=summary,
    )
    quality.update(
        approvals_after_as_of=held.after_approvals,
        supplies_after_as_of=held.after_supplies,
        supplies_without_date=held.undated_supplies,
        dates_out_of_order=disorder,
        implausible_land_price=prices,
        supplies_absent_fields=sorted(absent),
        unknown_by_reason=unknown_by_reason(supply_rows),
    )
    return _result(summary, quality, rules, when, pieces, supply_rows, unmatched, batches)


@dataclass
class _Inputs:
    """The checked layers and what checking them found."""

    approvals: gpd.GeoDataFrame
    supplies: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None
    approvals_quality: dict[str, Any]
    supplies_quality: dict[str, Any]


@dataclass
class _AsOf:
    """The records that existed on the as-of date, and those left out (listed, never silent)."""

    approvals: gpd.GeoDataFrame
    supplies: gpd.GeoDataFrame
    approved_on_all: pd.Series  # per batch id, its approval date (later ones included)
    after_approvals: list[str]  # batch ids approved after as_of
    late_approval_records: int  # approval records (polygons) approved after as_of
    after_supplies: list[str]  # supply ids supplied after as_of
    undated_supplies: list[str]  # supply ids with no supply date (counted as supplied)
    dedup_quality: dict[str, Any]


def _prepare(
    approvals: gpd.GeoDataFrame,
    supplies: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None,
    rules: AuditRules,
) -> _Inputs:
    approvals_in, approvals_quality = prepare_layer(
        approvals,
        layer="approvals",
        fields=APPROVAL_FIELDS,
        required=APPROVAL_REQUIRED,
        id_field="batch_id",
    )
    required = SUPPLY_REQUIRED + (("batch_id",) if rules.match != "overlay" else ())
    supplies_in, supplies_quality = prepare_layer(
        supplies, layer="supplies", fields=SUPPLY_FIELDS, required=required, id_field="supply_id"
    )
    layers: list[tuple[str, gpd.GeoDataFrame]] = [
        ("approvals", approvals_in),
        ("supplies", supplies_in),
    ]
    towns = prepare_townships(townships) if townships is not None else None
    if towns is not None:
        layers.append(("townships", towns))
    check_same_crs(*layers)
    return _Inputs(approvals_in, supplies_in, towns, approvals_quality, supplies_quality)


def _as_of(inputs: _Inputs, when: pd.Timestamp) -> _AsOf:
    """Approvals and supplies dated after ``when`` did not exist yet on that date: left out,
    counted and listed. A supply without a date cannot be placed in time: it is counted as
    supplied and listed, so the headline can say so."""
    approvals, supplies = inputs.approvals, inputs.supplies
    late = (approvals["approved_on"] > when).fillna(False).to_numpy(dtype=bool)
    if late.all():
        raise InputError(
            f"as_of {when.date()} is before every approval (the earliest is approved on "
            f"{approvals['approved_on'].min().date()}): nothing can be audited yet. Check the "
            "as-of date (county.toml [county] as_of or --as-of) or the approval dates."
        )
    after_approvals = sorted({str(x) for x in approvals.loc[late, "batch_id"]})
    approved_on_all = approvals.groupby("batch_id")["approved_on"].min()
    kept_approvals = approvals.loc[~late].reset_index(drop=True)
    supplies, dedup_quality = dedup_supplies(supplies)
    late_supply = (supplies["supplied_on"] > when).fillna(False).to_numpy(dtype=bool)
    after_supplies = [str(x) for x in supplies.loc[late_supply, "supply_id"]]
    undated = supplies["supplied_on"].isna().to_numpy(dtype=bool)
    undated_supplies = [str(x) for x in supplies.loc[undated, "supply_id"]]
    kept_supplies = supplies.loc[~late_supply].reset_index(drop=True)
    if after_approvals or after_supplies:
        logger.warning(
            "as of %s: %d approval records and %d supply records are dated later and do not "
            "exist yet on that date; left out (batches %s; supplies %s)",
            when.date(), int(late.sum()), len(after_supplies), after_approvals[:5],
            after_supplies[:5],
        )  # fmt: skip
    if undated_supplies:
        logger.warning(
            "%d supply records have no supply date (supplied_on): counted as supplied before "
            "the as-of date, to be verified (%s%s)",
            len(undated_supplies), ", ".join(undated_supplies[:5]),
            " …" if len(undated_supplies) > 5 else "",
        )  # fmt: skip
    if len(kept_supplies) == 0:
        raise InputError(
            f"Every supply record is dated after as_of {when.date()} (supplied_on), so nothing "
            "was supplied yet on that date and there is nothing to audit. Check the as-of date "
            "or the supply dates."
        )
    return _AsOf(
        approvals=kept_approvals,
        supplies=kept_supplies,
        approved_on_all=approved_on_all,
        after_approvals=after_approvals,
        late_approval_records=int(late.sum()),
        after_supplies=after_supplies,
        undated_supplies=undated_supplies,
        dedup_quality=dedup_quality,
    )


def _township_of(townships: gpd.GeoDataFrame) -> Callable[[Any], Any]:
    """A function giving, for geometries, the name of the township holding most of each."""
    names = townships["name"].to_numpy(dtype=object)
    zones = np.asarray(townships.geometry.values)

    def township(geoms: Any) -> Any:
        idx = largest_overlap(np.asarray(geoms, dtype=object), zones)
        values = np.where(idx >= 0, names[np.maximum(idx, 0)], None)
        return pd.Series(values, dtype="string").array

    return township


def _warn_quality(disorder: dict[str, list[str]], prices: list[dict[str, Any]]) -> None:
    for key, ids in disorder.items():
        logger.warning("%d supplies with dates out of order (%s): %s%s", len(ids), key,
                       ", ".join(ids[:5]), " …" if len(ids) > 5 else "")  # fmt: skip
    if prices:
        shown = ", ".join(f"{p['supply_id']} ({p['yuan_per_m2']:g} 元/m²)" for p in prices[:5])
        logger.warning(
            "%d supplies have an implausible land price per m² (below %g or above %g 元/m²): %s%s."
            " Is 成交价款 in 万元? Say so with [units] land_price = \"万元\" in county.toml or "
            "--price-unit 万元.",
            len(prices), *PRICE_PER_M2_RANGE, shown, " …" if len(prices) > 5 else "",
        )  # fmt: skip


def _result(
    summary: dict[str, Any],
    quality: dict[str, Any],
    rules: AuditRules,
    when: pd.Timestamp,
    pieces: gpd.GeoDataFrame,
    supply_rows: gpd.GeoDataFrame,
    unmatched: gpd.GeoDataFrame,
    batches: gpd.GeoDataFrame,
) -> AuditResult:
    if summary["notes"]:
        logger.warning("%s", summary["notes"])
    logger.info(
        "audit as of %s: approved %.2f 亩, supplied %.2f 亩, unsupplied %.2f 亩 in %d pieces, "
        "%d idle parcels, %d not judged",
        summary["as_of"], summary["approved_area_mu"], summary["supplied_area_mu"],
        summary["unsupplied_area_mu"], summary["unsupplied_parcels"], summary["idle_parcels"],
        summary["unknown_parcels"],
    )  # fmt: skip
    idle = supply_rows["status"].isin(IDLE).to_numpy(dtype=bool)
    unused = (supply_rows["status"] == "supplied_unused").to_numpy(dtype=bool)
    return AuditResult(
        unsupplied=pieces,
        supplied_unused=supply_rows[unused].copy(),
        idle=supply_rows[idle].copy(),
        unmatched_supplies=unmatched,
        supplies=supply_rows,
        batches=batches,
        cohorts=cohorts(batches, when, rules.window_years),
        summary=summary,
        quality=quality,
        rules=rules,
        as_of=when.date(),
    )


def _batch_dates(
    accounting: Accounting, supplies: gpd.GeoDataFrame, approved_on_all: pd.Series
) -> pd.Series:
    """Per supply, the approval date of its batch: the one its ``batch_id`` names (also among
    approvals dated after as_of), else the batch holding most of its land (NaT: none)."""
    named = supplies["batch_id"].map(approved_on_all).astype("datetime64[ms]")
    need = np.flatnonzero(named.isna().to_numpy())  # only these need the overlay
    approved = np.asarray(accounting.approved_geom, dtype=object)
    main = largest_overlap(np.asarray(accounting.supply_geom, dtype=object)[need], approved)
    dates = accounting.batches["approved_on"].to_numpy(dtype="datetime64[ms]")
    by_overlay = np.full(len(supplies), np.datetime64("NaT"), dtype="datetime64[ms]")
    by_overlay[need] = np.where(main >= 0, dates[np.maximum(main, 0)], np.datetime64("NaT"))
    out = pd.Series(by_overlay, index=supplies.index, dtype="datetime64[ms]")
    return named.fillna(out)


def _out_of_order_list(order: pd.DataFrame, ids: pd.Series) -> dict[str, list[str]]:
    """``{check: [supply_id, …]}`` for the checks that found dates out of order."""
    out: dict[str, list[str]] = {}
    for key in order.columns:
        mask = order[key].to_numpy(dtype=bool)
        if mask.any():
            out[key] = [str(x) for x in ids.to_numpy(dtype=object)[mask]]
    return out
