"""Each face in a real headless Chromium, at the size its users have.

A test passes only if a person would see the right thing: the district drawn with
its layers, features that open popups, figures that match the data, no errors and
no request that would leave an intranet.
"""

from __future__ import annotations

import pytest

from geodata.metrics import district_kpis

pytestmark = pytest.mark.browser


def features(page, layer: str):
    return page.locator(f"path.rm-f-{layer}")


def wait_for_features(page, layer: str, timeout: float = 15_000) -> None:
    page.wait_for_selector(f"path.rm-f-{layer}", state="attached", timeout=timeout)


def assert_clean(watch, own_url: str) -> None:
    assert watch.foreign_requests(own_url) == [], "the page asked another host for something"
    assert watch.page_errors == [], watch.page_errors
    assert watch.console_errors == [], watch.console_errors


# ---- public finder, phone ------------------------------------------------------------


def test_public_page_draws_the_district_and_every_centre(live_server, demo_dataset, open_page):
    page, watch = open_page(live_server.url + "/", 390, 844, live_server.url)
    wait_for_features(page, "service_centers")
    assert features(page, "district").count() >= 1
    assert features(page, "roads").count() > 100
    assert features(page, "service_centers").count() == len(demo_dataset["service_centers"])
    assert "请先选择位置" in page.locator("#pub-where-text").inner_text()
    assert_clean(watch, live_server.url)


def test_rml_finds_renmin_road_and_five_places_on_foot_with_a_route(
    live_server, demo_dataset, open_page, screenshots_dir
):
    page, watch = open_page(live_server.url + "/", 390, 844, live_server.url)
    wait_for_features(page, "service_centers")
    page.fill("#pub-search", "rml")
    suggestion = page.locator(".rm-sugg", has_text="人民路").first
    suggestion.wait_for()
    suggestion.click()
    page.wait_for_function("() => document.querySelectorAll('.rm-result').length === 5")
    assert "人民路" in page.locator("#pub-where-text").inner_text()
    walks = page.locator(".rm-res-walk").all_inner_texts()
    minutes = [int(w.split("步行 ")[1].split(" 分钟")[0]) for w in walks]
    assert minutes == sorted(minutes) and all(m >= 1 for m in minutes)
    assert page.locator(".leaflet-marker-icon.rm-pin").count() == 5
    page.locator(".rm-res-btn").nth(1).click()  # tap the second place
    page.wait_for_function("() => document.querySelector('.rm-result.selected, .rm-results.has-selection')")
    page.wait_for_selector("path.rm-route", state="attached")
    page.wait_for_function(
        "() => document.querySelector('.rm-results').className.includes('sel-')"
        " && document.querySelector('.leaflet-marker-icon.rm-pin.selected span').textContent === '2'"
    )
    page.locator(".rm-pub-sheet").evaluate("el => el.scrollTop = 0")
    page.screenshot(path=screenshots_dir / "public-answer-390x844.png")
    assert_clean(watch, live_server.url)


def test_choosing_a_service_answers_only_with_places_that_offer_it(live_server, demo_dataset, open_page):
    page, watch = open_page(live_server.url + "/", 390, 844, live_server.url)
    wait_for_features(page, "service_centers")
    box = page.locator("#pub-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a tap on the map
    page.wait_for_function("() => document.querySelectorAll('.rm-result').length === 5")
    assert "地图上选的位置" in page.locator("#pub-where-text").inner_text()
    page.locator("input.rm-chip-input[value='legal_advice']").check(force=True)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.rm-res-services')].length > 0 &&"
        " [...document.querySelectorAll('.rm-res-services')].every(e => e.textContent.includes('法律咨询'))"
    )
    assert_clean(watch, live_server.url)


def test_tapping_a_centre_opens_its_popup_with_public_fields_only(live_server, demo_dataset, open_page):
    page, watch = open_page(live_server.url + "/", 390, 844, live_server.url)
    wait_for_features(page, "service_centers")
    # Keep the marker clear of the sheet and of other layers' markers on the same spot.
    page.add_style_tag(
        content=".rm-pub-sheet, path.rm-f-facilities, path.rm-f-daycare_centers,"
        " path.rm-f-child_care { display: none !important; }"
    )
    features(page, "service_centers").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    names = set(demo_dataset["service_centers"]["name"])
    assert any(name in text for name in names), text
    assert "开放时间" in text and "服务项目" in text
    assert_clean(watch, live_server.url)


def test_public_page_speaks_english_on_request(live_server, open_page):
    page, watch = open_page(live_server.url + "/?lang=en", 390, 844, live_server.url)
    wait_for_features(page, "service_centers")
    assert "First choose where you are" in page.locator("#pub-where-text").inner_text()
    assert page.locator("a.rm-lang").inner_text() == "中文"
    assert_clean(watch, live_server.url)


# ---- staff workspace -----------------------------------------------------------------


def test_staff_layer_panel_counts_come_from_the_data(live_server, demo_dataset, open_page, screenshots_dir):
    page, watch = open_page(live_server.url + "/staff/", 1366, 768, live_server.url, login="admin")
    wait_for_features(page, "service_centers")
    for layer in ("service_centers", "three_no_compounds", "grids", "building_groups"):
        shown = page.locator(f"[data-layer-count='{layer}']").inner_text().replace(",", "")
        assert int(shown) == len(demo_dataset[layer]), layer
    page.screenshot(path=screenshots_dir / "staff-1366x768.png")
    assert_clean(watch, live_server.url)


def test_unticking_a_layer_hides_its_features(live_server, open_page):
    page, watch = open_page(live_server.url + "/staff/", 1366, 768, live_server.url, login="admin")
    wait_for_features(page, "three_no_compounds")
    page.locator(".rm-layer-list input[value='three_no_compounds']").uncheck()
    page.wait_for_function("() => !document.querySelector('path.rm-f-three_no_compounds')")
    assert features(page, "service_centers").count() > 0
    assert_clean(watch, live_server.url)


def test_street_filter_leaves_only_that_streets_features(live_server, demo_dataset, open_page):
    centers = demo_dataset["service_centers"]
    street = demo_dataset["streets"].sort_values("id").iloc[3]
    expected = int((centers["street_id"] == street["id"]).sum())
    page, watch = open_page(live_server.url + "/staff/", 1366, 768, live_server.url, login="admin")
    wait_for_features(page, "service_centers")
    page.locator("#staff-street").click()
    page.get_by_role("option", name=street["name"]).click()
    page.wait_for_function(
        "n => document.querySelectorAll('path.rm-f-service_centers').length === n", arg=expected
    )
    assert features(page, "streets").count() >= 1
    assert_clean(watch, live_server.url)


# ---- wall display --------------------------------------------------------------------


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)])
def test_wall_fits_the_screen_and_shows_kpis_from_the_data(
    live_server, demo_dataset, open_page, screenshots_dir, width, height
):
    page, watch = open_page(live_server.url + "/wall/", width, height, live_server.url, login="viewer")
    wait_for_features(page, "streets")
    expected = {k.name: k.text for k in district_kpis(demo_dataset.frames, now=demo_dataset.as_of())}
    shown = page.eval_on_selector_all(
        "[data-kpi]", "els => Object.fromEntries(els.map(e => [e.dataset.kpi, e.textContent]))"
    )
    assert shown == expected  # every tile, each recomputed from the data file
    funnel = demo_dataset["mediation_cases"]["level"].value_counts()
    for level, n in funnel.items():
        assert page.locator(f"[data-funnel='{level}']").inner_text() == f"{n:,}"
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size == [width, height], "the wall scrolls"
    overflowing = page.eval_on_selector_all(
        ".rm-kpi",
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1"
        " || e.scrollHeight > e.clientHeight + 1).map(e => e.textContent)",
    )
    assert overflowing == []
    page.screenshot(path=screenshots_dir / f"wall-{width}x{height}.png")
    assert_clean(watch, live_server.url)
