"""The staff workspace's figures: filters, tables, choropleths, gaps and links, from the data."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard import permalink
from dashboard.choropleth import METRICS, SUPPRESSED_COLOR, AreaValues, classify
from dashboard.finder import build_finder
from dashboard.gaps import WalkTimes, block_households, coverage, gap_summary
from dashboard.workspace import (
    TABLES,
    Filters,
    PlaceTree,
    chart_counts,
    filtered,
    grid_options,
    map_hideout_filters,
)
from geodata.area_metrics import Scope
from geodata.metrics import SMALL_CELL
from geodata.schema import layer as schema_layer
from geodata.schema import split_codes


@pytest.fixture(scope="module")
def places(demo_dataset) -> PlaceTree:
    return PlaceTree.of(demo_dataset)


def with_frames(dataset, **frames):
    """A copy of the dataset with some layers replaced (the data changed)."""
    return dataclasses.replace(dataset, frames={**dataset.frames, **frames})


def test_filters_keep_only_places_that_exist_and_nest(demo_dataset, places):
    grids = demo_dataset["grids"]
    g = grids.iloc[10]
    other_street = next(s for s in places.streets if s != g["street_id"])
    ok = Filters.from_browser(places, None, g["street_id"], g["community_id"], g["id"])
    assert (ok.street, ok.community, ok.grid) == (g["street_id"], g["community_id"], g["id"])
    # A community of another street, or a grid of another community, is dropped.
    forged = Filters.from_browser(places, None, other_street, g["community_id"], g["id"])
    assert forged.street == other_street and forged.community is None and forged.grid is None
    junk = Filters.from_browser(
        places, TABLES["grid_events"], ["x"], {"a": 1}, 5, "yesterday", "2026-13-45",
        {"status": ["found", "<script>"], "category": 7, "nope": ["x"]}, [0, 0, "a", 1],
    )  # fmt: skip
    assert junk == Filters(fields={"status": ("found",)})


def test_table_filters_agree_with_pandas(demo_dataset, places):
    events = demo_dataset["grid_events"]
    street = sorted(places.streets)[2]
    f = Filters.from_browser(
        places, TABLES["grid_events"], street, start="2026-06-01", end="2026-11-30",
        fields={"status": ["found", "assigned", "fixed"]},
    )  # fmt: skip
    got = filtered(demo_dataset, TABLES["grid_events"], f)
    day = pd.to_datetime(events["found_at"]).dt.date
    expected = events[
        (events["street_id"] == street)
        & (day >= dt.date(2026, 6, 1))
        & (day <= dt.date(2026, 11, 30))
        & events["status"].isin(["found", "assigned", "fixed"])
    ]
    assert list(got["id"]) == list(expected["id"]) and len(got) > 0
    rows = events.index.get_indexer(got.index)
    counts = chart_counts(demo_dataset, TABLES["grid_events"], rows)
    assert counts.sum() == len(got)
    by_status = got["status"].value_counts()
    found = schema_layer("grid_events").field("status").choice_label("found", "zh")
    assert counts[found] == by_status["found"]


def test_a_service_filter_keeps_centres_offering_any_of_the_services(demo_dataset, places):
    f = Filters.from_browser(
        places, TABLES["service_centers"], fields={"services": ["legal_advice", "mediation"]}
    )
    got = filtered(demo_dataset, TABLES["service_centers"], f)
    offers = demo_dataset["service_centers"]["services"].map(split_codes)
    expected = offers.map(lambda s: "legal_advice" in s or "mediation" in s).sum()
    assert len(got) == expected and 0 < expected < len(offers)


def test_a_grid_filter_places_compounds_by_their_position(demo_dataset, places):
    compounds, grids = demo_dataset["three_no_compounds"], demo_dataset["grids"]
    located = compounds.sjoin(grids[["id", "geometry"]], predicate="within")
    grid_id = located["id_right"].value_counts().index[0]
    community = grids.loc[grids["id"] == grid_id, "community_id"].iloc[0]
    f = Filters.from_browser(places, TABLES["three_no_compounds"], grid=grid_id, community=community)
    got = filtered(demo_dataset, TABLES["three_no_compounds"], f)
    assert set(got["id"]) == set(located.loc[located["id_right"] == grid_id, "id_left"])


def test_in_view_only_keeps_points_inside_the_bounds(demo_dataset, places):
    centres = demo_dataset["service_centers"]
    w, s, e, n = 108.68, 34.32, 108.72, 34.35
    f = Filters.from_browser(places, TABLES["service_centers"], bbox=[w, s, e, n])
    got = filtered(demo_dataset, TABLES["service_centers"], f)
    x, y = centres.geometry.x, centres.geometry.y
    assert len(got) == int(((x >= w) & (x <= e) & (y >= s) & (y <= n)).sum()) > 0


def test_map_filters_use_only_properties_the_layer_carries(places):
    f = Filters.from_browser(
        places, TABLES["grid_events"], sorted(places.streets)[0], start="2026-11-01", end="2026-11-20",
        fields={"status": ["found"]},
    )  # fmt: skip
    events = map_hideout_filters(TABLES["grid_events"], f, "grid_events", {"street_id", "status", "found_at"})
    assert events["filters"] == {"street_id": f.street, "status": ["found"]}
    assert events["ranges"] == {"found_at": ["2026-11-01", "2026-11-21"]}  # the whole last day
    # Another layer is filtered by place only, and not by a field it lacks.
    centres = map_hideout_filters(TABLES["grid_events"], f, "service_centers", {"street_id", "services"})
    assert centres == {"filters": {"street_id": f.street}, "ranges": {}}
    streets = map_hideout_filters(TABLES["grid_events"], f, "streets", {"id", "managed_by"})
    assert streets["filters"] == {"id": f.street}


def test_grid_choices_follow_the_community(demo_dataset):
    grids = demo_dataset["grids"]
    community = grids["community_id"].iloc[0]
    options = grid_options(demo_dataset, None, community)
    assert {o["value"] for o in options} == set(grids.loc[grids["community_id"] == community, "id"])
    assert grid_options(demo_dataset, None, None) == []


# ---- choropleths --------------------------------------------------------------------------


def test_incidents_per_thousand_households_are_computed_from_the_records(demo_dataset):
    values = METRICS["incidents_per_1000"].compute(demo_dataset, Scope("grids"))
    events, grids = demo_dataset["grid_events"], demo_dataset["grids"]
    for _, g in grids.sample(20, random_state=1).iterrows():
        n = int((events["grid_id"] == g["id"]).sum())
        assert values.records[g["id"]] == n
        assert values.value[g["id"]] == pytest.approx(n / g["households"] * 1000)


def test_share_closed_follows_the_data(demo_dataset):
    events = demo_dataset["grid_events"]
    grid = events["grid_id"].value_counts().index[0]
    before = METRICS["share_closed"].compute(demo_dataset, Scope("grids")).value[grid]
    assert before < 1
    changed = events.copy()
    changed.loc[changed["grid_id"] == grid, "status"] = "replied"
    after = METRICS["share_closed"].compute(with_frames(demo_dataset, grid_events=changed), Scope("grids"))
    assert after.value[grid] == 1


def test_mediation_success_rate_per_street_matches_the_cases(demo_dataset):
    cases = demo_dataset["mediation_cases"]
    values = METRICS["mediation_success"].compute(demo_dataset, Scope("streets"))
    for street, group in cases.groupby("street_id"):
        closed = group[group["outcome"].isin(["success", "failed"])]
        assert values.value[street] == pytest.approx((closed["outcome"] == "success").mean())


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks"])
def test_classes_hold_their_values_and_small_cells_are_suppressed(demo_dataset, scheme):
    values = METRICS["median_days_to_close"].compute(demo_dataset, Scope("grids"))
    # Thin out one grid's records so that it must be suppressed.
    result = classify(values, SMALL_CELL, scheme)
    classes = [row for row in result.legend if row.kind == "class"]
    assert 1 < len(classes) <= 5
    for area, value in result.values.items():
        color = result.colors[area]
        row = next(r for r in classes if r.color == color)
        assert row.lower - 1e-9 <= value <= row.upper + 1e-9
    assert sum(r.count for r in result.legend) == len(values.value)
    few = set(values.records.index[(values.records < SMALL_CELL) & values.value.notna()])
    assert result.suppressed == few
    assert all(result.colors[a] == SUPPRESSED_COLOR for a in few)
    assert not few & set(result.values)


def test_suppression_appears_when_records_are_few():
    values = AreaValues(pd.Series([50.0, 60.0, 70.0, 80.0]), pd.Series([40.0, 30.0, 2.0, 20.0]))
    result = classify(values, SMALL_CELL)
    assert result.suppressed == {"2"} and result.colors["2"] == SUPPRESSED_COLOR


# ---- gaps -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk_times(demo_dataset) -> WalkTimes:
    return WalkTimes(demo_dataset, build_finder(demo_dataset))


def test_households_of_the_blocks_add_up_to_the_grids(demo_dataset):
    shares = block_households(demo_dataset)
    blocks, grids = demo_dataset["building_groups"], demo_dataset["grids"]
    per_grid = shares.groupby(blocks["grid_id"].to_numpy()).sum()
    with_blocks = grids.set_index("id")["households"].reindex(per_grid.index)
    assert np.allclose(per_grid.to_numpy(), with_blocks.to_numpy())


def test_gap_summary_counts_blocks_beyond_the_walk(demo_dataset, walk_times):
    minutes = walk_times.minutes("legal_aid")
    summary = gap_summary(demo_dataset, walk_times, "legal_aid", 10, None)
    assert summary.blocks_beyond == int((minutes > 10).sum()) > 0
    households = block_households(demo_dataset)
    assert summary.households_beyond == round(households[minutes > 10].sum())
    wider = gap_summary(demo_dataset, walk_times, "legal_aid", 30, None)
    assert wider.blocks_beyond <= summary.blocks_beyond


def test_removing_centres_widens_the_gaps(demo_dataset, walk_times):
    centres = demo_dataset["service_centers"]
    fewer = with_frames(demo_dataset, service_centers=centres.iloc[::2])
    thin = WalkTimes(fewer, build_finder(fewer))
    before = gap_summary(demo_dataset, walk_times, "any", 15, None)
    after = gap_summary(fewer, thin, "any", 15, None)
    assert after.blocks_beyond > before.blocks_beyond
    share = coverage(fewer, thin, "any", 15, "streets", None).value
    assert ((share >= 0) & (share <= 100)).all()


# ---- permalinks ------------------------------------------------------------------------------


def test_a_link_round_trips_the_state():
    state = permalink.StaffState(
        layers=("service_centers", "grid_events"),
        street="610402004",
        table="mediation_cases",
        fields={"round": ("3",), "level": ("street", "district")},
        start="2026-01-01",
        metric="share_closed",
        level="communities",
        scheme="natural_breaks",
        gap="legal_aid",
        minutes=10,
        in_view=True,
        view=(34.33, 108.71, 14.5),
        selected="TJ001",
    )
    assert permalink.parse(permalink.compose(state)) == state


@pytest.mark.parametrize("query", ["", "?", "view=1,2", "view=a,b,c", "minutes=x&layers=", "f.=1&%ZZ"])
def test_a_broken_link_still_opens(query):
    state = permalink.parse(query)
    assert state.view is None and state.minutes is None


def test_time_slider_steps_are_months_or_weeks_and_hold_a_date_range():
    from dashboard.workspace import date_steps, steps_between

    months = date_steps((dt.date(2025, 9, 5), dt.date(2026, 11, 20)))
    assert months[0] == dt.date(2025, 9, 1) and months[-1] == dt.date(2026, 11, 1) and len(months) == 15
    assert all(m.day == 1 for m in months)
    weeks = date_steps((dt.date(2026, 8, 23), dt.date(2026, 11, 20)))  # under four months: weeks
    assert weeks[0] == dt.date(2026, 8, 17) and all(w.weekday() == 0 for w in weeks)
    assert weeks[-1] <= dt.date(2026, 11, 20) < weeks[-1] + dt.timedelta(days=7)
    assert date_steps(None) == []
    assert steps_between(months, None, None) == [0, 14]
    assert steps_between(months, dt.date(2025, 11, 15), dt.date(2026, 2, 28)) == [2, 5]
    assert steps_between(months, dt.date(2026, 3, 1), None) == [6, 14]
