"""亩均效益 evaluation schemes as data files: indicators, weights, benchmarks, caps, class cut-offs,
exempt kinds, 低效用地 thresholds and 标准地 timing.

The shipped schemes are TOML files beside this module (``default.toml``, ``six_indicators.toml``);
a county supplies its own in the same form. Every file is checked when loaded: each group's
weights sum to 100, indicators and benchmarks are known, class cut-offs rise to 1.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoplan.errors import DataFileNotFoundError, InputError

__all__ = [
    "CLASSES",
    "GROUPS",
    "INDICATORS",
    "Indicator",
    "Scheme",
    "list_schemes",
    "load_scheme",
]

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Indicator:
    """One 亩均效益 indicator: ``numerator ÷ denominator × factor``, in ``unit``."""

    key: str
    zh: str
    numerator: str
    denominator: str
    unit: str
    factor: float = 1.0


#: the eight indicators of the issue, keyed by the names schemes use (Chinese names accepted)
INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator("tax_per_mu", "亩均税收", "tax", "land_area_mu", "万元/亩"),
        Indicator("revenue_per_mu", "亩均营业收入", "revenue", "land_area_mu", "万元/亩"),
        Indicator("value_added_per_mu", "亩均增加值", "value_added", "land_area_mu", "万元/亩"),
        Indicator("value_added_per_energy", "单位能耗增加值", "value_added", "energy", "万元/吨标煤"),
        Indicator("value_added_per_emission", "单位排放增加值", "value_added", "emissions", "万元/吨"),
        Indicator("labour_productivity", "全员劳动生产率", "value_added", "employees", "万元/人"),
        Indicator("rnd_intensity", "研发经费投入强度", "rnd", "revenue", "%", 100.0),
        Indicator("tax_per_power", "单位电耗税收", "tax", "power", "万元/万千瓦时"),
    )
}  # fmt: skip
_ALIASES = {
    **{i.zh: i.key for i in INDICATORS.values()},
    "亩均销售收入": "revenue_per_mu",
    "研发强度": "rnd_intensity",
}
#: enterprise groups scored separately, with their Chinese names
GROUPS = {"above": "规上", "below": "规下"}
_GROUP_ALIASES = {"规上": "above", "规模以上": "above", "规下": "below", "规模以下": "below"}
#: classes in order, with the policy that goes with each
CLASSES = {"A": "优先发展", "B": "鼓励提升", "C": "规范转型", "D": "调控帮扶"}
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")
_SECTIONS = {
    "name", "title", "weights", "benchmarks", "caps", "classes", "exempt", "low_efficiency",
    "standard_land",
}  # fmt: skip


@dataclass(frozen=True)
class Scheme:
    """A checked evaluation scheme (see ``default.toml`` for the meaning of each part).

    Examples
    --------
    >>> s = load_scheme("default")
    >>> s.weights["above"]["tax_per_mu"], s.weights["below"], s.cutoffs["A"]
    (45.0, {'tax_per_mu': 100.0}, 0.25)
    """

    name: str
    title: str
    weights: dict[str, dict[str, float]]
    benchmarks: dict[str, str | float]
    caps: dict[str, float]
    cutoffs: dict[str, float]
    utility_industries: tuple[str, ...] = ()
    startup_years: float = 3.0
    under_construction: tuple[str, ...] = ()
    managed_as: str = "B"
    min_far: float | None = None
    min_tax_per_mu: float | None = None
    output_due_years: float = 1.0
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def benchmark(self, key: str) -> str | float:
        """The benchmark rule of an indicator (``"mean"``, ``"p50"`` … or a fixed value)."""
        return self.benchmarks.get(key, self.benchmarks.get("default", "mean"))

    def cap(self, key: str) -> float | None:
        """The cap of an indicator's value/benchmark ratio (None: uncapped)."""
        return self.caps.get(key, self.caps.get("default"))

    def indicators(self) -> list[str]:
        """Indicators with a weight in some group, in the order of :data:`INDICATORS`."""
        used = {k for w in self.weights.values() for k in w}
        return [k for k in INDICATORS if k in used]


def list_schemes() -> list[str]:
    """Names of the schemes shipped with geoplan.

    Examples
    --------
    >>> list_schemes()
    ['default', 'six_indicators']
    """
    return sorted(p.stem for p in _HERE.glob("*.toml"))


def load_scheme(scheme: str | os.PathLike[str] | Scheme = "default") -> Scheme:
    """Load and check a scheme: a shipped name (:func:`list_schemes`) or a TOML file.

    Raises
    ------
    DataFileNotFoundError
        The file does not exist.
    InputError
        Weights of a group do not sum to 100, an unknown indicator, benchmark or section,
        cut-offs that do not rise to 1, a negative cap or threshold (all problems in one
        message).
    """
    if isinstance(scheme, Scheme):
        return scheme
    text = os.fspath(scheme)
    path = _HERE / f"{text}.toml" if text in list_schemes() else Path(text)
    if not path.is_file():
        raise DataFileNotFoundError(
            f"Efficiency scheme {text!r} not found: it is neither a shipped scheme "
            f"({', '.join(list_schemes())}) nor a file. Give the path of a .toml scheme file "
            "(see geoplan/efficiency/default.toml for the form)."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Efficiency scheme {path} is not valid TOML: {exc}.") from None
    except UnicodeDecodeError:
        raise InputError(f"Efficiency scheme {path} is not UTF-8 text; save it as UTF-8.") from None
    return _parse(data, path)


def _indicator_key(name: str) -> str | None:
    key = _ALIASES.get(str(name).strip(), str(name).strip())
    return key if key in INDICATORS else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _parse(data: dict[str, Any], path: Path) -> Scheme:
    problems: list[str] = []
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        problems.append(f"unknown section(s) {unknown}; known: {', '.join(sorted(_SECTIONS))}")
    weights = _weights(data.get("weights"), problems)
    benchmarks = _benchmarks(data.get("benchmarks", {}), problems)
    caps = _caps(data.get("caps", {}), problems)
    cutoffs = _cutoffs(data.get("classes", {"A": 0.25, "B": 0.7, "C": 0.95, "D": 1.0}), problems)
    exempt = data.get("exempt", {})
    low = data.get("low_efficiency", {})
    std = data.get("standard_land", {})
    for section, table, keys in (
        ("exempt", exempt, {"utility_industries", "startup_years", "under_construction",
                            "managed_as"}),
        ("low_efficiency", low, {"min_far", "min_tax_per_mu"}),
        ("standard_land", std, {"output_due_years"}),
    ):  # fmt: skip
        if not isinstance(table, dict):
            problems.append(f"[{section}] must be a table")
            continue
        bad = sorted(set(table) - keys)
        if bad:
            problems.append(
                f"[{section}] has unknown key(s) {bad}; known: {', '.join(sorted(keys))}"
            )
        for key in keys & {"startup_years", "min_far", "min_tax_per_mu", "output_due_years"}:
            if key in table and (_number(table[key]) is None or table[key] < 0):
                problems.append(f"[{section}] {key} = {table[key]!r} must be a number ≥ 0")
    managed_as = str(exempt.get("managed_as", "B")) if isinstance(exempt, dict) else "B"
    if managed_as not in CLASSES:
        problems.append(f"[exempt] managed_as = {managed_as!r}: one of {', '.join(CLASSES)}")
    if problems:
        raise InputError(
            f"Efficiency scheme {path} has problems:\n- " + "\n- ".join(problems) + "\nFix the "
            "file (geoplan/efficiency/default.toml shows the form)."
        )

    def opt(table: Any, key: str) -> float | None:
        return None if not isinstance(table, dict) or key not in table else float(table[key])

    return Scheme(
        name=str(data.get("name", path.stem)),
        title=str(data.get("title", data.get("name", path.stem))),
        weights=weights,
        benchmarks=benchmarks,
        caps=caps,
        cutoffs=cutoffs,
        utility_industries=tuple(str(v) for v in exempt.get("utility_industries", ())),
        startup_years=float(exempt.get("startup_years", 3.0)),
        under_construction=tuple(str(v) for v in exempt.get("under_construction", ())),
        managed_as=managed_as,
        min_far=opt(low, "min_far"),
        min_tax_per_mu=opt(low, "min_tax_per_mu"),
        output_due_years=float(std.get("output_due_years", 1.0)),
        source=str(path),
    )


def _weights(table: Any, problems: list[str]) -> dict[str, dict[str, float]]:
    if not isinstance(table, dict) or not table:
        problems.append("[weights.above] and [weights.below] (规上 / 规下) are missing")
        return {}
    out: dict[str, dict[str, float]] = {}
    for name, group in table.items():
        key = _GROUP_ALIASES.get(name, name)
        if key not in GROUPS:
            problems.append(f"[weights.{name}]: unknown group; use above (规上) or below (规下)")
            continue
        if not isinstance(group, dict):
            problems.append(f"[weights.{name}] must be a table of indicator = weight")
            continue
        weights: dict[str, float] = {}
        for ind, value in group.items():
            ikey = _indicator_key(ind)
            w = _number(value)
            if ikey is None:
                problems.append(
                    f"[weights.{name}] {ind}: unknown indicator; known: "
                    + ", ".join(f"{i.key} ({i.zh})" for i in INDICATORS.values())
                )
            elif w is None or w < 0:
                problems.append(f"[weights.{name}] {ind} = {value!r} must be a number ≥ 0")
            elif w > 0:
                weights[ikey] = w
        total = sum(weights.values())
        if weights and abs(total - 100.0) > 1e-9:
            problems.append(
                f"[weights.{name}] weights sum to {total:g}, not 100 "
                f"({', '.join(f'{k} {v:g}' for k, v in weights.items())})"
            )
        out[key] = weights
    for key, zh in GROUPS.items():
        if key not in out:
            problems.append(f"[weights.{key}] ({zh}) is missing")
    return out


def _benchmarks(table: Any, problems: list[str]) -> dict[str, str | float]:
    if not isinstance(table, dict):
        problems.append("[benchmarks] must be a table of indicator = rule")
        return {}
    out: dict[str, str | float] = {}
    for ind, rule in table.items():
        key = "default" if ind == "default" else _indicator_key(ind)
        if key is None:
            problems.append(f"[benchmarks] {ind}: unknown indicator")
            continue
        num = _number(rule)
        if num is not None:
            if num <= 0:
                problems.append(f"[benchmarks] {ind} = {rule!r}: a fixed benchmark must be > 0")
            out[key] = num
        elif isinstance(rule, str) and (rule == "mean" or _PERCENTILE.match(rule)):
            out[key] = rule
        else:
            problems.append(
                f'[benchmarks] {ind} = {rule!r}: write "mean", a percentile such as "p50", or a '
                "fixed number"
            )
    return out


def _caps(table: Any, problems: list[str]) -> dict[str, float]:
    if not isinstance(table, dict):
        problems.append("[caps] must be a table of indicator = cap")
        return {}
    out: dict[str, float] = {}
    for ind, value in table.items():
        key = "default" if ind == "default" else _indicator_key(ind)
        num = _number(value)
        if key is None:
            problems.append(f"[caps] {ind}: unknown indicator")
        elif num is None or num <= 0:
            problems.append(f"[caps] {ind} = {value!r} must be a number > 0")
        else:
            out[key] = num
    return out


def _cutoffs(table: Any, problems: list[str]) -> dict[str, float]:
    if not isinstance(table, dict) or set(table) != set(CLASSES):
        problems.append(f"[classes] must give A, B, C and D (got {sorted(table or {})})")
        return dict(zip(CLASSES, (0.25, 0.7, 0.95, 1.0), strict=True))
    values = [_number(table[k]) for k in CLASSES]
    if any(v is None for v in values):
        problems.append(f"[classes] cut-offs must be numbers (got {table})")
        return dict(zip(CLASSES, (0.25, 0.7, 0.95, 1.0), strict=True))
    nums = [float(v) for v in values if v is not None]
    if not (0 < nums[0] <= nums[1] <= nums[2] <= nums[3] == 1.0):
        problems.append(
            "[classes] cut-offs must rise from above 0 to D = 1 (A ≤ B ≤ C ≤ D = 1); got "
            + ", ".join(f"{k} {v:g}" for k, v in zip(CLASSES, nums, strict=True))
        )
    return dict(zip(CLASSES, nums, strict=True))
