"""Each face in a real headless Chromium, at the size its users have.

A test passes only if a person would see the right thing: the district drawn with
its layers, features that open popups, figures that match the data, no errors and
no request that would leave an intranet.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from geodata.metrics import district_kpis
from tests.conftest import PageWatch, map_state, wait_map_still

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u4e00-\u9fff]")
INSIDE = {"longitude": 108.70, "latitude": 34.34}
"""A point in 人民路街道, for a phone that shares its position."""


def features(page, layer: str):
    return page.locator(f"path.rm-f-{layer}")


def wait_for_features(page, layer: str, timeout: float = 15_000) -> None:
    page.wait_for_selector(f"path.rm-f-{layer}", state="attached", timeout=timeout)


def assert_clean(watch, own_url: str) -> None:
    assert watch.foreign_requests(own_url) == [], "the page asked another host for something"
    assert watch.page_errors == [], watch.page_errors
    assert watch.console_errors == [], watch.console_errors


# ---- public finder, phone ------------------------------------------------------------


@pytest.fixture
def phone(browser, live_server):
    """A 390×844 phone page of the public finder, with extra browser-context options
    (a position, permissions); every request to another host is aborted and recorded."""
    contexts = []

    def _open(path: str = "/", **options):
        options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", **options}
        context = browser.new_context(viewport={"width": 390, "height": 844}, **options)
        contexts.append(context)
        own = urlparse(live_server.url).netloc
        watch = PageWatch()

        def route(r):
            watch.requests.append(r.request.url)
            if urlparse(r.request.url).netloc == own:
                r.continue_()
            else:
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
        page.on("pageerror", lambda e: watch.page_errors.append(str(e)))
        page.goto(live_server.url + path, wait_until="networkidle")
        wait_for_features(page, "service_centers")
        return page, watch

    yield _open
    for context in contexts:
        context.close()


def answer_for(page, query: str = "rml", pick: str = "人民路街道") -> None:
    """Type a query, tap the suggestion ``pick`` and wait for the five answers."""
    page.fill("#pub-search", query)
    page.locator(".rm-sugg", has_text=pick).first.click()
    page.wait_for_function("() => document.querySelectorAll('.rm-result').length === 5")


def box_of(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {x: r.left, y: r.top, right: r.right, bottom: r.bottom, w: r.width, h: r.height}; }"
    )


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
    page.wait_for_selector("path.rm-route", state="attached")
    page.wait_for_function(
        "() => document.querySelectorAll('.rm-res-btn')[1].getAttribute('aria-pressed') === 'true'"
        " && document.querySelector('.leaflet-marker-icon.rm-pin.selected span').textContent === '2'"
    )
    page.locator(".rm-pub-sheet").evaluate("el => el.scrollTop = 0")
    wait_map_still(page)  # a picture of the route, not of the flight to it
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
    assert page.locator("a.rm-lang > span[lang]").inner_text() == "中文"
    assert_clean(watch, live_server.url)


def test_my_location_answers_with_the_five_nearest_places(phone):
    page, watch = phone(geolocation=INSIDE, permissions=["geolocation"])
    page.click("#pub-locate")
    page.wait_for_function("() => document.querySelectorAll('.rm-result').length === 5")
    assert "我的位置" in page.locator("#pub-where-text").inner_text()
    assert page.locator("#pub-message").inner_text() == ""
    assert_clean(watch, page.url)


def test_my_location_outside_the_district_says_so(phone):
    page, watch = phone(geolocation={"longitude": 116.40, "latitude": 39.90}, permissions=["geolocation"])
    page.click("#pub-locate")
    page.wait_for_function("() => /不在秦都区/.test(document.querySelector('#pub-message').textContent)")
    assert "搜索地点" in page.locator("#pub-message").inner_text()
    assert page.locator(".rm-result").count() == 0
    assert_clean(watch, page.url)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_search_hint_fits_the_box_on_a_phone(phone, lang):
    page, watch = phone(f"/?lang={lang}")
    room, needed = page.evaluate(
        """() => {
            const box = document.querySelector('#pub-search'), s = getComputedStyle(box);
            const pen = document.createElement('canvas').getContext('2d');
            pen.font = s.fontSize + ' ' + s.fontFamily;
            const room = box.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
            return [room, pen.measureText(box.placeholder).width];
        }"""
    )
    assert needed <= room, (needed, room)
    assert_clean(watch, page.url)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_my_location_refused_says_what_to_do_next_to_the_button(phone, lang):
    page, watch = phone(f"/?lang={lang}")  # no permission: the phone says no
    page.click("#pub-locate")
    message = page.locator("#pub-message")
    message.wait_for(state="visible")
    page.wait_for_function("() => !/正在|Finding/.test(document.querySelector('#pub-message').textContent)")
    text = message.inner_text()
    if lang == "zh":
        assert "搜索" in text and "地图" in text and "设置" in text, text
    else:
        assert "search" in text.lower() and "map" in text.lower() and "settings" in text, text
        assert not HAN.search(text)
    button, shown = box_of(page, "#pub-locate"), box_of(page, "#pub-message")
    assert 0 <= shown["y"] - button["bottom"] < 40, "the message sits right under the button"
    assert shown["bottom"] < box_of(page, ".rm-pub-sheet")["y"]
    assert page.locator(".rm-result").count() == 0
    assert_clean(watch, page.url)


def test_the_chosen_service_chip_stands_out_and_the_row_says_it_scrolls(phone):
    page, watch = phone()
    page.locator("input.rm-chip-input[value='legal_advice']").check(force=True)
    chip = "label:has(input.rm-chip-input[value='{}']) .rm-chip"
    style = (
        "e => { const s = getComputedStyle(e), b = getComputedStyle(e, '::before');"
        " return {bg: s.backgroundColor, weight: s.fontWeight, border: s.borderTopWidth, mark: b.content}; }"
    )
    chosen = page.locator(chip.format("legal_advice")).evaluate(style)
    other = page.locator(chip.format("any")).evaluate(style)
    assert chosen["bg"] != other["bg"], "colour"
    assert "✓" in chosen["mark"] and "✓" not in other["mark"], "a check mark, for those who do not see colour"
    row = page.locator("#pub-service").evaluate(
        "e => ({scrolls: e.scrollWidth > e.clientWidth, fade: getComputedStyle(e).maskImage"
        " || getComputedStyle(e).webkitMaskImage})"
    )
    assert row["scrolls"] and "gradient" in row["fade"], row
    assert_clean(watch, page.url)


def test_keyboard_reaches_the_chips_past_the_map_and_sees_where_it_is(phone):
    page, watch = phone()
    page.focus("#pub-search")
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('rm-chip-input')"):
            break
    else:
        pytest.fail("15 Tab presses from the search box did not reach the service chips")
    outline = page.evaluate(
        "() => { const c = document.activeElement.closest('label').querySelector('.rm-chip');"
        " const s = getComputedStyle(c); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline
    assert page.evaluate("() => [...document.querySelectorAll('path.rm-f')].every(p => p.tabIndex < 0)")
    assert_clean(watch, page.url)


def test_the_search_box_is_a_combobox_and_enter_moves_to_the_results(phone):
    page, watch = phone()
    box = page.locator("#pub-search")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    box.type("rml")
    page.locator("#pub-suggestions [role=option]").first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == "pub-suggestions"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    second = page.locator("#pub-suggestions [role=option]").nth(1)
    assert active and active == second.get_attribute("id")
    assert second.get_attribute("aria-selected") == "true"
    picked = second.locator(".rm-sugg-name").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.rm-result').length === 5")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'pub-count'")
    assert picked in page.locator("#pub-where-text").inner_text()
    count = page.locator("#pub-count")
    assert count.get_attribute("aria-live") == "polite" and "5" in count.inner_text()
    assert page.locator("#pub-service").get_attribute("aria-labelledby")
    assert page.locator("#pub-service-label").inner_text() == "我需要"
    # The numbered pins stay reachable by keyboard; the background features do not.
    page.wait_for_selector(".leaflet-marker-icon.rm-pin")
    assert page.evaluate("() => [...document.querySelectorAll('.rm-pin')].every(p => p.tabIndex === 0)")
    assert_clean(watch, page.url)


def test_tapping_result_three_fits_its_route_and_marks_only_that_card(phone):
    page, watch = phone()
    answer_for(page)
    wait_map_still(page)
    before = map_state(page)
    page.locator(".rm-res-btn").nth(2).click()
    page.wait_for_function(
        "() => document.querySelector('.leaflet-marker-icon.rm-pin.selected span').textContent === '3'"
    )
    pressed = page.locator(".rm-res-btn").evaluate_all("bs => bs.map(b => b.getAttribute('aria-pressed'))")
    assert pressed == ["false", "false", "true", "false", "false"]
    card = page.locator(".rm-result").nth(2).evaluate("e => getComputedStyle(e).borderTopWidth")
    first = page.locator(".rm-result").nth(0).evaluate("e => getComputedStyle(e).borderTopWidth")
    assert float(card.removesuffix("px")) > float(first.removesuffix("px"))
    wait_map_still(page, moved_from=before)  # the fly to the route has ended
    shown = box_of(page, "#pub-map")
    for part in ("path.rm-route", ".leaflet-marker-icon.rm-pin.selected", ".rm-you"):
        b = box_of(page, part)
        assert shown["x"] <= b["x"] and b["right"] <= shown["right"], part
        assert shown["y"] <= b["y"] and b["bottom"] <= shown["bottom"] - 12, part  # not under the sheet
    assert_clean(watch, page.url)


def test_the_english_page_is_english_throughout(phone):
    page, watch = phone("/?lang=en")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert not HAN.search(page.title()), page.title()
    page.fill("#pub-search", "rml")
    page.locator(".rm-sugg").first.wait_for()
    contexts = page.locator(".rm-sugg-context").all_inner_texts()
    assert contexts[:2] == ["Qindu District · Street", "Road · Arterial"], contexts
    for text in contexts:
        parts = text.split(" · ")
        assert len(parts) == len(set(parts)), text
    page.locator(".rm-sugg").first.click()
    page.wait_for_function("() => document.querySelectorAll('.rm-result').length === 5")
    services = page.locator(".rm-res-services").all_inner_texts()
    assert services and all("、" not in s and not HAN.search(s) for s in services), services
    assert page.get_by_role("link", name=re.compile(r"^Switch language:\s*中文$")).count() == 1
    assert_clean(watch, page.url)


def test_the_chinese_page_names_its_parts_in_chinese(phone):
    page, watch = phone()
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    assert HAN.search(page.title())
    labels = page.evaluate(
        "() => [...document.querySelectorAll('.rm-public [aria-label]')]"
        ".map(e => e.getAttribute('aria-label'))"
    )
    assert labels and all(HAN.search(label) for label in labels), labels
    assert page.get_by_role("link", name=re.compile(r"^切换语言：\s*English$")).count() == 1
    assert_clean(watch, page.url)


def test_phone_tap_targets_are_at_least_44_px(phone):
    page, watch = phone()
    answer_for(page)
    for selector in (
        ".leaflet-control-zoom a",
        "a.rm-lang",
        "#pub-locate",
        ".rm-res-phone",
        ".rm-toggle label",
        ".rm-chips label",
        ".rm-res-btn",
    ):
        sizes = page.locator(selector).evaluate_all(
            "es => es.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
        )
        assert sizes, selector
        assert all(w >= 44 and h >= 44 for w, h in sizes), (selector, sizes)
    assert_clean(watch, page.url)


def test_a_popup_stays_clear_of_the_zoom_control_and_calls_by_tel(phone):
    page, watch = phone()
    page.add_style_tag(content=".rm-pub-sheet { display: none !important; }")
    # The centre nearest the top left corner of the map: its popup would open under the zoom buttons.
    index = page.evaluate(
        """() => {
            const map = document.querySelector('#pub-map').getBoundingClientRect();
            const dots = [...document.querySelectorAll('path.rm-f-service_centers')];
            let best = -1, score = Infinity;
            dots.forEach((d, i) => {
                const r = d.getBoundingClientRect();
                const inside = r.left > map.left + 8 && r.top > map.top + 8
                    && r.right < map.right && r.bottom < map.bottom;
                if (!inside) return;
                const s = (r.left - map.left) + (r.top - map.top);
                if (s < score) { score = s; best = i; }
            });
            return best;
        }"""
    )
    assert index >= 0
    page.locator("path.rm-f-service_centers").nth(index).dispatch_event("click")
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    wait_map_still(page)  # the pan that makes room has ended
    zoom, title = box_of(page, ".leaflet-control-zoom"), box_of(page, ".leaflet-popup-content h4")
    overlaps = title["x"] < zoom["right"] and zoom["x"] < title["right"] and title["y"] < zoom["bottom"]
    assert not (overlaps and zoom["y"] < title["bottom"]), (zoom, title)
    tel = page.locator(".leaflet-popup-content a[href^='tel:']")
    assert tel.count() == 1 and re.fullmatch(r"tel:[0-9+]+", tel.get_attribute("href"))
    assert_clean(watch, page.url)


def test_the_15_minute_area_is_fitted_into_view_when_shown(phone):
    page, watch = phone()
    answer_for(page)
    wait_map_still(page)
    before = map_state(page)
    page.locator("#pub-area input").check(force=True)
    page.wait_for_selector('#pub-map path[fill="#ffd54f"]', state="attached")
    wait_map_still(page, moved_from=before)  # the fly to the area has ended
    shown, area = box_of(page, "#pub-map"), box_of(page, '#pub-map path[fill="#ffd54f"]')
    assert shown["x"] <= area["x"] and area["right"] <= shown["right"]
    assert shown["y"] <= area["y"] and area["bottom"] <= shown["bottom"]
    assert_clean(watch, page.url)


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
