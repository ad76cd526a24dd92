"""Layers too big to send whole go by map area: the map asks for the tiles around its view.

The demo district has no layer that big, so these tests lower the threshold
(``area_layers_above``) until its roads and incidents are sent by area, as a
province's would be.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import LiveServer, make_settings, zoom_map


@pytest.fixture(scope="module")
def area_server(demo_path) -> Iterator[LiveServer]:
    server = LiveServer(make_settings(demo_path, area_layers_above=1000))
    yield server
    server.stop()


def _boxes(requests: list[str], layer: str) -> list[tuple[float, ...]]:
    """The bbox of each request for ``layer``'s GeoJSON (an empty tuple: asked whole)."""
    out = []
    for url in requests:
        parts = urlparse(url)
        if parts.path.endswith(f"/{layer}.geojson"):
            box = parse_qs(parts.query).get("bbox", [""])[0]
            out.append(tuple(float(v) for v in box.split(",")) if box else ())
    return out


def test_the_public_map_draws_the_roads_around_its_view_and_follows_a_zoom(area_server, open_page):
    page, watch = open_page(area_server.url + "/", 390, 844, area_server.url)
    roads = page.locator("path.rm-f-roads")
    page.wait_for_selector("path.rm-f-roads", state="attached")
    first = _boxes(watch.requests, "roads")
    assert first and all(first), f"roads asked whole: {first}"
    everywhere = roads.count()
    total = area_server.app.extensions["redmap"]["context"].layer_count("public", "roads")
    assert 0 < everywhere <= total
    zoom_map(page, "in", 3)  # a resident zooms in on the middle of the district
    page.wait_for_load_state("networkidle")
    later = _boxes(watch.requests, "roads")
    assert len(later) > len(first), "zooming in asked for no other tiles"
    w0, s0, e0, n0 = first[-1]
    w1, s1, e1, n1 = later[-1]
    assert (e1 - w1) * (n1 - s1) < (e0 - w0) * (n0 - s0)
    page.wait_for_function(
        "n => { const c = document.querySelectorAll('path.rm-f-roads').length; return c > 0 && c < n; }",
        arg=everywhere,
    )
    assert not watch.foreign_requests(area_server.url) and not watch.page_errors


def test_a_staff_layer_sent_by_area_loads_around_the_view_when_ticked(area_server, open_page):
    url = area_server.url + "/staff/?layers=streets,grid_events&street=all"
    page, watch = open_page(url, 1366, 768, area_server.url, login="admin")
    page.wait_for_selector("path.rm-f-roads", state="attached")
    # Incidents are clustered: their markers are cluster bubbles at this zoom.
    page.wait_for_selector(".leaflet-marker-icon", state="attached")
    boxes = _boxes(watch.requests, "grid_events")
    assert boxes and all(boxes), f"incidents asked whole: {boxes}"
    assert page.locator("path.rm-f-roads").count() > 0  # the basemap too, by area
    assert all(_boxes(watch.requests, "roads"))
    hint = page.locator("#staff-area-hint")
    assert hint.is_hidden()
    # Zoomed out past a district's worth: the incidents are not drawn, and the page says why.
    page.locator(".leaflet-control-zoom-out").click()
    page.locator(".leaflet-control-zoom-out").click()
    hint.wait_for(state="visible")
    assert "智慧网格事件" in hint.inner_text() and "放大" in hint.inner_text()
    zoom_map(page, "in", 3)  # past where it was: the map's view is wider than the district itself
    hint.wait_for(state="hidden")
    assert not watch.page_errors
