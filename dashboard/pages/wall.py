"""The wall display (``/wall/``): district KPIs and a street map for the command centre.

Only aggregates reach this page: no personal field and no point of a vulnerable
person. Every figure is computed from the data at page load.
"""

from __future__ import annotations

import flask
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Dash, dcc, html

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
    STREET_CHART = "wall-street-chart"


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


def class_colors(values: pd.Series, palette: list[str] = RED_SCALE) -> dict[str, str]:
    """Quantile classes of ``values`` mapped to ``palette`` (id → colour)."""
    if values.empty:
        return {}
    ranks = values.rank(method="first", pct=True)
    classes = np.minimum((ranks * len(palette)).apply(np.ceil).astype(int) - 1, len(palette) - 1)
    return {str(k): palette[max(int(c), 0)] for k, c in classes.items()}


def street_chart(ctx: AppContext, lang: str) -> go.Figure:
    volume = service_volume_by_street(ctx.dataset["service_records"], ctx.dataset["service_centers"])
    streets = ctx.dataset["streets"].set_index("id")
    names = streets["name" if lang == "zh" else "name_en"]
    volume = volume.reindex(streets.index, fill_value=0).sort_values()
    fig = go.Figure(
        go.Bar(
            x=volume.values,
            y=[names[i] for i in volume.index],
            orientation="h",
            marker_color="#e8b04b",
            text=[f"{v:,}" for v in volume.values],
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.update_layout(
        title={"text": t("street_panel", lang), "font": {"size": 20, "color": "#f6e7c1"}},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#f6e7c1", "size": 14},
        margin={"l": 10, "r": 60, "t": 44, "b": 10},
        xaxis={"visible": False},
        yaxis={"automargin": True},
    )
    return fig


def layout(ctx: AppContext, lang: str) -> html.Div:
    kpis = district_kpis(ctx.dataset.frames)
    volume = service_volume_by_street(ctx.dataset["service_records"], ctx.dataset["service_centers"])
    # Nobody touches the wall: no zoom buttons, no dragging.
    wall_map = district_map(
        ctx,
        FACE,
        lang,
        Ids.MAP,
        MAP_LAYERS,
        hideouts={
            "streets": {"choropleth": {"colors": class_colors(volume), "opacity": 0.55}},
            "district": {"style": DARK_DISTRICT},
            "roads": {"palette": "dark"},
        },
        zoomControl=False,
        scrollWheelZoom=False,
        dragging=False,
        doubleClickZoom=False,
        touchZoom=False,
        boxZoom=False,
        keyboard=False,
    )
    return html.Div(
        [
            html.Header(
                [
                    html.H1(t("wall_title", lang)),
                    html.Div(
                        [t("updated", lang), " ", ctx.dataset.meta.get("generated_at", ctx.dataset.version)]
                        + ([" · ", t("demo_data", lang)] if ctx.dataset.is_demo else []),
                        className="rm-wall-updated",
                    ),
                ],
                className="rm-wall-header",
            ),
            html.Section([kpi_tile(k, lang) for k in kpis[:LEFT_KPIS]], className="rm-wall-kpis left"),
            html.Main(
                [wall_map, html.Div(t("schematic", lang), className="rm-wall-note")],
                className="rm-wall-map",
            ),
            html.Section(
                [
                    html.Div([kpi_tile(k, lang) for k in kpis[LEFT_KPIS:]], className="rm-wall-kpis right"),
                    dcc.Graph(
                        id=Ids.STREET_CHART,
                        figure=street_chart(ctx, lang),
                        config={"displayModeBar": False, "staticPlot": True, "responsive": True},
                        className="rm-wall-chart",
                    ),
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
