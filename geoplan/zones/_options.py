"""``[parameters.zones]`` of county.toml as checked options (the zones part of the one input path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from geoplan.errors import InputError

__all__ = ["SCHEMES", "ZonesOptions", "zones_options"]

#: Land-use schemes a zones run accepts (``auto`` tells them apart by field names / values).
SCHEMES = ("auto", "sandiao", "ydyh2023", "worldcover", "clcd")


@dataclass(frozen=True)
class ZonesOptions:
    """Options of a zones run on a county.

    Attributes
    ----------
    cell
        Square grid cell side in metres (default 500).
    h3_resolution
        H3 hexagons at this resolution instead of the grid (default: the grid).
    single_share
        Share of its top function that makes a unit single-function (default 0.5).
    min_zone_ha
        Zones smaller than this many hectares merge into a neighbour (default 100).
    regions
        Also cluster into this many contiguous regions (needs ``geoplan[regions]``).
    scheme
        Land-use scheme (default ``auto``; for a land-cover raster, ``[parameters.landcover]
        scheme`` is used when this is ``auto``).
    """

    cell: float = 500.0
    h3_resolution: int | None = None
    single_share: float = 0.5
    min_zone_ha: float = 100.0
    regions: int | None = None
    scheme: str = "auto"

    def __post_init__(self) -> None:
        problems = []
        if not _number(self.cell) or not self.cell > 0:
            problems.append(f"cell = {self.cell!r}: a grid cell side in metres > 0")
        if self.h3_resolution is not None and not (
            _integer(self.h3_resolution) and 0 <= self.h3_resolution <= 15
        ):
            problems.append(f"h3_resolution = {self.h3_resolution!r}: an integer 0–15")
        if not _number(self.single_share) or not 0 < self.single_share <= 1:
            problems.append(f"single_share = {self.single_share!r}: a share in (0, 1]")
        if not _number(self.min_zone_ha) or not self.min_zone_ha >= 0:
            problems.append(f"min_zone_ha = {self.min_zone_ha!r}: hectares >= 0")
        if self.regions is not None and not (_integer(self.regions) and self.regions >= 1):
            problems.append(f"regions = {self.regions!r}: a number of regions >= 1")
        if self.scheme not in SCHEMES:
            problems.append(f"scheme = {self.scheme!r}: one of {', '.join(SCHEMES)}")
        if problems:
            raise InputError("Zones options: " + "; ".join(problems) + ".")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def zones_options(params: Mapping[str, Any], **overrides: Any) -> ZonesOptions:
    """Checked :class:`ZonesOptions` from a ``[parameters.zones]`` table (unknown keys are an
    error); ``overrides`` that are not None win (command-line options).

    Examples
    --------
    >>> zones_options({"cell": 250}, single_share=0.6)
    ZonesOptions(cell=250, h3_resolution=None, single_share=0.6, min_zone_ha=100.0, regions=None, scheme='auto')
    >>> zones_options({"cel": 250})
    Traceback (most recent call last):
    ...
    geoplan.errors.InputError: Unknown key(s) ['cel'] in [parameters.zones] of county.toml; known: cell, h3_resolution, single_share, min_zone_ha, regions, scheme.
    """
    known = [f.name for f in fields(ZonesOptions)]
    merged = {**dict(params), **{k: v for k, v in overrides.items() if v is not None}}
    unknown = sorted(set(merged) - set(known))
    if unknown:
        raise InputError(
            f"Unknown key(s) {unknown} in [parameters.zones] of county.toml; known: "
            f"{', '.join(known)}."
        )
    return ZonesOptions(**merged)
