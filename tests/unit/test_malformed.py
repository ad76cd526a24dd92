"""Malformed requests from anonymous visitors: a 400 or a JSON 404 with a reason, never
a 500 and never a traceback in the log."""

from __future__ import annotations

import logging
import socket
from urllib.parse import urlparse

import pytest

from dashboard import create_app
from tests.conftest import make_settings
from tests.factories import write_minimal


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(make_settings(write_minimal(tmp_path_factory.mktemp("malformed") / "m.gpkg")))


@pytest.fixture
def anonymous(app):
    client = app.test_client()
    client.get("/")
    return client


def a_callback(anonymous) -> str:
    deps = anonymous.get("/_dash-dependencies").get_json()
    return next(d["output"] for d in deps if not d.get("clientside_function"))


def post_callback(anonymous, raw: str):
    token = anonymous.get_cookie("_csrf_token").value
    return anonymous.post(
        "/_dash-update-component",
        data=raw,
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )


def assert_refused(response, status: int, caplog) -> None:
    assert response.status_code == status
    assert response.content_type.startswith("application/json") and response.get_json()["error"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a traceback was logged"


@pytest.mark.parametrize(
    "path",
    ["/_dash-component-suites/x/y.js", "/_dash-component-suites/dash/nothere.js"],
)
def test_an_unknown_component_file_is_a_404(anonymous, caplog, path):
    assert_refused(anonymous.get(path), 404, caplog)


@pytest.mark.parametrize(
    "body",
    [
        '{"output": "%s", "outputs": {"id": "x", "property": "y"}, "changedPropIds": []}',  # no inputs
        '{"output": "%s", "outputs": {}, "inputs": [{"id": "a", "property": "b", "value": '
        + "[" * 50_000
        + "0"
        + "]" * 50_000
        + "}]}",  # nested 50,000 levels deep
        "[1, 2]",
        '{"output": "%s", "outputs": {}, "inputs": [3]}',
        '{"output": "%s", "outputs": {}, "inputs": [], "state": "x"}',
        "{not json",
    ],
    ids=["no-inputs", "deep", "list", "input-not-object", "state-not-list", "not-json"],
)
def test_a_malformed_callback_body_is_a_400(anonymous, caplog, body):
    raw = body % a_callback(anonymous) if "%s" in body else body
    assert_refused(post_callback(anonymous, raw), 400, caplog)


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/layers/nothing.geojson", "/api/v2/nearest"])
def test_unknown_api_paths_answer_json_404(anonymous, caplog, path):
    assert_refused(anonymous.get(path, headers={"Accept": "text/html"}), 404, caplog)


def test_an_unknown_layer_names_the_known_ones(anonymous):
    error = anonymous.get("/api/v1/layers/nothing.geojson").get_json()["error"]
    assert "'nothing'" in error and "service_centers" in error


def test_raw_utf8_in_a_url_is_refused_in_json_by_the_served_app(tmp_path):
    """Under ``python app.py`` (gunicorn), a URL with unencoded Chinese never reaches the app."""
    from tests.conftest import gunicorn_server

    with gunicorn_server(write_minimal(tmp_path / "raw.gpkg"), workers=1, threads=2) as url:
        where = urlparse(url)
        with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
            request = "GET /api/v1/search?q=人民 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            conn.sendall(request.encode())
            raw = b""
            while chunk := conn.recv(65536):
                raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"Content-Type: application/json" in head
    assert b"percent-encode" in body and "人民".encode() not in body


def test_what_the_renderer_sends_for_pattern_matching_inputs_is_accepted(app):
    """An ALL input is a list of dependencies: the guard must let the page's own requests by."""
    from dashboard.request_guard import callback_body_problem

    body = (
        b'{"output": "x.children", "outputs": {"id": "x", "property": "children"}, "inputs": '
        b'[[{"id": {"type": "card", "id": "a"}, "property": "n_clicks", "value": 1}], '
        b'{"id": "y", "property": "value", "value": null}], "state": [[]], "changedPropIds": []}'
    )
    assert callback_body_problem(body) is None
