"""The staff workspace (``/staff/``): filter and compare layers, choropleths, gaps, tables.

One set of filters (street → community → grid, a date range, the table's own
fields) drives the map, the table and the chart together; see
:mod:`dashboard.workspace`. Every map layer is in the page from the start and is
shown, hidden and filtered through its ``hideout``, which the browser computes itself
(``redmap.staffLayers``, from :func:`map_config`), so a filter change redraws the map
without a round trip and never sends the features again. A filter change is one
request: the table, note, pager and chart as data (``staff_table``); the link and the
place lists follow its answer. Layer visibility is our own panel, not dash-leaflet's
LayersControl, whose overlay state breaks on Dash ≥ 4.2 (BRIEF §6). The URL holds the
whole state (:mod:`dashboard.permalink`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any
from urllib.parse import urlsplit

import dash_leaflet as dl
import flask
from dash import dcc, html

from dashboard import permalink
from dashboard.auth import current_principal
from dashboard.auth.web import CSRF_COOKIE
from dashboard.choropleth import LEVELS, METRICS, SCHEMES
from dashboard.context import FACE_PREFIX, AppContext
from dashboard.exports import boundary_note
from dashboard.gaps import GAP_MINUTES
from dashboard.i18n import t
from dashboard.maps import area_config, detail_config, district_map, first_zoom, geojson_layer, js, layer_id
from dashboard.pages.common import lang_switch
from dashboard.workspace import (
    TABLES,
    Filters,
    PlaceTree,
    TableSpec,
    community_options,
    date_span,
    date_steps,
    filter_choices,
    grid_options,
    map_hideout_filters,
    steps_between,
)
from geodata.area_metrics import overdue_cutoff
from geodata.schema import layer as schema_layer
from layers import REGISTRY, for_face
from layers.three_no_compounds import STAGE_COLORS

FACE = "staff"
BASEMAP_LAYERS = ("district", "water", "roads")
COVERAGE = "walk_coverage"
"""The choropleth metric computed by the gap analysis (share within the walk)."""


class Ids:
    """Component ids of the staff workspace."""

    URL = "staff-url"
    MAP = "staff-map"
    VIEW = "staff-view"
    LAYERS = "staff-layers"
    STREET = "staff-street"
    COMMUNITY = "staff-community"
    GRID = "staff-grid"
    LANG = "staff-lang"
    TABLE = "staff-record-layer"
    FIELD = "staff-field"  # pattern: {"type": FIELD, "field": name}
    FIELDS = "staff-fields"
    DATES = "staff-dates"
    TABLE_VIEW = "staff-table-view"  # VIEW, passed on while "in view only" is on
    AREA_HINT = "staff-area-hint"  # "zoom in to show …" for layers sent by map area
    TIMELINE = "staff-timeline"  # the time slider's row (hidden for a table without dates)
    DATE_SLIDER = "staff-date-slider"  # steps of TIME_STEPS; moves DATES (redmap.timeSlider)
    TIME_STEPS = "staff-time-steps"  # {"steps": [ISO first days], "last": ISO last day}
    PLAY = "staff-play"  # plays the slider's window forward, step by step
    PLAY_TICK = "staff-play-tick"
    IN_VIEW = "staff-in-view"
    SEARCH = "staff-search"
    RECORDS = "staff-records"
    ROWS = "staff-records-rows"  # table, pager, note and chart as data, inside RECORDS (see staff_table)
    SORT_BY = "staff-sort-by"  # a header's sort button clicked: {"col", "at"} (see redmap.js)
    PAGE_TO = "staff-page-to"  # a pager button clicked: {"to", "at"} (see redmap.js)
    RECORDS_NOTE = "staff-records-note"
    PAGER = "staff-pager"
    TABLE_QUERY = "staff-table-query"
    ANSWERED = "staff-answered"  # the table answered new filters {"at", "place"}: link and lists follow
    SELECTED = "staff-selected"
    EXPORT_PNG = "staff-export-png"
    CHART = "staff-chart"
    METRIC = "staff-metric"
    LEVEL = "staff-level"
    SCHEME = "staff-scheme"
    LEGEND = "staff-legend"
    CHOROPLETH = "staff-choropleth"
    GAP_KIND = "staff-gap-kind"
    GAP_MINUTES = "staff-gap-minutes"
    GAP_SUMMARY = "staff-gap-summary"
    GAP_LAYER = "staff-gap-layer"
    SELECTION = "staff-selection"
    HIDEOUTS = "staff-hideouts"
    THEME_STREET = "staff-theme-street"  # the street, passed on while a theme is shown
    MAP_FILTERS = "staff-map-filters"  # nominal output of redmap.staffLayers (it sets hideouts itself)
    MAP_CONFIG = "staff-map-config"  # what redmap.staffLayers needs (see map_config)
    TABS = "staff-tabs"

    @staticmethod
    def export(fmt: str) -> str:
        """The download link of one export format."""
        return f"staff-export-{fmt}"


def panel_layers() -> list[str]:
    """Layers listed in the panel: everything the staff face draws but the basemap."""
    return [spec.id for spec in for_face(FACE) if spec.kind != "basemap"]


def default_layers() -> list[str]:
    return [i for i in panel_layers() if FACE in REGISTRY[i].visible]


def layer_properties() -> dict[str, set[str]]:
    """Properties each staff layer's GeoJSON carries (the JS filters can use only these)."""
    out = {}
    for layer in panel_layers():
        spec = REGISTRY[layer]
        out[layer] = {"id"} | {f.name for f in spec.fields_for(FACE, spec.filter_fields)}
    return out


def overdue_before(ctx: AppContext) -> str:
    """Incidents found before this moment and still open are overdue."""
    return overdue_cutoff(ctx.dataset.as_of()).isoformat()


def layer_hideout(
    layer: str, shown: bool, table: TableSpec, filters: Filters, properties: set[str], before: str
) -> dict[str, Any]:
    """What a panel layer's ``hideout`` says beyond its style: shown, filtered, pipeline marks.

    Used for the first page and by every later change alike, so that a layer whose
    data arrives after a filter change is drawn filtered all the same.
    """
    hideout = map_hideout_filters(table, filters, layer, properties)
    hideout["hidden"] = not shown
    hideout["at"] = stamp()
    if layer == "grid_events":
        hideout["overdue"] = {"field": "found_at", "before": before, "status": "status", "closed": "replied"}
    if layer == "three_no_compounds":
        hideout["colorBy"] = {"field": "stage", "colors": STAGE_COLORS}
    return hideout


def map_config(ctx: AppContext, lang: str, zoom: float) -> dict[str, Any]:
    """What the browser needs to show, hide and filter the panel layers itself
    (``redmap.staffLayers``): each layer's component id, URL and filterable properties,
    each table's map layer, date field and field filters, and the levels of detail of
    polygon layers (``zoom``: the first view's)."""
    properties = layer_properties()
    return {
        "layers": {
            layer: {
                "id": layer_id(FACE, layer),
                "url": ctx.layer_url(FACE, layer, lang),
                "fields": sorted(properties[layer]),
            }
            for layer in panel_layers()
        },
        "tables": {
            name: {"mapLayer": spec.map_layer, "dateField": spec.date_field, "filters": list(spec.filters)}
            for name, spec in TABLES.items()
        },
        # Layers sent by map area (none in the demo district): see redmap.staffLayerUrls.
        "area": area_config(ctx, FACE, lang, [spec.id for spec in for_face(FACE)]),
        # Polygon layers at the view's level of detail, the basemap's among them.
        "detail": detail_config(ctx, FACE, [spec.id for spec in for_face(FACE)], zoom),
        "basemaps": {layer: ctx.layer_url(FACE, layer, lang) for layer in BASEMAP_LAYERS},
    }


def stamp() -> int:
    """Microseconds now: orders a layer's hideouts (see hideoutOf in assets/redmap.js)."""
    return time.time_ns() // 1000


def layer_option(ctx: AppContext, layer: str, lang: str) -> dict[str, Any]:
    spec = REGISTRY[layer]
    label = html.Span(
        [
            html.Span(
                className="rm-swatch",
                style={"background": spec.fill or spec.color, "borderColor": spec.color},
            ),
            html.Span(
                [
                    html.Span(spec.label(lang), className="rm-layer-name"),
                    html.Span(
                        f"{ctx.layer_count(FACE, layer):,}",
                        className="rm-layer-count",
                        **{"data-layer-count": layer},
                    ),
                    html.Small(spec.description(lang), className="rm-layer-desc"),
                ],
                className="rm-layer-text",
            ),
        ],
        className="rm-layer-option",
    )
    return {"label": label, "value": layer}


def street_options(ctx: AppContext, lang: str) -> list[dict[str, str]]:
    streets = ctx.dataset["streets"].sort_values("id")
    name_col = "name" if lang == "zh" else "name_en"
    return [{"label": str(row[name_col]), "value": str(row["id"])} for _, row in streets.iterrows()]


def user_box(lang: str) -> html.Div:
    """Who is signed in, and a logout that ends the session on the server."""
    principal = current_principal()
    csrf = ""
    if flask.has_request_context():
        csrf = flask.g.get("csrf") or flask.request.cookies.get(CSRF_COOKIE, "")
    return html.Div(
        [
            html.Span(f"{principal.name} · {t('role_' + principal.role, lang)}", className="rm-user"),
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=csrf),
                    html.Button(t("logout", lang), type="submit", className="rm-logout"),
                ],
                action="/logout",
                method="POST",
            ),
        ],
        className="rm-user-box",
    )


def field_filters(table: str, chosen: dict[str, tuple[str, ...]], lang: str) -> list[Any]:
    """One multi-select per filter field of the table."""
    spec = TABLES[table]
    out = []
    for name in spec.filters:
        label = schema_layer(table).field(name).label(lang)
        out.append(
            dcc.Dropdown(
                id={"type": Ids.FIELD, "field": name},
                options=filter_choices(table, name, lang),
                value=list(chosen.get(name, ())),
                multi=True,
                placeholder=label,
                className="rm-field-filter",
            )
        )
    return out


def _select(id_: str, label: str, options: list[dict[str, Any]], value: Any, **props: Any) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=id_),
            dcc.Dropdown(id=id_, options=options, value=value, **props),
        ],
        className="rm-select",
    )


def _radio(id_: str, label: str, options: list[dict[str, Any]], value: Any) -> html.Div:
    return html.Div(
        [
            html.Span(label, className="rm-radio-label"),
            dcc.RadioItems(id=id_, options=options, value=value, inline=True, className="rm-radio"),
        ]
    )


def start_street(state: permalink.StaffState) -> str | None:
    """The street the page opens on: street staff their own, unless a link chooses
    another street or all of them (``street=all``)."""
    if state.street == permalink.ALL_STREETS:
        return None
    return state.street or current_principal().street_id


def place_filters(ctx: AppContext, state: permalink.StaffState, lang: str) -> html.Div:
    street = start_street(state)
    return html.Div(
        [
            _select(
                Ids.STREET,
                t("street_filter", lang),
                street_options(ctx, lang),
                street,
                placeholder=t("all_streets", lang),
                className="rm-street-select",
            ),
            _select(
                Ids.COMMUNITY,
                t("community_filter", lang),
                community_options(ctx.dataset, street),
                state.community,
                placeholder=t("all_communities", lang),
                className="rm-community-select",
            ),
            _select(
                Ids.GRID,
                t("grid_filter", lang),
                grid_options(ctx.dataset, street, state.community),
                state.grid,
                placeholder=t("all_grids", lang),
                className="rm-grid-select",
            ),
        ],
        className="rm-staff-filter",
    )


def layer_tab(ctx: AppContext, state: permalink.StaffState, lang: str) -> dcc.Tab:
    known = panel_layers()
    chosen = [x for x in state.layers if x in known] if state.layers is not None else default_layers()
    return dcc.Tab(
        label=t("layers", lang),
        value="layers",
        children=[
            dcc.Checklist(
                id=Ids.LAYERS,
                options=[layer_option(ctx, i, lang) for i in known],
                value=chosen,
                className="rm-layer-list",
            ),
            html.P(t("schematic", lang), className="rm-note"),
        ],
    )


def theme_tab(ctx: AppContext, state: permalink.StaffState, lang: str) -> dcc.Tab:
    metric_options = [{"label": t("no_theme", lang), "value": ""}]
    metric_options += [{"label": m.label(lang), "value": m.id} for m in METRICS.values()]
    metric_options.append({"label": t("walk_coverage", lang), "value": COVERAGE})
    level_options = [{"label": zh if lang == "zh" else en, "value": lv} for lv, (_, zh, en) in LEVELS.items()]
    scheme_options = [{"label": t(f"scheme_{s}", lang), "value": s} for s in SCHEMES]
    kinds = ctx.finder.kinds
    return dcc.Tab(
        label=t("themes", lang),
        value="themes",
        children=[
            _select(
                Ids.METRIC,
                t("metric", lang),
                metric_options,
                state.metric if state.metric in METRICS or state.metric == COVERAGE else "",
                clearable=False,
            ),
            _radio(
                Ids.LEVEL,
                t("area_level", lang),
                level_options,
                state.level if state.level in LEVELS else "grids",
            ),
            _radio(
                Ids.SCHEME,
                t("classes", lang),
                scheme_options,
                state.scheme if state.scheme in SCHEMES else "quantiles",
            ),
            html.Div(id=Ids.LEGEND, className="rm-legend", **{"aria-live": "polite"}),
            html.H3(t("gap_title", lang)),
            _select(
                Ids.GAP_KIND,
                t("gap_service", lang),
                [{"label": ctx.finder.kind_label(k, lang), "value": k} for k in kinds],
                state.gap if state.gap in kinds else "any",
                clearable=False,
            ),
            _select(
                Ids.GAP_MINUTES,
                t("gap_minutes", lang),
                [{"label": t("minutes_walk", lang).format(m), "value": m} for m in GAP_MINUTES],
                state.minutes if state.minutes in GAP_MINUTES else 15,
                clearable=False,
            ),
            html.P(id=Ids.GAP_SUMMARY, className="rm-gap-summary", **{"aria-live": "polite"}),
        ],
    )


def time_steps(ctx: AppContext, table: TableSpec) -> dict[str, Any]:
    """The time slider's steps for a table (see :func:`dashboard.workspace.date_steps`)."""
    span = date_span(ctx.dataset, table)
    steps = date_steps(span)
    return {"steps": [d.isoformat() for d in steps], "last": span[1].isoformat() if span else None}


def timeline(ctx: AppContext, table: TableSpec, start: Any, end: Any, lang: str) -> dict[str, Any]:
    """The time slider's props for ``table`` and a date range (ISO strings or None)."""
    steps = time_steps(ctx, table)
    days = [dt.date.fromisoformat(d) for d in steps["steps"]]
    monthly = len(days) > 1 and (days[1] - days[0]).days > 7
    every = max(1, -(-len(days) // 6))  # about six labels, however long the span
    marks = {
        i: {"label": d.strftime("%Y-%m" if monthly else "%m-%d")}
        for i, d in enumerate(days)
        if i % every == 0 or i == len(days) - 1
    }
    value = steps_between(days, _iso_day(start), _iso_day(end))
    return {"min": 0, "max": max(len(days) - 1, 0), "marks": marks, "value": value, "steps": steps}


def _iso_day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def time_slider(ctx: AppContext, table: TableSpec, state: permalink.StaffState, lang: str) -> html.Div:
    """A slider over the table's dates, in months (weeks for a short span), that sets the
    date range; ▶ moves its window forward a step at a time (kepler.gl's time playback)."""
    props = timeline(ctx, table, state.start, state.end, lang)
    return html.Div(
        [
            html.Span(t("time", lang), className="rm-timeline-label", id=f"{Ids.TIMELINE}-label"),
            html.Button(
                "▶",
                id=Ids.PLAY,
                type="button",
                className="rm-play",
                title=t("play", lang),
                **{"aria-label": t("play", lang), "aria-pressed": "false"},
            ),
            html.Div(
                dcc.RangeSlider(
                    id=Ids.DATE_SLIDER,
                    min=props["min"],
                    max=props["max"],
                    step=1,
                    marks=props["marks"],
                    value=props["value"],
                    allowCross=False,
                    allow_direct_input=False,  # step numbers mean nothing to a reader
                    updatemode="mouseup",
                ),
                className="rm-timeline-slider",
            ),
            dcc.Store(id=Ids.TIME_STEPS, data=props["steps"]),
            dcc.Interval(id=Ids.PLAY_TICK, interval=1500, disabled=True),
        ],
        id=Ids.TIMELINE,
        className="rm-timeline",
        hidden=not props["steps"]["steps"],
    )


def table_panel(ctx: AppContext, state: permalink.StaffState, lang: str) -> html.Section:
    table = state.table if state.table in TABLES else "grid_events"
    options = [{"label": schema_layer(n).label(lang), "value": n} for n in TABLES]
    return html.Section(
        [
            html.Div(
                [
                    html.H2(t("records", lang)),
                    dcc.Dropdown(
                        id=Ids.TABLE,
                        options=options,
                        value=table,
                        clearable=False,
                        className="rm-record-select",
                    ),
                    html.Div(
                        field_filters(table, dict(state.fields), lang), id=Ids.FIELDS, className="rm-fields"
                    ),
                    dcc.DatePickerRange(
                        id=Ids.DATES,
                        start_date=state.start,
                        end_date=state.end,
                        display_format="YYYY-MM-DD",
                        start_date_placeholder_text=t("date_from", lang),
                        end_date_placeholder_text=t("date_to", lang),
                        clearable=True,
                        className="rm-dates",
                    ),
                    dcc.Checklist(
                        id=Ids.IN_VIEW,
                        options=[{"label": t("in_view_only", lang), "value": "on"}],
                        value=["on"] if state.in_view else [],
                        className="rm-in-view",
                    ),
                    html.Label(
                        [
                            html.Span(t("search_table", lang), className="rm-visually-hidden"),
                            dcc.Input(
                                id=Ids.SEARCH,
                                type="search",
                                placeholder=t("search_table", lang),
                                className="rm-table-search",
                                debounce=0.3,
                            ),
                        ]
                    ),
                    time_slider(ctx, TABLES[table], state, lang),
                    # Until the map reports its bounds, "in view only" cannot be exported.
                    export_links(
                        lang,
                        permalink.compose(dataclasses.replace(state, in_view=False)),
                        boundary_note(ctx.dataset, lang),
                    ),
                ],
                className="rm-records-head",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            # redmap.drawRecords draws the table, note, pager and chart from the
                            # rows' store into these; Dash never fills them.
                            html.Div(dcc.Store(id=Ids.ROWS), id=Ids.RECORDS, className="rm-table-scroll"),
                            html.Div(
                                [
                                    html.Span(
                                        id=Ids.RECORDS_NOTE,
                                        className="rm-records-note",
                                        **{"aria-live": "polite"},
                                    ),
                                    html.Div(id=Ids.PAGER),
                                ],
                                className="rm-table-foot",
                            ),
                        ],
                        className="rm-table-box",
                    ),
                    html.Div(id=Ids.CHART, className="rm-chart", **{"aria-live": "polite"}),
                ],
                className="rm-records-body",
            ),
        ],
        className="rm-staff-records",
    )


EXPORT_FORMATS = ("xlsx", "csv", "geojson", "gpkg", "html")
"""Downloads offered under the table (see :mod:`dashboard.export_routes`), in menu order."""
_EXPORT_LABELS = {"xlsx": "Excel", "csv": "CSV", "geojson": "GeoJSON", "gpkg": "GeoPackage"}


def export_links(lang: str, query: str, note: str) -> html.Details:
    """The export menu: a link per file format (their addresses follow the filters,
    see ``remember_state``) and a button for a PNG of the map and chart."""
    links = [
        html.A(
            _EXPORT_LABELS.get(fmt) or t(f"export_{fmt}", lang),
            id=Ids.export(fmt),
            href=f"{FACE_PREFIX[FACE]}export/{fmt}{query}",
            download="",
            className="rm-export-link",
        )
        for fmt in EXPORT_FORMATS
    ]
    png = html.Button(
        t("export_png", lang),
        id=Ids.EXPORT_PNG,
        className="rm-export-link",
        type="button",
        # The image's title ends with this: the outline is schematic, and a report must say so.
        **{"data-note": note},
    )
    return html.Details(
        [html.Summary(t("export", lang), title=t("export_hint", lang)), html.Div([*links, png])],
        className="rm-export",
    )


def place_bounds(ctx: AppContext, filters: Filters) -> list[list[float]] | None:
    """Leaflet bounds of the narrowest place chosen (grid, community or street), if any."""
    for layer, chosen in (
        ("grids", filters.grid),
        ("communities", filters.community),
        ("streets", filters.street),
    ):
        if chosen:
            frame = ctx.dataset[layer]
            west, south, east, north = (float(v) for v in frame[frame["id"] == chosen].total_bounds)
            return [[south, west], [north, east]]
    return None


@dataclasses.dataclass(frozen=True)
class PageStart:
    """Where a page opened with a link starts: its table and filters, and its map's
    first view (Leaflet view props) and that view's zoom."""

    table: TableSpec
    filters: Filters
    view: dict[str, Any]
    zoom: float


def page_start(ctx: AppContext, state: permalink.StaffState) -> PageStart:
    """The table, filters and first map view of a page opened with ``state``: a link's
    own view, else the chosen place's bounds (a street staff member starts on their
    street), else none given (the district's bounds)."""
    table = TABLES[state.table] if state.table in TABLES else TABLES["grid_events"]
    filters = Filters.from_browser(
        PlaceTree.of(ctx.dataset), table, start_street(state), state.community, state.grid,
        state.start, state.end, {k: list(v) for k, v in state.fields.items()},
    )  # fmt: skip
    view: dict[str, Any] = {}
    chosen_area = place_bounds(ctx, filters)
    if state.view:
        lat, lon, zoom = state.view
        # A link's view wins over the district's bounds.
        view = {"center": [lat, lon], "zoom": zoom, "bounds": None}
    elif chosen_area is not None:
        view = {"bounds": chosen_area}  # a street staff member starts on their street
    return PageStart(table, filters, view, first_zoom(ctx, FACE, view.get("zoom"), view.get("bounds")))


def staff_map(ctx: AppContext, state: permalink.StaffState, start: PageStart, lang: str) -> dl.Map:
    visible = set(state.layers) if state.layers is not None else set(default_layers())
    table, filters, view, zoom = start.table, start.filters, start.view, start.zoom
    properties, before = layer_properties(), overdue_before(ctx)
    overlays = [
        # Hidden layers are in the page without their data: ticking one loads it once.
        geojson_layer(
            ctx,
            REGISTRY[layer],
            FACE,
            lang,
            hideout=layer_hideout(layer, layer in visible, table, filters, properties[layer], before),
            load=layer in visible,
            zoom=zoom,
        )
        for layer in panel_layers()
    ]
    extra = [
        dl.GeoJSON(
            id=Ids.CHOROPLETH,
            url=None,
            style=js("style"),
            filter=js("filter"),
            onEachFeature=js("onEachFeature"),
            hideout={
                "layer": "choropleth",
                "kind": "area",
                "style": CHOROPLETH_STYLE,
                "choropleth": {},
                "at": stamp(),
            },
            pane="rm-areas",
        ),
        dl.GeoJSON(
            id=Ids.GAP_LAYER,
            data=None,
            pointToLayer=js("pointToLayer"),
            onEachFeature=js("onEachFeature"),
            hideout={"layer": "gaps", "kind": "point", "style": GAP_STYLE},
            pane="rm-points",
        ),
        dl.LayerGroup(id=Ids.SELECTION),
    ]
    the_map = district_map(
        ctx,
        FACE,
        lang,
        Ids.MAP,
        list(BASEMAP_LAYERS),
        overlays=overlays,
        extra=extra,
        eventHandlers={"moveend": js("staffMoved")},
        **view,
    )
    return the_map


CHOROPLETH_STYLE = {"color": "#5e4b3c", "weight": 0.6, "opacity": 0.8, "fill": True, "fillOpacity": 0}
GAP_STYLE = {"radius": 5, "color": "#5b0a14", "weight": 1.5, "fillColor": "#ffffff", "fillOpacity": 0.95}
"""Blocks beyond the walk: hollow dark rings, readable over any choropleth colour."""


def page_query() -> str:
    """The query string of the page being built.

    Dash fetches the layout with its own request (``_dash-layout``), which carries
    the page's address only as its Referer (same-origin, so sent in full under our
    ``Referrer-Policy: same-origin``); a direct request carries it itself.
    """
    if not flask.has_request_context():
        return ""
    request = flask.request
    if request.query_string:
        return request.query_string.decode("utf-8", "replace")
    referrer = urlsplit(request.referrer or "")
    own = urlsplit(request.host_url)
    if referrer.netloc == own.netloc and referrer.path.startswith(FACE_PREFIX[FACE]):
        return referrer.query
    return ""


def selected_from_link(state: permalink.StaffState) -> dict[str, str] | None:
    return {"id": state.selected, "from": "link"} if state.selected else None


def layout(ctx: AppContext, lang: str) -> html.Div:
    state = permalink.parse(page_query())
    start = page_start(ctx, state)
    return html.Div(
        [
            dcc.Location(id=Ids.URL, refresh=False),
            dcc.Store(id=Ids.LANG, data=lang),
            dcc.Store(id=Ids.HIDEOUTS),
            dcc.Store(id=Ids.MAP_CONFIG, data=map_config(ctx, lang, start.zoom)),
            dcc.Store(id=Ids.MAP_FILTERS),
            dcc.Store(id=Ids.TABLE_QUERY),
            dcc.Store(id=Ids.ANSWERED),
            dcc.Store(id=Ids.TABLE_VIEW),
            dcc.Store(id=Ids.SORT_BY),
            dcc.Store(id=Ids.PAGE_TO),
            dcc.Store(id=Ids.THEME_STREET),
            # The chosen row: {"id", "from": "table" | "map" | "link"} (see redmap.js).
            dcc.Store(id=Ids.SELECTED, data=selected_from_link(state)),
            # A link's view, until the map reports its own (see redmap.staffMoved).
            dcc.Store(
                id=Ids.VIEW,
                data={"center": list(state.view[:2]), "zoom": state.view[2]} if state.view else None,
            ),
            html.Header(
                [
                    html.H1(t("staff_title", lang)),
                    place_filters(ctx, state, lang),
                    html.Span(t("demo_data", lang), className="rm-badge") if ctx.dataset.is_demo else None,
                    lang_switch(lang, FACE_PREFIX[FACE]),
                    user_box(lang),
                ],
                className="rm-staff-header",
            ),
            html.Aside(
                dcc.Tabs(
                    [layer_tab(ctx, state, lang), theme_tab(ctx, state, lang)],
                    id=Ids.TABS,
                    value="themes" if state.metric else "layers",
                    className="rm-tabs",
                    parent_className="rm-tabs-parent",
                    content_className="rm-tab-content",
                ),
                className="rm-staff-panel",
            ),
            html.Main(
                [
                    staff_map(ctx, state, start, lang),
                    # Ticked layers sent by map area that the view is too wide for (redmap.js).
                    html.Div(id=Ids.AREA_HINT, className="rm-area-hint", role="status", hidden=True),
                ],
                className="rm-staff-map",
            ),
            table_panel(ctx, state, lang),
        ],
        className="rm-staff",
        lang="zh-CN" if lang == "zh" else "en",
    )
