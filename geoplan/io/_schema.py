"""Layer roles: the geometry, canonical fields, their types and the aliases geoplan understands.

``read_layer(..., role=...)`` renames aliases to canonical names (also in the form a shapefile
cuts them to: 10 bytes, GBK or UTF-8), converts types, and adds every optional canonical field
that is absent as an all-null column, so analyses can rely on the columns
listed here existing with these dtypes:

- ``str``: pandas string dtype (codes stay strings: leading zeros and letters are kept)
- ``date``: ``datetime64[ms]`` normalised to midnight (NaT when missing)
- ``float``: float64 (NaN when missing)
- ``bool``: pandas ``boolean`` (nullable)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["str", "float", "date", "bool", "int"]
GeomKind = Literal["polygon", "point", "line", "any"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Role:
    name: str
    geometry: GeomKind
    fields: tuple[Field, ...] = ()
    description: str = ""
    rename: bool = True  # False: keep source column names (land use keeps DLBM, TBDLMJ, ...)
    extra: dict[str, FieldType] = field(default_factory=dict)  # typed but never renamed

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _f(name: str, type: FieldType, *aliases: str, required: bool = False, doc: str = "") -> Field:
    return Field(name, type, required, aliases, doc)


_NAME = _f("name", "str", "名称", "MC", "NAME", "Name")

ROLES: dict[str, Role] = {
    r.name: r
    for r in [
        Role(
            "boundary",
            "polygon",
            (_NAME, _f("adcode", "str", "行政区划代码", "XZQDM", "XZQHDM", "code", "ADCODE")),
            "county boundary",
        ),
        Role(
            "townships",
            "polygon",
            (
                _f("name", "str", "名称", "MC", "乡镇名称", "XZQMC", "NAME", "Name", required=True),
                _f("code", "str", "乡镇代码", "行政区划代码", "XZQDM", "CODE"),
            ),
            "townships (乡镇)",
        ),
        Role(
            "settlements",
            "point",
            (
                _f("name", "str", "名称", "MC", "居民点名称", "NAME", "Name", required=True),
                _f(
                    "kind",
                    "str",
                    "类型",
                    "等级",
                    "KIND",
                    doc="county_seat/town/village or 县城/镇/村",
                ),
                _f("population", "float", "人口", "常住人口", "户籍人口", "POP", "pop"),
            ),
            "settlements: county seat, towns, villages",
        ),
        Role(
            "landuse",
            "polygon",
            (),
            "land-use parcels; class-code columns keep their names (DLBM, YDYHFLDM, ...)",
            rename=False,
            extra={
                "BSM": "str",
                "TBBH": "str",
                "DLBM": "str",
                "DLMC": "str",
                "QSXZ": "str",
                "QSDWDM": "str",
                "ZLDWDM": "str",
                "KCDLBM": "str",
                "CZCSXM": "str",
                "YDYHFLDM": "str",
                "GHDLBM": "str",
                "TBMJ": "float",
                "KCMJ": "float",
                "KCXS": "float",
                "TBDLMJ": "float",
            },
        ),
        Role(
            "approvals",
            "polygon",
            (
                _f("batch_id", "str", "批次名称", "PCMC", "批次编号", "PCBH", required=True),
                _f("approval_no", "str", "批准文号", "PZWH", "省批文号", "shengpwwh"),
                _f("approved_on", "date", "批准日期", "PZRQ", "批准时间", required=True),
                _f(
                    "approval_type",
                    "str",
                    "批准类型",
                    "用地类型",
                    "PZLX",
                    doc="城市批次用地 / 单独选址用地",
                ),
            ),
            "approved construction land (批准用地)",
        ),
        Role(
            "supplies",
            "polygon",
            (
                _f("supply_id", "str", "电子监管号", "供地编号", "DZJGH", required=True),
                _f("batch_id", "str", "批次名称", "PCMC", "批次编号", "PCBH"),
                _f("supplied_on", "date", "供地日期", "合同签订日期", "GDRQ", "HTQDRQ"),
                _f("supply_method", "str", "供地方式", "GDFS"),
                _f("agreed_start", "date", "约定动工日期", "约定开工日期", "YDDGRQ"),
                _f("agreed_finish", "date", "约定竣工日期", "YDJGRQ"),
                _f("actual_start", "date", "实际动工日期", "实际开工日期", "SJDGRQ"),
                _f(
                    "developed_ratio",
                    "float",
                    "已开发比例",
                    "开发比例",
                    "KFBL",
                    doc="developed share of the area due, 0-1",
                ),
                _f(
                    "invested_ratio",
                    "float",
                    "已投资比例",
                    "投资比例",
                    "TZBL",
                    doc="invested share of total investment (land price and taxes excluded), 0-1",
                ),
                _f("suspended_since", "date", "停工日期", "中止开发日期", "TGRQ"),
                _f(
                    "land_price",
                    "float",
                    "成交价款",
                    "出让价款",
                    "划拨价款",
                    *(
                        f"{name}{unit}"
                        for name in ("成交价款", "出让价款")
                        for unit in ("(万元)", "（万元）", "_万元", "万元", "(元)", "（元）", "_元")
                    ),
                    "CJJK",
                    doc="yuan; a column named in 万元 (成交价款(万元)) or [units] land_price = "
                    '"万元" is converted to yuan',
                ),
                _f("gov_cause", "bool", "政府原因", "ZFYY", doc="delay caused by government"),
            ),
            "land supply records (供地)",
        ),
        Role(
            "parks",
            "polygon",
            (
                _f("park_id", "str", "园区编号", "园区代码", "YQBH"),
                _f("name", "str", "园区名称", "名称", "MC", "NAME", "Name"),
                _f("level", "str", "园区级别", "级别", "JB"),
            ),
            "industrial parks (产业园区)",
        ),
        Role(
            "roads",
            "line",
            (
                _f("highway", "str", "fclass", "道路等级", "DLDJ", required=True),
                _f("ref", "str", "路线编号", "编号", "LXBH"),
                _f("oneway", "str", "单行", "单向"),
                _f("maxspeed", "str", "限速", "设计速度"),
                _f("name", "str", "名称", "道路名称", "MC", "NAME", "Name"),
            ),
            "roads as lines (OSM files are read by geoplan.road_network)",
        ),
        Role(
            "zoning",
            "polygon",
            (
                _f(
                    "zone_type",
                    "str",
                    "类型",
                    "控制线类型",
                    "KZXLX",
                    "type",
                    required=True,
                    doc="ugb / basic_farmland / eco_redline (or 城镇开发边界 / 永久基本农田 / 生态保护红线)",
                ),
                _f("name", "str", "名称", "MC"),
            ),
            "control lines of 三区三线",
        ),
    ]
}

ZONE_TYPE_VALUES = {
    "ugb": "ugb",
    "城镇开发边界": "ugb",
    "城镇开发边界线": "ugb",
    "basic_farmland": "basic_farmland",
    "永久基本农田": "basic_farmland",
    "永久基本农田保护红线": "basic_farmland",
    "eco_redline": "eco_redline",
    "生态保护红线": "eco_redline",
}

SETTLEMENT_KIND_VALUES = {
    "county_seat": "county_seat",
    "县城": "county_seat",
    "城关镇": "county_seat",
    "central_town": "central_town",
    "中心镇": "central_town",
    "town": "town",
    "镇": "town",
    "乡": "town",
    "一般镇": "town",
    "乡镇": "town",
    "village": "village",
    "村": "village",
    "行政村": "village",
    "中心村": "village",
    "一般村": "village",
    "自然村": "village",
}
