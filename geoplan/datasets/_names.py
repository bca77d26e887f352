"""Plausible Chinese place and street names for the synthetic county (invented, not real places)."""

from __future__ import annotations

import numpy as np

_SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严武戴孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申耿关兰焦俞左柳甘"
)
_VILLAGE_SUFFIX = list("庄营寨楼集屯店岗湾铺桥寺庙园堂坡洼口圈堤")
_VILLAGE_PREFIX = [
    "",
    "",
    "",
    "东",
    "西",
    "南",
    "北",
    "前",
    "后",
    "大",
    "小",
    "新",
    "老",
    "上",
    "下",
]
_TOWN_SECOND = list("集庄寨楼营店岗桥河堤坝口湖陵城固阳安平丰塘")
_STREET_STEMS = [
    "兰阳",
    "裕禄",
    "中山",
    "人民",
    "建设",
    "解放",
    "文化",
    "迎宾",
    "五一",
    "和平",
    "光明",
    "幸福",
    "团结",
    "民主",
    "胜利",
    "友谊",
    "振兴",
    "朝阳",
    "东风",
    "红旗",
    "新华",
    "健康",
    "育才",
    "黄河",
    "桐乡",
    "商贸",
    "工业",
    "科技",
    "金融",
    "长安",
    "长江",
    "滨河",
    "康宁",
    "开元",
    "富民",
    "永安",
    "汇丰",
    "广场",
    "车站",
    "花园",
    "体育",
    "博物",
    "南湖",
    "北湖",
    "中原",
    "复兴",
    "学院",
    "泰山",
    "华山",
    "嵩山",
    "淮河",
    "汴京",
    "金水",
    "纬一",
    "纬二",
    "纬三",
    "经一",
    "经二",
    "经三",
    "锦绣",
]
_STREET_SUFFIX = ["路", "路", "街", "大道", "大街"]


def _unique(rng: np.random.Generator, make: object, n: int, pool: int) -> list[str]:
    """Draw ``n`` distinct names from a generator of candidates (``make(k)`` -> k strings)."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        for s in make(max(pool, 2 * (n - len(out)))):  # type: ignore[operator]
            if s not in seen:
                seen.add(s)
                out.append(s)
                if len(out) == n:
                    break
    return out


def township_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct township names without the 镇/乡 suffix (e.g. ``王集``)."""

    def make(k: int) -> list[str]:
        a = rng.choice(_SURNAMES, k)
        b = rng.choice(_TOWN_SECOND, k)
        return [x + y for x, y in zip(a, b, strict=True)]

    return _unique(rng, make, n, 64)


def village_names(rng: np.random.Generator, n: int, *, taken: set[str] | None = None) -> list[str]:
    """``n`` distinct village names ending in 村 (e.g. ``东王庄村``)."""
    taken = set() if taken is None else taken

    def make(k: int) -> list[str]:
        p = rng.choice(_VILLAGE_PREFIX, k)
        a = rng.choice(_SURNAMES, k)
        s = rng.choice(_VILLAGE_SUFFIX, k)
        names = [x + y + z + "村" for x, y, z in zip(p, a, s, strict=True)]
        return [v for v in names if v[:-1] not in taken]

    return _unique(rng, make, n, 256)


def street_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` street names (distinct while the stem list lasts, then numbered)."""
    stems = list(rng.permutation(_STREET_STEMS))
    out = []
    for i in range(n):
        stem = stems[i % len(stems)]
        rnd = i // len(stems)
        suffix = _STREET_SUFFIX[int(rng.integers(len(_STREET_SUFFIX)))]
        out.append(f"{stem}{'' if rnd == 0 else str(rnd + 1)}{suffix}")
    return out
