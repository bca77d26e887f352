"""Class tables the synthetic county draws from: 三调 names, zone mixes, CLCD, road widths."""

from __future__ import annotations

__all__ = ["CLCD_OF", "CONSTRUCTION", "DLMC", "ZONE_CLASSES", "clcd_code", "road_width"]

# 三调 (GB/T 21010-2017 with the 三调 extensions): the codes the generator uses
DLMC: dict[str, str] = {
    "0101": "水田", "0102": "水浇地", "0103": "旱地",
    "0201": "果园", "0204": "其他园地",
    "0301": "乔木林地", "0305": "灌木林地", "0307": "其他林地",
    "0403": "人工牧草地", "0404": "其他草地",
    "05H1": "商业服务业设施用地", "0508": "物流仓储用地",
    "0601": "工业用地", "0602": "采矿用地",
    "0701": "城镇住宅用地", "0702": "农村宅基地",
    "08H1": "机关团体新闻出版用地", "08H2": "科教文卫用地", "0809": "公用设施用地",
    "0810": "公园与绿地",
    "09": "特殊用地",
    "1001": "铁路用地", "1003": "公路用地", "1004": "城镇村道路用地", "1005": "交通服务场站用地",
    "1006": "农村道路",
    "1101": "河流水面", "1103": "水库水面", "1104": "坑塘水面", "1106": "内陆滩涂",
    "1107": "沟渠", "1107A": "干渠", "1108": "沼泽地", "1109": "水工建筑用地",
    "1201": "空闲地", "1202": "设施农用地", "1205": "沙地",
}  # fmt: skip

# construction land (建设用地) that carries a 城镇村属性码 inside settlements
CONSTRUCTION = frozenset(
    c for c in DLMC if c[:2] in {"05", "06", "07", "08", "09", "10"} and c != "1006"
) | {"1109", "1201"}

# class mix per zone: (codes, relative weights)
ZONE_CLASSES: dict[str, tuple[list[str], list[float]]] = {
    "farm": (
        ["0101", "0102", "0103", "0201", "0204", "0301", "0307", "0404", "1104", "1202",
         "0702", "0602", "09", "1201", "1109"],
        [0.02, 0.70, 0.10, 0.03, 0.01, 0.03, 0.01, 0.01, 0.008, 0.02,
         0.012, 0.002, 0.002, 0.003, 0.002],
    ),
    "flood": (
        ["0101", "0102", "0103", "0301", "0305", "0307", "0403", "0404", "1104", "1106", "1108",
         "1205"],
        [0.10, 0.15, 0.14, 0.12, 0.04, 0.08, 0.02, 0.10, 0.02, 0.16, 0.04, 0.03],
    ),
    "eco": (
        ["0301", "0305", "0307", "0404", "1205", "0103", "0102"],
        [0.40, 0.10, 0.15, 0.12, 0.08, 0.08, 0.07],
    ),
    "village": (
        ["0702", "1201", "08H2", "08H1", "05H1", "1104", "0102", "0810", "1202", "0601"],
        [0.80, 0.035, 0.02, 0.01, 0.02, 0.03, 0.05, 0.005, 0.02, 0.01],
    ),
    "town": (
        ["0701", "0702", "05H1", "08H1", "08H2", "0809", "0810", "0601", "0508", "1201", "1005",
         "0102"],
        [0.32, 0.14, 0.13, 0.03, 0.06, 0.02, 0.03, 0.12, 0.03, 0.04, 0.01, 0.07],
    ),
    "seat": (
        ["0701", "05H1", "08H1", "08H2", "0809", "0810", "0601", "0508", "1201", "1005", "0702",
         "0102", "09"],
        [0.43, 0.13, 0.03, 0.07, 0.02, 0.06, 0.06, 0.03, 0.03, 0.01, 0.04, 0.08, 0.01],
    ),
    "park": (
        ["0601", "0508", "0809", "1201", "05H1", "0102"],
        [0.78, 0.07, 0.03, 0.04, 0.02, 0.06],
    ),
}  # fmt: skip

# CLCD 30 m classes (1 cropland, 2 forest, 3 shrub, 4 grassland, 5 water, 7 barren,
# 8 impervious, 9 wetland) for each 三调 code the generator uses
CLCD_OF: dict[str, int] = {}
for _c in DLMC:
    if _c.startswith("01") or _c in ("1202", "1006"):
        CLCD_OF[_c] = 1
    elif _c.startswith(("02", "03")):
        CLCD_OF[_c] = 3 if _c == "0305" else 2
    elif _c.startswith("04"):
        CLCD_OF[_c] = 4
    elif _c in ("1101", "1103", "1104", "1107", "1107A"):
        CLCD_OF[_c] = 5
    elif _c in ("1106", "1108"):
        CLCD_OF[_c] = 9
    elif _c == "1205":
        CLCD_OF[_c] = 7
    else:
        CLCD_OF[_c] = 8


def clcd_code(dlbm: str) -> int:
    """CLCD class of a 三调 code (impervious for unlisted construction codes)."""
    return CLCD_OF.get(dlbm, 8)


_WIDTH = {"motorway": 34.0, "trunk": 26.0, "primary": 20.0, "secondary": 14.0, "tertiary": 9.0,
          "motorway_link": 10.0, "residential": 7.0, "unclassified": 5.0}  # fmt: skip


def road_width(highway: str) -> float:
    """Corridor width (m) of a road class in the land-use layer (0: no corridor)."""
    return _WIDTH.get(highway, 0.0)
