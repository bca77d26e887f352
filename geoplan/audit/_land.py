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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan._threads import WORKERS
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
from geoplan.audit._result import AuditResult, AuditRules
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
from geoplan.crs import check_same_crs
from geoplan.errors import InputError

if TYPE_CHECKING:
    pass

__all__ = ["audit_land"]

logger = logging.getLogger(__name__)


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
