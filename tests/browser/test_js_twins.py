"""Rules written twice, in Python for the server and in ``assets/redmap.js`` for the
browser, agree: the same inputs go to both in a real page and the answers match."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.detail import DETAIL_ZOOMS, detail_url
from dashboard.tiles import MAX_TILES, TILE_DEG, parse_bbox, tile_count, tile_range

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/", wait_until="networkidle")
    page.wait_for_function("() => window.redmap && window.redmap.detailUrl")
    yield page
    context.close()


def test_detail_url_agrees_with_redmap_detail_url(page):
    url = "/api/v1/layers/communities.geojson?lang=zh&v=abc"
    zooms = [None, 5, 8.2, 9, 9.0000001, 10.5, 11, 12.99, 13, 13.01, 15, 18]
    for levels in ([9, 10, 11, 12, 13], [9, 11], [12], []):
        for start in (url, url + "&z=11"):
            js = page.evaluate(
                "([url, zooms, levels]) => zooms.map(z => window.redmap.detailUrl("
                "url, z === null ? undefined : z, {layers: {communities: levels}}))",
                [start, zooms, levels],
            )
            py = [detail_url(start, z, levels) for z in zooms]
            assert js == py, (levels, start)
    assert set(DETAIL_ZOOMS) == {9, 10, 11, 12, 13}


def test_area_url_asks_for_the_tiles_the_server_serves_for_that_view(page):
    rng = np.random.default_rng(11)
    views = [(108.60, 34.30, 108.75, 34.40), (108.6999, 34.3199, 108.7001, 34.3201)]
    views.append((100.0, 30.0, 108.0, 36.0))  # a province: far more than 256 tiles
    for _ in range(60):
        west, south = rng.uniform(108.0, 109.0), rng.uniform(34.0, 35.0)
        views.append((west, south, west + rng.uniform(0.001, 0.4), south + rng.uniform(0.001, 0.3)))
    area = {"tileDeg": TILE_DEG, "maxTiles": MAX_TILES, "layers": {"roads": {"url": "/x.geojson?lang=zh"}}}
    answers = page.evaluate(
        "([views, area]) => views.map(b => window.redmap.areaUrls({bounds: b}, area)[0])",
        [views, area],
    )
    for view, url in zip(views, answers, strict=True):
        wanted = tile_range(*view)
        if tile_count(wanted) > MAX_TILES:
            assert url is None, view  # too wide: the page asks for nothing, as the server would refuse
            continue
        assert url is not None, view
        box = parse_bbox(url.split("&bbox=")[1])
        assert box is not None and tile_range(*box) == wanted, (view, url)
