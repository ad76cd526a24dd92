"""axe-core (from npm, injected by Playwright) finds no WCAG 2.1 A/AA violation on the
three faces, at the sizes their users have, in the states they spend time in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.test_faces import answer_for

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: make test installs axe-core from npm (make axe)")
        pytest.skip("axe-core not installed (make axe)")
    return AXE.read_text(encoding="utf-8")


def violations(page, axe_source: str) -> list[str]:
    """What axe finds on the page as it is now: rule, impact, first element."""
    page.evaluate(axe_source)  # through the debugger protocol: the page's CSP stays on
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations"
        ".map(v => v.id + ' (' + v.impact + ', ' + v.nodes.length + '): ' + v.nodes[0].target.join(' ')))",
        WCAG_AA,
    )
    return list(found)


def test_the_public_finder_before_and_after_an_answer(open_page, live_server, axe_source):
    page, _ = open_page(live_server.url + "/", 390, 844, live_server.url)
    assert violations(page, axe_source) == []
    answer_for(page)
    assert violations(page, axe_source) == []


def test_the_staff_workspace_with_a_table_and_a_choropleth(open_page, live_server, axe_source):
    query = "?table=mediation_cases&metric=incidents_per_1000&level=communities"
    page, _ = open_page(live_server.url + "/staff/" + query, 1366, 768, live_server.url, login="admin")
    page.locator("#staff-records td").first.wait_for()
    page.locator(".rm-legend li").first.wait_for()
    assert violations(page, axe_source) == []


def test_the_wall(open_page, live_server, axe_source):
    page, _ = open_page(live_server.url + "/wall/?tour=0", 1920, 1080, live_server.url, login="viewer")
    page.locator("[data-kpi]").first.wait_for()
    assert violations(page, axe_source) == []
