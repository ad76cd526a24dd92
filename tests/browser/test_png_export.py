"""The staff workspace's picture for reports (assets/redmap_png.js) in headless Chromium.

The PNG is made in the browser from what is on screen. These tests save it through a
real download, decode it and look at its pixels: the map at twice its size with the
layers' own colours, the chart's bars in proportion to their counts, and nothing
asked of another host while it was made.
"""

from __future__ import annotations

import base64
import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.browser.test_faces import assert_clean, wait_for_features

pytestmark = pytest.mark.browser

W, H = 1366, 768
MAP, CHART = "staff-map", "staff-chart"
TITLE = "红色地图 · 全部街道 · 智慧网格事件"
SCALE = 2  # the PNG is drawn at devicePixelRatio × 2 at least (1 in headless Chromium)


def export_png(page, title: str = TITLE, map_id: str = MAP, filename: str = "redmap-staff.png") -> bytes:
    """Call the export as the page's button does; return the downloaded file's bytes."""
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")  # not mid-flight
    with page.expect_download() as info:
        url = page.evaluate(
            "([m, c, t, f]) => window.redmapPng.download(m, c, t, f)", [map_id, CHART, title, filename]
        )
    download = info.value
    assert download.suggested_filename == filename
    data = Path(download.path()).read_bytes()
    assert url.startswith("data:image/png;base64,")
    assert data == base64.b64decode(url.split(",", 1)[1]), "the file is the image the call returned"
    return data


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's own header (IHDR), without a decoder."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    _length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    assert kind == b"IHDR"
    return width, height


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def map_rows(img: np.ndarray) -> tuple[int, int]:
    """First and last row of the map: only the map reaches the picture's side edges
    (the title, chart and legend leave a white margin)."""
    edges = np.concatenate([img[:, :2], img[:, -2:]], axis=1)
    drawn = np.nonzero((edges < 250).any(axis=(1, 2)))[0]
    assert len(drawn), "no map in the picture"
    return int(drawn[0]), int(drawn[-1])


def near(img: np.ndarray, color: tuple[float, float, float], tol: float) -> np.ndarray:
    return np.sqrt(((img - np.array(color)) ** 2).sum(axis=2)) <= tol


def rgb(css: str) -> tuple[int, int, int]:
    """'rgb(200, 16, 46)' → (200, 16, 46)."""
    r, g, b = (int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return r, g, b


def over(color: tuple[int, ...], opacity: float, ground: tuple[int, ...]) -> tuple[float, ...]:
    """A colour drawn with an opacity over another, as the browser blends it."""
    return tuple(opacity * c + (1 - opacity) * g for c, g in zip(color, ground, strict=True))


def layer_colours(page) -> dict[str, tuple[float, ...]]:
    """The colours a person sees, read from the computed styles of the drawn paths: a
    service centre's fill and a street's outline, each over the district's fill."""
    styles = page.evaluate(
        """() => Object.fromEntries(['service_centers', 'streets', 'district'].map(layer => {
            const cs = getComputedStyle(document.querySelector('path.rm-f-' + layer));
            return [layer, [cs.fill, cs.fillOpacity, cs.stroke, cs.strokeOpacity]];
        }))"""
    )
    ground = rgb(styles["district"][0])
    return {
        "centre": over(rgb(styles["service_centers"][0]), float(styles["service_centers"][1]), ground),
        "street": over(rgb(styles["streets"][2]), float(styles["streets"][3]), ground),
    }


def chart_bars(page) -> tuple[list[int], tuple[int, int, int]]:
    counts = page.eval_on_selector_all(
        f"#{CHART} [data-count]", "els => els.map(e => Number(e.dataset.count))"
    )
    color = page.eval_on_selector(f"#{CHART} .rm-sbar", "e => getComputedStyle(e).backgroundColor")
    return counts, rgb(color)


def bar_widths(img: np.ndarray, color: tuple[int, int, int]) -> list[int]:
    """Width in pixels of each drawn bar, top to bottom (rows of the bar colour, grouped)."""
    hit = near(img, color, 3)
    rows = np.nonzero(hit.any(axis=1))[0]
    assert len(rows), "no bar drawn"
    groups = np.split(rows, np.nonzero(np.diff(rows) > 1)[0] + 1)
    return [int(hit[g[len(g) // 2]].sum()) for g in groups]


def open_staff(open_page, live_server, query: str = ""):
    page, watch = open_page(live_server.url + "/staff/" + query, W, H, live_server.url, login="admin")
    wait_for_features(page, "service_centers")
    page.wait_for_selector(f"#{CHART} [data-count]", state="attached")
    return page, watch


def test_the_png_holds_the_map_and_chart_as_on_screen(live_server, open_page, tmp_path):
    page, watch = open_staff(open_page, live_server)
    page.wait_for_selector(".rm-street-label")
    box = page.locator(f"#{MAP}").bounding_box()
    colours = layer_colours(page)
    counts, bar_color = chart_bars(page)
    before = len(watch.requests)

    data = export_png(page)

    during = watch.requests[before:]
    assert all(u.startswith(live_server.url) for u in during), during
    assert_clean(watch, live_server.url)
    (tmp_path / "staff.png").write_bytes(data)
    width, height = png_size(data)
    assert width >= SCALE * box["width"] and height >= SCALE * box["height"]
    img = pixels(data)
    assert img.shape[:2] == (height, width)

    top, bottom = map_rows(img)
    assert abs((bottom - top + 1) - SCALE * box["height"]) <= 2, "the map is drawn at twice its size"
    assert top > 20, "the title is above the map"
    the_map, below = img[top : bottom + 1], img[bottom + 1 :]
    centres = near(the_map, colours["centre"], 12).sum()
    streets = near(the_map, colours["street"], 15).sum()
    assert centres > 2000, f"service centres missing from the map ({centres} px)"
    assert streets > 300, f"street outlines missing from the map ({streets} px)"
    assert near(below, colours["centre"], 12).sum() < centres / 10  # the map stays in its frame

    # One bar per count, each as long as its share of the longest.
    widths = bar_widths(below, bar_color)
    assert len(widths) == len(counts)
    longest = max(widths)
    for w, n in zip(widths, counts, strict=True):
        assert abs(w - max(SCALE, longest * n / max(counts))) <= 3, (widths, counts)
    assert not near(img[:top], bar_color, 3).any() and not near(the_map, bar_color, 3).sum() > 200


def test_a_street_filter_gives_another_picture(live_server, demo_dataset, open_page):
    street = "610402004"
    in_street = int((demo_dataset["service_centers"]["street_id"] == street).sum())
    assert 0 < in_street < len(demo_dataset["service_centers"])

    whole, watch = open_staff(open_page, live_server)
    colours = layer_colours(whole)
    whole_img = pixels(export_png(whole))
    top, bottom = map_rows(whole_img)
    whole_centres = near(whole_img[top : bottom + 1], colours["centre"], 12).sum()

    page, watch2 = open_staff(open_page, live_server, f"?street={street}")
    page.wait_for_function(
        "n => document.querySelectorAll('path.rm-f-service_centers').length === n", arg=in_street
    )
    counts, bar_color = chart_bars(page)
    expected = int((demo_dataset["grid_events"]["street_id"] == street).sum())
    assert sum(counts) == expected
    img = pixels(export_png(page, TITLE.replace("全部街道", "渭阳西路街道")))
    top, bottom = map_rows(img)
    centres = near(img[top : bottom + 1], colours["centre"], 12).sum()
    assert 0 < centres < whole_centres / 2, (centres, whole_centres)
    widths = bar_widths(img[bottom + 1 :], bar_color)
    assert len(widths) == len(counts)
    assert_clean(watch, live_server.url)
    assert_clean(watch2, live_server.url)


def test_clusters_are_drawn_as_discs_of_their_colour(live_server, open_page):
    page, watch = open_page(
        live_server.url + "/staff/?layers=grid_events,streets", W, H, live_server.url, login="admin"
    )
    page.wait_for_selector(f"#{MAP} .rm-cluster")
    color = rgb(page.eval_on_selector(f"#{MAP} .rm-cluster div", "e => getComputedStyle(e).backgroundColor"))
    n = page.locator(f"#{MAP} .rm-cluster").count()
    img = pixels(export_png(page))
    top, bottom = map_rows(img)
    discs = near(img[top : bottom + 1], color, 6).sum()
    # Each disc is at least 28 px across on screen, so well over 200 px of its colour at ×2.
    assert discs > 200 * n, (discs, n)
    assert_clean(watch, live_server.url)


def test_a_map_drawn_on_canvas_is_in_the_png_too(live_server, open_page):
    page, watch = open_staff(open_page, live_server)
    page.evaluate(
        """() => {
            const div = document.createElement('div');
            div.id = 'png-canvas-map';
            div.style.cssText = 'position:fixed;left:0;top:0;width:800px;height:300px;z-index:9999';
            document.body.append(div);
            const map = L.map(div, {preferCanvas: true, zoomControl: false, attributionControl: false});
            map.setView([34.33, 108.7], 13);
            const style = {radius: 60, color: '#00a000', fillColor: '#00c000', fillOpacity: 1};
            L.circleMarker([34.33, 108.7], style).addTo(map);
        }"""
    )
    assert page.locator("#png-canvas-map canvas").count() == 1
    img = pixels(export_png(page, map_id="png-canvas-map"))
    top, bottom = map_rows(img)
    assert abs((bottom - top + 1) - SCALE * 300) <= 2
    assert img.shape[1] == SCALE * 800
    centre = img[(top + bottom) // 2, img.shape[1] // 2]
    assert tuple(centre) == (0, 192, 0), centre
    assert near(img[top : bottom + 1], (0, 192, 0), 3).sum() > 3.14 * (SCALE * 50) ** 2
    assert_clean(watch, live_server.url)


def test_colours_given_by_the_stylesheet_are_kept(live_server, open_page):
    """A stylesheet rule beats Leaflet's SVG attributes on screen; the copy must agree."""
    page, watch = open_staff(open_page, live_server)
    red = layer_colours(page)["centre"]
    page.add_style_tag(content="path.rm-f-service_centers { fill: rgb(0, 0, 255); fill-opacity: 1 }")
    fill = "getComputedStyle(document.querySelector('path.rm-f-service_centers')).fill"
    page.wait_for_function(f"() => {fill} === 'rgb(0, 0, 255)'")
    img = pixels(export_png(page))
    top, bottom = map_rows(img)
    assert near(img[top : bottom + 1], (0, 0, 255), 3).sum() > 2000
    assert near(img[top : bottom + 1], red, 12).sum() < 200
    assert_clean(watch, live_server.url)


def test_the_export_menu_s_image_button_downloads_the_png_with_a_title(live_server, open_page):
    page, watch = open_staff(open_page, live_server, "?street=610402004")
    page.locator(".rm-export summary").click()
    with page.expect_download() as info:
        page.locator("#staff-export-png").click()
    download = info.value
    assert download.suggested_filename.startswith("redmap_grid_events_")
    data = Path(download.path()).read_bytes()
    width, _ = png_size(data)
    assert width >= 2 * page.locator("#staff-map").bounding_box()["width"] - 2
    assert watch.page_errors == [] and watch.console_errors == []
