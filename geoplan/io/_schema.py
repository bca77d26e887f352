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

#: the enterprise table as the economic, tax and power departments hand it over (亩均效益). A
#: header may state its unit in brackets (税收(元), 用电量(千瓦时), 用地面积(平方米)): values are
#: converted to the unit in :data:`ENTERPRISE_UNITS`; a unit geoplan does not know is an error.
ENTERPRISE_FIELDS: tuple[Field, ...] = (
    _f("credit_code", "str", "统一社会信用代码", "信用代码", "社会信用代码", "TYSHXYDM", "USCC",
       required=True),
    _f("name", "str", "企业名称", "名称", "单位名称", "QYMC", "NAME", "Name"),
    _f("scale", "str", "规上规下", "规模", "企业规模", "是否规上", "GSGX",
       doc="above / below (规上 / 规下, 规模以上 / 规模以下, 是 / 否)"),
    _f("tax", "float", "税收", "税收总额", "实缴税金", "实缴税收", "税收实际贡献", "SS",
       doc="万元"),
    _f("revenue", "float", "营业收入", "销售收入", "主营业务收入", "YYSR", doc="万元"),
    _f("value_added", "float", "工业增加值", "增加值", "GYZJZ", doc="万元"),
    _f("energy", "float", "综合能耗", "能耗", "ZHNH", doc="吨标煤"),
    _f("emissions", "float", "主要污染物排放", "主要污染物排放量", "污染物排放", "排放量", "WRWPF",
       doc="吨"),
    _f("employees", "float", "年平均职工人数", "职工人数", "从业人员", "年均职工人数", "ZGRS",
       doc="人"),
    _f("rnd", "float", "研发经费", "研发经费支出", "R&D经费", "YFJF", doc="万元"),
    _f("power", "float", "用电量", "总用电量", "YDL", doc="万千瓦时"),
    _f("declared_area", "float", "用地面积", "占地面积", "申报用地面积", "YDMJ", doc="亩"),
    _f("supply_id", "str", "电子监管号", "DZJGH", doc="several ids separated by ; or 、"),
    _f("floor_area", "float", "建筑面积", "总建筑面积", "JZMJ", doc="平方米: 容积率 of its land"),
    _f("fixed_investment", "float", "固定资产投资", "固定资产投资额", "GDZCTZ", doc="万元"),
    _f("industry", "str", "行业", "所属行业", "行业代码", "国民经济行业", "HYDM",
       doc="GB/T 4754 code or name: utilities (44-46 …) are 不定等级"),
    _f("started_on", "date", "投产日期", "投产时间", "成立日期", "TCRQ",
       doc="start-ups within the scheme's years are 不定等级"),
    _f("status", "str", "企业状态", "生产状态", "建设状态", "ZT",
       doc="在建 (under construction) is 不定等级"),
    _f("x", "float", "X坐标", "X", "横坐标", doc="with [crs] enterprises"),
    _f("y", "float", "Y坐标", "Y", "纵坐标"),
    _f("lon", "float", "经度", "longitude", "lng", doc="CGCS2000 / WGS 84 degrees"),
    _f("lat", "float", "纬度", "latitude"),
)  # fmt: skip

#: stored unit of each enterprise quantity and the units a header may state, with their factor
#: to the stored unit (税收(元) → 万元: × 0.0001)
_MONEY = {"万元": 1.0, "元": 1e-4, "千元": 0.1, "亿元": 1e4}
ENTERPRISE_UNITS: dict[str, tuple[str, dict[str, float]]] = {
    **{f: ("万元", _MONEY) for f in ("tax", "revenue", "value_added", "rnd", "fixed_investment")},
    "energy": ("吨标煤", {"吨标煤": 1.0, "吨标准煤": 1.0, "tce": 1.0, "万吨标煤": 1e4,
                         "千克标煤": 1e-3, "kgce": 1e-3}),
    "emissions": ("吨", {"吨": 1.0, "t": 1.0, "千克": 1e-3, "kg": 1e-3, "公斤": 1e-3}),
    "employees": ("人", {"人": 1.0}),
    "power": ("万千瓦时", {"万千瓦时": 1.0, "万kwh": 1.0, "万度": 1.0, "千瓦时": 1e-4,
                          "kwh": 1e-4, "度": 1e-4, "兆瓦时": 0.1, "mwh": 0.1, "亿千瓦时": 1e4}),
    "declared_area": ("亩", {"亩": 1.0, "平方米": 0.0015, "m2": 0.0015, "m²": 0.0015,
                             "㎡": 0.0015, "公顷": 15.0, "ha": 15.0}),
    "floor_area": ("平方米", {"平方米": 1.0, "m2": 1.0, "m²": 1.0, "㎡": 1.0, "万平方米": 1e4}),
}  # fmt: skip

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
                _f(
                    "land_use",
                    "str",
                    "土地用途",
                    "用途",
                    "TDYT",
                    doc="工业用地 / 住宅用地 …: the 亩均效益 evaluation takes industrial supplies",
                ),
                # 标准地 control indicators written into the supply contract (亩均效益 checks)
                _f(
                    "std_investment_intensity",
                    "float",
                    "固定资产投资强度",
                    "投资强度",
                    "TZQD",
                    doc="万元/亩",
                ),  # fmt: skip
                _f("std_far", "float", "容积率", "RJL", doc="minimum floor-area ratio"),
                _f("std_tax_per_mu", "float", "亩均税收", "MJSS", doc="万元/亩"),
                _f(
                    "std_energy_value_added",
                    "float",
                    "单位能耗增加值",
                    "DWNHZJZ",
                    doc="万元/吨标煤",
                ),  # fmt: skip
            ),
            "land supply records (供地)",
        ),
        Role(
            "enterprises",
            "point",
            ENTERPRISE_FIELDS,
            "enterprises for the 亩均效益 evaluation: a table (xlsx/csv) or points; money in 万元",
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

#: 规上 / 规下 (industrial enterprises above / below the designated size)
SCALE_VALUES = {
    "above": "above",
    "规上": "above",
    "规模以上": "above",
    "规上企业": "above",
    "是": "above",
    "below": "below",
    "规下": "below",
    "规模以下": "below",
    "规下企业": "below",
    "否": "below",
}
