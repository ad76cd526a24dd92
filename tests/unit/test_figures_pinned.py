"""Every wall KPI and every per-area metric, pinned on a small dataset checked by hand.

The other metric tests change the data and watch a figure move; these state what the
figure must be. The expected values below are worked out in the comments from the
rows written here, not computed by the code under test.

The data: the minimal district of ``tests.factories`` (2 streets of 12,000 households,
4 communities of 3,000, 8 grids of 1,500; 3 centres, 2 compounds of which one has been
through all seven steps, 2 day-care centres with 900 + 1,200 meals, 2 legal teams, 2
social organisations, 2 building groups, communities C01 and C03 with tele-medicine,
400 party members in each community; online handling 0.908, time limit 0.506), with
its service records, incidents and mediation cases replaced by the rows below.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from geodata.area_metrics import AREA_METRICS, OVERDUE_DAYS, SMALL_CELL, AreaValues, Scope, suppressed
from geodata.metrics import district_kpis, street_kpis
from tests.factories import minimal_frames

NOW = pd.Timestamp("2026-11-27 12:00")
A, B = "610402001", "610402002"


def records(rows: list[tuple]) -> pd.DataFrame:
    columns = ["id", "center_id", "month", "people_served", "business_licences", "catering_permits",
               "workshop_permits", "problems_solved"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame["month"] = pd.to_datetime(frame["month"])
    frame["is_demo"] = True
    return frame


def events(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "grid_id", "community_id", "street_id", "status", "found_at",
                                        "replied_at"])  # fmt: skip
    for column in ("found_at", "replied_at"):
        frame[column] = pd.to_datetime(frame[column])
    frame["category"], frame["description"], frame["is_demo"] = "sanitation", "楼道堆物", True
    return frame


def cases(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "street_id", "community_id", "outcome", "received"])
    frame["received"] = pd.to_datetime(frame["received"])
    frame["level"], frame["round"], frame["case_type"], frame["is_demo"] = "community", 1, "neighbour", True
    return frame


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    out = minimal_frames()
    # Centres SC001 (street A, community C01) and SC003 (street B, C03).
    out["service_records"] = records(
        [
            ("R1", "SC001", "2026-10-01", 30, 2, 1, 0, 4),
            ("R2", "SC001", "2026-11-01", 20, 1, 0, 1, 3),
            ("R3", "SC003", "2026-11-01", 4, 0, 2, 0, 1),
        ]
    )  # people 54, licences 3, catering 3, workshops 1, problems 8; street A 50, street B 4
    out["grid_events"] = events(
        [
            # closed after 2 days
            ("E1", "G02", "C01", A, "replied", "2026-11-01 09:00", "2026-11-03 09:00"),
            # open since 17 days: overdue
            ("E2", "G02", "C01", A, "found", "2026-11-10 12:00", None),
            # open since 2 days: fixed, not yet replied, not overdue
            ("E3", "G03", "C02", A, "fixed", "2026-11-25 12:00", None),
            # closed after 4 days
            ("E4", "G07", "C04", B, "replied", "2026-10-20 08:00", "2026-10-24 08:00"),
        ]
    )  # open 2, overdue 1, closed 2 of 4 = 50.0 %
    out["mediation_cases"] = cases(
        [
            ("M1", A, "C01", "success", "2026-09-01"),
            ("M2", A, "C01", "failed", "2026-09-05"),
            ("M3", A, "C02", "ongoing", "2026-10-01"),
        ]
    )  # mediated (concluded) 2, one settled: 50.0 %; the ongoing one is not yet mediated
    return out


def test_every_wall_kpi(frames):
    shown = {k.name: k.text for k in district_kpis(frames, now=NOW)}
    assert shown == {
        "service_centers": "3",
        "people_served": "54",
        "problems_solved": "8",
        "business_licences": "3",
        "catering_permits": "3",
        "workshop_permits": "1",
        "three_no_compounds": "1 / 2",
        "social_orgs": "2",
        "daycare_centers": "2",
        "meals_delivered": "2,100",
        "legal_teams": "2",
        "disputes_mediated": "2",
        "mediation_success_rate": "50.0%",
        "grid_branches": "8",
        "building_groups": "2",
        "open_incidents": "2",
        "overdue_incidents": "1",
        "closed_loop_rate": "50.0%",
        "online_handling_rate": "90.8%",
        "time_limit_ratio": "50.6%",
        "tele_medicine": "2",
        "party_members": "1,600",
    }


def test_the_overdue_rule_is_seven_days(frames):
    assert OVERDUE_DAYS == 7 and SMALL_CELL == 5
    later = {k.name: k.text for k in district_kpis(frames, now=pd.Timestamp("2026-12-02 12:01"))}
    assert later["overdue_incidents"] == "2"  # E3 is now 7 days and a minute old


def values(frames, metric: str, level: str, **scope) -> dict[str, float]:
    computed = AREA_METRICS[metric].compute(frames, Scope(level, now=NOW, **scope))
    return {k: (None if math.isnan(v) else round(float(v), 4)) for k, v in computed.value.items()}


def test_incident_metrics_per_area(frames):
    # Incidents found: A 3, B 1; per 1,000 of 12,000 households.
    assert values(frames, "incidents_per_1000", "streets") == {A: 0.25, B: 0.0833}
    # Grid G02 has E1 and E2 of 1,500 households; community C02 has E3 of 3,000.
    grids = values(frames, "incidents_per_1000", "grids")
    assert grids["G02"] == 1.3333 and grids["G03"] == 0.6667 and grids["G01"] == 0.0
    assert values(frames, "incidents_per_1000", "communities")["C02"] == 0.3333
    # Open now: E2 and E3 in A, none in B.
    assert values(frames, "open_incidents_per_1000", "streets") == {A: 0.1667, B: 0.0}
    assert values(frames, "overdue_incidents", "streets") == {A: 1.0, B: 0.0}
    # Closed: 1 of A's 3, 1 of B's 1; E1 took 2 days, E4 4 days.
    assert values(frames, "share_closed", "streets") == {A: 0.3333, B: 1.0}
    assert values(frames, "median_days_to_close", "streets") == {A: 2.0, B: 4.0}
    # A date range keeps the incidents found within it: November leaves A's three.
    november = values(frames, "incidents_per_1000", "streets", start=pd.Timestamp("2026-11-01").date())
    assert november == {A: 0.25, B: 0.0}


def test_service_and_mediation_metrics_per_area(frames):
    assert values(frames, "service_volume", "streets") == {A: 50.0, B: 4.0}
    communities = values(frames, "service_volume", "communities")
    assert communities == {"C01": 50.0, "C02": 0.0, "C03": 4.0, "C04": 0.0}
    # Two concluded cases in A, one settled; C02's only case is ongoing: no rate.
    assert values(frames, "mediation_success", "streets") == {A: 0.5, B: None}
    assert values(frames, "mediation_success", "communities") == {"C01": 0.5, "C02": None, "C03": None,
                                                                  "C04": None}  # fmt: skip


def test_the_wall_and_the_staff_map_read_one_figure_the_same_way(frames):
    # The wall's per-street figures are the metrics themselves, suppressed alike: street B's
    # four people served and street A's two concluded cases are too few to show.
    table = street_kpis(frames, NOW)
    assert table.loc[A, "service_volume"] == 50 and math.isnan(table.loc[B, "service_volume"])
    assert math.isnan(table.loc[A, "mediation_success"])
    assert table.loc[A, "open_incidents_per_1000"] == pytest.approx(2 / 12)
    assert table.loc[A, "open_incidents"] == 2 and table.loc[A, "overdue_incidents"] == 1
    for metric in ("service_volume", "open_incidents_per_1000", "mediation_success"):
        chosen = AREA_METRICS[metric]
        staff = suppressed(chosen.compute(frames, Scope("streets", now=NOW)), chosen)
        pd.testing.assert_series_equal(
            table[metric].astype(float), staff.reindex(table.index), check_names=False
        )


def test_every_metric_says_what_it_counts_and_reads_on_its_scale():
    for metric in AREA_METRICS.values():
        assert metric.counts("zh") and metric.counts("en") and metric.label("en")
    assert AREA_METRICS["mediation_success"].format(0.8) == "80%"
    assert AREA_METRICS["share_closed"].format(1.0) == "100%"
    assert AREA_METRICS["service_volume"].format(60321.0) == "60,321"
    assert AREA_METRICS["incidents_per_1000"].format(0.0833) == "0.1"
    assert AREA_METRICS["median_days_to_close"].format(float("nan")) == "—"


def test_a_street_scope_keeps_that_streets_areas_and_records(frames):
    only_a = values(frames, "incidents_per_1000", "communities", street=A)
    assert set(only_a) == {"C01", "C02"}  # street B's communities are not part of the comparison
    assert only_a == {"C01": round(2 / 3, 4), "C02": round(1 / 3, 4)}


def test_a_date_range_drops_records_without_a_date(frames):
    from geodata.area_metrics import in_dates

    dated = pd.DataFrame({"at": pd.to_datetime(["2026-11-01", None, "2026-12-01"])})
    kept = in_dates(dated, "at", None, pd.Timestamp("2026-11-30").date())
    assert kept.index.tolist() == [0]
    assert in_dates(dated, "at", pd.Timestamp("2026-11-15").date(), None).index.tolist() == [2]


def test_an_area_without_households_has_no_rate_and_one_household_has(frames):
    changed = dict(frames)
    grids = frames["grids"].copy()
    grids.loc[grids["id"] == "G02", "households"] = 0
    grids.loc[grids["id"] == "G03", "households"] = 1
    changed["grids"] = grids
    rates = values(changed, "incidents_per_1000", "grids")
    assert rates["G02"] is None and rates["G03"] == 1000.0


def test_metric_names_read_in_the_language_asked_for():
    volume = AREA_METRICS["service_volume"]
    assert (volume.label("zh"), volume.label("en")) == ("服务人次", "People served")
    assert volume.counts("en").startswith("people served") and "服务人次" in volume.counts("zh")


def test_overdue_starts_after_exactly_seven_days():
    from geodata.area_metrics import is_overdue, overdue_cutoff

    found = pd.DataFrame({"status": ["found", "found", "replied"],
                          "found_at": [NOW - pd.Timedelta(days=7), NOW - pd.Timedelta(days=7, seconds=1),
                                       NOW - pd.Timedelta(days=30)]})  # fmt: skip
    assert is_overdue(found, NOW).tolist() == [False, True, False]
    assert overdue_cutoff(NOW) == pd.Timestamp("2026-11-20 12:00")


def test_a_date_range_includes_its_last_day():
    from geodata.area_metrics import in_dates

    dated = pd.DataFrame({"at": pd.to_datetime(["2026-11-30 23:59", "2026-12-01 00:00"])})
    assert in_dates(dated, "at", None, pd.Timestamp("2026-11-30").date()).index.tolist() == [0]


def test_an_incident_found_this_very_moment_is_open(frames):
    changed = dict(frames)
    extra = frames["grid_events"].iloc[[1]].assign(id="E5", found_at=NOW, street_id=B, grid_id="G07")
    changed["grid_events"] = pd.concat([frames["grid_events"], extra], ignore_index=True)
    assert values(changed, "open_incidents_per_1000", "streets")[B] == round(1 / 12, 4)


def test_counts_of_zero_are_shown_and_five_records_are_enough():
    overdue = AREA_METRICS["overdue_incidents"]
    counted = AreaValues(pd.Series([0.0, 3.0]), pd.Series([0.0, 3.0]))
    assert suppressed(counted, overdue).tolist() == [0.0, 3.0]  # no overdue incident is news too
    share = AREA_METRICS["share_closed"]
    rates = AreaValues(pd.Series([0.8, 0.5]), pd.Series([5.0, 4.0]))
    assert suppressed(rates, share).tolist()[0] == 0.8 and math.isnan(suppressed(rates, share).tolist()[1])


def test_metrics_over_plain_frames_judge_open_and_overdue_by_the_clock(frames):
    plain = dict(frames)  # no dataset: no as_of of its own
    today = AREA_METRICS["overdue_incidents"].compute(plain, Scope("streets")).value
    assert today[A] == 2.0  # E2 and E3 are both more than seven days old by now (2026-12 and later)


def test_exact_days_and_single_cases(frames):
    days = AREA_METRICS["median_days_to_close"].compute(frames, Scope("streets", now=NOW)).value
    assert days[A] == 2.0 and days[B] == 4.0  # exactly: 48 and 96 hours
    one = dict(frames)
    one["mediation_cases"] = frames["mediation_cases"].iloc[[0]]  # one settled case in C01
    rate = AREA_METRICS["mediation_success"].compute(one, Scope("communities", now=NOW)).value
    assert rate["C01"] == 1.0  # defined (suppressed on screens, but not undefined)


def test_rates_of_areas_without_incidents_are_shown_as_zero(frames):
    chosen = AREA_METRICS["incidents_per_1000"]
    shown = suppressed(chosen.compute(frames, Scope("grids", now=NOW)), chosen)
    assert shown["G01"] == 0.0  # a grid with no incident reads 0, not "too few records"
