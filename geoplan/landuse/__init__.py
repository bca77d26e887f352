"""Land-use classification schemes as data, and classification of parcels.

The schemes live in CSV files beside this module (see ``README.md`` here for sources):

- ``sandiao.csv``: 三调工作分类 — GB/T 21010-2017 with the 三调 extensions (00 湿地, 05H1, 0508,
  08H1, 08H2, 0810A, 1104A, 1107A, K codes …), with 三大类 and the default 三生 mapping;
- ``ydyh2023.csv``: 用地用海分类 (2023), levels 1–3;
- ``crosswalk_sandiao_ydyh2023.csv``: 三调 → 用地用海 with ambiguous codes flagged;
- ``worldcover.csv`` and ``clcd.csv``: land-cover raster classes;
- ``sansheng_czcsxm.csv``: CZCSXM-dependent 三生 classes; ``eco_weights.csv``: eco-quality weights.

Every mapping can be overridden with a dict or a CSV (``mapping=``).
"""

from __future__ import annotations

from geoplan.landuse._classify import ADDED_COLUMNS, classify_landuse, detect_scheme
from geoplan.landuse._schemes import (
    SANLEI,
    SANSHENG,
    SANSHENG_SUBS,
    SCHEME_NAMES,
    Scheme,
    eco_weights,
    load_crosswalk,
    load_scheme,
)

__all__ = [
    "ADDED_COLUMNS",
    "SANLEI",
    "SANSHENG",
    "SANSHENG_SUBS",
    "SCHEME_NAMES",
    "Scheme",
    "classify_landuse",
    "detect_scheme",
    "eco_weights",
    "load_crosswalk",
    "load_scheme",
]
