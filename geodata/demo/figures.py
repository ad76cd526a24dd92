"""Every number the demo reproduces, and every redacted one we chose.

Figures marked *source* are printed in the source text and are hit exactly by
the generated records; figures marked *ours* were redacted in the source
(``*``) or absent, and are our plausible choice. :func:`figures_meta` writes
all of them to the GeoPackage's provenance table.
"""

from __future__ import annotations

import datetime as dt

# --- from the source text ------------------------------------------------------
SERVICE_CENTERS = 141
BUSINESS_LICENCES = 4970
CATERING_PERMITS = 2019
WORKSHOP_PERMITS = 292
PEOPLE_SERVED_RANGE = (60_000, 69_999)  # "6万多人次"
PROBLEMS_SOLVED_RANGE = (18_000, 18_999)  # "18000多件"
THREE_NO_COMPLETED = 58  # through all seven steps
SOCIAL_ORGS = 12
DAYCARE_CENTERS = 21
LEGAL_TEAMS = 13
MEDIATION_CLOSED = 1949
MEDIATION_SUCCESS_RATE = 0.80
GRIDS = 424
BUILDING_GROUPS = 715
TELE_MEDICINE_COMMUNITIES = 93
CADRES_REAPPOINTED = 32
PARTY_MEMBERS = 45_991
ONLINE_HANDLING_RATE = 0.908
TIME_LIMIT_RATIO = 0.506

# --- our choices (redacted or absent in the source) ---------------------------------
POPULATION = 350_000
URBAN_COMMUNITIES = {
    "人民路": 12,
    "西兰路": 8,
    "吴家堡": 8,
    "渭阳西路": 16,
    "陈杨寨": 12,
    "古渡": 12,
    "上林": 6,
    "钓台": 8,
    "马泉": 4,
    "渭滨": 6,
    "双照": 2,
    "马庄": 2,
}
VILLAGES = {"上林": 3, "钓台": 2, "马泉": 4, "渭滨": 4, "双照": 4, "马庄": 5}
THREE_NO_IN_PROGRESS = 9
CHILDCARE_CLASSES = 8
INDUSTRY_ALLIANCES = ("医药", "电子", "装备制造", "纺织服装")
BUSINESS_DISTRICT_ALLIANCES = ("人民路商圈", "玉泉路商圈", "统一广场商圈", "世纪大道商圈")
NEW_SECTOR_ALLIANCES = ("律师协会", "人力资源", "快递物流", "网络直播")
INTEREST_CLUBS = ("秦腔", "太极拳", "广场舞", "书法", "摄影", "合唱")
MEDIATION_SUCCESS = 1560  # 1560 / 1949 = 80.04 %
MEDIATION_ONGOING = 36
HOME_SERVICE_RECIPIENTS = 320
GRID_EVENTS = 5200
RECORD_MONTHS = 36
LAST_RECORD_MONTH = dt.date(2026, 10, 1)
EVENTS_UNTIL = dt.datetime(2026, 11, 20, 18, 0)
EVENT_MONTHS = 24
PILOT_STREET = "渭阳西路"


def figures_meta() -> dict[str, str]:
    """Provenance entries naming each figure and whether it is the source's or ours."""
    src = "source text"
    ours = "our choice (redacted or not given in the source)"
    urban = sum(URBAN_COMMUNITIES.values())
    villages = sum(VILLAGES.values())
    entries = {
        "service_centers": (SERVICE_CENTERS, src),
        "business_licences": (BUSINESS_LICENCES, src),
        "catering_permits": (CATERING_PERMITS, src),
        "workshop_permits": (WORKSHOP_PERMITS, src),
        "people_served": ("60,000–69,999 (6万多人次)", src),
        "problems_solved": ("18,000–18,999 (18000多件)", src),
        "three_no_compounds_completed": (f"{THREE_NO_COMPLETED} through all seven steps", src),
        "social_orgs": (SOCIAL_ORGS, src),
        "daycare_centers": (DAYCARE_CENTERS, src),
        "legal_teams": (f"{LEGAL_TEAMS} (one per street plus one district team)", src),
        "mediation_closed": (
            f"{MEDIATION_CLOSED} closed cases, {MEDIATION_SUCCESS} settled "
            f"({MEDIATION_SUCCESS / MEDIATION_CLOSED:.1%})",
            src,
        ),
        "grid_branches": (GRIDS, src),
        "building_groups": (BUILDING_GROUPS, src),
        "tele_medicine_communities": (TELE_MEDICINE_COMMUNITIES, src),
        "cadres_reappointed": (CADRES_REAPPOINTED, src),
        "party_members": (PARTY_MEMBERS, src),
        "online_handling_rate": (ONLINE_HANDLING_RATE, src),
        "time_limit_ratio": (TIME_LIMIT_RATIO, src),
        "population": (f"{POPULATION} (about; the source redacts it)", ours),
        "urban_communities": (f"{urban} ({_per_street(URBAN_COMMUNITIES)})", ours),
        "villages": (f"{villages} ({_per_street(VILLAGES)})", ours),
        "communities_total": (urban + villages, ours),
        "grids_per_community": (
            "apportioned by households, at least 2 per urban community and 1 per village",
            ours,
        ),
        "building_groups_per_grid": ("apportioned by households, at least 1 per grid", ours),
        "three_no_compounds_in_progress": (THREE_NO_IN_PROGRESS, ours),
        "childcare_classes": (CHILDCARE_CLASSES, ours),
        "care_centers": (1, src),
        "alliances_industry": (
            f"{len(INDUSTRY_ALLIANCES)}: {'、'.join(INDUSTRY_ALLIANCES)}",
            "source names 医药, 电子 and the count 4; the rest ours",
        ),
        "alliances_business_district": (
            f"{len(BUSINESS_DISTRICT_ALLIANCES)}: {'、'.join(BUSINESS_DISTRICT_ALLIANCES)}",
            "source names 人民路, 玉泉路 and the count 4; the rest ours",
        ),
        "alliances_new_sector": (
            f"{len(NEW_SECTOR_ALLIANCES)}: {'、'.join(NEW_SECTOR_ALLIANCES)}",
            "source names 律师协会, 人力资源; count and the rest ours",
        ),
        "alliances_interest": (f"{len(INTEREST_CLUBS)}: {'、'.join(INTEREST_CLUBS)}", ours),
        "mediation_ongoing": (MEDIATION_ONGOING, ours),
        "home_service_recipients": (HOME_SERVICE_RECIPIENTS, ours),
        "grid_events": (f"about {GRID_EVENTS} over {EVENT_MONTHS} months to {EVENTS_UNTIL:%Y-%m-%d}", ours),
        "record_months": (f"{RECORD_MONTHS} months to {LAST_RECORD_MONTH:%Y-%m}", ours),
    }
    return {f"figure.{k}": f"{v} — {origin}" for k, (v, origin) in entries.items()}


def _per_street(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())
