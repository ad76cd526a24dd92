"""Layers sent by map area: tiles hold every feature once, a view gets the features around it."""

from __future__ import annotations

import gzip
import json

from dashboard.tiles import (
    MAX_TILES,
    TILE_DEG,
    make_area_payload,
    parse_bbox,
    tile_count,
    tile_of,
    tile_range,
)


def _point(i: int, lon: float, lat: float) -> dict:
    return {
        "type": "Feature",
        "properties": {"id": f"p{i}"},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def _line(i: int, lon: float, lat: float) -> dict:
    coords = [[lon, lat], [lon + 0.05, lat + 0.05]]
    return {
        "type": "Feature",
        "properties": {"id": f"l{i}"},
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def _ids(gzipped: bytes) -> list[str]:
    return [f["properties"]["id"] for f in json.loads(gzip.decompress(gzipped))["features"]]


def test_every_feature_is_in_one_tile_and_a_view_gets_those_around_it():
    features = [_point(i, 108.5 + (i % 30) * 0.011, 34.2 + (i // 30) * 0.013) for i in range(600)]
    features += [_line(i, 108.6 + i * 0.003, 34.3) for i in range(40)]
    payload = make_area_payload(features)
    assert payload.count == len(features)
    everything = tile_range(108.4, 34.1, 109.0, 35.2)
    got = _ids(payload.answer(everything)[0])
    assert sorted(got) == sorted(f["properties"]["id"] for f in features)  # each once
    west, south, east, north = 108.6, 34.3, 108.65, 34.35
    near = _ids(payload.answer(tile_range(west, south, east, north))[0])
    # Every feature whose first point is in the view is sent; nothing far from it is.
    for f in features:
        lon, lat = (
            f["geometry"]["coordinates"][0]
            if f["geometry"]["type"] == "LineString"
            else f["geometry"]["coordinates"]
        )
        inside = west <= lon <= east and south <= lat <= north
        far = not (
            west - 2 * TILE_DEG <= lon <= east + 2 * TILE_DEG
            and south - 2 * TILE_DEG <= lat <= north + 2 * TILE_DEG
        )
        assert not inside or f["properties"]["id"] in near
        assert not far or f["properties"]["id"] not in near
    assert 0 < len(near) < len(features)


def test_the_same_tiles_give_the_same_bytes_and_etag():
    payload = make_area_payload([_point(i, 108.5 + i * 0.001, 34.3) for i in range(50)])
    one = payload.answer(tile_range(108.5, 34.29, 108.52, 34.31))
    again = make_area_payload([_point(i, 108.5 + i * 0.001, 34.3) for i in range(50)]).answer(
        tile_range(108.5, 34.29, 108.52, 34.31)
    )
    assert one == again  # another worker gives the same answer and ETag


def test_tiles_and_boxes_from_a_request_are_checked():
    assert tile_of(108.5, 34.3) == (5425, 1714)
    assert tile_range(108.51, 34.31, 108.51, 34.31) == (5424, 1714, 5426, 1716)
    assert tile_count(tile_range(108.51, 34.31, 108.51, 34.31)) == 9
    assert parse_bbox("108.5,34.2,108.6,34.3") == (108.5, 34.2, 108.6, 34.3)
    for bad in ("", None, "1,2,3", "a,b,c,d", "108.6,34.2,108.5,34.3", "nan,1,2,3", "0,-91,1,1"):
        assert parse_bbox(bad) is None


def test_a_layer_sent_by_area_answers_a_view_and_explains_a_missing_or_too_wide_one(demo_path):
    from dashboard import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(demo_path, area_layers_above=1000))
    client = app.test_client()
    whole = client.get("/api/v1/layers/roads.geojson?lang=zh")
    assert whole.status_code == 400 and "bbox=west,south,east,north" in whole.get_json()["error"]
    side = (MAX_TILES**0.5 + 1) * TILE_DEG
    wide = client.get(f"/api/v1/layers/roads.geojson?bbox=108.4,34.1,{108.4 + side:.4f},{34.1 + side:.4f}")
    assert wide.status_code == 400
    view = client.get("/api/v1/layers/roads.geojson?lang=zh&bbox=108.65,34.35,108.68,34.37",
                      headers={"Accept-Encoding": "gzip"})  # fmt: skip
    assert view.status_code == 200 and view.headers["Content-Encoding"] == "gzip" and view.headers["ETag"]
    roads = json.loads(gzip.decompress(view.data))["features"]
    assert 0 < len(roads) < app.extensions["redmap"]["context"].layer_count("public", "roads")
    again = client.get(
        "/api/v1/layers/roads.geojson?lang=zh&bbox=108.65,34.35,108.68,34.37",
        headers={"Accept-Encoding": "gzip", "If-None-Match": view.headers["ETag"]},
    )
    assert again.status_code == 304
    plain = client.get("/api/v1/layers/roads.geojson?lang=zh&bbox=108.65,34.35,108.68,34.37")
    assert len(json.loads(plain.data)["features"]) == len(roads)
