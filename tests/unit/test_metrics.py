"""KPIs come from the records: change the data and the figure changes with it."""

import pandas as pd

from geodata.metrics import centers_offering, district_kpis, mediation_summary
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
