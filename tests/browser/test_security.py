"""Security as a person in a real browser meets it: sign-in, sign-out, hostile text."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer, make_settings, sign_in
from tests.factories import minimal_frames, write_minimal

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The app over data whose names and descriptions carry script payloads."""
    frames = minimal_frames()
    for layer, fields in {
        "service_centers": ["name", "address"],
        "streets": ["name"],
        "grid_events": ["description"],
        "three_no_compounds": ["name"],
    }.items():
        frame = frames[layer].copy()
        for field in fields:
            frame[field] = [f"{PAYLOAD}{i}" for i in range(len(frame))]
        frames[layer] = frame
    path = write_minimal(tmp_path_factory.mktemp("xss") / "hostile.gpkg", frames)
    server = LiveServer(make_settings(path))
    yield server
    server.stop()


def test_script_in_feature_text_shows_as_text_on_the_public_map(hostile_server, open_page):
    page, watch = open_page(hostile_server.url + "/", 390, 844, hostile_server.url)
    page.wait_for_selector("path.rm-f-service_centers", state="attached")
    page.locator(".rm-pub-sheet").evaluate("el => el.style.display = 'none'")
    marker = page.locator("path.rm-f-service_centers").first
    marker.hover(force=True)
    marker.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "<img src=x" in popup.inner_text()  # the payload is visible as text
    # No element was made from it (the CSP would stop its script from running anyway, so
    # "did the script run" could not fail; "is there an element" can).
    hostile = ".leaflet-popup-content img, .leaflet-popup-content script, .rm-street-label img"
    assert page.locator(hostile).count() == 0
    assert watch.page_errors == [] and watch.console_errors == []


def test_script_in_records_shows_as_text_in_the_staff_table(hostile_server, open_page):
    page, watch = open_page(hostile_server.url + "/staff/", 1366, 768, hostile_server.url, login="admin")
    page.wait_for_selector("#staff-records td")
    assert "<script>" in page.locator("#staff-records").inner_text()
    page.locator(".rm-layer-list input[value='three_no_compounds']").wait_for()
    page.locator("path.rm-f-three_no_compounds").first.click(force=True)
    page.locator(".leaflet-popup-content").wait_for()
    assert "<img src=x" in page.locator(".leaflet-popup-content").inner_text()
    hostile = (
        "#staff-records img, #staff-records script, .leaflet-popup-content img, .leaflet-popup-content script"
    )
    assert page.locator(hostile).count() == 0
    assert watch.page_errors == [] and watch.console_errors == []


def test_sign_in_shows_the_workspace_and_sign_out_ends_it(live_server, browser, screenshots_dir):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/staff/")
    assert "/login" in page.url  # an anonymous visitor is asked to sign in first
    page.screenshot(path=screenshots_dir / "login-1366x768.png")
    page.fill("#username", "admin")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator(".rm-login-error").inner_text()
    sign_in(page, live_server.url, "staff_renminlu")
    page.goto(live_server.url + "/staff/", wait_until="networkidle")
    assert "staff_renminlu" in page.locator(".rm-user").inner_text()
    page.click("button.rm-logout")
    page.wait_for_url("**/login")
    page.goto(live_server.url + "/staff/")
    assert "/login" in page.url
    context.close()


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
def test_login_form_stays_on_screen_with_a_city_of_demo_accounts(browser, size) -> None:
    # A city (10x the demo district) has 120 street accounts; listed under the form
    # they once pushed the sign-in button above the top of the page, out of reach.
    from pathlib import Path

    from flask import Flask, render_template_string

    from dashboard.auth.web import _LOGIN_TEMPLATE, _LOGIN_TEXT

    names = ["admin", "viewer"] + [f"staff_renminlu{i}" for i in range(120)]
    with Flask("t").test_request_context():
        html = render_template_string(
            _LOGIN_TEMPLATE,
            t=_LOGIN_TEXT["zh"],
            lang="zh",
            other="en",
            error=None,
            next_path="",
            csrf="x",
            demo_accounts=names,
        )
    css = (Path(__file__).resolve().parents[2] / "assets" / "redmap.css").read_text(encoding="utf-8")
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        page.set_content(
            html.replace('<link rel="stylesheet" href="/assets/redmap.css">', f"<style>{css}</style>")
        )
        button = page.locator("button[type=submit]")
        box = button.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size[1]
        assert page.locator(".rm-login-demo").evaluate("e => e.scrollHeight > e.clientHeight")
        assert "staff_renminlu119" in page.locator(".rm-login-demo").inner_text()
    finally:
        context.close()
