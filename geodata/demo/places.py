"""Point and area layers: service centres, compounds, care sites, teams, alliances.

Every point is placed first and its grid, community and street are then read
from where it actually fell, so the ids a feature carries always match its
position. No point falls in (or within 30 m of) the river.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geodata.demo import figures as F
from geodata.demo.allocation import apportion
from geodata.demo.communities import Community, Grid
from geodata.demo.people import landline
from geodata.demo.sampling import points_in
from geodata.demo.streets import STREETS, street_name
from geodata.demo.world import World
from geodata.schema import SERVICE_MENU, join_codes

Rows = tuple[list[dict], list[BaseGeometry]]

_CORNERS = {(1, 1): "东北角", (-1, 1): "西北角", (1, -1): "东南角", (-1, -1): "西南角"}
_EXTRA_SERVICES = [c.value for c in SERVICE_MENU[7:]]
_HOURS = ("Mo-Su 08:00-20:00", "Mo-Su 08:30-18:00", "Mo-Fr 08:30-17:30; Sa,Su 09:00-17:00", "24/7")
_HOURS_P = (0.5, 0.22, 0.18, 0.10)
_PROPERTY = ("秦业", "渭滨", "和畅", "安居", "恒信", "泰和", "嘉诚", "瑞祥")
_WORK_UNITS = (
    "国棉一厂",
    "国棉七厂",
    "纺织机械厂",
    "印染厂",
    "粮食局",
    "供电局",
    "电子管厂",
    "橡胶厂",
    "化肥厂",
    "建材厂",
    "食品公司",
    "物资局",
    "水泥厂",
    "机床厂",
    "农机站",
    "运输公司",
    "棉纺厂",
    "酒厂",
    "制药厂",
    "偏转线圈厂",
    "彩虹厂",
    "电机厂",
    "缝纫机厂",
    "塑料厂",
    "造纸厂",
    "铸造厂",
    "二轻局",
    "百货公司",
)


def random_date(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _address(world: World, comm: Community, point: Point, rng: np.random.Generator) -> str:
    """A house-number address on the nearest named road."""
    return f"{comm.street.short}街道{world.nearest_road_name(point.coords[0])}{int(rng.integers(1, 260))}号"


def _ids(grid: Grid) -> dict[str, str]:
    return {"grid_id": grid.id, "community_id": grid.community.id, "street_id": grid.community.street.code}


def place_in(
    world: World, area: BaseGeometry, rng: np.random.Generator, inset: float = 8.0
) -> tuple[Point, Grid]:
    """A random point in ``area``, off the river, safely inside one grid."""
    for _ in range(50):
        xy = points_in(area, 1, rng, avoid=world.river.buffer(40), inset=inset)[0]
        g = world.grid_at(xy)
        if g is not None:
            return Point(xy), g
    raise RuntimeError("could not place a point")


def _weighted(rng: np.random.Generator, items: list, weights: np.ndarray) -> object:
    return items[int(rng.choice(len(items), p=weights / weights.sum()))]


def service_centers(world: World, rng: np.random.Generator) -> Rows:
    """The 141 心心秦家 centres, at junctions spread over each street, denser in the core."""
    pop = np.zeros(len(STREETS))
    for c in world.communities:
        pop[STREETS.index(c.street)] += c.population
    per_street = apportion(F.SERVICE_CENTERS, pop, 5)
    junction_xy, junction_names = world.junctions()
    rows: list[dict] = []
    geoms: list[BaseGeometry] = []
    used_names: set[str] = set()
    phones: set[str] = set()
    for s, (info, street, n) in enumerate(zip(STREETS, world.streets, per_street, strict=True)):
        inner = street.buffer(-40)
        # Vectorised (the same predicates as contains(Point)): a scaled demo runs this per copy.
        inside = shapely.contains_xy(inner, junction_xy[:, 0], junction_xy[:, 1])
        ok = np.flatnonzero(inside & world.on_land_many(junction_xy)).tolist()
        cand = junction_xy[ok]
        # Farthest-point sampling, favouring the dense centre: spread, but more where people are.
        pull = 1.0 + 2.0 * np.exp(-np.hypot(*(cand - world.centre).T) / 3000.0)
        chosen: list[int] = []
        if len(cand):
            chosen.append(int(np.argmin(np.hypot(*(cand - world.offices[s]).T))))
        while len(chosen) < min(n, len(cand)):
            d = np.min(np.hypot(*(cand[:, None, :] - cand[chosen][None, :, :]).transpose(2, 0, 1)), axis=1)
            score = d * pull * rng.uniform(0.8, 1.2, len(cand))
            score[chosen] = -1
            chosen.append(int(np.argmax(score)))
        sites: list[tuple[np.ndarray, list[str]]] = [(cand[i], junction_names[ok[i]]) for i in chosen]
        while len(sites) < n:  # a street short of junctions: community sites
            sites.append((points_in(street, 1, rng, avoid=world.river.buffer(40), inset=60)[0], []))
        for xy, roads in sites:
            grid, point, corner = None, None, (1, 1)
            for _ in range(20):
                corner = (int(rng.choice([-1, 1])), int(rng.choice([-1, 1])))
                off = np.array(corner) * rng.uniform(12, 25, 2)
                cand_xy = xy + off
                grid = world.grid_at(cand_xy) if world.on_land(cand_xy) else None
                if grid is not None:
                    point = Point(cand_xy)
                    break
            if grid is None or point is None:
                point, grid = place_in(world, street, rng)
                roads = []
            comm = grid.community
            site = str(rng.choice(["park", "square", "crossroads", "community"], p=[0.2, 0.25, 0.4, 0.15]))
            if len(roads) < 2 and site == "crossroads":
                site = "square"
            stem = comm.name[:2]
            if site == "park":
                label = f"{stem}公园"
            elif site == "square":
                label = f"{stem}广场"
            elif site == "crossroads":
                label = f"{roads[0]}{roads[1]}口"
            else:
                label = comm.name
            name = f"心心秦家·{label}党群服务中心"
            k = 2
            while name in used_names:
                name = f"心心秦家·{label}{k}号党群服务中心"
                k += 1
            used_names.add(name)
            if len(roads) >= 2:
                address = f"{roads[0]}与{roads[1]}交叉口{_CORNERS[corner]}"
            else:
                address = f"{world.nearest_road_name(point.coords[0])}{int(rng.integers(1, 300))}号"
            extra = rng.choice(_EXTRA_SERVICES, size=int(rng.integers(1, 6)), replace=False)
            offered = [c.value for c in SERVICE_MENU[:7]] + [v for v in _EXTRA_SERVICES if v in set(extra)]
            phone = landline(rng)
            while phone in phones:
                phone = landline(rng)
            phones.add(phone)
            rows.append(
                {
                    "id": f"XXQJ{len(rows) + 1:03d}",
                    "name": name,
                    "address": f"{info.short}街道{address}",
                    "street_id": info.code,
                    "community_id": comm.id,
                    "site_type": site,
                    "services": join_codes(offered),
                    "opening_hours": str(rng.choice(_HOURS, p=_HOURS_P)),
                    "phone": phone,
                    "opened": random_date(rng, dt.date(2019, 3, 1), dt.date(2023, 10, 31)),
                    "is_demo": True,
                }
            )
            geoms.append(point)
    return rows, geoms


def three_no_compounds(world: World, rng: np.random.Generator) -> Rows:
    """58 compounds through all seven steps and a few still in progress, in old urban areas."""
    urban = [c for c in world.communities if c.kind == "urban"]
    weight = np.array([c.population for c in urban], dtype=float)
    weight *= np.array([3.0 if c.street.urban else 1.0 for c in urban])  # old compounds sit in the core
    n_total = F.THREE_NO_COMPLETED + F.THREE_NO_IN_PROGRESS
    units = rng.choice(_WORK_UNITS, size=n_total, replace=len(_WORK_UNITS) < n_total)
    rows, geoms = [], []
    names: set[str] = set()
    for k in range(n_total):
        comm = _weighted(rng, urban, weight)
        point, grid = place_in(world, comm.geom, rng)  # type: ignore[attr-defined]
        done = k < F.THREE_NO_COMPLETED
        steps = 7 if done else int(rng.integers(1, 7))
        start = (
            random_date(rng, dt.date(2019, 6, 1), dt.date(2023, 6, 30))
            if done
            else random_date(rng, dt.date(2025, 9, 1), dt.date(2026, 6, 30))
        )
        dates: list[dt.date | None] = []
        d = start
        for i in range(7):
            if i < steps:
                dates.append(d)
                d = d + dt.timedelta(days=int(rng.integers(12, 45)))
            else:
                dates.append(None)
        name = f"{units[k]}{rng.choice(['家属院', '家属楼', '生活区'])}"
        number = 2
        while name in names:
            name = f"{units[k]}{number}号家属院"
            number += 1
        names.add(name)
        row = {
            "id": f"SWXQ{k + 1:03d}",
            "name": name,
            **{key: v for key, v in _ids(grid).items() if key != "grid_id"},
            "households": int(rng.integers(60, 480)),
            "stage": "征提审推签评聘"[steps - 1],
            **{f"date_{i + 1}": dates[i] for i in range(7)},
            "property_company": f"咸阳{rng.choice(_PROPERTY)}物业服务有限公司" if done else None,
            "is_demo": True,
        }
        rows.append(row)
        geoms.append(point)
    return rows, geoms


def _spread_over_streets(world: World, n: int, rng: np.random.Generator, minimum: int = 1) -> list[Community]:
    """``n`` distinct urban communities, at least ``minimum`` per street, the rest by population."""
    urban = [c for c in world.communities if c.kind == "urban"]
    pop = np.array([sum(c.population for c in urban if c.street is s) for s in STREETS], dtype=float)
    per_street = apportion(n, pop, minimum)
    out: list[Community] = []
    for s, k in zip(STREETS, per_street, strict=True):
        pool = [c for c in urban if c.street is s]
        w = np.array([c.population for c in pool], dtype=float)
        idx = rng.choice(len(pool), size=min(int(k), len(pool)), replace=False, p=w / w.sum())
        out.extend(pool[i] for i in sorted(idx))
    return out


def daycare_centers(world: World, rng: np.random.Generator) -> Rows:
    rows, geoms = [], []
    for k, comm in enumerate(_spread_over_streets(world, F.DAYCARE_CENTERS, rng), start=1):
        point, grid = place_in(world, comm.geom, rng)
        rows.append(
            {
                "id": f"RJZL{k:02d}",
                "name": f"{comm.name}日间照料中心",
                "address": _address(world, comm, point, rng),
                **{key: v for key, v in _ids(grid).items() if key != "grid_id"},
                "meal_delivery_m": int(rng.integers(8, 21)) * 100,
                "capacity": int(rng.integers(20, 61)),
                "opening_hours": "Mo-Su 07:30-19:00",
                "phone": landline(rng, "3322"),
                "is_demo": True,
            }
        )
        geoms.append(point)
    return rows, geoms


def child_care(world: World, rng: np.random.Generator) -> Rows:
    """The left-behind children care centre (in a rural street's town) and low-cost childcare classes."""
    rows, geoms = [], []
    town = [c for c in world.communities if c.kind == "urban" and c.street.short == "双照"]
    point, grid = place_in(world, town[0].geom, rng)
    rows.append(
        {
            "id": "ETGA01",
            "name": "秦都区留守儿童关爱中心",
            "kind": "care_center",
            "address": f"双照街道{world.nearest_road_name(point.coords[0])}{int(rng.integers(1, 120))}号",
            **{key: v for key, v in _ids(grid).items() if key != "grid_id"},
            "capacity": 80,
            "opening_hours": "Mo-Fr 08:00-18:00; Sa 09:00-17:00",
            "phone": landline(rng, "3323"),
            "is_demo": True,
        }
    )
    geoms.append(point)
    classes = _spread_over_streets(world, F.CHILDCARE_CLASSES, rng, minimum=0)
    for k, comm in enumerate(classes, start=1):
        point, grid = place_in(world, comm.geom, rng)
        rows.append(
            {
                "id": f"TYB{k:02d}",
                "name": f"{comm.name}低偿托育班",
                "kind": "childcare_class",
                "address": _address(world, comm, point, rng),
                **{key: v for key, v in _ids(grid).items() if key != "grid_id"},
                "capacity": int(rng.integers(20, 41)),
                "opening_hours": "Mo-Fr 07:30-18:30",
                "phone": landline(rng, "3323"),
                "is_demo": True,
            }
        )
        geoms.append(point)
    return rows, geoms


def legal_teams(world: World, rng: np.random.Generator) -> Rows:
    """One team per street (area served = the street) and one district team (the whole district)."""
    rows: list[dict] = []
    geoms: list[BaseGeometry] = []
    for k, (info, street) in enumerate(zip(STREETS, world.streets, strict=True), start=1):
        rows.append(
            {
                "id": f"FLFW{k:02d}",
                "name": f"{street_name(info)}党员法律服务队",
                "members": int(rng.integers(6, 16)),
                "street_ids": info.code,
                "phone": landline(rng, "3324"),
                "is_demo": True,
            }
        )
        geoms.append(street)
    rows.append(
        {
            "id": "FLFW13",
            "name": "秦都区党员法律服务队",
            "members": 24,
            "street_ids": join_codes([s.code for s in STREETS]),
            "phone": landline(rng, "3324"),
            "is_demo": True,
        }
    )
    # The one-part outline as a Polygon, so the layer is not promoted to MultiPolygon.
    parts = list(getattr(world.outline, "geoms", [world.outline]))
    geoms.append(parts[0] if len(parts) == 1 else world.outline)
    return rows, geoms


_SOCIAL_ORGS = (
    ("爱尚秦社会工作发展中心", None, "social_work"),
    ("渭滨巧手公益服务社", "小滨工坊", "skills"),
    ("秦都区阅读推广协会", "小薇书吧", "culture"),
    ("邻里味道社区餐饮服务社", "小味当家", "catering"),
    ("乐龄助老服务中心", None, "elderly"),
    ("阳光青少年成长服务中心", None, "youth"),
    ("秦韵文体协会", None, "culture"),
    ("红石榴社会工作服务社", None, "social_work"),
    ("康乐居家养老服务社", None, "elderly"),
    ("匠心职业技能培训中心", None, "skills"),
    ("渭水志愿服务协会", None, "social_work"),
    ("童心托管服务中心", None, "youth"),
)


def social_orgs(centre_rows: list[dict], centre_geoms: list[BaseGeometry], rng: np.random.Generator) -> Rows:
    """The 12 incubated social organisations, each at the centre that hosts it."""
    hosts = rng.choice(len(centre_rows), size=len(_SOCIAL_ORGS), replace=False)
    rows, geoms = [], []
    for k, ((name, brand, field), h) in enumerate(zip(_SOCIAL_ORGS, hosts, strict=True), start=1):
        rows.append(
            {
                "id": f"SHZZ{k:02d}",
                "name": name,
                "brand": brand,
                "host_center_id": centre_rows[int(h)]["id"],
                "field": field,
                "founded": random_date(rng, dt.date(2020, 3, 1), dt.date(2024, 9, 30)),
                "is_demo": True,
            }
        )
        geoms.append(centre_geoms[int(h)])
    return rows, geoms


def alliances(world: World, rng: np.random.Generator) -> Rows:
    """Party alliances at their lead unit (industry, business district, new sector, interest)."""
    specs: list[tuple[str, str, str, str | None]] = []
    specs += [("industry", s, f"{s}产业党建联盟", None) for s in F.INDUSTRY_ALLIANCES]
    bd_street = {
        "人民路商圈": "人民路",
        "玉泉路商圈": "古渡",
        "统一广场商圈": "吴家堡",
        "世纪大道商圈": "钓台",
    }
    specs += [
        ("business_district", s, f"{s}党建联盟", bd_street.get(s)) for s in F.BUSINESS_DISTRICT_ALLIANCES
    ]
    specs += [("new_sector", s, f"{s}行业党建联盟", None) for s in F.NEW_SECTOR_ALLIANCES]
    specs += [("interest", s, f"{s}社团党建联盟", None) for s in F.INTEREST_CLUBS]
    urban = [c for c in world.communities if c.kind == "urban"]
    weight = np.array([c.population for c in urban], dtype=float)
    rows, geoms = [], []
    for k, (kind, sector, name, street_short) in enumerate(specs, start=1):
        pool = [c for c in urban if c.street.short == street_short] if street_short else urban
        w = np.array([c.population for c in pool], dtype=float) if street_short else weight
        comm = _weighted(rng, pool, w)
        point, grid = place_in(world, comm.geom, rng)  # type: ignore[attr-defined]
        big = kind in ("industry", "business_district")
        rows.append(
            {
                "id": f"DJLM{k:02d}",
                "name": name,
                "kind": kind,
                "sector": sector,
                "member_units": int(rng.integers(12, 45) if big else rng.integers(4, 20)),
                "party_members": int(rng.integers(120, 480) if big else rng.integers(25, 160)),
                "street_id": grid.community.street.code,
                "is_demo": True,
            }
        )
        geoms.append(point)
    return rows, geoms


def facilities(world: World, rng: np.random.Generator) -> Rows:
    """The 12345 call centre near the district government and the 渭阳西路 governance centre."""
    rows, geoms = [], []
    pilot = next(i for i, s in enumerate(STREETS) if s.short == F.PILOT_STREET)
    sites: list[tuple[str, str, str, np.ndarray, Callable[[Grid], bool]]] = [
        ("GG12345", "秦都区12345便民呼叫中心", "call_center_12345", world.centre, lambda g: True),
        (
            "ZLZX01",
            "渭阳西路街道社会治理服务中心",
            "governance_center",
            world.offices[pilot],
            lambda g: g.community.street.short == F.PILOT_STREET,
        ),
    ]
    for fid, name, kind, xy, ok in sites:
        grid, p = None, None
        for r in (0, 30, 60, 120, 240, 480):
            cand = np.asarray(xy) + rng.normal(0, r, 2) if r else np.asarray(xy)
            g = world.grid_at(cand) if world.on_land(cand) else None
            if g is not None and ok(g):
                grid, p = g, Point(cand)
                break
        if grid is None or p is None:
            area = world.streets[pilot] if kind == "governance_center" else world.outline
            p, grid = place_in(world, area, rng)
        rows.append(
            {
                "id": fid,
                "name": name,
                "kind": kind,
                "address": f"{grid.community.street.short}街道{world.nearest_road_name(p.coords[0])}"
                f"{int(rng.integers(1, 200))}号",
                "street_id": grid.community.street.code,
                "opening_hours": "24/7" if kind == "call_center_12345" else "Mo-Fr 08:30-17:30",
                "phone": "12345" if kind == "call_center_12345" else landline(rng, "3325"),
                "is_demo": True,
            }
        )
        geoms.append(p)
    return rows, geoms


def building_groups(world: World, rng: np.random.Generator) -> Rows:
    """715 building party groups, apportioned over grids by households, each in its grid."""
    hh = np.array([g.households for g in world.grids], dtype=float)
    counts = apportion(F.BUILDING_GROUPS, hh, 1)
    rows, geoms = [], []
    for grid, n in zip(world.grids, counts, strict=True):
        n = int(n)
        pts = points_in(grid.geom, n, rng, avoid=world.river.buffer(40), inset=8)
        numbers = np.sort(rng.choice(np.arange(1, 41), size=n, replace=False))
        for xy, b in zip(pts, numbers, strict=True):
            rows.append(
                {
                    "id": f"{grid.id}B{b:02d}",
                    "name": f"{grid.name}{b}号楼党小组",
                    **_ids(grid),
                    "building": f"{b}号楼",
                    "members": int(rng.integers(3, 13)),
                    "is_demo": True,
                }
            )
            geoms.append(Point(xy))
    return rows, geoms
