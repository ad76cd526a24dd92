"""The 12 real streets (街道) of Qindu and their synthetic polygons.

Names, statistics codes, managing bodies and approximate office positions are
real; the polygons are a power diagram of the office positions clipped to the
real outline, because no free 街道 boundaries exist. The diagram's weights are
fixed (not drawn from the seed): the street layout is the one part of the demo
that stands for real places, so it stays the same for every seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geodata.demo.crs import lonlat_to_xy, xy_to_lonlat
from geodata.demo.tessellation import tessellate

DISTRICT_GOV = (108.694, 34.331)
"""District government, approximately (lon, lat)."""


@dataclass(frozen=True)
class StreetInfo:
    """Real facts about one street; ``weight`` (m²) only shapes its demo polygon."""

    code: str
    short: str
    name_en: str
    managed_by: str
    office: tuple[float, float]
    urban: bool
    weight: float


STREETS: tuple[StreetInfo, ...] = (
    StreetInfo("610402001", "人民路", "Renmin Road", "qindu", (108.698, 34.334), True, 0.0),
    StreetInfo("610402002", "西兰路", "Xilan Road", "qindu", (108.687, 34.357), True, 0.0),
    StreetInfo("610402003", "吴家堡", "Wujiabao", "qindu", (108.702, 34.351), True, 0.0),
    StreetInfo("610402004", "渭阳西路", "Weiyang West Road", "qindu", (108.667, 34.322), True, 1.5e6),
    StreetInfo("610402005", "陈杨寨", "Chenyangzhai", "qindu", (108.701, 34.315), True, 0.0),
    StreetInfo("610402006", "古渡", "Gudu", "qindu", (108.682, 34.342), True, 0.0),
    StreetInfo("610402007", "上林", "Shanglin", "xixian", (108.752, 34.322), False, 4e6),
    StreetInfo("610402008", "钓台", "Diaotai", "xixian", (108.715, 34.301), False, 1.5e6),
    StreetInfo("610402009", "马泉", "Maquan", "qindu", (108.616, 34.324), False, 4e6),
    StreetInfo("610402010", "渭滨", "Weibin", "qindu", (108.642, 34.311), False, 3e6),
    StreetInfo("610402011", "双照", "Shuangzhao", "xixian", (108.666, 34.384), False, 6e6),
    StreetInfo("610402012", "马庄", "Mazhuang", "qindu", (108.658, 34.438), False, 8e6),
)
"""In statistics-code order. 上林 was formerly 沣东."""


def street_name(info: StreetInfo) -> str:
    return f"{info.short}街道"


def office_xy(outline_m: BaseGeometry, inset_m: float = 150.0) -> np.ndarray:
    """Office positions in metres, moved inside the outline where the coarse outline misses them.

    西兰路's office lies just outside the 78-vertex outline; it moves to the
    nearest point at least ``inset_m`` inside.
    """
    lon = np.array([s.office[0] for s in STREETS])
    lat = np.array([s.office[1] for s in STREETS])
    x, y = lonlat_to_xy(lon, lat)
    inner = outline_m.buffer(-inset_m)
    out = np.column_stack([x, y])
    for i, (px, py) in enumerate(out):
        p = Point(px, py)
        if not inner.contains(p):
            q = nearest_points(inner, p)[0]
            # Step a little further in so the point is not on the inset boundary.
            v = np.array([q.x - px, q.y - py])
            v /= np.linalg.norm(v)
            out[i] = (q.x + v[0] * 20, q.y + v[1] * 20)
    return out


def office_lonlat(xy: np.ndarray) -> np.ndarray:
    lon, lat = xy_to_lonlat(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def street_polygons(outline_m: BaseGeometry, offices: np.ndarray) -> list[BaseGeometry]:
    """Street polygons tiling the outline, each contiguous and holding its office.

    The rural streets get larger power weights so that the offices clustered
    in the urban centre do not leave the rural streets with all the land and the
    central ones with slivers (or the reverse).
    """
    weights = np.array([s.weight for s in STREETS])
    cells, _ = tessellate(outline_m, offices, weights=weights)
    for info, cell, xy in zip(STREETS, cells, offices, strict=True):
        if not cell.contains(Point(xy)):
            raise RuntimeError(f"{info.short} office lies outside its own street polygon")
    return cells
