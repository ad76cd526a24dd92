"""Polygon layers come simplified for a far view and whole close up (dashboard/detail.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.conftest import zoom_map


def _levels(requests: list[str], layer: str) -> list[str]:
    """The ``z`` of each request for ``layer``'s GeoJSON ("" when asked whole)."""
    return [
        parse_qs(urlparse(url).query).get("z", [""])[0]
        for url in requests
        if urlparse(url).path.endswith(f"/{layer}.geojson")
    ]


def _zoom_in(page, times: int) -> None:
    zoom_map(page, "in", times)
    page.wait_for_load_state("networkidle")


def test_the_phone_map_loads_the_river_light_and_draws_it_whole_close_up(live_server, open_page):
    page, watch = open_page(live_server.url + "/", 390, 844, live_server.url)
    page.wait_for_selector("path.rm-f-water", state="attached")
    first = _levels(watch.requests, "water")
    assert first and first[0].isdigit(), f"the first view asked for the whole river: {first}"
    _zoom_in(page, 4)  # a resident zooms in on a few streets
    later = _levels(watch.requests, "water")
    assert later[-1] == "", f"close up the river stayed simplified: {later}"
    assert page.locator("path.rm-f-water").count() > 0
    # Fetched again, land and river stay under the roads (they once covered them).
    depth = page.evaluate(
        """() => Object.fromEntries(["district", "water", "roads"].map(layer => [layer,
            Number(getComputedStyle(document.querySelector("path.rm-f-" + layer)
                .closest(".leaflet-pane")).zIndex)]))"""
    )
    assert depth["district"] < depth["water"] < depth["roads"], depth
    zoom_map(page, "out", 3)
    page.wait_for_load_state("networkidle")
    assert _levels(watch.requests, "water")[-1].isdigit()  # and lighter again further out
    assert not watch.page_errors


def test_staff_areas_and_the_choropleth_follow_the_zoom(live_server, open_page):
    # Communities twice: ticked in the panel, and coloured by incidents as a choropleth.
    query = "layers=communities&street=all&metric=incidents_per_1000&level=communities"
    url = f"{live_server.url}/staff/?{query}"
    page, watch = open_page(url, 1366, 768, live_server.url, login="admin")
    page.wait_for_selector("path.rm-f-communities", state="attached")
    page.wait_for_selector("path.rm-f-water", state="attached")
    first = _levels(watch.requests, "communities")
    assert len(first) >= 2 and all(z.isdigit() for z in first), f"communities asked whole: {first}"
    assert all(z.isdigit() for z in _levels(watch.requests, "water"))
    _zoom_in(page, 4)
    later = _levels(watch.requests, "communities")[len(first) :]
    assert later.count("") >= 2, f"panel layer and choropleth stayed simplified close up: {later}"
    assert _levels(watch.requests, "water")[-1] == ""
    assert page.locator("path.rm-f-communities").count() > 0
    assert not watch.page_errors
