"""Bundled sample data and the synthetic-county generator (demo and benchmark counties)."""

from __future__ import annotations

from geoplan.datasets._demo import DEMO_SCALE, DEMO_SEED, demo_path
from geoplan.datasets._province import province_adcode, synthetic_province
from geoplan.datasets._synthetic import (
    LandCover,
    SyntheticCounty,
    synthetic_county,
    write_osm,
)

__all__ = [
    "DEMO_SCALE",
    "DEMO_SEED",
    "LandCover",
    "SyntheticCounty",
    "demo_path",
    "province_adcode",
    "synthetic_county",
    "synthetic_province",
    "write_osm",
]
