"""The wall display (``/wall/``): district KPIs, panels and a touring street map.

Only aggregates reach this page: no personal field and no point of a vulnerable
person, and a count of fewer than five people shows as "—". Every figure is computed
from the data (``wall_content``). The page is designed at 1920×1080 and scales with
the viewport (rem units follow its width), so a 4K wall shows the same composition,
twice as sharp.

URL options (all optional)::

    ?tour=20     seconds per tour step (each street in turn, then the district); 0 = off
    ?metric=     street colouring: service_volume (default), open_incidents_per_1000,
                 mediation_success, or any other of geodata.area_metrics.AREA_METRICS
    ?live=60     seconds between checks for new data; 0 = off
    ?idle=60     seconds the tour stays paused after someone touches the wall

Live data: the app loads its data file once, at start-up; new data means a restart.
The page asks ``/wall/data/version.json`` (ETag'd, 304 while unchanged) every
``live`` seconds; when the version differs from the one it shows, one callback
rebuilds tiles, panels, legend and tour cards and the map layers re-fetch, without
a page reload. While the server cannot be reached the page keeps its figures and
says "连接中断，正在重连…"; it recovers on the next successful check.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import flask
import numpy as np
import pandas as pd
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from dashboard import wall_panels as panels
from dashboard.context import FACE_PREFIX, AppContext
from dashboard.i18n import t
from dashboard.maps import (
    district_bounds,
    district_map,
    first_zoom,
    layer_id,
    register_view_layers,
    reported_zoom,
    view_stores,
)
from dashboard.pages.common import layout_for_request, localise_index, make_dash, request_lang
from geodata.area_metrics import AREA_METRICS
from geodata.metrics import (
    Kpi,
    district_kpis,
    incidents_by_month,
    incubation_pipeline,
    meals_by_month,
    mediation_funnel,
    mediation_outcomes,
    street_kpis,
    street_metric,
)

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
    LEFT_KPIS = "wall-kpis-left"
    RIGHT_KPIS = "wall-kpis-right"
    MEALS = "wall-meals"
    STRIP = "wall-strip"
    TOUR = "wall-tour"  # the card of the street on show, drawn by redmap.wallTour
    TOUR_CARDS = "wall-tour-cards"  # every street's card, as data: {street id: card}
    UPDATED = "wall-updated"
    STATUS = "wall-status"
    URL = "wall-url"
    TOUR_TICK = "wall-tour-tick"
    POLL = "wall-poll"
    CONFIG = "wall-config"
    DATA = "wall-data"
    """Per-browser: street colours and tour bounds of the figures shown."""
    TOUR_STATE = "wall-tour-state"
    """Per-browser: the tour's current step."""
    VERSION = "wall-version"
    """Per-browser: the data version the server last reported."""
    RENDERED = "wall-rendered"
    """Per-browser: data version, metric and language the page's figures were built from."""


DEFAULT_METRIC = "service_volume"
NO_VALUE_COLOR = "#6b4a4e"
VERSION_ROUTE = FACE_PREFIX[FACE] + "data/version.json"


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


def metric_colors(values: pd.Series) -> tuple[dict[str, str], pd.Series]:
    """Street id → fill colour by quantile class; streets without a value are grey."""
    known = values.dropna()
    classes = quantile_classes(known, len(RED_SCALE))
    colors = {str(k): NO_VALUE_COLOR for k in values.index}
    colors.update({str(k): RED_SCALE[int(c)] for k, c in classes.items()})
    return colors, classes


def map_legend(metric: str, values: pd.Series, classes: pd.Series, lang: str) -> list[Any]:
    chosen = AREA_METRICS[metric]
    items = []
    known = values.dropna()
    for c, color in enumerate(RED_SCALE):
        members = known[classes == c]
        if members.empty:
            continue
        low, high = chosen.format(members.min()), chosen.format(members.max())
        items.append(
            html.Li([html.Span(className="rm-legend-box", style={"background": color}), f"{low}–{high}"])
        )
    if len(known) < len(values):
        items.append(
            html.Li(
                [
                    html.Span(className="rm-legend-box", style={"background": NO_VALUE_COLOR}),
                    t("wall_suppressed", lang),
                ]
            )
        )
    return [html.Div(chosen.label(lang), **{"data-metric": metric}), html.Ul(items)]


def pick_metric(search: str | None) -> str:
    """The ``?metric=`` of a page URL's query string, if it is one we know."""
    asked = parse_qs((search or "").lstrip("?")).get("metric", [""])[0]
    return asked if asked in AREA_METRICS else DEFAULT_METRIC


def street_bounds(streets: pd.DataFrame) -> list[dict[str, Any]]:
    """Tour steps: each street's id and Leaflet bounds, in statistics-code order."""
    steps = []
    for sid, geom in zip(streets["id"], streets.geometry, strict=True):
        minx, miny, maxx, maxy = geom.bounds
        steps.append({"id": str(sid), "bounds": [[miny, minx], [maxy, maxx]]})
    return steps


def wall_content(ctx: AppContext, lang: str, metric: str = DEFAULT_METRIC) -> dict[str, Any]:
    """Every figure on the wall, keyed by component id, built from ``ctx.dataset``.

    The layout and the live-refresh callback both call this, so a refresh shows
    exactly what a fresh page load would. Made once per language, metric and minute of
    the data's clock (the wall polls once a minute): at 100 times the demo district the
    figures take 2 s, which every wall screen's load and refresh paid.
    """
    minute = ctx.dataset.as_of().floor("min")
    return ctx.dataset.latest(
        ("wall_content", lang, metric), minute, lambda: _wall_content(ctx, lang, metric)
    )


def _wall_content(ctx: AppContext, lang: str, metric: str) -> dict[str, Any]:
    frames = ctx.dataset.frames
    cases = frames["mediation_cases"]
    now = ctx.dataset.as_of()
    kpis = district_kpis(frames, now=now)
    streets = ctx.dataset["streets"].sort_values("id")
    per_street = street_kpis(frames, now)
    values = per_street[metric] if metric in per_street else street_metric(frames, metric, now)
    colors, classes = metric_colors(values)
    names = per_street["name" if lang == "zh" else "name_en"]
    volume = per_street["people_served"].fillna(0)
    xixian = dict(zip(streets["id"].astype(str), streets["managed_by"] == "xixian", strict=True))
    updated: list[Any] = [t("updated", lang), " ", ctx.dataset.updated_at()]
    if ctx.dataset.is_demo:
        updated += [" · ", t("demo_data", lang)]
    return {
        Ids.LEFT_KPIS: [kpi_tile(k, lang) for k in kpis[:LEFT_KPIS]],
        Ids.RIGHT_KPIS: [kpi_tile(k, lang) for k in kpis[LEFT_KPIS:]],
        Ids.MEALS: panels.meals_panel(meals_by_month(frames["meal_deliveries"], now), lang),
        Ids.STRIP: [
            panels.mediation_panel(mediation_funnel(cases), mediation_outcomes(cases), lang),
            panels.incidents_panel(incidents_by_month(frames["grid_events"], now), lang),
            panels.incubation_panel(incubation_pipeline(frames["three_no_compounds"]), lang),
        ],
        Ids.STREET_BARS: panels.street_bars(volume, names, lang),
        Ids.MAP_LEGEND: map_legend(metric, values, classes, lang),
        Ids.TOUR_CARDS: {
            str(sid): panels.tour_card(str(sid), row, lang, bool(xixian.get(str(sid))))
            for sid, row in per_street.sort_index().iterrows()
        },
        Ids.UPDATED: updated,
        Ids.DATA: {"colors": colors, "streets": street_bounds(streets), "district": district_bounds(ctx)},
        Ids.RENDERED: {"version": ctx.dataset.version, "metric": metric, "lang": lang},
    }


CONTENT_IDS = [
    (Ids.LEFT_KPIS, "children"),
    (Ids.RIGHT_KPIS, "children"),
    (Ids.MEALS, "children"),
    (Ids.STRIP, "children"),
    (Ids.STREET_BARS, "children"),
    (Ids.MAP_LEGEND, "children"),
    (Ids.TOUR_CARDS, "data"),
    (Ids.UPDATED, "children"),
    (Ids.DATA, "data"),
    (Ids.RENDERED, "data"),
]


def layout(ctx: AppContext, lang: str) -> html.Div:
    content = wall_content(ctx, lang)
    # Nobody touches the wall: no zoom buttons, no dragging.
    wall_map = district_map(
        ctx,
        FACE,
        lang,
        Ids.MAP,
        MAP_LAYERS,
        hideouts={
            "streets": {
                "choropleth": {"colors": content[Ids.DATA]["colors"], "opacity": 0.6},
                "wallScale": True,
                "selected": None,
            },
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
    return html.Div(
        [
            dcc.Location(id=Ids.URL, refresh=False),
            dcc.Interval(id=Ids.TOUR_TICK, interval=20_000, disabled=True),
            dcc.Interval(id=Ids.POLL, interval=60_000, disabled=True),
            dcc.Store(id=Ids.CONFIG, data={"idle": 60_000}),
            *view_stores(ctx, FACE, lang, Ids.MAP, MAP_LAYERS),
            dcc.Store(id=Ids.DATA, data=content[Ids.DATA]),
            dcc.Store(id=Ids.TOUR_STATE, data=None),
            dcc.Store(id=Ids.VERSION, data=ctx.dataset.version),
            dcc.Store(id=Ids.RENDERED, data=content[Ids.RENDERED]),
            html.Header(
                [
                    html.H1(t("wall_title", lang)),
                    html.Div(
                        [
                            html.Span(t("wall_offline", lang), id=Ids.STATUS, className="rm-wall-status"),
                            html.Span(content[Ids.UPDATED], id=Ids.UPDATED),
                        ],
                        className="rm-wall-updated",
                    ),
                ],
                className="rm-wall-header",
            ),
            html.Section(
                [
                    html.Div(content[Ids.LEFT_KPIS], id=Ids.LEFT_KPIS, className="rm-wall-kpis left"),
                    html.Div(content[Ids.MEALS], id=Ids.MEALS, className="rm-wall-slot"),
                ],
                className="rm-wall-left",
            ),
            html.Main(
                [
                    html.Div(
                        [
                            wall_map,
                            html.Div(t("schematic", lang), className="rm-wall-note"),
                            html.Div(content[Ids.MAP_LEGEND], id=Ids.MAP_LEGEND, className="rm-wall-legend"),
                            html.Div(id=Ids.TOUR, className="rm-wall-tour"),
                            dcc.Store(id=Ids.TOUR_CARDS, data=content[Ids.TOUR_CARDS]),
                        ],
                        className="rm-wall-map",
                    ),
                    html.Div(content[Ids.STRIP], id=Ids.STRIP, className="rm-wall-strip"),
                ],
                className="rm-wall-center",
            ),
            html.Section(
                [
                    html.Div(content[Ids.RIGHT_KPIS], id=Ids.RIGHT_KPIS, className="rm-wall-kpis right"),
                    html.Div(
                        content[Ids.STREET_BARS], id=Ids.STREET_BARS, className="rm-wall-panel rm-p-bars"
                    ),
                ],
                className="rm-wall-side",
            ),
        ],
        className="rm-wall",
        lang="zh-CN" if lang == "zh" else "en",
    )


def version_response(ctx: AppContext) -> flask.Response:
    """The data version as JSON with an ETag: a check with unchanged data is a bodiless 304."""
    etag = ctx.dataset.version
    if flask.request.if_none_match and etag in flask.request.if_none_match:
        response = flask.Response(status=304)
    else:
        response = flask.jsonify(version=etag, updated=ctx.dataset.updated_at())
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def refresh(ctx: AppContext, version: str | None, search: str | None, rendered: dict | None, lang: str):
    """New figures when the data version, metric or language differ from those shown.

    Returns the values of :data:`CONTENT_IDS` in order followed by the map layers'
    URLs (re-fetched with the new version); raises PreventUpdate when nothing changed.
    """
    metric = pick_metric(search)
    wanted = {"version": ctx.dataset.version, "metric": metric, "lang": lang}
    if rendered == wanted and version in (None, ctx.dataset.version):
        raise PreventUpdate
    content = wall_content(ctx, lang, metric)
    return [content[i] for i, _ in CONTENT_IDS]


def _clientside(name: str, n_args: int) -> str:
    args = ", ".join(f"a{i}" for i in range(n_args))
    return f"function({args}) {{ return window.redmap.{name}({args}); }}"


def register_callbacks(app: Dash, ctx: AppContext) -> None:
    register_view_layers(app, ctx, FACE, Ids.MAP, MAP_LAYERS)
    layers = Output(layer_id(FACE, ALL), "url")  # type: ignore[arg-type]

    @app.callback(
        [Output(i, p) for i, p in CONTENT_IDS] + [layers],
        Input(Ids.VERSION, "data"),
        Input(Ids.URL, "search"),
        State(Ids.RENDERED, "data"),
        State(f"{Ids.MAP}-view", "data"),
    )
    def on_new_data(version, search, rendered, view):
        values = refresh(ctx, version, search, rendered, request_lang(ctx.settings.lang))
        lang = values[-1]["lang"]
        zoom = reported_zoom(view, first_zoom(ctx, FACE))
        # The map layers' ids come with the request: read them defensively.
        outs = dash_ctx.outputs_list[-1]
        outs = outs if isinstance(outs, list) else []
        layer_ids = [
            str(o["id"].get("layer")) for o in outs if isinstance(o, dict) and isinstance(o.get("id"), dict)
        ]
        # A layer sent by map area keeps the tiles of its view (a whole-layer URL is refused).
        urls = [
            no_update if ctx.sent_by_area(FACE, layer) else ctx.view_url(FACE, layer, lang, zoom)
            for layer in layer_ids
        ]
        return [*values, urls]

    app.clientside_callback(
        _clientside("wallConfig", 1),
        Output(Ids.TOUR_TICK, "interval"),
        Output(Ids.TOUR_TICK, "disabled"),
        Output(Ids.POLL, "interval"),
        Output(Ids.POLL, "disabled"),
        Output(Ids.CONFIG, "data"),
        Input(Ids.URL, "search"),
    )
    app.clientside_callback(
        _clientside("wallPoll", 2),
        Output(Ids.VERSION, "data"),
        Output(Ids.STATUS, "className"),
        Input(Ids.POLL, "n_intervals"),
        State(Ids.VERSION, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        _clientside("wallTour", 6),
        Output(Ids.MAP, "viewport"),
        Output(layer_id(FACE, "streets"), "hideout"),
        Output(Ids.TOUR_STATE, "data"),
        Input(Ids.TOUR_TICK, "n_intervals"),
        Input(Ids.DATA, "data"),
        Input(Ids.TOUR_CARDS, "data"),
        State(Ids.TOUR_STATE, "data"),
        State(layer_id(FACE, "streets"), "hideout"),
        State(Ids.CONFIG, "data"),
        prevent_initial_call=True,
    )


def create(server: flask.Flask, ctx: AppContext) -> Dash:
    app = make_dash(server, FACE_PREFIX[FACE], "redmap_wall", "红色地图 · 指挥大屏", ctx.settings.debug)
    app.layout = layout_for_request(lambda lang: layout(ctx, lang), ctx.settings.lang)
    localise_index(app, ctx.settings.lang, "wall_page_title")
    register_callbacks(app, ctx)
    wall_content(ctx, ctx.settings.lang)  # the first screen's figures, made before workers fork
    # Under /wall/, so the wall's access check covers it.
    server.add_url_rule(VERSION_ROUTE, endpoint="wall_version", view_func=lambda: version_response(ctx))
    return app
