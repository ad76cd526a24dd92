"""The wall display over time: the tour visits every street in order, and new data on a
restarted server reaches an open page without a reload."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest
from werkzeug.serving import make_server

from dashboard import create_app
from geodata.dataset import open_dataset
from geodata.gpkg import write_geopackage
from geodata.metrics import district_kpis
from tests.conftest import make_settings, wait_map_still

pytestmark = pytest.mark.browser

RECORD_TOUR = """() => {
  window.__tour = [];
  const seen = () => {
    const on = document.querySelector('.rm-tour-card.on');
    const id = on ? on.dataset.streetId : 'district';
    if (window.__tour[window.__tour.length - 1] !== id) { window.__tour.push(id); }
  };
  new MutationObserver(seen).observe(document.getElementById('wall-tour'),
    {subtree: true, attributes: true, attributeFilter: ['class'], childList: true});
}"""


def kpis_shown(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "[data-kpi]", "els => Object.fromEntries(els.map(e => [e.dataset.kpi, e.textContent]))"
    )


def assert_fits(page, width: int, height: int) -> None:
    size = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size == [width, height], "the wall scrolls"
    overflowing = page.eval_on_selector_all(
        ".rm-kpi, .rm-wall-panel, .rm-tour-card.on",
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1"
        " || e.scrollHeight > e.clientHeight + 1).map(e => e.className + ': ' + e.textContent.slice(0, 40))",
    )
    assert overflowing == []


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)])
def test_the_tour_visits_every_street_in_order_then_the_district(
    live_server, demo_dataset, open_page, screenshots_dir, width, height
):
    page, watch = open_page(
        live_server.url + "/wall/?tour=1&live=0", width, height, live_server.url, login="viewer"
    )
    page.wait_for_selector("path.rm-f-streets", state="attached")
    page.evaluate(RECORD_TOUR)
    streets = demo_dataset["streets"].sort_values("id")
    ids = list(streets["id"].astype(str))
    page.wait_for_function(f"() => window.__tour.length >= {len(ids) + 1}", timeout=40_000)
    visited = page.evaluate("() => window.__tour")
    # Recording may start after the first step on a slow start: the order is a cycle.
    cycle = [*ids, "district"]
    start = cycle.index(visited[0])
    assert visited[: len(cycle)] == (cycle * 2)[start : start + len(cycle)]
    # On a street, its card names it and shows its own figures.
    page.wait_for_selector(".rm-tour-card.on", timeout=5_000)
    wait_map_still(page)  # the map has finished flying to the street
    card = page.locator(".rm-tour-card.on")
    sid = card.get_attribute("data-street-id")
    row = streets.set_index("id").loc[sid]
    assert row["name"] in card.inner_text()
    centers = int((demo_dataset["service_centers"]["street_id"] == sid).sum())
    assert card.locator("[data-street-kpi='centers']").inner_text() == str(centers)
    assert_fits(page, width, height)
    page.screenshot(path=screenshots_dir / f"wall-tour-{width}x{height}.png")
    assert watch.foreign_requests(live_server.url) == []
    assert watch.page_errors == [] and watch.console_errors == []


def test_the_tour_pauses_while_someone_touches_the_wall(live_server, open_page):
    page, watch = open_page(
        live_server.url + "/wall/?tour=1&live=0&idle=4", 1920, 1080, live_server.url, login="viewer"
    )
    page.wait_for_selector("path.rm-f-streets", state="attached")
    # Touched before the recording starts: a 1-second tour step may fall between the two
    # calls on a busy machine, and it would count although nobody had touched the wall yet.
    page.mouse.move(260, 300)
    page.evaluate(RECORD_TOUR)
    for x in range(6):  # someone moves the mouse for three seconds (a person's pace, not a wait)
        page.mouse.move(300 + 40 * x, 300)
        page.wait_for_timeout(500)
    assert page.evaluate("() => window.__tour") == []
    page.wait_for_function("() => window.__tour.length >= 1", timeout=8_000)  # resumes when idle
    assert watch.page_errors == [] and watch.console_errors == []


# ---- live data ---------------------------------------------------------------------------


class Server:
    """The app on a fixed port, so that a 'restart' comes back where the page looks for it."""

    def __init__(self, settings, port: int = 0) -> None:
        self.app = create_app(settings)
        self._server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def changed_copy(dataset, path):
    """The demo data with one service centre fewer and ten more failed mediation cases."""
    frames = dict(dataset.frames)
    centers = frames["service_centers"]
    hosts = set(frames["social_orgs"]["host_center_id"])
    gone = next(c for c in centers["id"] if c not in hosts)
    frames["service_centers"] = centers[centers["id"] != gone].copy()
    records = frames["service_records"]
    frames["service_records"] = records[records["center_id"] != gone].copy()
    cases = frames["mediation_cases"]
    extra = cases[cases["outcome"] == "success"].head(10).copy()
    extra["id"] = [f"LIVE{i:02d}" for i in range(10)]
    extra["outcome"] = "failed"
    frames["mediation_cases"] = pd.concat([cases, extra], ignore_index=True)
    return write_geopackage(path, frames, dict(dataset.meta))


@pytest.mark.parametrize("entry", ["viewer", "kiosk"])
def test_new_data_on_a_restarted_server_reaches_the_open_wall(
    demo_path, demo_dataset, open_page, tmp_path, screenshots_dir, entry
):
    """Signed in as a viewer, or opened from a kiosk link in a fresh browser profile (a
    wall computer's incognito start: no cookie at all before the link)."""
    first = tmp_path / "first.gpkg"
    first.write_bytes(demo_path.read_bytes())
    settings = make_settings(first)
    server = Server(settings)
    if entry == "kiosk":
        _, token = server.app.extensions["redmap"]["auth"].create_kiosk("command centre")
        url = server.url + f"/wall/?kiosk={token}&live=1&tour=2"
        page, watch = open_page(url, 1920, 1080, server.url)
        refused: list[int] = []

        def note_refusal(response) -> None:
            if "_dash-update" in response.url and response.status >= 400:
                refused.append(response.status)

        page.on("response", note_refusal)
    else:
        page, watch = open_page(server.url + "/wall/?live=1&tour=2", 1920, 1080, server.url, login="viewer")
        refused = []  # the viewer's first load is checked by the KPIs it shows
    page.wait_for_selector("path.rm-f-streets", state="attached")
    assert kpis_shown(page)["service_centers"] == str(len(demo_dataset["service_centers"]))
    rate_before = kpis_shown(page)["mediation_success_rate"]
    page.evaluate("() => { window.__same_page = true; }")

    server.stop()  # the server goes away: the page keeps its figures and says so
    page.wait_for_selector(".rm-wall-status.offline", state="visible", timeout=10_000)
    assert "连接中断，正在重连" in page.locator(".rm-wall-status").inner_text()
    assert kpis_shown(page)["service_centers"] == str(len(demo_dataset["service_centers"]))

    second = changed_copy(demo_dataset, tmp_path / "second.gpkg")
    expected = {k.name: k.text for k in district_kpis(open_dataset(second).frames, now=demo_dataset.as_of())}
    time.sleep(0.5)
    restarted = Server(make_settings(second, users_db=settings.users_db), port=server.port)
    try:
        page.wait_for_function(
            "() => document.querySelector('[data-kpi=service_centers]').textContent === '140'", timeout=20_000
        )
        shown = kpis_shown(page)
        assert shown == expected
        # Ten more unsettled cases: the rate on the wall moved, not just the centre count.
        assert shown["mediation_success_rate"] != rate_before
        assert page.evaluate("() => window.__same_page === true"), "the page reloaded"
        page.wait_for_selector(".rm-wall-status.offline", state="hidden", timeout=5_000)
        page.wait_for_function("() => document.querySelectorAll('path.rm-f-streets').length > 0")
        # The tour goes on with the new data: a street's card lights up again (polled, as
        # a 2-second step may pass between two reads on a busy machine).
        page.wait_for_function(
            "names => [...document.querySelectorAll('.rm-tour-card.on')]"
            ".some(card => names.some(n => card.textContent.includes(n)))",
            arg=sorted(demo_dataset["streets"]["name"]),
            timeout=15_000,
        )
        assert_fits(page, 1920, 1080)
        page.screenshot(path=screenshots_dir / f"wall-live-{entry}-1920x1080.png")
    finally:
        restarted.stop()
    assert refused == []  # no callback turned away (the kiosk's CSRF token was the session's)
    assert watch.foreign_requests(server.url) == []
    assert watch.page_errors == []
    # While the server was down the browser logs its refused checks; nothing else.
    assert [e for e in watch.console_errors if "ERR_CONNECTION_REFUSED" not in e] == []
