"""Record tables and the records that are points: service ledgers, meals, mediation, incidents.

Totals the source prints are hit exactly by largest-remainder apportionment
over plausible weights (centres in the core busier, activity growing over
time); everything else is drawn from the seeded generator.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.demo import figures as F
from geodata.demo.allocation import apportion
from geodata.demo.people import anonymous_party, mobile, person_name
from geodata.demo.places import Rows, place_in, random_date
from geodata.demo.sampling import points_in
from geodata.demo.world import World
from geodata.schema import DISPUTE_TYPES, EVENT_CATEGORIES, EVENT_STATUSES


def months(last: dt.date, count: int) -> list[dt.date]:
    """The ``count`` first-of-month dates ending at ``last``, oldest first."""
    out = []
    y, m = last.year, last.month
    for _ in range(count):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def service_records(centres: list[dict], centre_pull: np.ndarray, rng: np.random.Generator) -> list[dict]:
    """Monthly ledger rows per centre from its opening month; totals as in the source.

    Parameters
    ----------
    centres : list of dict
        Service-centre rows (need ``id`` and ``opened``).
    centre_pull : ndarray
        Relative busyness of each centre (core centres are busier).
    rng : numpy Generator
        The random source.
    """
    ms = months(F.LAST_RECORD_MONTH, F.RECORD_MONTHS)
    cells: list[tuple[int, dt.date]] = []
    weight: list[float] = []
    growth = np.linspace(0.7, 1.3, len(ms))
    for c, row in enumerate(centres):
        opened = row["opened"].replace(day=1)
        for m, month in enumerate(ms):
            if month >= opened:
                cells.append((c, month))
                weight.append(centre_pull[c] * growth[m])
    w = np.array(weight)
    n = len(w)

    def spread(total: int, noise: float) -> np.ndarray:
        return apportion(total, w * rng.gamma(1 / noise**2, noise**2, n))

    served = spread(int(rng.integers(*F.PEOPLE_SERVED_RANGE)), 0.3)
    solved = spread(int(rng.integers(*F.PROBLEMS_SOLVED_RANGE)), 0.35)
    licences = spread(F.BUSINESS_LICENCES, 0.6)
    catering = spread(F.CATERING_PERMITS, 0.7)
    workshop = spread(F.WORKSHOP_PERMITS, 1.0)
    rows = []
    for i, (c, month) in enumerate(cells):
        rows.append(
            {
                "id": f"{centres[c]['id']}-{month:%Y%m}",
                "center_id": centres[c]["id"],
                "month": month,
                "people_served": int(served[i]),
                "business_licences": int(licences[i]),
                "catering_permits": int(catering[i]),
                "workshop_permits": int(workshop[i]),
                "problems_solved": int(solved[i]),
                "is_demo": True,
            }
        )
    return rows


def meal_deliveries(daycare: list[dict], rng: np.random.Generator) -> list[dict]:
    """Monthly meals per day-care centre, growing slowly with seasonal swings."""
    ms = months(F.LAST_RECORD_MONTH, F.RECORD_MONTHS)
    rows = []
    for d in daycare:
        base = d["capacity"] * rng.uniform(18, 30)
        for k, month in enumerate(ms):
            trend = 0.8 + 0.4 * k / len(ms)
            season = 1 + 0.08 * np.cos(2 * np.pi * (month.month - 1) / 12)  # more meals in winter
            meals = int(base * trend * season * rng.uniform(0.9, 1.1))
            rows.append(
                {
                    "id": f"{d['id']}-{month:%Y%m}",
                    "daycare_id": d["id"],
                    "month": month,
                    "meals": meals,
                    "elderly_served": int(d["capacity"] * rng.uniform(0.9, 1.8) * trend),
                    "is_demo": True,
                }
            )
    return rows


def mediation_cases(
    world: World, team_of_street: dict[str, str], district_team: str, rng: np.random.Generator
) -> list[dict]:
    """Closed cases (exactly the source's count and success rate) plus some still in progress.

    Most disputes settle in the community in the first round; later rounds go
    up a level (street, then district) and fail more often.
    """
    comms = world.communities
    weight = np.array([c.population for c in comms], dtype=float)
    n_closed = F.MEDIATION_CLOSED
    n = n_closed + F.MEDIATION_ONGOING
    rounds = rng.choice([1, 2, 3], size=n, p=[0.74, 0.2, 0.06])
    # Failures concentrate in later rounds: order closed cases by a noisy round score.
    closed_round = rounds[:n_closed]
    order = np.argsort(closed_round + rng.uniform(0, 1.6, n_closed), kind="stable")
    outcome = np.empty(n, dtype=object)
    outcome[order[: F.MEDIATION_SUCCESS]] = "success"
    outcome[order[F.MEDIATION_SUCCESS :]] = "failed"
    outcome[n_closed:] = "ongoing"
    types = [c.value for c in DISPUTE_TYPES]
    type_p = np.array([0.26, 0.18, 0.16, 0.1, 0.12, 0.08, 0.1])
    today = F.EVENTS_UNTIL.date()
    rows = []
    for i in range(n):
        comm = comms[int(rng.choice(len(comms), p=weight / weight.sum()))]
        r = int(rounds[i])
        level = {1: ("community", "street"), 2: ("street", "community"), 3: ("district", "street")}[r]
        lvl = level[0] if rng.random() < 0.85 else level[1]
        if outcome[i] == "ongoing":
            received = today - dt.timedelta(days=int(rng.integers(1, 45)))
            closed = None
        else:
            received = random_date(rng, dt.date(2021, 1, 4), today - dt.timedelta(days=60))
            closed = received + dt.timedelta(days=int(rng.integers(2, 15) * r))
        if lvl == "district":
            team = district_team if rng.random() < 0.8 else None
        else:
            team = team_of_street[comm.street.code] if rng.random() < 0.7 else None
        a, b = anonymous_party(rng), anonymous_party(rng)
        rows.append(
            {
                "id": f"TJ{received:%Y}{i + 1:05d}",
                "level": lvl,
                "round": r,
                "outcome": str(outcome[i]),
                "case_type": str(rng.choice(types, p=type_p)),
                "received": received,
                "closed": closed,
                "street_id": comm.street.code,
                "community_id": comm.id,
                "team_id": team,
                "disputants": f"{a} 与 {b}",
                "disputant_phone": mobile(rng) if rng.random() < 0.8 else None,
                "is_demo": True,
            }
        )
    return rows


_EVENT_TEXT = {
    "sanitation": ("小区门口垃圾堆放未清运", "楼道杂物堆积", "绿化带内有建筑垃圾", "公厕卫生差"),
    "parking": ("消防通道被车辆占用", "小区内乱停车", "非机动车占用盲道", "僵尸车长期占用车位"),
    "facility": ("路灯不亮", "井盖破损", "健身器材损坏", "单元门禁损坏", "楼顶漏水"),
    "safety": ("电动车楼道充电", "飞线充电", "树枝压住电线", "围墙开裂有倒塌风险"),
    "noise": ("夜间施工噪音", "广场舞音响过大", "商铺外放音乐扰民"),
    "illegal_building": ("楼顶私搭彩钢房", "占用绿地搭建棚子", "私自扩建门面"),
    "housing_jobs": ("咨询公租房申请", "失业人员求职登记", "灵活就业社保咨询"),
    "neighbourhood": ("楼上漏水引发纠纷", "宠物扰民", "公共区域堆放物品争执"),
}
_STEP_FIELDS = ("found_at", "photo_at", "assigned_at", "fixed_at", "replied_at")


def grid_events(world: World, rng: np.random.Generator) -> Rows:
    """Smart-grid incidents over the last two years, heavier in the pilot street.

    Every step up to the status has a time, later steps none; times increase
    and none is after the end of the period. Old incidents are mostly replied;
    a few stalled ones are overdue.
    """
    grids = world.grids
    weight = np.array([g.households + 50 for g in grids], dtype=float)
    weight *= np.array([4.0 if g.community.street.short == F.PILOT_STREET else 1.0 for g in grids])
    counts = apportion(F.GRID_EVENTS, weight * rng.gamma(4, 0.25, len(grids)))
    end = np.datetime64(F.EVENTS_UNTIL, "s")
    span = np.timedelta64(F.EVENT_MONTHS * 30 * 86400, "s")
    start = end - span
    categories = [c.value for c in EVENT_CATEGORIES]
    cat_p = np.array([0.24, 0.18, 0.18, 0.12, 0.08, 0.06, 0.06, 0.08])
    statuses = [c.value for c in EVENT_STATUSES]
    rows, geoms = [], []
    wet = world.river.buffer(40)
    for grid, n in zip(grids, counts, strict=True):
        n = int(n)
        if n == 0:
            continue
        pts = points_in(grid.geom, n, rng, avoid=wet, inset=5)
        # Reporting grew as the pilot spread: later dates are likelier (density rises linearly).
        frac = np.sqrt(rng.uniform(0.15, 1.0, n))
        found = start + (frac * span.astype(np.int64)).astype("timedelta64[s]")
        # Reports come in during the day, not at 3 a.m.
        day = found.astype("datetime64[D]")
        found = day + np.timedelta64(7 * 3600, "s") + rng.integers(0, 14 * 3600, n).astype("timedelta64[s]")
        found = np.minimum(found, end - np.timedelta64(1800, "s"))
        for k in range(n):
            t = [found[k]]
            t.append(t[-1] + np.timedelta64(int(rng.integers(120, 7200)), "s"))
            t.append(t[-1] + np.timedelta64(int(rng.integers(600, 86400)), "s"))
            t.append(t[-1] + np.timedelta64(int(rng.exponential(2.5 * 86400)) + 3600, "s"))
            t.append(t[-1] + np.timedelta64(int(rng.integers(3600, 2 * 86400)), "s"))
            reached = sum(1 for x in t if x <= end)
            if reached == 5 and rng.random() < 0.04:
                reached = int(rng.integers(1, 5))  # stalled: overdue on the map
            category = str(rng.choice(categories, p=cat_p))
            times = {
                f: (t[i].astype("datetime64[s]").item() if i < reached else None)
                for i, f in enumerate(_STEP_FIELDS)
            }
            rows.append(
                {
                    "id": f"SJ{t[0].astype('datetime64[D]').item():%Y%m%d}{len(rows) + 1:05d}",
                    "grid_id": grid.id,
                    "community_id": grid.community.id,
                    "street_id": grid.community.street.code,
                    "category": category,
                    "status": statuses[reached - 1],
                    **times,
                    "description": str(rng.choice(_EVENT_TEXT[category])) if rng.random() < 0.95 else None,
                    "reporter_phone": mobile(rng) if rng.random() < 0.7 else None,
                    "is_demo": True,
                }
            )
        geoms.extend(shapely.points(pts))  # one call per grid, not per incident (a scaled demo has 100×)
    return rows, geoms


_CATEGORY_P = {
    "aged": 0.3,
    "destitute": 0.14,
    "disabled": 0.2,
    "left_behind_elderly": 0.21,
    "left_behind_child": 0.15,
}


def home_services(world: World, rng: np.random.Generator) -> Rows:
    """People served at home; left-behind people live mostly in villages and rural towns."""
    comms = world.communities
    pop = np.array([c.population for c in comms], dtype=float)
    rural = np.array([0.0 if c.street.urban else 1.0 for c in comms])
    cats = list(_CATEGORY_P)
    rows: list[dict] = []
    geoms: list[BaseGeometry] = []
    today = F.EVENTS_UNTIL.date()
    for k in range(F.HOME_SERVICE_RECIPIENTS):
        cat = str(rng.choice(cats, p=np.array(list(_CATEGORY_P.values()))))
        w = pop * (1 + 4 * rural) if cat.startswith("left_behind") else pop
        comm = comms[int(rng.choice(len(comms), p=w / w.sum()))]
        point, grid = place_in(world, comm.geom, rng)
        service = (
            "tracking"
            if cat == "left_behind_child"
            else str(rng.choice(["housekeeping", "massage", "meal"], p=[0.45, 0.25, 0.3]))
        )
        visits = int(rng.integers(1, 60))
        rows.append(
            {
                "id": f"SMFW{k + 1:04d}",
                "person_name": person_name(rng),
                "phone": mobile(rng) if rng.random() < 0.85 else None,
                "category": cat,
                "service": service,
                "community_id": grid.community.id,
                "street_id": grid.community.street.code,
                "visits": visits,
                "last_visit": today - dt.timedelta(days=int(rng.integers(0, 90)))
                if rng.random() < 0.92
                else None,
                "is_demo": True,
            }
        )
        geoms.append(point)
    return rows, geoms
