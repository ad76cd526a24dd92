"""Figures computed from the records, never typed in: the KPIs every face shows.

Each function takes the loaded layers and returns plain numbers, so that the wall,
the staff workspace and the tests all compute a figure the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from geodata.schema import INCUBATION_STEPS, split_codes

Frames = Mapping[str, pd.DataFrame]

SMALL_CELL = 5
"""Aggregates of fewer people than this are suppressed on shared screens."""


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
    closed = cases[cases["outcome"].isin(["success", "failed"])]
    if closed.empty:
        return 0, None
    return len(closed), float((closed["outcome"] == "success").mean())


def event_summary(events: pd.DataFrame, now: pd.Timestamp, overdue_days: float = 7) -> dict[str, float]:
    """Open and overdue smart-grid incidents and the closed-loop rate.

    An incident is closed once it has been replied to; it is overdue when it is
    still open ``overdue_days`` after it was found.
    """
    closed = events["status"] == "replied"
    open_ = ~closed
    age = now - pd.to_datetime(events["found_at"])
    overdue = open_ & (age > pd.Timedelta(days=overdue_days))
    total = len(events)
    return {
        "open": int(open_.sum()),
        "overdue": int(overdue.sum()),
        "closed_rate": float(closed.mean()) if total else float("nan"),
    }


def service_totals(records: pd.DataFrame) -> dict[str, int]:
    cols = ["people_served", "business_licences", "catering_permits", "workshop_permits", "problems_solved"]
    return {c: int(records[c].sum()) for c in cols}


def centers_offering(centers: pd.DataFrame, service: str | None) -> int:
    """How many service centres offer ``service`` (all centres when None)."""
    if not service:
        return len(centers)
    return int(centers["services"].map(lambda v: service in split_codes(v)).sum())


def service_volume_by_street(records: pd.DataFrame, centers: pd.DataFrame) -> pd.Series:
    """People served per street id (via each record's centre)."""
    street_of = centers.set_index("id")["street_id"]
    return records.groupby(records["center_id"].map(street_of))["people_served"].sum().astype(int)


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
            "Compounds through all 7 steps",
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
            "Tele-medicine communities",
            int(communities["tele_medicine"].astype(bool).sum()),
            "个",
        ),
        _int_kpi(
            "party_members",
            "区域化党建党员",
            "Party members in regional party building",
            int(communities["party_members"].sum()),
            "名",
        ),
    ]
