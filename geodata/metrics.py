"""Figures computed from the records, never typed in: the KPIs every face shows.

Each function takes the loaded layers and returns plain numbers, so that the wall,
the staff workspace and the tests all compute a figure the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from geodata.area_metrics import (
    SMALL_CELL,
    Scope,
    area_metric,
    concluded_cases,
    is_open,
    is_overdue,
    suppressed,
)
from geodata.schema import INCUBATION_STEPS, split_codes

Frames = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class Kpi:
    """One headline figure.

    ``value`` is the number; ``text`` is how a tile shows it (and what the tile's
    ``data-kpi`` carries); ``of`` is an optional total it is a part of.
    """

    name: str
    zh: str
    en: str
    value: float
    text: str
    unit_zh: str = ""
    unit_en: str = ""

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def unit(self, lang: str) -> str:
        return self.unit_zh if lang == "zh" else self.unit_en


def _int_kpi(name: str, zh: str, en: str, value: int, unit_zh: str = "", unit_en: str = "") -> Kpi:
    return Kpi(name, zh, en, float(value), f"{int(value):,}", unit_zh, unit_en)


def _rate_kpi(name: str, zh: str, en: str, value: float | None) -> Kpi:
    text = "—" if value is None else f"{value * 100:.1f}%"
    return Kpi(name, zh, en, float("nan") if value is None else value, text)


def completed_compounds(compounds: pd.DataFrame) -> int:
    """Three-no compounds that have been through all seven incubation steps."""
    last = f"date_{len(INCUBATION_STEPS)}"
    done = (compounds["stage"] == INCUBATION_STEPS[-1].value) & compounds[last].notna()
    return int(done.sum())


def mediation_summary(cases: pd.DataFrame) -> tuple[int, float | None]:
    """(disputes mediated to a close, share of those settled)."""
    closed = concluded_cases(cases)
    if closed.empty:
        return 0, None
    return len(closed), float((closed["outcome"] == "success").mean())


def event_summary(events: pd.DataFrame, now: pd.Timestamp) -> dict[str, float]:
    """Open and overdue smart-grid incidents and the closed-loop rate.

    An incident is closed once it has been replied to; overdue is
    :func:`geodata.area_metrics.is_overdue` (still open seven days after it was found).
    """
    open_ = is_open(events)
    total = len(events)
    return {
        "open": int(open_.sum()),
        "overdue": int(is_overdue(events, now).sum()),
        "closed_rate": float((~open_).mean()) if total else float("nan"),
    }


def service_totals(records: pd.DataFrame) -> dict[str, int]:
    cols = ["people_served", "business_licences", "catering_permits", "workshop_permits", "problems_solved"]
    return {c: int(records[c].sum()) for c in cols}


def centers_offering(centers: pd.DataFrame, service: str | None) -> int:
    """How many service centres offer ``service`` (all centres when None)."""
    if not service:
        return len(centers)
    return int(centers["services"].map(lambda v: service in split_codes(v)).sum())


def district_kpis(frames: Frames, now: pd.Timestamp | None = None) -> list[Kpi]:
    """Every headline KPI of the district, computed from the layers."""
    now = now if now is not None else pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None)
    services = service_totals(frames["service_records"])
    mediated, success = mediation_summary(frames["mediation_cases"])
    events = event_summary(frames["grid_events"], now)
    compounds = frames["three_no_compounds"]
    district = frames["district"].iloc[0]
    communities = frames["communities"]
    return [
        _int_kpi(
            "service_centers", "心心秦家服务中心", "Service centres", len(frames["service_centers"]), "个"
        ),
        _int_kpi("people_served", "服务群众", "People served", services["people_served"], "人次"),
        _int_kpi("problems_solved", "解决急难愁盼", "Problems solved", services["problems_solved"], "件"),
        _int_kpi(
            "business_licences", "个体工商执照", "Business licences", services["business_licences"], "户"
        ),
        _int_kpi("catering_permits", "小餐饮许可证", "Catering permits", services["catering_permits"], "户"),
        _int_kpi("workshop_permits", "小作坊许可证", "Workshop permits", services["workshop_permits"], "户"),
        Kpi(
            "three_no_compounds",
            "三无小区完成七步孵化",
            "Compounds done",
            float(completed_compounds(compounds)),
            f"{completed_compounds(compounds):,} / {len(compounds):,}",
            "个",
        ),
        _int_kpi("social_orgs", "孵化社会组织", "Social organisations", len(frames["social_orgs"]), "个"),
        _int_kpi("daycare_centers", "日间照料中心", "Day-care centres", len(frames["daycare_centers"]), "家"),
        _int_kpi(
            "meals_delivered",
            "上门配餐",
            "Meals delivered",
            int(frames["meal_deliveries"]["meals"].sum()),
            "份",
        ),
        _int_kpi("legal_teams", "党员法律服务队", "Legal teams", len(frames["legal_teams"]), "支"),
        _int_kpi("disputes_mediated", "调解矛盾纠纷", "Disputes mediated", mediated, "件"),
        _rate_kpi("mediation_success_rate", "调解成功率", "Mediation success rate", success),
        _int_kpi("grid_branches", "网格党支部", "Grid party branches", len(frames["grids"]), "个"),
        _int_kpi(
            "building_groups", "楼栋党小组", "Building party groups", len(frames["building_groups"]), "个"
        ),
        _int_kpi("open_incidents", "在办网格事件", "Open incidents", events["open"], "件"),
        _int_kpi("overdue_incidents", "超期事件", "Overdue incidents", events["overdue"], "件"),
        _rate_kpi("closed_loop_rate", "闭环办结率", "Closed-loop rate", events["closed_rate"]),
        _rate_kpi(
            "online_handling_rate", "网办率", "Online handling rate", float(district["online_handling_rate"])
        ),
        _rate_kpi(
            "time_limit_ratio",
            "业务时限压缩至",
            "Time limit compressed to",
            float(district["time_limit_ratio"]),
        ),
        _int_kpi(
            "tele_medicine",
            "云医院社区",
            "Tele-medicine",
            int(communities["tele_medicine"].astype(bool).sum()),
            "个",
        ),
        _int_kpi(
            "party_members",
            "区域化党建党员",
            "Regional party members",
            int(communities["party_members"].sum()),
            "名",
        ),
    ]


# ---- wall panels and per-street figures -----------------------------------------------

MEDIATION_LEVEL_ORDER = ("community", "street", "district")
"""Levels as a dispute climbs them: most end where they start, in the community."""
MEDIATION_ROUNDS = (1, 2, 3)


def mediation_funnel(cases: pd.DataFrame) -> pd.DataFrame:
    """Cases per mediation level (rows, community → district) and round (columns 1–3)."""
    table = pd.crosstab(cases["level"], cases["round"]) if len(cases) else pd.DataFrame()
    return (
        table.reindex(index=list(MEDIATION_LEVEL_ORDER), columns=list(MEDIATION_ROUNDS), fill_value=0)
        .fillna(0)
        .astype(int)
    )


def mediation_outcomes(cases: pd.DataFrame) -> dict[str, int]:
    """Cases per outcome: settled, not settled, still in progress."""
    counts = cases["outcome"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("success", "failed", "ongoing")}


def month_floor(values: pd.Series) -> pd.Series:
    """The first day of each timestamp's month (NaT stays NaT)."""
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp()


def last_months(now: pd.Timestamp, n: int) -> pd.DatetimeIndex:
    """The first days of the ``n`` months ending with the month of ``now``."""
    end = pd.Timestamp(now).to_period("M").to_timestamp()
    return pd.date_range(end=end, periods=n, freq="MS")


def incidents_by_month(events: pd.DataFrame, now: pd.Timestamp, months: int = 12) -> pd.DataFrame:
    """Smart-grid incidents found and closed per month, with the median days to close.

    ``closed`` counts incidents replied to in that month; ``median_days`` is the median
    time from found to reply of those (NaN in a month that closed none).
    """
    index = last_months(now, months)
    found = month_floor(events["found_at"]).value_counts()
    replied = pd.to_datetime(events["replied_at"])
    done = events[replied.notna()]
    closed_month = month_floor(done["replied_at"])
    days = (pd.to_datetime(done["replied_at"]) - pd.to_datetime(done["found_at"])).dt.total_seconds() / 86400
    median = days.groupby(closed_month).median()
    return pd.DataFrame(
        {
            "found": found.reindex(index, fill_value=0).astype(int),
            "closed": closed_month.value_counts().reindex(index, fill_value=0).astype(int),
            "median_days": median.reindex(index),
        },
        index=index,
    )


def incubation_pipeline(compounds: pd.DataFrame) -> pd.Series:
    """Three-no compounds at each of the seven incubation steps, in step order."""
    steps = [c.value for c in INCUBATION_STEPS]
    return compounds["stage"].value_counts().reindex(steps, fill_value=0).astype(int)


def meals_by_month(deliveries: pd.DataFrame, now: pd.Timestamp, months: int = 12) -> pd.Series:
    """Day-care meals delivered per month over the ``months`` months up to ``now``."""
    per_month = deliveries.groupby(month_floor(deliveries["month"]))["meals"].sum()
    end = pd.Timestamp(now)
    if not per_month.empty:
        # Meals are booked a month at a time: end with the last booked month, not an empty one.
        end = min(end, per_month.index.max())
    index = last_months(end, months)
    return per_month.reindex(index, fill_value=0).astype(int)


def suppress_small(value: float | None, minimum: int = SMALL_CELL) -> float | None:
    """``value`` unless it counts fewer than ``minimum`` people (then None: shown as "—")."""
    if value is None or pd.isna(value) or value < minimum:
        return None
    return value


WALL_METRICS: tuple[str, ...] = ("service_volume", "open_incidents_per_1000", "mediation_success")
"""Metrics the wall offers for colouring the streets (``?metric=``), from
:data:`geodata.area_metrics.AREA_METRICS`; the wall takes any other metric of it too."""


def street_kpis(frames: Frames, now: pd.Timestamp) -> pd.DataFrame:
    """Each street's own figures for the wall's tour, one row per street id.

    Counts of people (people served, mediation cases and the rate computed from them)
    below :data:`SMALL_CELL` are NaN, so that no screen shows them. The wall's metrics
    come from :data:`geodata.area_metrics.AREA_METRICS`, so they read as the staff
    choropleth reads them.

    Columns: name, name_en, centers, people_served, problems_solved, open_incidents,
    overdue_incidents, households, mediation_cases, compounds, compounds_done, grids,
    daycare_centers, and one per :data:`WALL_METRICS` id.
    """
    streets = frames["streets"].set_index("id")
    idx = streets.index
    centers = frames["service_centers"]
    records = frames["service_records"]
    street_of_center = centers.set_index("id")["street_id"]
    by_street = records.groupby(records["center_id"].map(street_of_center))
    events = frames["grid_events"]
    cases = frames["mediation_cases"]
    compounds = frames["three_no_compounds"]
    last = f"date_{len(INCUBATION_STEPS)}"
    done = compounds[(compounds["stage"] == INCUBATION_STEPS[-1].value) & compounds[last].notna()]

    def count(frame: pd.DataFrame, key: str = "street_id") -> pd.Series:
        return frame.groupby(key).size().reindex(idx, fill_value=0).astype(int)

    out = pd.DataFrame(index=idx)
    out["name"] = streets["name"]
    out["name_en"] = streets["name_en"]
    out["centers"] = count(centers)
    out["problems_solved"] = by_street["problems_solved"].sum().reindex(idx, fill_value=0).astype(float)
    out["open_incidents"] = count(events[is_open(events)])
    out["overdue_incidents"] = count(events[is_overdue(events, now)])
    out["households"] = streets["households"].astype(int)
    out["mediation_cases"] = count(cases).astype(float)
    out["compounds"] = count(compounds)
    out["compounds_done"] = count(done)
    out["grids"] = count(frames["grids"])
    out["daycare_centers"] = count(frames["daycare_centers"])
    for metric in WALL_METRICS:
        out[metric] = street_metric(frames, metric, now).reindex(idx)
    out["people_served"] = out["service_volume"]
    for column in ("problems_solved", "mediation_cases"):
        out[column] = out[column].where(out[column] >= SMALL_CELL)
    return out


def street_metric(frames: Frames, metric: str, now: pd.Timestamp) -> pd.Series:
    """One of :data:`geodata.area_metrics.AREA_METRICS` per street id, NaN where
    suppressed or undefined; ValueError for an unknown metric."""
    chosen = area_metric(metric)
    return suppressed(chosen.compute(frames, Scope("streets", now=now)), chosen)

