"""KPIs come from the records: change the data and the figure changes with it."""

import pandas as pd
import pytest

from geodata.metrics import (
    centers_offering,
    district_kpis,
    incidents_by_month,
    incubation_pipeline,
    meals_by_month,
    mediation_funnel,
    mediation_outcomes,
    mediation_summary,
    street_kpis,
    street_metric,
    suppress_small,
)
from tests.factories import minimal_frames

NOW = pd.Timestamp("2026-11-27 12:00")


def kpis(frames) -> dict[str, str]:
    return {k.name: k.text for k in district_kpis(frames, now=NOW)}


def test_removing_a_centre_lowers_the_centre_count():
    frames = minimal_frames()
    before = kpis(frames)["service_centers"]
    frames["service_centers"] = frames["service_centers"].iloc[1:]
    assert int(before) - 1 == int(kpis(frames)["service_centers"])


def test_new_mediation_cases_move_the_count_and_the_success_rate():
    frames = minimal_frames()
    cases = frames["mediation_cases"]
    mediated, rate = mediation_summary(cases)
    extra = pd.concat([cases.iloc[[0]]] * 10, ignore_index=True)
    extra["id"] = [f"EXTRA{i}" for i in range(10)]
    extra["outcome"] = "failed"
    frames["mediation_cases"] = pd.concat([cases, extra], ignore_index=True)
    new_mediated, new_rate = mediation_summary(frames["mediation_cases"])
    assert new_mediated == mediated + 10
    successes = round(rate * mediated)
    assert new_rate == successes / (mediated + 10)
    assert kpis(frames)["mediation_success_rate"] == f"{new_rate * 100:.1f}%"


def test_service_sums_follow_the_records():
    frames = minimal_frames()
    records = frames["service_records"].copy()
    records.loc[records.index[0], "business_licences"] += 7
    before = int(kpis(frames)["business_licences"].replace(",", ""))
    frames["service_records"] = records
    assert int(kpis(frames)["business_licences"].replace(",", "")) == before + 7


def test_centres_offering_a_service_counts_codes_not_substrings():
    centers = pd.DataFrame({"services": ["phone_charging;legal_advice", "phone_charging", None]})
    assert centers_offering(centers, "legal_advice") == 1
    assert centers_offering(centers, "legal") == 0
    assert centers_offering(centers, None) == 3


def test_an_incident_open_past_the_limit_is_overdue():
    frames = minimal_frames()
    events = frames["grid_events"].copy()
    events["status"] = "assigned"
    events["found_at"] = [NOW - pd.Timedelta(days=10), NOW - pd.Timedelta(days=1)] + [NOW] * (len(events) - 2)
    frames["grid_events"] = events
    k = kpis(frames)
    assert k["open_incidents"] == str(len(events)) and k["overdue_incidents"] == "1"


# ---- wall panels and per-street figures -------------------------------------------------


def test_mediation_funnel_counts_cases_by_level_and_round():
    frames = minimal_frames()
    cases = frames["mediation_cases"]
    before = mediation_funnel(cases)
    assert list(before.index) == ["community", "street", "district"] and list(before.columns) == [1, 2, 3]
    assert int(before.to_numpy().sum()) == len(cases)
    extra = cases.iloc[[0]].assign(id="EXTRA", level="district", round=3, outcome="failed")
    after = mediation_funnel(pd.concat([cases, extra], ignore_index=True))
    assert after.loc["district", 3] == before.loc["district", 3] + 1
    assert mediation_outcomes(pd.concat([cases, extra]))["failed"] == mediation_outcomes(cases)["failed"] + 1


def test_incidents_by_month_counts_found_and_closed_and_the_median_days():
    events = pd.DataFrame(
        {
            "found_at": pd.to_datetime(["2026-10-01", "2026-10-05", "2026-11-02", "2026-11-03"]),
            "replied_at": pd.to_datetime(["2026-10-03", "2026-11-04", "2026-11-06", None]),
            "status": ["replied", "replied", "replied", "found"],
        }
    )
    table = incidents_by_month(events, NOW, months=3)
    assert list(table.index.strftime("%Y-%m")) == ["2026-09", "2026-10", "2026-11"]
    assert table["found"].tolist() == [0, 2, 2]
    assert table["closed"].tolist() == [0, 1, 2]
    assert table.loc["2026-10-01", "median_days"] == 2
    assert table.loc["2026-11-01", "median_days"] == (30 + 4) / 2
    assert pd.isna(table.loc["2026-09-01", "median_days"])


def test_incubation_pipeline_follows_each_compounds_stage():
    frames = minimal_frames()
    compounds = frames["three_no_compounds"].copy()
    steps = incubation_pipeline(compounds)
    assert list(steps.index) == ["征", "提", "审", "推", "签", "评", "聘"]
    assert steps["审"] == 1 and steps["聘"] == 1 and steps.sum() == len(compounds)
    compounds.loc[compounds.index[0], "stage"] = "签"
    moved = incubation_pipeline(compounds)
    assert moved["审"] == 0 and moved["签"] == 1


def test_meals_by_month_sums_every_centre_and_ends_with_the_last_booked_month():
    deliveries = pd.DataFrame(
        {
            "month": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-10-01"]),
            "meals": [100, 30, 40],
        }
    )
    meals = meals_by_month(deliveries, NOW, months=3)
    assert list(meals.index.strftime("%Y-%m")) == ["2026-08", "2026-09", "2026-10"]
    assert meals.tolist() == [0, 100, 70]


def test_street_kpis_follow_the_records_and_suppress_small_counts():
    frames = minimal_frames()
    table = street_kpis(frames, NOW)
    assert set(table.index) == set(frames["streets"]["id"])
    centers = frames["service_centers"]
    for sid, row in table.iterrows():
        assert row["centers"] == int((centers["street_id"] == sid).sum())
        assert row["grids"] == int((frames["grids"]["street_id"] == sid).sum())
    # the fixture's streets have fewer than five mediation cases: count and rate are suppressed
    assert table["mediation_cases"].isna().all() and table["mediation_success"].isna().all()
    cases = frames["mediation_cases"]
    sid = "610402001"
    many = pd.concat([cases.iloc[[0]]] * 6, ignore_index=True).assign(
        id=[f"M{i}" for i in range(6)], street_id=sid, outcome=["success"] * 5 + ["failed"]
    )
    frames["mediation_cases"] = many
    table = street_kpis(frames, NOW)
    assert table.loc[sid, "mediation_cases"] == 6
    assert table.loc[sid, "mediation_success"] == 5 / 6


def test_people_served_below_five_is_never_shown():
    frames = minimal_frames()
    records = frames["service_records"].copy()
    records["people_served"] = 1
    frames["service_records"] = records
    assert street_kpis(frames, NOW)["people_served"].isna().all()
    records["people_served"] = 50
    assert (street_kpis(frames, NOW)["people_served"].dropna() >= 50).all()
    assert suppress_small(4) is None and suppress_small(5) == 5


def test_street_metric_open_incidents_per_thousand_households():
    frames = minimal_frames()
    events = frames["grid_events"].copy()
    events["status"] = "found"
    events["street_id"] = "610402002"
    frames["grid_events"] = events
    rate = street_metric(frames, "open_incidents_per_1000", NOW)
    assert rate["610402002"] == len(events) / 12_000 * 1000
    assert rate["610402001"] == 0
    # Replying to one closes it: it leaves the open rate, not the rate of all incidents.
    events.loc[events.index[0], "status"] = "replied"
    assert street_metric(frames, "open_incidents_per_1000", NOW)["610402002"] == (len(events) - 1) / 12
    assert street_metric(frames, "incidents_per_1000", NOW)["610402002"] == len(events) / 12
    with pytest.raises(ValueError):
        street_metric(frames, "nonsense", NOW)
