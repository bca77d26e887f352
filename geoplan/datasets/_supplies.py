"""Synthetic county, part 4: supply (供地) records drawn against the approvals.

Each approval polygon is cut into 1-3 plots; plots are supplied after a random lag, digitised with
sub-metre offsets. Per supply a target audit status is drawn from what its dates allow and the
fields are filled to match (domain.md §2.2); statuses that did not occur are then forced on a few
old records so that every case exists even in a small county.
"""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["DAY", "fmt_date", "make_supplies", "rect", "styles"]

DAY = dt.timedelta(days=1)
STATUSES = ("not_due", "supplied_unused", "started", "idle_type1", "idle_type2", "unknown")
_USES = {
    "park": (["工业用地"], [1.0]),
    "seat": (["住宅用地", "商服用地", "工业用地", "公共管理与公共服务用地"], [0.4, 0.2, 0.2, 0.2]),
    "town": (
        ["住宅用地", "商服用地", "工业用地", "公共管理与公共服务用地"],
        [0.35, 0.2, 0.3, 0.15],
    ),
}
_PRICE_WAN_PER_MU = {"工业用地": (12, 25), "住宅用地": (80, 220), "商服用地": (60, 180)}
MU = 10000.0 / 15.0


def rect(c: np.ndarray, w: float, h: float, ang: float) -> shapely.Polygon:
    """A w x h rectangle centred on ``c`` rotated by ``ang`` radians."""
    u = np.array([math.cos(ang), math.sin(ang)]) * w / 2
    v = np.array([-math.sin(ang), math.cos(ang)]) * h / 2
    return shapely.polygons(np.array([c - u - v, c + u - v, c + u + v, c - u + v]))


def fmt_date(d: dt.date | None, style: int) -> str | None:
    """A date as clerks write it: ISO, 2021/3/5, 20210305 or 2021年3月5日."""
    if d is None:
        return None
    if style == 1:
        return f"{d.year}/{d.month}/{d.day}"
    if style == 2:
        return d.strftime("%Y%m%d")
    if style == 3:
        return f"{d.year}年{d.month}月{d.day}日"
    return d.isoformat()


def styles(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(4, n, p=[0.76, 0.1, 0.08, 0.06])


def _days(rng: np.random.Generator, lo: float, hi: float) -> dt.timedelta:
    return dt.timedelta(days=int(rng.uniform(lo, max(hi, lo + 1))))


def _fill(rec: dict, st: str, rng: np.random.Generator, as_of: dt.date) -> None:
    """Set agreed/actual start, progress and suspension for a target status."""
    s: dt.date = rec["supplied_on"]
    g = rec["agreed_start"]
    rec.update(actual_start=None, developed=0.0, invested=0.0, suspended=None, gov=False)
    if st == "unknown":
        rec["agreed_start"] = None
        rec["agreed_finish"] = None
        return
    late = (as_of - g).days
    if st == "idle_type1":
        rec["gov"] = bool(rng.random() < 0.25)
    elif st == "started":
        a = min(g + _days(rng, -60, 200), as_of - 5 * DAY)
        rec["actual_start"] = max(a, s + 10 * DAY)
        if late > 900 and rng.random() < 0.4:
            rec.update(developed=1.0, invested=1.0)
        else:
            rec.update(developed=round(rng.uniform(0.35, 0.95), 2),
                       invested=round(rng.uniform(0.3, 0.95), 2))  # fmt: skip
        if rng.random() < 0.2:
            # suspended, but either recently (not yet idle) or after enough progress
            a = rec["actual_start"]
            if rng.random() < 0.5 and (as_of - a).days > 60:
                rec["suspended"] = as_of - _days(rng, 20, min(330, (as_of - a).days - 30))
                rec["developed"] = round(rng.uniform(0.05, 0.3), 2)
            elif (as_of - a).days > 420:
                rec["suspended"] = a + _days(rng, 30, (as_of - a).days - 370)
    elif st == "idle_type2":
        room = max(late - 365, 0)
        a = g + _days(rng, 0, min(120, room))
        rec["actual_start"] = a
        rec["suspended"] = a + _days(rng, 0, (as_of - 365 * DAY - a).days)
        if rng.random() < 0.5:
            rec.update(developed=round(rng.uniform(0.05, 0.3), 2),
                       invested=round(rng.uniform(0.1, 0.6), 2))  # fmt: skip
        else:
            rec.update(developed=round(rng.uniform(0.35, 0.6), 2),
                       invested=round(rng.uniform(0.05, 0.24), 2))  # fmt: skip
        rec["gov"] = bool(rng.random() < 0.2)


def _draw_status(rec: dict, rng: np.random.Generator, as_of: dt.date) -> str:
    late = (as_of - rec["agreed_start"]).days
    if late < 0:
        return "not_due"
    if late < 365:
        return str(rng.choice(["supplied_unused", "started"]))
    return str(rng.choice(["started", "idle_type1", "idle_type2"], p=[0.74, 0.14, 0.12]))


def make_supplies(
    land: object,
    approvals: gpd.GeoDataFrame,
    frames: list[tuple],
    days: np.ndarray,
    batch: list[str],
    ptype: list[str],
    rng: np.random.Generator,
    *,
    as_of: dt.date,
) -> gpd.GeoDataFrame:
    """Supply records for the approvals (see module docstring)."""
    adcode: str = land.adcode  # type: ignore[attr-defined]
    n_b = len(batch)
    approved = [dt.date.fromordinal(int(d)) for d in days]
    old = np.array([(as_of - d).days >= 730 for d in approved])
    lapsed = old & (rng.random(n_b) < 0.1)
    if lapsed.sum() < 2:
        lapsed[np.flatnonzero(old)[:2]] = True
    recs: list[dict] = []
    for r, (c, u, w, h, ang) in enumerate(frames):
        bi = int(approvals["_batch"].iat[r])
        if lapsed[bi]:
            continue
        m = int(rng.integers(1, 4))
        cuts = np.concatenate(
            [[0.0], np.linspace(0, 1, m + 1)[1:-1] + rng.uniform(-0.1, 0.1, m - 1), [1.0]]
        )
        for k in range(m):
            lag = 45 + rng.exponential(480)
            s = approved[bi] + dt.timedelta(days=int(lag))
            if s > as_of - 15 * DAY or rng.random() > 0.8:
                continue
            mid = (cuts[k] + cuts[k + 1]) / 2 - 0.5
            plot = rect(c + u * mid * w, (cuts[k + 1] - cuts[k]) * w, h, ang)
            recs.append({"geom": plot, "batch": bi, "supplied_on": s, "single": ptype[bi]})
    # hub kind for land use: parks are where most industrial batches sit
    for rec in recs:
        g = rec["supplied_on"] + _days(rng, 90, 365)
        rec["agreed_start"] = g
        rec["agreed_finish"] = g + _days(rng, 540, 1095)
        st = _draw_status(rec, rng, as_of)
        if rng.random() < 0.04:
            st = "unknown"
        _fill(rec, st, rng, as_of)
        rec["status"] = st
    _force_all(recs, rng, as_of, approved)
    # supplies outside every approval (existing construction land): unmatched
    seats = np.vstack([land.seat[None, :], land.towns])  # type: ignore[attr-defined]
    for _ in range(max(3, round(0.03 * len(recs)))):
        c = seats[int(rng.integers(len(seats)))] + rng.normal(0, 250, 2)
        poly = rect(c, rng.uniform(60, 180), rng.uniform(50, 140), rng.uniform(-0.3, 0.3))
        if approvals.sindex.query(poly, predicate="intersects").size:
            continue
        s = as_of - _days(rng, 200, 2500)
        rec = {"geom": poly, "batch": -1, "supplied_on": s, "single": "存量"}
        rec["agreed_start"] = s + _days(rng, 90, 365)
        rec["agreed_finish"] = rec["agreed_start"] + _days(rng, 540, 1000)
        st = _draw_status(rec, rng, as_of)
        _fill(rec, st, rng, as_of)
        rec["status"] = st
        recs.append(rec)
    return _frame(recs, batch, land, approvals.crs, rng, adcode)


def _force_all(recs: list[dict], rng: np.random.Generator, as_of: dt.date, approved: list) -> None:
    """Make sure each status (and recoverable / government-caused idle land) occurs."""
    counts = {s: sum(r["status"] == s for r in recs) for s in STATUSES}
    olds = [r for r in recs if (as_of - approved[r["batch"]]).days > 1300]
    rng.shuffle(olds)
    pool = iter(olds)
    want = [s for s in STATUSES for _ in range(max(0, 2 - counts[s]))]
    recov = [r for r in recs if r["status"] == "idle_type1" and not r["gov"]
             and (as_of - r["agreed_start"]).days >= 730]  # fmt: skip
    want += ["recoverable"] * max(0, 2 - len(recov))
    gov = [r for r in recs if r["status"].startswith("idle") and r["gov"]]
    want += ["gov_idle"] * max(0, 2 - len(gov))
    for st in want:
        rec = next(pool, None)
        if rec is None:
            return
        a = approved[rec["batch"]]
        if st == "not_due":
            rec["supplied_on"] = max(as_of - 120 * DAY, a + 30 * DAY)
            rec["agreed_start"] = as_of + 90 * DAY
        elif st == "supplied_unused":
            rec["agreed_start"] = as_of - 100 * DAY
            rec["supplied_on"] = rec["agreed_start"] - 180 * DAY
        else:
            rec["supplied_on"] = a + 40 * DAY
            rec["agreed_start"] = min(a + 250 * DAY, as_of - 800 * DAY)
        rec["agreed_finish"] = rec["agreed_start"] + 720 * DAY
        target = {"recoverable": "idle_type1", "gov_idle": "idle_type1"}.get(st, st)
        _fill(rec, target, rng, as_of)
        rec["gov"] = st == "gov_idle"
        rec["status"] = target


def _largest(g: shapely.Geometry) -> shapely.Polygon | None:
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) == 3]
    return max(parts, key=lambda p: p.area) if parts else None


def _frame(
    recs: list[dict],
    batch: list[str],
    land: object,
    crs: object,
    rng: np.random.Generator,
    adcode: str,
) -> gpd.GeoDataFrame:
    n = len(recs)
    geoms = []
    for rec in recs:
        xy = shapely.get_coordinates(rec["geom"])[:4]
        xy = xy + rng.normal(0, 0.3, xy.shape)  # digitising offsets: slivers along shared edges
        g = shapely.polygons(xy)
        x = rng.random()
        if x < 0.12:
            g = shapely.buffer(g, rng.uniform(0.4, 1.5), join_style="mitre")
        elif x < 0.2:
            g = shapely.buffer(g, -rng.uniform(0.4, 1.5), join_style="mitre")
        g = _largest(shapely.set_precision(shapely.make_valid(g), 0.1))
        if g is None or g.area < 0.5 * rec["geom"].area:  # a thin plot collapsed: keep it plain
            g = shapely.set_precision(rec["geom"], 0.1)
        geoms.append(g)
    st = styles(rng, n)
    seq: dict[int, int] = {}
    out = []
    for k, rec in enumerate(recs):
        y = rec["supplied_on"].year
        seq[y] = seq.get(y, 0) + 1
        bi = rec["batch"]
        if rec["single"] == "单独选址用地":
            use, method = "公共管理与公共服务用地", "划拨"
        else:
            hub = "park" if rng.random() < 0.35 else "seat"
            uses, p = _USES[hub]
            use = str(rng.choice(uses, p=p))
            method = "划拨" if use == "公共管理与公共服务用地" else "出让"
        area_mu = float(shapely.area(geoms[k])) / MU
        price = 0.0
        if method == "出让":
            lo, hi = _PRICE_WAN_PER_MU[use]
            price = round(area_mu * rng.uniform(lo, hi) * 1e4, 0)
        sty = int(st[k])
        out.append({
            "电子监管号": f"{adcode}{y}B{seq[y]:05d}",
            "批次名称": batch[bi] if bi >= 0 else None,
            "项目名称": f"{use[:2]}项目{k + 1:04d}",
            "土地用途": use,
            "供地方式": method,
            "合同签订日期": fmt_date(rec["supplied_on"], sty),
            "约定动工日期": fmt_date(rec["agreed_start"], sty),
            "约定竣工日期": fmt_date(rec["agreed_finish"], sty),
            "实际动工日期": fmt_date(rec["actual_start"], sty),
            "已开发比例": float(rec["developed"]),
            "已投资比例": float(rec["invested"]),
            "停工日期": fmt_date(rec["suspended"], sty),
            "成交价款": price,
            "政府原因": bool(rec["gov"]),
        })  # fmt: skip
    df = pd.DataFrame(out)
    # a few records carry the id of another batch than the one they lie in
    named = np.flatnonzero(df["批次名称"].notna().to_numpy())
    for k in rng.choice(named, min(3, len(named)), replace=False):
        other = batch[(recs[int(k)]["batch"] + 1) % len(batch)]
        df.loc[int(k), "批次名称"] = other
    gdf = gpd.GeoDataFrame(df, geometry=geoms, crs=crs)
    # a few supplies overlapping another supply (the same plot supplied twice, in part)
    extra = gdf.iloc[rng.choice(len(gdf), min(3, len(gdf)), replace=False)].copy()
    shift = rng.uniform(15, 40, (len(extra), 1)) * np.array([[1.0, 0.3]])
    extra["geometry"] = [
        shapely.set_precision(shapely.transform(g, lambda xy, d=d: xy + d), 0.1)
        for g, d in zip(extra.geometry, shift, strict=True)
    ]
    extra["电子监管号"] = [f"{i[:11]}9{k:04d}" for k, i in enumerate(extra["电子监管号"])]
    # and one record entered twice
    dup = gdf.iloc[[int(rng.integers(len(gdf)))]]
    return pd.concat([gdf, extra, dup], ignore_index=True)
