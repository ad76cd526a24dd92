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
    ],
    ids=["no-lon", "text", "lat-95", "nan", "k-0", "k-huge", "k-text", "service"],
)
def test_bad_nearest_requests_get_400_with_the_reason(client, query, phrase):
    response = client.get(f"/api/v1/nearest?{query}")
    assert response.status_code == 400
    assert phrase in response.get_json()["error"]


def test_a_point_outside_the_district_gets_no_results_and_says_how_far(client):
    body = client.get("/api/v1/nearest?lon=116.40&lat=39.90").get_json()  # Beijing
    assert body["results"] == [] and 900 < body["outside_km"] < 925  # Xianyang–Beijing, ~910 km
    assert "outside 秦都区" in body["message"]


@pytest.mark.parametrize("query", ["", "q=", "q=%20", "q=" + "a" * 65, "q=rml&limit=0", "q=rml&limit=x"])
def test_bad_search_requests_get_400(client, query):
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400 and response.get_json()["error"]


def test_nearest_agrees_with_geodesic_brute_force_and_is_ordered_on_foot(client, demo_dataset):
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


def test_api_answers_carry_the_sites_security_headers_and_are_not_cached(client):
    response = client.get("/api/v1/nearest?lon=108.70&lat=34.34")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store", "an answer reveals where someone is"
    assert "Set-Cookie" not in response.headers


def test_api_compresses_when_the_client_asks_and_answers_head(client):
    import gzip
    import json

    url = "/api/v1/nearest?lon=108.70&lat=34.34&k=8"
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip" and len(packed.data) < len(plain.data)
    assert json.loads(gzip.decompress(packed.data))["results"] == plain.get_json()["results"]
    plain = client.get("/api/v1/search?q=rml")
    head = client.head("/api/v1/search?q=rml")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == plain.headers["Content-Length"]


def test_api_refuses_other_methods_and_parameter_floods_with_json(client):
    post = client.post("/api/v1/nearest?lon=108.70&lat=34.34")
    assert post.status_code == 405 and "use GET" in post.get_json()["error"]
    assert post.headers["Allow"] == "GET, HEAD"
    flood = client.get("/api/v1/search?" + "&".join(f"p{i}=1" for i in range(40)) + "&q=rml")
    assert flood.status_code == 400 and "too many" in flood.get_json()["error"]
    # A repeated name: the first value counts, as on the rest of the site.
    twice = client.get("/api/v1/nearest?lon=108.70&lat=34.34&k=2&k=7").get_json()
    assert twice["query"]["k"] == 2 and len(twice["results"]) == 2


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(demo_path, monkeypatch):
    app = create_app(make_settings(demo_path))
    finder = app.extensions["redmap"]["context"].finder

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /srv/redmap/geodata/nearest.py")

    monkeypatch.setattr(type(finder), "nearest", broken)
    response = app.test_client().get("/api/v1/nearest?lon=108.70&lat=34.34")
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error; it has been logged"}
    assert b"Traceback" not in response.data and b"secret internals" not in response.data


def test_api_traffic_is_logged_as_a_summary_by_path_without_positions(client, caplog):
    import logging

    api = client.application.wsgi_app
    while not hasattr(api, "traffic"):  # under ProxyFix when proxies are trusted
        api = api.app
    api.traffic.flush()  # the module's other tests share this client and its counts
    with caplog.at_level(logging.INFO, logger="redmap.access"):
        client.get("/api/v1/nearest?lon=108.712345&lat=34.345678&k=3")
        client.get("/api/v1/nearest?lon=abc&lat=34.345678")
        line = api.traffic.flush()
    assert "/api/v1/nearest 200 ×1" in line and "/api/v1/nearest 400 ×1" in line
    assert not any("108.71" in r.getMessage() or "34.34" in r.getMessage() for r in caplog.records)


def test_query_parameters_are_decoded_like_any_web_form(client):
    # Percent-encoded Chinese, '+' for a space, and raw UTF-8 bytes all reach the search.
    encoded = client.get("/api/v1/search?q=%E4%BA%BA%E6%B0%91%E8%B7%AF").get_json()
    assert encoded["query"] == "人民路" and encoded["results"]
    spaced = client.get("/api/v1/search?q=ren+min+lu").get_json()
    assert spaced["query"] == "ren min lu"


def test_the_spliced_api_body_equals_the_encoded_results(client, demo_dataset):
    import datetime as dt
    import json

    finder = client.application.extensions["redmap"]["context"].finder
    lon0, lat0, lon1, lat1 = demo_dataset["streets"].total_bounds
    rng = np.random.default_rng(5)
    for i in range(40):
        lon, lat = rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)
        kind = finder.kinds[i % len(finder.kinds)]
        # At an hour when some are shut.
        results = finder.nearest(lon, lat, kind, 8)
        for lang in ("zh", "en"):
            when = dt.datetime(2026, 11, 29, 6 + i % 16, 30)
            spliced = json.loads(finder.results_body(results, lang, when))
            assert spliced == finder.results_json(results, lang, when)


@pytest.mark.parametrize(
    "path,phrase",
    [
        ("/api/v1/nearest?lon=108.70&lat=34.34&open_now=maybe", "'open_now' must be"),
        ("/api/v1/nearest?lon=108.70&lat=34.34&lang=fr", "'lang' must be zh or en"),
        ("/api/v1/search?q=rml&lang=fr", "'lang' must be zh or en"),
    ],
    ids=["open-now-maybe", "nearest-lang-fr", "search-lang-fr"],
)
def test_unknown_flag_and_language_values_get_400(client, path, phrase):
    response = client.get(path)
    assert response.status_code == 400
    assert phrase in response.get_json()["error"]


@pytest.mark.parametrize(
    "value,expected", [("1", True), ("true", True), ("0", False), ("false", False), ("", False)]
)
def test_open_now_takes_the_usual_true_and_false_spellings(client, value, expected):
    body = client.get(f"/api/v1/nearest?lon=108.70&lat=34.34&open_now={value}").get_json()
    assert body["query"]["open_now"] is expected


def test_search_context_is_translated_and_never_repeats_itself(client):
    for lang in ("zh", "en"):
        results = client.get(f"/api/v1/search?q=rml&limit=20&lang={lang}").get_json()["results"]
        for r in results:
            parts = r["context"].split(" · ")
            assert len(parts) == len(set(parts)), r
    english = {r["id"]: r for r in client.get("/api/v1/search?q=rml&limit=20&lang=en").get_json()["results"]}
    assert english["roads:人民路"]["context"] == "Road · Arterial"
    street = next(r for r in english.values() if r["name"] == "人民路街道")
    assert street["context"] == "Qindu District · Street"


def test_distance_outside_the_district_is_geodesic_to_the_outline(client, demo_dataset):
    finder = client.application.extensions["redmap"]["context"].finder
    outline = demo_dataset["district"].geometry.iloc[0]
    # 5 km due east of the outline's easternmost vertex: 5 km out (the outline has no
    # nearer part there), on the ellipsoid.
    import shapely

    coords = shapely.get_coordinates(outline.boundary)
    xs, ys = list(coords[:, 0]), list(coords[:, 1])
    east = int(np.argmax(xs))
    lon, lat, _ = GEOD.fwd(xs[east], ys[east], 90, 5_000)
    assert finder.km_outside(lon, lat) == pytest.approx(5.0, abs=0.05)
    # (0, 0): ~11,700 km away, as the geodesic to the district's vertices says (the
    # Gauss-Krüger distance used before said 20,089 km).
    _, _, to_vertices = GEOD.inv(np.zeros(len(xs)), np.zeros(len(ys)), np.array(xs), np.array(ys))
    assert finder.km_outside(0.0, 0.0) == pytest.approx(to_vertices.min() / 1000, abs=1.0)
    body = client.get("/api/v1/nearest?lon=0&lat=0").get_json()
    assert body["outside_km"] == pytest.approx(to_vertices.min() / 1000, abs=1.0)
    # Inside: 0; a hair outside the coarse outline still answered, 1 km and more not.
    assert finder.km_outside(108.694, 34.331) == 0.0
    near_lon, near_lat, _ = GEOD.fwd(xs[east], ys[east], 90, 500)
    far_lon, far_lat, _ = GEOD.fwd(xs[east], ys[east], 90, 1_500)
    assert finder.within_reach(near_lon, near_lat) and not finder.within_reach(far_lon, far_lat)


def test_the_public_page_refuses_a_forged_position_as_the_api_does(client):
    from tests.unit.test_access import callback_body, dependencies

    app = client.application
    anonymous = app.test_client()
    anonymous.get("/")
    token = anonymous.get_cookie("_csrf_token").value
    answered = {}
    for dep in dependencies(app, "/"):
        if not any(i["id"] == "pub-where" for i in dep["inputs"] + dep["state"]):
            continue
        for name, where in {"forged": (0.0, 0.0), "real": (108.698, 34.334)}.items():
            where = {"lon": where[0], "lat": where[1]}
            body = callback_body(dep, {"pub-where": where, "pub-service": "any", "pub-area": ["area"]})
            response = anonymous.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})
            assert response.status_code in (200, 204)
            answered.setdefault(dep["output"], {})[name] = response.get_data(as_text=True)
    assert answered, "no public callback reads the position"
    results = next(v for k, v in answered.items() if "pub-results.children" in k)
    assert "km" in results["real"] or "米" in results["real"]
    for texts in answered.values():
        assert "20092" not in texts["forged"] and "min walk" not in texts["forged"]
        assert "分钟" not in texts["forged"] and "Feature" not in texts["forged"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search?q=rml&lang=",
        "/api/v1/search?q=rml&lang=fr",
        "/api/v1/nearest?lon=108.698&lat=34.334&lang=",
        "/api/v1/layers/district.geojson?lang=AAA",
        "/api/v1/layers/district.geojson?z=20",
        "/api/v1/search?q=",
        "/api/v1/nearest?lon=108.698&lat=34.334&service=",
        "/api/v1/nearest?lon=6.3&lat=-60.0&service=",  # outside the district, still a bad request
    ],
)
def test_what_the_document_forbids_is_refused_with_400(client, path):
    response = client.get(path)
    assert response.status_code == 400 and response.get_json()["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
@pytest.mark.parametrize("path", ["/api/v1/layers/district.geojson", "/api/v1/nearest", "/api/v1/search"])
def test_other_methods_than_get_get_405_with_allow(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_the_served_document_lists_this_deployments_kinds_and_layers(client):
    finder = client.application.extensions["redmap"]["context"].finder
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/v1/nearest"]["get"]["parameters"]}
    assert params["service"]["schema"]["enum"] == list(finder.kinds)
    layer = doc["paths"]["/api/v1/layers/{layer}.geojson"]["get"]["parameters"][0]
    assert "service_centers" in layer["schema"]["enum"] and "mediation_cases" not in layer["schema"]["enum"]
