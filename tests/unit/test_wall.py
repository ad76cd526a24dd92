"""The wall's pure parts: metric choice, colours, tour cards, refresh and the version route."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from dashboard import create_app
from dashboard import wall_panels as panels
from dashboard.pages import wall
from tests.conftest import client_login, make_settings
from tests.factories import write_minimal


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(make_settings(write_minimal(tmp_path_factory.mktemp("wall") / "minimal.gpkg")))


def text_of(component) -> str:
    """All text inside a Dash component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else text_of(children)


def test_metric_comes_from_the_url_and_falls_back_to_service_volume():
    assert wall.pick_metric("?tour=5&metric=mediation_success") == "mediation_success"
    assert wall.pick_metric("?metric=incidents_per_1000") == "incidents_per_1000"
    assert wall.pick_metric("?metric=<script>") == wall.DEFAULT_METRIC
    assert wall.pick_metric(None) == wall.DEFAULT_METRIC


def test_streets_without_a_value_are_grey_and_the_others_ranked():
    values = pd.Series({"a": 1.0, "b": float("nan"), "c": 3.0})
    colors, _ = wall.metric_colors(values)
    assert colors["b"] == wall.NO_VALUE_COLOR
    assert colors["a"] != colors["c"] and colors["c"] == wall.RED_SCALE[-1]


def test_a_tour_card_shows_a_dash_for_suppressed_people_counts():
    row = pd.Series(
        {
            "name": "人民路街道",
            "name_en": "Renmin Road",
            "centers": 3,
            "people_served": math.nan,
            "problems_solved": 12.0,
            "open_incidents": 4,
            "overdue_incidents": 1,
            "mediation_cases": math.nan,
            "mediation_success": math.nan,
            "compounds": 2,
            "compounds_done": 1,
            "grids": 9,
            "daycare_centers": 1,
            "households": 1200,
        }
    )
    card = panels.tour_card("610402001", row, "zh", xixian=True)
    assert card["name"] == "人民路街道" and card["flag"] == "西咸新区代管"
    values = {key: text for key, _label, text in card["figures"]}
    assert values["people_served"] == "—" and values["mediation"] == "— · —"
    assert values["centers"] == "3" and values["households"] == "1,200"


def test_refresh_sends_nothing_while_data_metric_and_language_are_unchanged(app):
    ctx = app.extensions["redmap"]["context"]
    shown = {"version": ctx.dataset.version, "metric": wall.DEFAULT_METRIC, "lang": "zh"}
    with pytest.raises(PreventUpdate):
        wall.refresh(ctx, ctx.dataset.version, "", shown, "zh")
    values = wall.refresh(ctx, "a-newer-version", "", {**shown, "version": "old"}, "zh")
    assert len(values) == len(wall.CONTENT_IDS)
    assert values[-1] == shown
    other = wall.refresh(ctx, ctx.dataset.version, "?metric=mediation_success", shown, "zh")
    assert other[-1]["metric"] == "mediation_success"


def test_version_route_needs_a_login_and_answers_304_when_unchanged(app):
    client = app.test_client()
    assert client.get("/wall/data/version.json").status_code in (401, 302)
    client_login(client, "viewer")
    first = client.get("/wall/data/version.json")
    version = app.extensions["redmap"]["context"].dataset.version
    assert first.status_code == 200 and first.get_json()["version"] == version
    again = client.get("/wall/data/version.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_the_street_panel_sums_what_it_has_no_room_for():
    volume = pd.Series({f"s{i:02d}": float(100 + i) for i in range(30)})
    names = pd.Series({sid: f"街道{sid}" for sid in volume.index})
    rows = panels.street_bars(volume, names, "zh", room=12)[1].children
    assert len(rows) == 12
    assert [text_of(r.children[0]) for r in rows[:3]] == ["街道s29", "街道s28", "街道s27"]
    assert text_of(rows[-1].children[0]) == "其余 19 个街道"
    assert text_of(rows[-1].children[-1]) == f"{int(volume.sort_values().iloc[:19].sum()):,}"
    # More volume in a small street moves it onto a bar of its own and out of the sum.
    volume["s00"] = 1_000.0
    rows = panels.street_bars(volume, names, "zh", room=12)[1].children
    assert text_of(rows[0].children[0]) == "街道s00" and text_of(rows[0].children[2]) == "1,000"
    assert text_of(rows[-1].children[-1]) == f"{int(volume.sort_values().iloc[:19].sum()):,}"
    # A district's streets all fit: one bar each, no sum.
    assert len(panels.street_bars(volume.iloc[:12], names, "zh", room=12)[1].children) == 12


def test_a_mediation_round_shows_its_number_only_where_the_number_fits():
    # The demo's community level: the second round's 70 fits beside the first's 1,263.
    assert panels.segment_labels([1263, 70], panels.FUNNEL_TRACK_REM) == [True, True]
    # A city's street level on a 61 % bar: the two big rounds keep their numbers, the
    # third (156) keeps its colour but no number rather than a cut-off "1".
    bar = panels.FUNNEL_TRACK_REM * 0.61
    assert panels.segment_labels([2241, 3364, 156], bar) == [True, True, False]
    # Ten times the cases on the same bar: only the largest number still fits.
    assert panels.segment_labels([22410, 33640, 1560], bar) == [False, True, False]


def test_the_funnel_bar_never_asks_for_more_room_than_it_has():
    funnel = pd.DataFrame(
        {1: [12510, 2241, 981], 2: [598, 3364, 0], 3: [0, 156, 0]}, index=["community", "street", "district"]
    )
    section = panels.mediation_panel(funnel, {"success": 1, "failed": 1, "ongoing": 1}, "zh")
    rows = [c for c in section.children[1].children if getattr(c, "className", "") == "rm-funnel-row"]
    assert len(rows) == 3
    for row in rows:
        bar = row.children[1].children
        room = panels.FUNNEL_TRACK_REM * float(bar.style["width"].rstrip("%")) / 100
        assert sum(float(s.style["minWidth"].rstrip("rem")) for s in bar.children) <= room
        shown = [s.children for s in bar.children if s.children]
        assert all("," in n or n.isdigit() for n in shown)
