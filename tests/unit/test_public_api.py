"""The public JSON API as another client (a mini-program, the 12345 desk) uses it."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from dashboard import create_app
from geodata.schema import SCHEMA, split_codes
from tests.conftest import make_settings

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def client(demo_path):
    return create_app(make_settings(demo_path)).test_client()


@pytest.mark.parametrize(
    "query,phrase",
    [
        ("lat=34.33", "'lon' is required"),
        ("lon=abc&lat=34.33", "'lon' must be a number"),
        ("lon=108.7&lat=95", "'lat' must be between -90 and 90"),
        ("lon=nan&lat=34.33", "finite"),
        ("lon=108.7&lat=34.33&k=0", "'k' must be from 1 to 8"),
        ("lon=108.7&lat=34.33&k=100000", "'k' must be from 1 to 8"),
        ("lon=108.7&lat=34.33&k=two", "'k' must be a whole number"),
        ("lon=108.7&lat=34.33&service=wifi", "unknown service 'wifi'"),
        ("lon=116.40&lat=39.90", "outside 秦都区"),
    ],
    ids=["no-lon", "text", "lat-95", "nan", "k-0", "k-huge", "k-text", "service", "beijing"],
)
def test_bad_nearest_requests_get_400_with_the_reason(client, query, phrase):
    response = client.get(f"/api/v1/nearest?{query}")
    assert response.status_code == 400
    assert phrase in response.get_json()["error"]


@pytest.mark.parametrize("query", ["", "q=", "q=%20", "q=" + "a" * 65, "q=rml&limit=0", "q=rml&limit=x"])
def test_bad_search_requests_get_400(client, query):
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400 and response.get_json()["error"]


def test_nearest_agrees_with_geodesic_brute_force_and_walking_is_never_shorter(client, demo_dataset):
    centres = demo_dataset["service_centers"]
    lon0, lat0, lon1, lat1 = demo_dataset["streets"].total_bounds
    rng = np.random.default_rng(7)
    outline = demo_dataset["district"].geometry.iloc[0]
    checked = 0
    while checked < 120:
        lon, lat = rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)
        if not outline.contains(__import__("shapely").Point(lon, lat)):
            continue
        body = client.get(f"/api/v1/nearest?lon={lon}&lat={lat}&k=5").get_json()
        results = body["results"]
        assert len(results) == 5
        walks = [r["walk_m"] for r in results]
        assert walks == sorted(walks), "results are ordered by walking distance"
        for r in results:
            _, _, geodesic = GEOD.inv(lon, lat, r["lon"], r["lat"])
            assert abs(r["distance_m"] - geodesic) <= 1.0
            assert r["walk_m"] >= r["distance_m"]
            assert r["walk_min"] >= 1 or r["walk_m"] < 75
        # The nearest on foot is never farther on foot than the nearest in a straight line.
        _, _, all_dist = GEOD.inv(
            np.full(len(centres), lon),
            np.full(len(centres), lat),
            centres.geometry.x.values,
            centres.geometry.y.values,
        )
        assert min(r["distance_m"] for r in results) >= round(all_dist.min()) - 1
        checked += 1


def test_a_service_filter_returns_only_places_offering_it(client, demo_dataset):
    offered = demo_dataset["service_centers"]["services"].map(split_codes)
    service = next(
        s
        for s in ("legal_advice", "tele_medicine", "mediation")
        if 0 < offered.map(lambda v, s=s: s in v).sum() < len(offered)
    )
    body = client.get(f"/api/v1/nearest?lon=108.70&lat=34.34&service={service}&k=8").get_json()
    assert body["results"] and all(service in r["services"] for r in body["results"])


def test_results_carry_public_fields_only(client):
    body = client.get("/api/v1/nearest?lon=108.70&lat=34.34&k=8").get_json()
    public = {
        f.name
        for layer in ("service_centers", "daycare_centers", "child_care")
        for f in SCHEMA[layer].public_fields
    }
    extra = {"layer", "lon", "lat", "distance_m", "walk_m", "walk_min", "service_labels", "open_now"}
    for r in body["results"]:
        assert set(r) <= public | extra


def test_search_finds_places_by_chinese_pinyin_and_initials(client):
    for q in ("人民路", "renminlu", "rml"):
        names = [r["name"] for r in client.get(f"/api/v1/search?q={q}").get_json()["results"][:3]]
        assert any(n.startswith("人民路") for n in names), (q, names)


def test_the_openapi_document_describes_both_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/nearest", "/api/v1/search"} <= set(doc["paths"])


@pytest.mark.parametrize(
    "text,zh,en",
    [
        ("24/7", "全天24小时", "24 hours, every day"),
        ("Mo-Su 08:00-20:00", "每天 08:00–20:00", "Every day 08:00–20:00"),
        (
            "Mo-Fr 08:30-17:30; Sa,Su 09:00-17:00",
            "周一至周五 08:30–17:30；周六、周日 09:00–17:00",
            "Mon–Fri 08:30–17:30; Sat, Sun 09:00–17:00",
        ),
        (
            "Mo-Fr 08:00-12:00,14:00-18:00",
            "周一至周五 08:00–12:00、14:00–18:00",
            "Mon–Fri 08:00–12:00, 14:00–18:00",
        ),
        ("PH off", "PH off", "PH off"),
        (None, "—", "—"),
    ],
)
def test_opening_hours_read_as_residents_read_them(text, zh, en):
    from layers.base import readable_hours

    assert readable_hours(text, "zh") == zh
    assert readable_hours(text, "en") == en
