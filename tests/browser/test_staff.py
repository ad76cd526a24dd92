"""The staff workspace in headless Chromium at 1366×768: filters, table, choropleth, gaps, links."""

from __future__ import annotations

import re

import pytest

from dashboard.auth import demo_account_name
from dashboard.choropleth import METRICS, classify
from dashboard.finder import build_finder
from dashboard.gaps import WalkTimes, gap_summary
from geodata.area_metrics import Scope
from tests.browser.test_faces import assert_clean, features, wait_for_features
from tests.conftest import wait_map_still

pytestmark = pytest.mark.browser

W, H = 1366, 768


def shown_total(page) -> int:
    """The table note's total ("第 1–50 条，共 5,200 条")."""
    page.wait_for_function(
        "() => /共 [0-9,]+ 条/.test(document.querySelector('#staff-records-note').textContent)"
    )
    note = page.locator("#staff-records-note").inner_text()
    return int(re.search(r"共 ([0-9,]+) 条", note).group(1).replace(",", ""))


def column(page, name: str) -> list[str]:
    """The texts of one column of the table's current page."""
    return page.evaluate(
        """name => {
            const heads = [...document.querySelectorAll('#staff-records th')];
            const i = heads.findIndex(th => th.dataset.col === name);
            if (i < 0) { return null; }
            return [...document.querySelectorAll('#staff-records tbody tr[data-row-id]')]
                .map(tr => tr.children[i].textContent);
        }""",
        name,
    )


def wait_total(page, n: int) -> None:
    page.wait_for_function(
        "n => (document.querySelector('#staff-records-note').textContent.match(/共 ([0-9,]+) 条/) || [])[1]"
        " === n.toLocaleString('en-US')",
        arg=n,
    )


def test_a_street_filter_narrows_map_table_and_chart(live_server, demo_dataset, open_page):
    streets = demo_dataset["streets"].sort_values("id")
    street = streets.iloc[4]
    events = demo_dataset["grid_events"]
    centres = demo_dataset["service_centers"]
    page, watch = open_page(live_server.url + "/staff/", W, H, live_server.url, login="admin")
    wait_for_features(page, "service_centers")
    assert shown_total(page) == len(events)
    page.locator("#staff-street").click()
    page.get_by_role("option", name=street["name"]).click()
    expected = int((events["street_id"] == street["id"]).sum())
    wait_total(page, expected)
    page.wait_for_function(
        "n => document.querySelectorAll('path.rm-f-service_centers').length === n",
        arg=int((centres["street_id"] == street["id"]).sum()),
    )
    # Every listed row is in the street, and the chart's bars add up to the table.
    cells = column(page, "street_id")
    assert cells and set(cells) == {street["name"]}
    bars = page.eval_on_selector_all(
        "#staff-chart [data-count]", "els => els.map(e => Number(e.dataset.count))"
    )
    assert sum(bars) == expected
    # The link follows the table's answer.
    page.wait_for_function("s => location.search.includes(s)", arg="street=" + street["id"])
    assert_clean(watch, live_server.url)


def test_a_stage_filter_shows_the_stuck_compounds_on_map_and_table(live_server, demo_dataset, open_page):
    compounds = demo_dataset["three_no_compounds"]
    stuck = compounds[compounds["stage"] == "审"]
    assert len(stuck) > 0
    url = live_server.url + "/staff/?table=three_no_compounds&f.stage=审&layers=three_no_compounds,streets"
    page, watch = open_page(url, W, H, live_server.url, login="admin")
    wait_total(page, len(stuck))
    page.wait_for_function(
        "n => document.querySelectorAll('path.rm-f-three_no_compounds').length === n", arg=len(stuck)
    )
    ids = set(column(page, "id"))
    assert ids == set(stuck["id"])
    assert_clean(watch, live_server.url)


def test_kinds_chosen_in_the_page_narrow_map_and_table_alike(live_server, demo_dataset, open_page):
    centres = demo_dataset["service_centers"]
    street = demo_dataset["streets"].sort_values("id").iloc[3]
    in_street = centres[centres["street_id"] == street["id"]]
    url = f"{live_server.url}/staff/?table=service_centers&layers=service_centers&street={street['id']}"
    page, watch = open_page(url, W, H, live_server.url, login="admin")
    count = "n => document.querySelectorAll('path.rm-f-service_centers').length === n"
    wait_total(page, len(in_street))
    page.wait_for_function(count, arg=len(in_street))
    # Kinds chosen on the page: the map filters itself (the street still applies), the
    # table asks the server; both must list the same centres.
    page.locator(".rm-field-filter").first.click()
    for label, kinds in (("公园", {"park"}), ("广场", {"park", "square"})):
        page.get_by_role("option", name=label).click()
        chosen = in_street[in_street["site_type"].isin(kinds)]
        assert 0 < len(chosen) < len(in_street)
        wait_total(page, len(chosen))
        page.wait_for_function(count, arg=len(chosen))
        assert set(column(page, "id")) == set(chosen["id"])
    assert_clean(watch, live_server.url)


def test_a_community_lists_its_grids_and_another_street_lets_go_of_it(live_server, demo_dataset, open_page):
    from playwright.sync_api import expect

    streets = demo_dataset["streets"].sort_values("id")
    communities, grids, events = (demo_dataset[n] for n in ("communities", "grids", "grid_events"))
    first, second = streets.iloc[3], streets.iloc[5]
    community = communities[communities["street_id"] == first["id"]].sort_values("id").iloc[0]
    page, watch = open_page(live_server.url + "/staff/", W, H, live_server.url, login="admin")
    wait_total(page, len(events))

    def offers(dropdown: str, places) -> None:
        """The dropdown lists exactly these places, by name in id order."""
        page.locator(dropdown).click()
        expect(page.locator(".dash-dropdown-content [role=option]")).to_have_text(
            list(places.sort_values("id")["name"])
        )
        page.keyboard.press("Escape")

    page.locator("#staff-street").click()
    page.get_by_role("option", name=first["name"]).click()
    wait_total(page, int((events["street_id"] == first["id"]).sum()))
    offers("#staff-community", communities[communities["street_id"] == first["id"]])
    page.locator("#staff-community").click()
    page.get_by_role("option", name=community["name"]).click()
    wait_total(page, int((events["community_id"] == community["id"]).sum()))
    offers("#staff-grid", grids[grids["community_id"] == community["id"]])
    page.wait_for_function("s => location.search.includes(s)", arg="community=" + community["id"])
    # Another street: the first one's community no longer applies, in the table, the list or the link.
    page.locator("#staff-street").click()
    page.get_by_role("option", name=second["name"]).click()
    wait_total(page, int((events["street_id"] == second["id"]).sum()))
    offers("#staff-community", communities[communities["street_id"] == second["id"]])
    page.wait_for_function("() => !location.search.includes('community=')")
    assert community["name"] not in page.locator("#staff-community").inner_text()
    assert_clean(watch, live_server.url)


def test_third_round_mediation_cases_show_personal_data_only_in_the_caseworkers_street(
    live_server, demo_dataset, open_page
):
    cases = demo_dataset["mediation_cases"]
    streets = demo_dataset["streets"].sort_values("id")
    own, other = streets.iloc[0], streets.iloc[1]
    account = demo_account_name(own["name"], own["id"])
    for street, masked in ((other, True), (own, False)):
        third = cases[(cases["round"] == 3) & (cases["street_id"] == street["id"])]
        url = f"{live_server.url}/staff/?table=mediation_cases&f.round=3&street={street['id']}"
        page, watch = open_page(url, W, H, live_server.url, login=account)
        wait_total(page, len(third))
        cells = column(page, "disputant_phone")
        phones = [p for p in cells if p != "—"]
        assert phones, "the demo has third-round cases with phones in both streets"
        assert all(("****" in p) == masked for p in phones), (street["name"], phones[:3])
        assert_clean(watch, live_server.url)


@pytest.mark.parametrize(
    "metric_id,level", [("incidents_per_1000", "communities"), ("mediation_success", "communities")]
)
def test_the_choropleth_legend_matches_the_values_it_colours(
    live_server, demo_dataset, open_page, screenshots_dir, metric_id, level
):
    metric = METRICS[metric_id]
    result = classify(metric.compute(demo_dataset, Scope(level)), metric.min_records)
    page, watch = open_page(
        live_server.url + f"/staff/?metric={metric_id}&level={level}",
        W,
        H,
        live_server.url,
        login="admin",
    )
    page.locator(".rm-legend li").first.wait_for()
    page.wait_for_function(
        "n => document.querySelectorAll('path.rm-f-choropleth').length === n",
        arg=len(demo_dataset[level]),
    )
    rows = page.eval_on_selector_all(
        ".rm-legend li", "els => els.map(e => [e.className, e.dataset.count, e.textContent])"
    )
    assert len(rows) == len(result.legend)
    fills = page.eval_on_selector_all("path.rm-f-choropleth", "els => els.map(e => e.getAttribute('fill'))")
    for row, shown in zip(result.legend, rows, strict=True):
        assert int(shown[1]) == row.count
        assert fills.count(row.color) == row.count, row
        if row.kind == "class":
            # Each bound as the metric reads everywhere: 12.5 per 1,000, or 80% for a share.
            assert f"{metric.format(row.lower)} – {metric.format(row.upper)}" in shown[2]
    if metric.scale == "share":
        assert "%" in rows[0][2]
    page.screenshot(path=screenshots_dir / f"staff-choropleth-{metric_id}-1366x768.png")
    assert_clean(watch, live_server.url)


def test_the_gap_summary_is_the_walking_analysis(live_server, demo_dataset, open_page):
    summary = gap_summary(
        demo_dataset, WalkTimes(demo_dataset, build_finder(demo_dataset)), "legal_aid", 10, None
    )
    page, watch = open_page(
        live_server.url + "/staff/?metric=walk_coverage&gap=legal_aid&minutes=10", W, H, live_server.url,
        login="admin",
    )  # fmt: skip
    page.wait_for_function("() => document.querySelector('#staff-gap-summary').textContent.length > 10")
    text = page.locator("#staff-gap-summary").inner_text()
    assert f"{summary.blocks_beyond:,} / {summary.blocks:,}" in text
    assert f"约 {summary.households_beyond:,} 户" in text
    page.wait_for_function(
        "n => document.querySelectorAll('path.rm-f-gaps').length === n", arg=summary.blocks_beyond
    )
    assert_clean(watch, live_server.url)


def map_picture(page, name: str) -> tuple[str, list[float]]:
    """What a person sees of the view: the scale bar, and where a street's label sits."""
    scale = page.locator(".leaflet-control-scale-line").first.inner_text()
    box = page.locator(".rm-street-label", has_text=name).first.bounding_box()
    return scale, [round(box["x"]), round(box["y"]), round(box["width"]), round(box["height"])]


def test_a_link_reopens_the_same_view(live_server, demo_dataset, open_page):
    street = demo_dataset["streets"].sort_values("id").iloc[2]
    page, watch = open_page(live_server.url + "/staff/", W, H, live_server.url, login="admin")
    wait_for_features(page, "service_centers")
    page.locator("#staff-street").click()
    page.get_by_role("option", name=street["name"]).click()
    page.locator(".rm-layer-list input[value='service_centers']").uncheck()
    page.locator(".rm-layer-list input[value='grids']").check()
    page.wait_for_function("() => location.search.includes('view=') && location.search.includes('grids')")
    wait_map_still(page)  # the flight to the street has ended and written its view
    wait_for_features(page, "grids", timeout=30_000)
    link, seen, total = page.url, map_picture(page, street["name"]), shown_total(page)

    again, watch2 = open_page(link, W, H, live_server.url, login="admin")
    wait_for_features(again, "grids", timeout=30_000)
    wait_map_still(again)
    assert features(again, "service_centers").count() == 0
    assert again.locator(".rm-layer-list input[value='grids']").is_checked()
    assert street["name"] in again.locator("#staff-street").inner_text()
    assert shown_total(again) == total
    scale, box = map_picture(again, street["name"])
    assert scale == seen[0]
    assert all(abs(a - b) <= 3 for a, b in zip(box, seen[1], strict=True)), (box, seen[1])
    assert_clean(watch, live_server.url)
    assert_clean(watch2, live_server.url)


def test_clicking_a_row_flies_to_its_feature_and_opens_a_popup(live_server, demo_dataset, open_page):
    page, watch = open_page(
        live_server.url + "/staff/?table=service_centers", W, H, live_server.url, login="admin"
    )
    wait_for_features(page, "service_centers")
    name = column(page, "name")[0]
    page.locator("#staff-records tbody tr[data-row-id]").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=8000)
    assert name in popup.inner_text()
    # The link follows once Dash has answered the click: waited for, not read at once.
    page.wait_for_function("() => location.search.includes('sel=')")
    assert_clean(watch, live_server.url)


def note_range(page) -> str:
    return re.search(r"第 ([0-9,]+–[0-9,]+) 条", page.locator("#staff-records-note").inner_text()).group(1)


def wait_range(page, rows: str) -> None:
    page.wait_for_function(
        "r => document.querySelector('#staff-records-note').textContent.includes('第 ' + r + ' 条')", arg=rows
    )


def test_the_table_pages_sorts_and_searches_over_every_filtered_row(live_server, demo_dataset, open_page):
    cases = demo_dataset["mediation_cases"]
    page, watch = open_page(
        live_server.url + "/staff/?table=mediation_cases&street=all", W, H, live_server.url, login="admin"
    )
    wait_total(page, len(cases))
    assert note_range(page) == "1–50"
    first_ids = column(page, "id")
    page.locator("#staff-pager button[aria-label='下一页']").click()
    wait_range(page, "51–100")
    assert not set(column(page, "id")) & set(first_ids)
    # Sorting by street reads the streets' names in order, from the first page again.
    page.locator("#staff-records th[data-col='street_id'] button").click()
    wait_range(page, "1–50")
    page.wait_for_selector("#staff-records th[data-col='street_id'][aria-sort='ascending']")
    names = column(page, "street_id")
    assert names == sorted(names) and names[0] == min(demo_dataset.names_by_id("streets").values())
    # A search narrows the rows to what matches: here, one street by its name.
    street = demo_dataset["streets"].sort_values("id").iloc[2]
    page.locator("#staff-search").fill(street["name"])
    wait_total(page, int((cases["street_id"] == street["id"]).sum()))
    assert set(column(page, "street_id")) == {street["name"]}
    assert_clean(watch, live_server.url)


def test_clicking_a_feature_on_the_map_selects_its_row(live_server, demo_dataset, open_page):
    centres = demo_dataset["service_centers"]
    page, watch = open_page(
        live_server.url + "/staff/?table=service_centers&layers=service_centers&street=all",
        W,
        H,
        live_server.url,
        login="admin",
    )
    wait_total(page, len(centres))
    wait_for_features(page, "service_centers")
    # A marker nothing else covers (at district zoom labels and markers overlap), clicked
    # where a person would.
    x, y = page.evaluate(
        """() => {
            for (const p of document.querySelectorAll('path.rm-f-service_centers')) {
                const r = p.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
                if (r.width > 0 && document.elementFromPoint(x, y) === p) { return [x, y]; }
            }
            return null;
        }"""
    )
    page.mouse.click(x, y)
    row = page.locator("#staff-records tr.rm-row-selected")
    row.wait_for(timeout=30_000)
    row_id = row.get_attribute("data-row-id")
    name = centres.loc[centres["id"] == row_id, "name"].iloc[0]
    assert row.get_attribute("aria-selected") == "true"
    assert name in row.inner_text()
    # The row is on the page shown and in view in the table.
    assert row.is_visible()
    assert f"sel={row_id}" in page.url
    assert_clean(watch, live_server.url)


def test_in_view_only_ties_the_table_to_the_map(live_server, demo_dataset, open_page):
    centres = demo_dataset["service_centers"]
    page, watch = open_page(
        live_server.url + "/staff/?table=service_centers&street=all", W, H, live_server.url, login="admin"
    )
    wait_total(page, len(centres))
    # Zoom in on one centre: only the centres inside the map's bounds stay listed.
    page.locator("#staff-records tbody tr[data-row-id]").first.click()
    page.locator(".leaflet-popup-content").wait_for()
    wait_map_still(page)  # the flight has ended; the map reports its bounds
    page.locator("#staff-in-view input").check()
    page.wait_for_function(
        "n => { const m = document.querySelector('#staff-records-note').textContent.match(/共 ([0-9,]+) 条/);"
        " return m && Number(m[1].replace(/,/g, '')) < n; }",
        arg=len(centres),
    )
    shown = shown_total(page)
    assert 1 <= shown < len(centres)
    # The download link carries the same bounds, so the file holds the same rows.
    href = page.locator("#staff-export-csv").get_attribute("href")
    west, south, east, north = (float(v) for v in re.search(r"bbox=([^&]+)", href).group(1).split(","))
    inside = centres.geometry.x.between(west, east) & centres.geometry.y.between(south, north)
    assert shown == int(inside.sum())
    assert "inview=1" in page.url
    assert_clean(watch, live_server.url)


def test_the_time_slider_sets_the_date_range_and_plays_it_forward(live_server, demo_dataset, open_page):
    import pandas as pd

    events = demo_dataset["grid_events"]
    day = pd.to_datetime(events["found_at"]).dt.date.astype(str)
    page, watch = open_page(live_server.url + "/staff/", W, H, live_server.url, login="admin")
    wait_total(page, len(events))
    # The chart is drawn on the page's first answer, before anything is touched.
    page.wait_for_function(
        "n => document.querySelector('#staff-chart').textContent.includes(n)",
        arg=f"{int(events['status'].value_counts().max()):,}",
    )
    months = sorted({d[:7] for d in day})
    # Pull the slider's right end back three months: the table keeps the months left.
    thumbs = page.locator("#staff-date-slider [role=slider]")
    thumbs.nth(1).focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    kept = months[: len(months) - 3]
    wait_total(page, int(day.str[:7].isin(kept).sum()))
    page.wait_for_function("m => location.search.includes('to=' + m)", arg=kept[-1])
    shown_dates = page.locator(".rm-dates input").evaluate_all("els => els.map(e => e.value)")
    assert shown_dates[:2] == [kept[0] + "-01", str(pd.Period(kept[-1]).end_time.date())]
    # ▶ moves the window a month at a time: then it holds months 2..len-2.
    page.locator("#staff-play").click()
    moved = months[1 : len(months) - 2]
    wait_total(page, int(day.str[:7].isin(moved).sum()))
    page.locator("#staff-play").click()  # pause (the button answers once Dash has run the click)
    page.wait_for_function("() => document.querySelector('#staff-play').ariaPressed === 'false'")
    total = page.locator("#staff-records-note").text_content()
    # Nothing to wait for here: the claim is that nothing happens. Two seconds is
    # longer than a play step, so a window that kept moving would have moved.
    page.wait_for_timeout(2000)
    assert page.locator("#staff-records-note").text_content() == total
    assert_clean(watch, live_server.url)
