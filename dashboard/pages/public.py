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
from dashboard.maps import district_map, js, register_view_layers, view_stores
from dashboard.pages.common import layout_for_request, localise_index, make_dash
from dashboard.pages.public_parts import (
    RESULT,
    SUGGESTION,
    as_list,
    checked_latlng,
    checked_where,
    count_text,
    fit_bounds,
    result_card,
    suggestion_list,
    where_text,
)
from geodata.schema import SCHEMA

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
FIT_PADDING = {"paddingTopLeft": [64, 20], "paddingBottomRight": [24, 36]}
"""Room around a fitted view: the zoom buttons at the top left, the sheet's rounded
edge and the scale at the bottom (pixels)."""
POPUP_OPTIONS = {"maxWidth": 260, "autoPanPaddingTopLeft": [64, 12], "autoPanPaddingBottomRight": [12, 24]}
"""A popup pans clear of the zoom buttons, and fits a 390 px phone beside them."""
GEO_MESSAGES = {
    "denied": "pub_geo_denied",
    "insecure": "pub_geo_insecure",
    "unsupported": "pub_geo_insecure",
    "unavailable": "pub_geo_failed",
    "timeout": "pub_geo_failed",
}
"""What the browser said when it gave no position → the text that says what to do."""


class Ids:
    """Component ids of the public finder."""

    MAP = "pub-map"
    LANG = "pub-lang"
    SEARCH = "pub-search"
    SUGGESTIONS = "pub-suggestions"
    SUGGESTION = SUGGESTION  # pattern-matching type
    LOCATE = "pub-locate"
    GEO = "pub-geo"
    """The browser's answer to "where am I" (assets/redmap.js, pubLocate)."""
    UI = "pub-ui"
    """Output of the clientside helpers that only touch the page (never read)."""
    WHERE = "pub-where"
    WHERE_TEXT = "pub-where-text"
    SERVICE = "pub-service"
    SERVICE_LABEL = "pub-service-label"
    OPEN_NOW = "pub-open-now"
    AREA = "pub-area"
    COUNT = "pub-count"
    RESULTS = "pub-results"
    RESULT = RESULT  # pattern-matching type
    YOU = "pub-you"
    RESULT_LAYER = "pub-result-layer"
    ROUTE = "pub-route"
    AREA_LAYER = "pub-area-layer"
    MESSAGE = "pub-message"


def service_options(ctx: AppContext, lang: str) -> list[dict[str, str]]:
    return [{"label": ctx.finder.kind_label(k, lang), "value": k} for k in ctx.finder.kinds]


def background_hideout(lang: str) -> dict[str, Any]:
    """Hideout entries of the public map's layers (see ``onEachFeature`` in assets/redmap.js).

    Their features take no Tab stop (the numbered result pins do), popups keep
    clear of the zoom buttons, and a popup's phone number is a tel: link.
    """
    return {
        "tabStop": False,
        "popup": POPUP_OPTIONS,
        "telLabel": SCHEMA["service_centers"].field("phone").label(lang),
    }


def language_link(lang: str) -> html.A:
    """The switch to the other language; its name says what it does in this language."""
    other = "en" if lang == "zh" else "zh"
    return html.A(
        [
            html.Span(t("pub_switch_lang", lang), className="rm-visually-hidden"),
            html.Span(t("lang_switch", lang), lang="en" if other == "en" else "zh-CN"),
        ],
        href=f"{FACE_PREFIX[FACE]}?lang={other}",
        className="rm-lang",
    )


def layout(ctx: AppContext, lang: str) -> html.Div:
    zh = lang == "zh"
    hideouts = {layer: background_hideout(lang) for layer in MAP_LAYERS}
    # A tap on a street says "I am here", not "tell me about this street" (its name is
    # on the map already).
    hideouts["streets"]["interactive"] = False
    base_map = district_map(ctx, FACE, lang, Ids.MAP, MAP_LAYERS, hideouts=hideouts)
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
            *view_stores(ctx, FACE, lang, Ids.MAP, MAP_LAYERS),
            dcc.Store(id=Ids.WHERE, storage_type="memory"),
            # Filled only when the resident taps "my location": asking the phone for
            # the position before that would be rude, and is refused by many browsers.
            dcc.Store(id=Ids.GEO, storage_type="memory"),
            dcc.Store(id=Ids.UI, storage_type="memory"),
            html.Header(
                [
                    html.Div(
                        [
                            html.Span(t("app_name", lang), className="rm-brand"),
                            html.H1(t("public_title", lang)),
                        ]
                    ),
                    language_link(lang),
                ],
                className="rm-pub-header",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(
                                t("pub_search_label", lang),
                                htmlFor=Ids.SEARCH,
                                className="rm-visually-hidden",
                            ),
                            # role=combobox and its aria-* are set in the browser (pubSync):
                            # dcc.Input takes no ARIA properties.
                            dcc.Input(
                                id=Ids.SEARCH,
                                type="search",
                                placeholder=t("pub_search_placeholder", lang),
                                debounce=False,
                                autoComplete="off",
                                className="rm-search",
                                n_submit=0,
                            ),
                            html.Button(
                                t("pub_my_location", lang),
                                id=Ids.LOCATE,
                                className="rm-locate",
                                type="button",
                                n_clicks=0,
                                **{"data-locating": t("pub_locating", lang)},
                            ),
                        ],
                        className="rm-search-row",
                    ),
                    html.Ul(
                        id=Ids.SUGGESTIONS,
                        className="rm-suggestions",
                        role="listbox",
                        **{"aria-label": t("pub_suggestions", lang)},
                    ),
                    # Right under the search box and the location button, whose answers it gives.
                    html.P(id=Ids.MESSAGE, className="rm-message", role="status", **{"aria-live": "polite"}),
                ],
                className="rm-search-box",
            ),
            html.Main(
                base_map,
                className="rm-pub-map",
                **{
                    "aria-label": t("district", lang),
                    # Names for Leaflet's zoom buttons, which it writes in English (pubSync).
                    "data-zoom-in": t("pub_zoom_in", lang),
                    "data-zoom-out": t("pub_zoom_out", lang),
                },
            ),
            html.Section(
                [
                    html.P(where_text(None, lang), id=Ids.WHERE_TEXT, className="rm-where"),
                    html.Span(t("need_label", lang), id=Ids.SERVICE_LABEL, className="rm-sheet-label"),
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
                    # Read out when it changes; Enter on a suggestion brings the focus here.
                    html.H2(id=Ids.COUNT, className="rm-count", tabIndex="-1", **{"aria-live": "polite"}),
                    html.Ol(id=Ids.RESULTS, className="rm-results", **{"aria-labelledby": Ids.COUNT}),
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
                **{"aria-label": t("pub_results", lang)},
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


def route_to(ctx: AppContext, where: dict[str, Any], target: tuple[float, float]) -> tuple[list[Any], list]:
    """The walking route drawn on the map, and the (lon, lat) points it covers."""
    route = ctx.finder.route((where["lon"], where["lat"]), target)
    if route is None:
        return [], [target]
    coords = list(route.coords)
    line = [[y, x] for x, y in coords]
    drawn = [
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
    ]
    return drawn, [*coords, target]


def viewport(points: list[tuple[float, float]]) -> dict[str, Any]:
    """A view that shows every point, clear of the map's controls and the sheet."""
    return {
        "bounds": fit_bounds(points),
        "transition": "flyToBounds",
        # Never so close that no street is left in view to find one's way by.
        "options": {**FIT_PADDING, "maxZoom": 16, "duration": 0.6},
    }


def register_callbacks(app: Dash, ctx: AppContext) -> None:
    register_view_layers(app, ctx, FACE, Ids.MAP, MAP_LAYERS)
    finder = ctx.finder

    def lang_of(lang: str | None) -> str:
        return lang if lang in ("zh", "en") else ctx.settings.lang

    def in_district(where: Any) -> dict[str, Any] | None:
        """A position the page holds, accepted only where the API would answer too: the
        store is the browser's, and a forged one must get no answer."""
        checked = checked_where(where)
        return checked if checked and finder.within_reach(checked["lon"], checked["lat"]) else None

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

    # In the browser: ask the phone for its position (a Promise), keep the search box's
    # combobox state in step with the list, and bring the focus to the answer.
    app.clientside_callback(
        "function(n) { return window.redmap.pubLocate(n); }",
        Output(Ids.GEO, "data"),
        Input(Ids.LOCATE, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function(children) { return window.redmap.pubSync(children); }",
        Output(Ids.UI, "data"),
        Input(Ids.SUGGESTIONS, "children"),
    )
    app.clientside_callback(
        "function(children) { return window.redmap.pubAnswered(children); }",
        Output(Ids.UI, "data", allow_duplicate=True),
        Input(Ids.RESULTS, "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(Ids.WHERE, "data"),
        Output(Ids.SEARCH, "value"),
        Output(Ids.MESSAGE, "children"),
        Input({"type": Ids.SUGGESTION, "place": ALL}, "n_clicks"),
        Input(Ids.SEARCH, "n_submit"),
        Input(Ids.MAP, "clickData"),
        Input(Ids.GEO, "data"),
        State(Ids.SEARCH, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def choose_where(_sugg, _submit, click, geo, query, lang):
        lang = lang_of(lang)
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
            if not finder.within_reach(lon, lat):
                return no_update, no_update, "这里在秦都区以外" if zh else "That is outside Qindu District"
            return (
                {"lon": lon, "lat": lat, "label": "地图上选的位置" if zh else "the point you tapped"},
                "",
                "",
            )
        if trigger == Ids.GEO and isinstance(geo, dict):
            error = geo.get("error")
            if error:
                return no_update, no_update, t(GEO_MESSAGES.get(str(error), "pub_geo_failed"), lang)
            checked = checked_where(geo)
            if checked is None:
                return no_update, no_update, t("pub_geo_failed", lang)
            if not finder.within_reach(checked["lon"], checked["lat"]):
                return no_update, no_update, t("pub_geo_outside", lang)
            return {**checked, "label": "我的位置" if zh else "your location"}, "", ""
        return no_update, no_update, no_update

    @app.callback(
        Output(Ids.RESULTS, "children"),
        Output(Ids.RESULT_LAYER, "data"),
        Output(Ids.YOU, "children"),
        Output(Ids.WHERE_TEXT, "children"),
        Output(Ids.COUNT, "children"),
        Output(Ids.MAP, "viewport"),
        Output(Ids.ROUTE, "children"),
        Output(Ids.RESULT_LAYER, "hideout"),
        Input(Ids.WHERE, "data"),
        Input(Ids.SERVICE, "value"),
        Input(Ids.OPEN_NOW, "value"),
        State(Ids.LANG, "data"),
    )
    def show_answer(where, service, open_now, lang):
        """The answer in one round trip: the cards, the pins and the route to the nearest."""
        lang = lang_of(lang)
        service = service if isinstance(service, str) and service in finder.kinds else "any"
        where = in_district(where)
        nothing = {"layer": "results", "selected": None}
        if not where:
            return [], None, [], where_text(None, lang), "", no_update, [], nothing
        results, layer = answer(ctx, where, service, "open" in as_list(open_now), lang)
        you = [
            dl.CircleMarker(
                center=[where["lat"], where["lon"]],
                radius=9,
                color="#ffffff",
                weight=3,
                fillColor="#1565c0",
                fillOpacity=1,
                className="rm-you",
                # A tap beside one's own dot moves it; "位置：…" under the map names it.
                interactive=False,
            )
        ]
        if not results:
            empty = html.Li(t("pub_none", lang), className="rm-empty")
            return [empty], None, you, where_text(where, lang), count_text(0, lang), no_update, [], nothing
        cards = [result_card(i + 1, r, lang, i == 0) for i, r in enumerate(results)]
        first = results[0]
        route, covered = route_to(ctx, where, (first["lon"], first["lat"]))
        points = [(where["lon"], where["lat"]), *covered, *((r["lon"], r["lat"]) for r in results[:3])]
        return (
            cards,
            layer,
            you,
            where_text(where, lang),
            count_text(len(results), lang),
            viewport(points),
            route,
            {"layer": "results", "selected": first["id"]},
        )

    @app.callback(
        Output(Ids.ROUTE, "children", allow_duplicate=True),
        Output(Ids.RESULT_LAYER, "hideout", allow_duplicate=True),
        Output(Ids.MAP, "viewport", allow_duplicate=True),
        Output({"type": Ids.RESULT, "id": ALL}, "aria-pressed"),
        Input({"type": Ids.RESULT, "id": ALL}, "n_clicks"),
        Input(Ids.RESULT_LAYER, "clickData"),
        State(Ids.WHERE, "data"),
        State(Ids.RESULT_LAYER, "data"),
        prevent_initial_call=True,
    )
    def select(clicks, marker, where, layer):
        """A tapped card or pin: its route, fitted into view, and that card marked."""
        cards = dash_ctx.outputs_list[-1] if isinstance(dash_ctx.outputs_list, list) else []
        card_ids = [
            c["id"].get("id") for c in as_list(cards) if isinstance(c, dict) and isinstance(c.get("id"), dict)
        ]
        unchanged = (no_update, no_update, no_update, [no_update] * len(card_ids))
        trigger = dash_ctx.triggered_id
        selected = None
        if isinstance(trigger, dict) and trigger.get("type") == Ids.RESULT and any(as_list(clicks)):
            selected = str(trigger.get("id"))
        elif trigger == Ids.RESULT_LAYER and isinstance(marker, dict):
            props = marker.get("properties")
            selected = str(props.get("id")) if isinstance(props, dict) and props.get("id") else None
        where = in_district(where)
        features = layer.get("features") if isinstance(layer, dict) else None
        ids = [
            f["properties"].get("id")
            for f in as_list(features)
            if isinstance(f, dict) and isinstance(f.get("properties"), dict)
        ]
        if not (selected and where and selected in ids):
            return unchanged
        # The result's position is looked up on the server from its id, not taken
        # from the browser's copy of the layer.
        target = finder.services.place_lonlat(selected)
        if target is None:
            return unchanged
        route, covered = route_to(ctx, where, target)
        return (
            route,
            {"layer": "results", "selected": selected},
            viewport([(where["lon"], where["lat"]), *covered]),
            ["true" if str(i) == selected else "false" for i in card_ids],
        )

    @app.callback(
        Output(Ids.AREA_LAYER, "data"),
        Output(Ids.MAP, "viewport", allow_duplicate=True),
        Input(Ids.AREA, "value"),
        Input(Ids.WHERE, "data"),
        prevent_initial_call=True,
    )
    def walk_area(show, where):
        """The 15-minute walking area, fitted into view when the resident asks for it."""
        where = in_district(where)
        if not ("area" in as_list(show) and where):
            return None, no_update
        area = finder.walk_area(where["lon"], where["lat"], AREA_MINUTES)
        fit = no_update
        if dash_ctx.triggered_id == Ids.AREA and not area.is_empty:
            west, south, east, north = area.bounds
            fit = viewport([(where["lon"], where["lat"]), (west, south), (east, north)])
        layer = {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": area.__geo_interface__}],
        }
        return layer, fit


def create(server: flask.Flask, ctx: AppContext) -> Dash:
    app = make_dash(server, FACE_PREFIX[FACE], "redmap_public", t("pub_page_title", "zh"), ctx.settings.debug)
    app.layout = layout_for_request(lambda lang: layout(ctx, lang), ctx.settings.lang)
    localise_index(app, ctx.settings.lang, "pub_page_title")
    register_callbacks(app, ctx)
    return app
