"""The public finder (``/``): residents find the nearest service point on a phone.

Where am I (search in Chinese, pinyin or initials; a tap on the map; the phone's
location) → what I need (a service kind) → the nearest places on foot, with walking
minutes, the route along the roads and an optional 15-minute walking area.

This Dash app is the only one reachable without a login. Its layout, callbacks and
data routes carry only the schema's public fields; nothing of the staff or wall
apps is registered on it. A resident's position lives in the browser (a Store) and
is never stored or logged on the server.
"""

from __future__ import annotations

import html as html_text
from typing import Any

import dash_leaflet as dl
import flask
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from dashboard.context import FACE_PREFIX, AppContext
from dashboard.i18n import t
from dashboard.maps import district_map, js
from dashboard.pages.common import lang_switch, layout_for_request, make_dash
from dashboard.pages.public_parts import (
    RESULT,
    SUGGESTION,
    as_list,
    checked_latlng,
    checked_where,
    css_id,
    result_card,
    suggestion_list,
    where_text,
)

FACE = "public"
MAP_LAYERS = [
    "district",
    "water",
    "roads",
    "streets",
    "child_care",
    "daycare_centers",
    "facilities",
    "service_centers",
]
K = 5
AREA_MINUTES = 15


class Ids:
    """Component ids of the public finder."""

    MAP = "pub-map"
    LANG = "pub-lang"
    SEARCH = "pub-search"
    SUGGESTIONS = "pub-suggestions"
    SUGGESTION = SUGGESTION  # pattern-matching type
    LOCATE = "pub-locate"
    GEO = "pub-geo"
    GEO_SLOT = "pub-geo-slot"
    WHERE = "pub-where"
    WHERE_TEXT = "pub-where-text"
    SERVICE = "pub-service"
    OPEN_NOW = "pub-open-now"
    AREA = "pub-area"
    RESULTS = "pub-results"
    RESULT = RESULT  # pattern-matching type
    SELECTED = "pub-selected"
    YOU = "pub-you"
    RESULT_LAYER = "pub-result-layer"
    ROUTE = "pub-route"
    AREA_LAYER = "pub-area-layer"
    MESSAGE = "pub-message"


def service_options(ctx: AppContext, lang: str) -> list[dict[str, str]]:
    return [{"label": ctx.finder.kind_label(k, lang), "value": k} for k in ctx.finder.kinds]


def layout(ctx: AppContext, lang: str) -> html.Div:
    zh = lang == "zh"
    base_map = district_map(ctx, FACE, lang, Ids.MAP, MAP_LAYERS)
    base_map.children += [
        dl.GeoJSON(
            id=Ids.AREA_LAYER,
            data=None,
            pane="rm-areas",
            style={
                "color": "#b3001b",
                "weight": 1,
                "fillColor": "#ffd54f",
                "fillOpacity": 0.25,
                "dashArray": "4 4",
            },
            interactive=False,
        ),
        dl.LayerGroup(id=Ids.ROUTE),
        dl.GeoJSON(
            id=Ids.RESULT_LAYER,
            data=None,  # numbered pins go to Leaflet's marker pane, above every layer
            pointToLayer=js("resultToLayer"),
            onEachFeature=js("onEachFeature"),
            hideout={"layer": "results", "selected": None},
        ),
        dl.LayerGroup(id=Ids.YOU),
    ]
    return html.Div(
        [
            dcc.Store(id=Ids.LANG, data=lang),
            dcc.Store(id=Ids.WHERE, storage_type="memory"),
            dcc.Store(id=Ids.SELECTED),
            # The locator mounts only when asked: mounting it asks the phone for the
            # position, and a page must not do that before the resident wants it.
            html.Div(id=Ids.GEO_SLOT),
            html.Header(
                [
                    html.Div(
                        [
                            html.Span(t("app_name", lang), className="rm-brand"),
                            html.H1(t("public_title", lang)),
                        ]
                    ),
                    lang_switch(lang, FACE_PREFIX[FACE]),
                ],
                className="rm-pub-header",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(
                                "搜索地点" if zh else "Search a place",
                                htmlFor=Ids.SEARCH,
                                className="rm-visually-hidden",
                            ),
                            dcc.Input(
                                id=Ids.SEARCH,
                                type="search",
                                placeholder="地点：中文、拼音或首字母，如 rml"
                                if zh
                                else "Place: Chinese, pinyin or initials",
                                debounce=False,
                                autoComplete="off",
                                className="rm-search",
                                n_submit=0,
                            ),
                            html.Button(
                                "我的位置" if zh else "My location",
                                id=Ids.LOCATE,
                                className="rm-locate",
                                type="button",
                                n_clicks=0,
                            ),
                        ],
                        className="rm-search-row",
                    ),
                    html.Ul(
                        id=Ids.SUGGESTIONS,
                        className="rm-suggestions",
                        role="listbox",
                        **{"aria-label": "Suggestions"},
                    ),
                ],
                className="rm-search-box",
            ),
            html.Main(base_map, className="rm-pub-map", **{"aria-label": t("district", lang)}),
            html.Section(
                [
                    html.P(
                        where_text(None, lang),
                        id=Ids.WHERE_TEXT,
                        className="rm-where",
                        **{"aria-live": "polite"},
                    ),
                    html.P(id=Ids.MESSAGE, className="rm-message", role="status"),
                    html.Label(t("need_label", lang), htmlFor=Ids.SERVICE, className="rm-sheet-label"),
                    dcc.RadioItems(
                        id=Ids.SERVICE,
                        options=service_options(ctx, lang),
                        value="any",
                        className="rm-chips",
                        inputClassName="rm-chip-input",
                        labelClassName="rm-chip",
                    ),
                    html.Div(
                        [
                            dcc.Checklist(
                                id=Ids.OPEN_NOW,
                                options=[
                                    {"label": "只看正在开放的" if zh else "Open now only", "value": "open"}
                                ],
                                value=[],
                                className="rm-toggle",
                            ),
                            dcc.Checklist(
                                id=Ids.AREA,
                                options=[
                                    {
                                        "label": f"显示{AREA_MINUTES}分钟步行范围"
                                        if zh
                                        else f"Show the {AREA_MINUTES}-minute walk area",
                                        "value": "area",
                                    }
                                ],
                                value=[],
                                className="rm-toggle",
                            ),
                        ],
                        className="rm-toggles",
                    ),
                    html.Ol(id=Ids.RESULTS, className="rm-results", **{"aria-label": "Results"}),
                    html.P(
                        (
                            f"步行时间按每分钟 {ctx.finder.walk_speed:.0f} 米（老年人舒适步速）沿道路计算。"
                            "手机定位需通过 HTTPS 访问本页；如无法定位，请搜索地点或点地图。"
                        )
                        if zh
                        else (
                            f"Walking times assume {ctx.finder.walk_speed:.0f} m per minute along the roads. "
                            "Phones share your location only over HTTPS; otherwise search or tap the map."
                        ),
                        className="rm-hint",
                    ),
                    html.P(
                        [t("schematic", lang)]
                        + ([" · ", t("demo_data", lang)] if ctx.dataset.is_demo else []),
                        className="rm-note",
                    ),
                ],
                className="rm-pub-sheet",
            ),
        ],
        className="rm-public",
        lang="zh-CN" if zh else "en",
    )


def answer(ctx: AppContext, where: dict[str, Any] | None, service: str, open_only: bool, lang: str):
    """Results for a position: the cards' data and the map's result layer."""
    if not where:
        return [], None
    found = ctx.finder.nearest(where["lon"], where["lat"], service, K, open_now=open_only)
    results = ctx.finder.results_json(found, lang)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {"id": r["id"], "rank": i + 1, "_label": html_text.escape(r["name"] or "")},
        }
        for i, r in enumerate(results)
    ]
    return results, {"type": "FeatureCollection", "features": features}


def register_callbacks(app: Dash, ctx: AppContext) -> None:
    finder = ctx.finder

    def lang_of(lang: str | None) -> str:
        return lang if lang in ("zh", "en") else ctx.settings.lang

    @app.callback(
        Output(Ids.SUGGESTIONS, "children"),
        Input(Ids.SEARCH, "value"),
        State(Ids.WHERE, "data"),
        State(Ids.LANG, "data"),
    )
    def suggest(query: Any, where: Any, lang: Any) -> list[Any]:
        query = query if isinstance(query, str) else ""
        if isinstance(where, dict) and query == where.get("label"):
            return []  # the box now shows the chosen place: the list has done its job
        return suggestion_list(ctx, query[:64], lang_of(lang))

    @app.callback(Output(Ids.GEO_SLOT, "children"), Input(Ids.LOCATE, "n_clicks"), prevent_initial_call=True)
    def locate(_clicks: int) -> dcc.Geolocation:
        return dcc.Geolocation(
            id=Ids.GEO, high_accuracy=True, show_alert=False, timeout=15000, update_now=True
        )

    @app.callback(
        Output(Ids.WHERE, "data"),
        Output(Ids.SEARCH, "value"),
        Output(Ids.MESSAGE, "children"),
        Input({"type": Ids.SUGGESTION, "place": ALL}, "n_clicks"),
        Input(Ids.SEARCH, "n_submit"),
        Input(Ids.MAP, "clickData"),
        Input({"type": Ids.GEO, "n": ALL}, "position"),
        Input({"type": Ids.GEO, "n": ALL}, "position_error"),
        State(Ids.SEARCH, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def choose_where(_sugg, _submit, click, positions, position_errors, query, lang):
        lang = lang_of(lang)
        position = next((p for p in as_list(positions) if isinstance(p, dict)), None)
        position_error = next((e for e in as_list(position_errors) if e), None)
        query = query if isinstance(query, str) else ""
        zh = lang == "zh"
        trigger = dash_ctx.triggered_id
        if isinstance(trigger, dict) and trigger.get("type") == Ids.SUGGESTION:
            if not any(v for v in as_list(_sugg)):
                return no_update, no_update, no_update
            place = finder.gazetteer.get(str(trigger.get("place")))
            if place is None:
                return no_update, no_update, no_update
            return {"lon": place.lon, "lat": place.lat, "label": place.name}, place.name, ""
        if trigger == Ids.SEARCH:
            matches = finder.search(query[:64], 1)
            if not matches:
                return no_update, no_update, "没有找到这个地点" if zh else "No place found"
            place = matches[0].place
            return {"lon": place.lon, "lat": place.lat, "label": place.name}, place.name, ""
        if trigger == Ids.MAP and click:
            tapped = checked_latlng(click.get("latlng") if isinstance(click, dict) else None)
            if tapped is None:
                return no_update, no_update, no_update
            lon, lat = tapped
            if finder.km_outside(lon, lat) > 0:
                return no_update, no_update, "这里在秦都区以外" if zh else "That is outside Qindu District"
            return (
                {"lon": lon, "lat": lat, "label": "地图上选的位置" if zh else "the point you tapped"},
                "",
                "",
            )
        from_geo = isinstance(trigger, dict) and trigger.get("type") == Ids.GEO
        if from_geo and position_error and not position:
            return (
                no_update,
                no_update,
                (
                    "无法获取位置（需 HTTPS 并允许定位）。请搜索地点或点地图。"
                    if zh
                    else "Could not get your location (needs HTTPS and permission). Search or tap the map."
                ),
            )
        checked = checked_where(position)
        if from_geo and checked:
            lon, lat = checked["lon"], checked["lat"]
            if finder.km_outside(lon, lat) > 0:
                return (
                    no_update,
                    no_update,
                    (
                        "您的位置不在秦都区内，请搜索地点或点地图。"
                        if zh
                        else "You seem to be outside Qindu District: search a place or tap the map."
                    ),
                )
            return {"lon": lon, "lat": lat, "label": "我的位置" if zh else "your location"}, "", ""
        return no_update, no_update, no_update

    @app.callback(
        Output(Ids.RESULTS, "children"),
        Output(Ids.RESULT_LAYER, "data"),
        Output(Ids.YOU, "children"),
        Output(Ids.WHERE_TEXT, "children"),
        Output(Ids.SELECTED, "data"),
        Output(Ids.MAP, "viewport"),
        Input(Ids.WHERE, "data"),
        Input(Ids.SERVICE, "value"),
        Input(Ids.OPEN_NOW, "value"),
        State(Ids.LANG, "data"),
    )
    def show_answer(where, service, open_now, lang):
        lang = lang_of(lang)
        service = service if isinstance(service, str) and service in finder.kinds else "any"
        where = checked_where(where)
        results, layer = answer(ctx, where, service, "open" in as_list(open_now), lang)
        if not where:
            return [], None, [], where_text(None, lang), None, no_update
        you = [
            dl.CircleMarker(
                center=[where["lat"], where["lon"]],
                radius=9,
                color="#ffffff",
                weight=3,
                fillColor="#1565c0",
                fillOpacity=1,
                children=dl.Tooltip("我在这里" if lang == "zh" else "You are here"),
            )
        ]
        if not results:
            empty = html.Li(
                "附近没有符合条件的服务点。" if lang == "zh" else "No matching place nearby.",
                className="rm-empty",
            )
            return [empty], None, you, where_text(where, lang), None, no_update
        cards = [result_card(i + 1, r, lang, i == 0) for i, r in enumerate(results)]
        lats = [where["lat"]] + [r["lat"] for r in results[:3]]
        lons = [where["lon"]] + [r["lon"] for r in results[:3]]
        viewport = {
            "bounds": [[min(lats), min(lons)], [max(lats), max(lons)]],
            "transition": "fitBounds",
            "options": {"padding": [30, 30], "maxZoom": 16},
        }
        return cards, layer, you, where_text(where, lang), results[0]["id"], viewport

    @app.callback(
        Output(Ids.SELECTED, "data", allow_duplicate=True),
        Input({"type": Ids.RESULT, "id": ALL}, "n_clicks"),
        Input(Ids.RESULT_LAYER, "clickData"),
        prevent_initial_call=True,
    )
    def select(_clicks, marker):
        trigger = dash_ctx.triggered_id
        if isinstance(trigger, dict) and trigger.get("type") == Ids.RESULT and any(as_list(_clicks)):
            return str(trigger["id"])
        if trigger == Ids.RESULT_LAYER and isinstance(marker, dict):
            props = marker.get("properties")
            return str(props.get("id")) if isinstance(props, dict) and props.get("id") else no_update
        return no_update

    @app.callback(
        Output(Ids.ROUTE, "children"),
        Output(Ids.RESULT_LAYER, "hideout"),
        Output(Ids.RESULTS, "className"),
        Input(Ids.SELECTED, "data"),
        State(Ids.WHERE, "data"),
        State(Ids.RESULT_LAYER, "data"),
    )
    def draw_route(selected, where, layer):
        where = checked_where(where)
        selected = selected if isinstance(selected, str) else None
        hideout = {"layer": "results", "selected": selected}
        if not (selected and where and isinstance(layer, dict) and isinstance(layer.get("features"), list)):
            return [], hideout, "rm-results"
        # The result's position is looked up on the server from its id, not taken
        # from the browser's copy of the layer.
        ids = [
            f["properties"].get("id")
            for f in layer["features"]
            if isinstance(f, dict) and isinstance(f.get("properties"), dict)
        ]
        target = finder.services.place_lonlat(str(selected)) if str(selected) in ids else None
        if target is None:
            return [], hideout, "rm-results"
        route = finder.route((where["lon"], where["lat"]), target)
        if route is None:
            return [], hideout, "rm-results"
        line = [[y, x] for x, y in route.coords]
        return (
            [
                dl.Polyline(positions=line, color="#ffffff", weight=9, opacity=0.9, interactive=False),
                dl.Polyline(
                    positions=line,
                    color="#b3001b",
                    weight=5,
                    opacity=1,
                    dashArray="1 0",
                    interactive=False,
                    className="rm-route",
                ),
            ],
            hideout,
            f"rm-results has-selection sel-{css_id(selected)}",
        )

    @app.callback(Output(Ids.AREA_LAYER, "data"), Input(Ids.AREA, "value"), Input(Ids.WHERE, "data"))
    def walk_area(show, where):
        where = checked_where(where)
        if not ("area" in as_list(show) and where):
            return None
        area = finder.walk_area(where["lon"], where["lat"], AREA_MINUTES)
        return {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": area.__geo_interface__}],
        }


def create(server: flask.Flask, ctx: AppContext) -> Dash:
    app = make_dash(server, FACE_PREFIX[FACE], "redmap_public", "红色地图 · 心心秦家", ctx.settings.debug)
    app.layout = layout_for_request(lambda lang: layout(ctx, lang), ctx.settings.lang)
    register_callbacks(app, ctx)
    return app
