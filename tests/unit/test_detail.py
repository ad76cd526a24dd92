"""Polygon layers simplified per zoom: fewer points far out, no gap or overlap between
neighbours, the full geometry close up, and a clear answer to a bad ``z``."""

from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pytest
import shapely

from dashboard import create_app
from dashboard.detail import (
    DETAIL_ZOOMS,
    coverage_levels,
    detail_url,
    detail_zoom,
    fit_zoom,
    parse_level,
    tolerance,
)
from tests.conftest import make_settings


def _wiggly_tiling(columns: int = 4, rows: int = 3, side: float = 0.01, teeth: int = 60) -> np.ndarray:
    """Squares whose shared edges zigzag by a few metres, as digitised borders do:
    each edge is made once and used by both its neighbours."""

    def edge(a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
        (x0, y0), (x1, y1) = a, b
        horizontal = y0 == y1
        points = []
        for i in range(teeth + 1):
            f = i / teeth
            x, y = x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
            outer = (horizontal and y0 in (0, rows * side)) or (not horizontal and x0 in (0, columns * side))
            bump = 0.0 if outer or i in (0, teeth) else 3e-5 * math.sin(i * 1.7)
            points.append((x, y + bump) if horizontal else (x + bump, y))
        return points

    squares = []
    for c in range(columns):
        for r in range(rows):
            x0, y0, x1, y1 = c * side, r * side, (c + 1) * side, (r + 1) * side
            bottom = edge((x0, y0), (x1, y0))
            right = edge((x1, y0), (x1, y1))
            top = edge((x0, y1), (x1, y1))[::-1]
            left = edge((x0, y0), (x0, y1))[::-1]
            ring = bottom + right[1:] + top[1:] + left[1:]
            squares.append(shapely.Polygon(ring))
    return np.array(squares, dtype=object)


def test_coarser_levels_keep_every_area_and_their_shared_borders():
    tiling = _wiggly_tiling()
    assert shapely.coverage_is_valid(tiling)
    levels = coverage_levels(tiling)
    assert sorted(levels) == list(DETAIL_ZOOMS)
    previous = shapely.get_num_coordinates(tiling).sum()
    for zoom in DETAIL_ZOOMS:  # coarse first: each closer level keeps more of the zigzag
        level = levels[zoom]
        coordinates = shapely.get_num_coordinates(level).sum()
        assert coordinates < shapely.get_num_coordinates(tiling).sum()
        assert zoom == DETAIL_ZOOMS[0] or coordinates >= previous
        previous = coordinates
        assert len(level) == len(tiling) and not shapely.is_empty(level).any()
        # Neighbours still share one border: no overlap, no gap, nothing moved far.
        assert shapely.coverage_is_valid(level)
        assert shapely.area(level).sum() == pytest.approx(shapely.union_all(level).area, rel=1e-9)
        assert shapely.hausdorff_distance(shapely.union_all(level), shapely.union_all(tiling)) <= tolerance(
            zoom
        )
        assert max(shapely.hausdorff_distance(level, tiling)) <= tolerance(zoom) * 1.01


def test_layers_that_are_no_coverage_stay_whole():
    squares = [shapely.box(0, 0, 0.01, 0.01), shapely.box(0.005, 0, 0.015, 0.01)]  # overlapping teams
    assert coverage_levels(np.array(squares, dtype=object)) == {}
    points = np.array([shapely.Point(0, 0), shapely.Point(1, 1)], dtype=object)
    assert coverage_levels(points) == {}
    assert coverage_levels(np.array([], dtype=object)) == {}


def test_borders_that_miss_each_other_by_a_hair_are_cleaned_before_simplifying():
    tiling = _wiggly_tiling()
    nudged = tiling.copy()
    nudged[0] = shapely.affinity.translate(tiling[0], 2e-7, 0)  # a sliver against its neighbour
    assert not shapely.coverage_is_valid(nudged)
    levels = coverage_levels(nudged)
    assert levels and all(shapely.coverage_is_valid(level) for level in levels.values())


def test_a_view_asks_for_the_first_level_at_or_above_its_zoom():
    assert detail_zoom(8.0) == 9
    assert detail_zoom(9.0) == 9
    assert detail_zoom(10.25) == 11
    assert detail_zoom(13.0) == 13
    assert detail_zoom(13.25) is None  # closer than the last level: the full geometry
    assert detail_zoom(None) is None
    url = "/api/v1/layers/water.geojson?lang=zh&v=abc"
    assert detail_url(url, 10.5) == url + "&z=11"
    assert detail_url(url + "&z=11", 15) == url
    assert detail_url(url + "&z=11", 9) == url + "&z=9"
    # Only the levels a layer has: none lighter than whole past 10, so no z at all.
    assert detail_url(url, 11.25, (9, 10)) == url
    assert detail_url(url, 9.5, (9, 11)) == url + "&z=11"


def test_the_first_view_zoom_is_the_one_that_fits_the_bounds():
    # One degree of longitude over 1024 px at the equator: 256 px per 2^-z of the world.
    assert fit_zoom((0, -0.1, 1, 0.1), 1024, 10_000) == pytest.approx(math.log2(1024 * 360 / 256), abs=1e-6)
    assert fit_zoom((0, 0, 1, 1), 1024, 1024) < fit_zoom((0, 0, 0.5, 0.5), 1024, 1024)


def test_a_bad_level_is_refused_with_the_levels_there_are():
    assert parse_level(None) is None and parse_level("") is None and parse_level("11") == 11
    for bad in ("8", "14", "11.5", "x"):
        with pytest.raises(ValueError, match="z must be one of 9"):
            parse_level(bad)


@pytest.fixture(scope="module")
def client(demo_path):
    return create_app(make_settings(demo_path)).test_client()


GZIP = {"Accept-Encoding": "gzip"}


def _features(response) -> list[dict]:
    return json.loads(gzip.decompress(response.data))["features"]


def _coordinates(response) -> int:
    geometries = [shapely.from_geojson(json.dumps(f["geometry"])) for f in _features(response)]
    return int(shapely.get_num_coordinates(geometries).sum())


def test_the_layer_route_sends_the_river_simplified_for_a_far_view_and_whole_close_up(client):
    base = "/api/v1/layers/water.geojson?lang=zh"
    whole = client.get(base, headers=GZIP)
    far = client.get(base + "&z=9", headers=GZIP)
    near = client.get(base + "&z=13", headers=GZIP)
    assert whole.status_code == far.status_code == near.status_code == 200
    assert _coordinates(far) < _coordinates(near) < _coordinates(whole)
    assert len(far.data) < len(whole.data)  # what a phone downloads for the first view
    assert far.headers["ETag"] != whole.headers["ETag"]
    # Same features, same properties: only the outline is lighter.
    assert [f["properties"] for f in _features(far)] == [f["properties"] for f in _features(whole)]


def test_a_layer_without_levels_answers_any_level_with_its_whole_geometry(client):
    base = "/api/v1/layers/service_centers.geojson?lang=zh"
    assert client.get(base + "&z=9", headers=GZIP).data == client.get(base, headers=GZIP).data


def test_a_bad_level_gets_a_400_that_names_the_layer(client):
    response = client.get("/api/v1/layers/water.geojson?lang=zh&z=7")
    assert response.status_code == 400
    assert "water" in response.get_json()["error"] and "z must be one of" in response.get_json()["error"]
