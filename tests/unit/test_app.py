"""The app factory and its routes, on the small hand-built dataset (no browser)."""

from __future__ import annotations

import gzip
import json

import pytest

from dashboard import create_app
from geodata.schema import SCHEMA
from geodata.validate import DataError
from tests.conftest import client_login, make_settings
from tests.factories import minimal_frames, write_minimal


@pytest.fixture(scope="module")
def minimal_path(tmp_path_factory):
    return write_minimal(tmp_path_factory.mktemp("minimal") / "minimal.gpkg")


@pytest.fixture(scope="module")
def client(minimal_path):
    return create_app(make_settings(minimal_path)).test_client()


def test_healthz_reports_the_data_file_and_every_layer_count(client):
    frames = minimal_frames()
    body = client.get("/healthz").get_json()
    assert body["ok"] is True and body["data_file"] == "minimal.gpkg"
    assert body["layers"] == {name: len(frames[name]) for name in SCHEMA}


def test_each_face_is_served_at_its_path(minimal_path):
    client = create_app(make_settings(minimal_path)).test_client()
    client_login(client, "admin")
    for path, title in (("/", "心心秦家"), ("/staff/", "工作台"), ("/wall/", "指挥大屏")):
        response = client.get(path)
        assert response.status_code == 200 and title in response.get_data(as_text=True)


def test_the_public_app_reveals_nothing_of_the_internal_ones(client):
    public_layout = client.get("/_dash-layout").get_data(as_text=True)
    public_deps = client.get("/_dash-dependencies").get_data(as_text=True)
    for text in (public_layout, public_deps):
        assert "staff-" not in text and "wall-" not in text
        assert '"face":"staff"' not in text.replace(" ", "")
    # The internal apps' callbacks are registered only under their own prefix.
    admin = client.application.test_client()
    client_login(admin, "admin")
    staff_deps = admin.get("/staff/_dash-dependencies").get_data(as_text=True)
    assert "staff-records" in staff_deps and "staff-records" not in public_deps


def test_public_layer_files_hold_public_layers_and_fields_only(client):
    assert client.get("/api/v1/layers/grids.geojson").status_code == 404
    assert client.get("/api/v1/layers/home_services.geojson").status_code == 404
    doc = client.get("/api/v1/layers/service_centers.geojson").get_json()
    public = {f.name for f in SCHEMA["service_centers"].public_fields}
    for feature in doc["features"]:
        assert set(feature["properties"]) - {"_label", "_popup"} <= public


def test_layer_files_are_gzipped_and_revalidated_by_etag(client):
    client = client.application.test_client()
    client_login(client, "admin")
    first = client.get("/staff/data/layers/grids.geojson", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    doc = json.loads(gzip.decompress(first.data))
    assert len(doc["features"]) == len(minimal_frames()["grids"])
    again = client.get("/staff/data/layers/grids.geojson", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_english_labels_on_request(client):
    doc = client.get("/api/v1/layers/service_centers.geojson?lang=en").get_json()
    assert "Opening hours" in doc["features"][0]["properties"]["_popup"]


def test_the_app_refuses_to_start_on_bad_data_naming_layer_feature_and_field(tmp_path):
    frames = minimal_frames()
    centers = frames["service_centers"].copy()
    centers.loc[centers.index[0], "services"] = "phone_charging;wifi"
    frames["service_centers"] = centers
    bad = write_minimal(tmp_path / "bad.gpkg", frames)
    with pytest.raises(DataError) as info:
        create_app(make_settings(bad))
    message = str(info.value)
    assert "service_centers" in message and str(centers.iloc[0]["id"]) in message
    assert "services" in message and "wifi" in message


@pytest.mark.parametrize("path,lang,title", [
    ("/", "zh-CN", "心心秦家"), ("/?lang=en", "en", "Xinxin Qinjia"),
    ("/staff/", "zh-CN", "工作台"), ("/staff/?lang=en", "en", "staff workspace"),
    ("/wall/", "zh-CN", "指挥大屏"), ("/wall/?lang=en", "en", "wall display"),
])  # fmt: skip
def test_every_face_says_its_language_and_title(path, lang, title, minimal_path):
    """Screen readers choose their voice by ``<html lang>``; the tab names the face."""
    client = create_app(make_settings(minimal_path)).test_client()
    client_login(client, "admin")
    page = client.get(path).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert title in page.split("<title>")[1].split("</title>")[0]
