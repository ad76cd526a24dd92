"""The exported HTML map opened from disk in headless Chromium with the network cut:
it draws its features, title and legend, and a hostile name shows as text."""

from __future__ import annotations

import re

import pytest

from dashboard import exports
from dashboard.auth.roles import Principal
from dashboard.workspace import TABLES, Filters, PlaceTree, filtered

pytestmark = pytest.mark.browser

ADMIN = Principal("admin", "admin")
HOSTILE = "<img src=x onerror=alert(1)>"


def open_offline(browser, path):
    """Open ``path`` with every request but the file itself aborted; returns the page
    and what else it asked for, the dialogs it opened and its errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    own = path.as_uri()
    seen: dict[str, list[str]] = {"requests": [], "dialogs": [], "errors": []}
    context.route("**/*", lambda r: r.continue_() if r.request.url == own else r.abort())
    page = context.new_page()

    def request(r) -> None:
        if r.url != own and not r.url.startswith("data:"):
            seen["requests"].append(r.url)

    def dialog(d) -> None:
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("request", request)
    page.on("dialog", dialog)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.goto(own, wait_until="load")
    return context, page, seen


def test_the_map_draws_offline_with_title_legend_and_clusters(browser, demo_dataset, tmp_path):
    spec = TABLES["grid_events"]
    places = PlaceTree.of(demo_dataset)
    street = str(demo_dataset["grid_events"]["street_id"].value_counts().index[0])
    f = Filters.from_browser(places, spec, street)
    rows = filtered(demo_dataset, spec, f)
    body = exports.to_map_html(demo_dataset, spec, rows, ADMIN, filters=f)
    assert not re.search(rb"https?://", body)
    path = tmp_path / "events.html"
    path.write_bytes(body)
    context, page, seen = open_offline(browser, path)
    try:
        page.wait_for_selector(".marker-cluster, path.rm-x-feature", timeout=10_000)
        clusters = page.locator(".marker-cluster").count()
        singles = page.locator("path.rm-x-feature").count()
        assert clusters + singles > 0
        # The clusters hold every filtered incident.
        in_clusters = sum(
            int(t.replace(",", "")) for t in page.locator(".marker-cluster span").all_inner_texts()
        )
        assert in_clusters + singles == len(rows)
        assert page.locator("#rm-x-title").is_visible()
        assert "智慧网格事件" in page.locator("#rm-x-title h1").inner_text()
        assert f"共 {len(rows):,} 条" in page.locator("#rm-x-title").inner_text()
        legend = page.locator("#rm-x-legend")
        assert (
            legend.is_visible()
            and "状态" in legend.inner_text()
            and "示意，非法定界线" in legend.inner_text()
        )
        assert page.locator(".leaflet-interactive").count() > 0  # street outlines and features
        assert seen["requests"] == [] and seen["errors"] == []
    finally:
        context.close()


def test_a_popup_shows_a_hostile_name_as_text(browser, demo_dataset, tmp_path):
    spec = TABLES["service_centers"]
    rows = demo_dataset["service_centers"].head(1).copy()
    rows.iloc[0, rows.columns.get_loc("name")] = HOSTILE
    rows.iloc[0, rows.columns.get_loc("address")] = "</script><script>alert(2)</script>"
    path = tmp_path / "hostile.html"
    path.write_bytes(exports.to_map_html(demo_dataset, spec, rows, ADMIN))
    context, page, seen = open_offline(browser, path)
    try:
        marker = page.locator("path.rm-x-feature")
        marker.wait_for(timeout=10_000)
        assert marker.count() == 1
        marker.click()
        popup = page.locator(".rm-x-popup")
        popup.wait_for(timeout=5_000)
        assert popup.locator("h4").inner_text() == HOSTILE
        assert "</script><script>alert(2)</script>" in popup.inner_text()
        assert popup.locator("img, script").count() == 0
        assert page.locator("img[src=x]").count() == 0
        assert seen["dialogs"] == [] and seen["requests"] == [] and seen["errors"] == []
    finally:
        context.close()
