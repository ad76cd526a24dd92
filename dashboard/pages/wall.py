"""The wall display (``/wall/``): district KPIs and a street map for the command centre.

Only aggregates reach this page: no personal field and no point of a vulnerable
person. Every figure is computed from the data at page load. The page is designed
at 1920×1080 and scales with the viewport (rem units follow its width), so a 4K
wall shows the same composition, twice as sharp.
"""

from __future__ import annotations

import flask
import numpy as np
import pandas as pd
from dash import Dash, html

from dashboard.context import FACE_PREFIX, AppContext
from dashboard.i18n import t
from dashboard.maps import district_map
from dashboard.pages.common import layout_for_request, make_dash
from geodata.metrics import Kpi, district_kpis, service_volume_by_street

FACE = "wall"
MAP_LAYERS = ["district", "water", "roads", "streets", "facilities", "service_centers"]
LEFT_KPIS = 12
RED_SCALE = ["#fde0c5", "#f8b58b", "#f08a5d", "#d9534f", "#a4161a"]
"""Sequential party-red classes, light to dark, readable on the dark wall."""
DARK_DISTRICT = {"color": "#e8b04b", "weight": 3, "fill": True, "fillColor": "#4a0d14", "fillOpacity": 1}


class Ids:
    """Component ids of the wall display."""

    MAP = "wall-map"
    STREET_BARS = "wall-street-bars"
    MAP_LEGEND = "wall-map-legend"


def kpi_tile(kpi: Kpi, lang: str) -> html.Div:
    return html.Div(
        [
            html.Div(kpi.label(lang), className="rm-kpi-label"),
            html.Div(
                [
                    html.Span(kpi.text, className="rm-kpi-value", **{"data-kpi": kpi.name}),
                    html.Span(kpi.unit(lang), className="rm-kpi-unit"),
                ],
                className="rm-kpi-figure",
            ),
        ],
        className="rm-kpi",
    )


def quantile_classes(values: pd.Series, n_classes: int) -> pd.Series:
    """Class 0…n-1 of each value by rank (equal-count classes; ties broken by order)."""
    if values.empty:
        return values.astype(int)
    ranks = values.rank(method="first", pct=True)
    return np.clip(np.ceil(ranks * n_classes).astype(int) - 1, 0, n_classes - 1)


def street_bars(volume: pd.Series, names: pd.Series, lang: str) -> html.Div:
    """Service volume by street as bars (HTML, so it scales crisply with the wall)."""
    volume = volume.sort_values(ascending=False)
    top = max(int(volume.max()), 1) if len(volume) else 1
    rows = [
        html.Div(
            [
                html.Span(names[street_id], className="rm-bar-name"),
                html.Span(
                    html.Span(style={"width": f"{100 * value / top:.1f}%"}, className="rm-bar-fill"),
                    className="rm-bar-track",
                ),
                html.Span(f"{int(value):,}", className="rm-bar-value", **{"data-street": street_id}),
            ],
            className="rm-bar",
        )
        for street_id, value in volume.items()
    ]
    return html.Div(
        [html.H2(t("street_panel", lang)), html.Div(rows, className="rm-bars")],
        id=Ids.STREET_BARS,
        className="rm-wall-panel",
    )


def map_legend(volume: pd.Series, classes: pd.Series, lang: str) -> html.Div:
    items = []
    for c, color in enumerate(RED_SCALE):
        members = volume[classes == c]
        if members.empty:
            continue
        items.append(
            html.Li(
                [
                    html.Span(className="rm-legend-box", style={"background": color}),
                    f"{int(members.min()):,}–{int(members.max()):,}",
                ]
            )
        )
    return html.Div(
        [html.Div(t("street_panel", lang) + (" (人次)" if lang == "zh" else " (people)")), html.Ul(items)],
        id=Ids.MAP_LEGEND,
        className="rm-wall-legend",
    )


def layout(ctx: AppContext, lang: str) -> html.Div:
    kpis = district_kpis(ctx.dataset.frames, now=ctx.dataset.as_of())
    streets = ctx.dataset["streets"].set_index("id")
    volume = service_volume_by_street(ctx.dataset["service_records"], ctx.dataset["service_centers"])
    volume = volume.reindex(streets.index, fill_value=0)
    classes = quantile_classes(volume, len(RED_SCALE))
    colors = {str(k): RED_SCALE[int(c)] for k, c in classes.items()}
    # Nobody touches the wall: no zoom buttons, no dragging.
    wall_map = district_map(
        ctx,
        FACE,
        lang,
        Ids.MAP,
        MAP_LAYERS,
        hideouts={
            "streets": {"choropleth": {"colors": colors, "opacity": 0.6}, "wallScale": True},
            "district": {"style": DARK_DISTRICT, "wallScale": True},
            "roads": {"palette": "dark", "wallScale": True},
            "service_centers": {"wallScale": True},
            "facilities": {"wallScale": True},
        },
        zoomControl=False,
        scrollWheelZoom=False,
        dragging=False,
        doubleClickZoom=False,
        touchZoom=False,
        boxZoom=False,
        keyboard=False,
    )
    names = streets["name" if lang == "zh" else "name_en"]
    updated = [t("updated", lang), " ", ctx.dataset.updated_at()]
    if ctx.dataset.is_demo:
        updated += [" · ", t("demo_data", lang)]
    return html.Div(
        [
            html.Header(
                [html.H1(t("wall_title", lang)), html.Div(updated, className="rm-wall-updated")],
                className="rm-wall-header",
            ),
            html.Section([kpi_tile(k, lang) for k in kpis[:LEFT_KPIS]], className="rm-wall-kpis left"),
            html.Main(
                [
                    wall_map,
                    html.Div(t("schematic", lang), className="rm-wall-note"),
                    map_legend(volume, classes, lang),
                ],
                className="rm-wall-map",
            ),
            html.Section(
                [
                    html.Div([kpi_tile(k, lang) for k in kpis[LEFT_KPIS:]], className="rm-wall-kpis right"),
                    street_bars(volume, names, lang),
                ],
                className="rm-wall-side",
            ),
        ],
        className="rm-wall",
        lang="zh-CN" if lang == "zh" else "en",
    )


def create(server: flask.Flask, ctx: AppContext) -> Dash:
    app = make_dash(server, FACE_PREFIX[FACE], "redmap_wall", "红色地图 · 指挥大屏", ctx.settings.debug)
    app.layout = layout_for_request(lambda lang: layout(ctx, lang), ctx.settings.lang)
    return app
