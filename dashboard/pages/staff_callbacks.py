"""Callbacks of the staff workspace: thin, over the pure functions of
:mod:`dashboard.workspace`, :mod:`dashboard.choropleth` and :mod:`dashboard.gaps`.

Every value from the browser is checked before use (:meth:`Filters.from_browser`
drops what does not exist); whose personal data may be shown is decided by the
signed-in principal on the server, never by a value in the request.
"""

from __future__ import annotations

import html as html_lib
from typing import Any

import dash_leaflet as dl
import pandas as pd
from dash import ALL, Dash, Input, Output, Patch, State, html, no_update
from dash import ctx as dash_ctx

from dashboard import permalink
from dashboard.auth import current_principal
from dashboard.choropleth import LEVELS, METRICS, SCHEMES, Choropleth, classify, legend_text
from dashboard.context import AppContext
from dashboard.gaps import GAP_MINUTES, WalkTimes, coverage, gap_summary
from dashboard.i18n import t
from dashboard.maps import layer_id
from dashboard.pages.staff import (
    COVERAGE,
    FACE,
    Ids,
    field_filters,
    layer_hideout,
    layer_properties,
    overdue_before,
    panel_layers,
    place_bounds,
    stamp,
)
from dashboard.records import table_rows
from dashboard.workspace import (
    TABLES,
    Filters,
    PlaceTree,
    TableSpec,
    chart_counts,
    community_options,
    filtered,
    grid_options,
)
from geodata.metrics import SMALL_CELL
from geodata.schema import layer as schema_layer


def _lang(value: Any, ctx: AppContext) -> str:
    return value if value in ("zh", "en") else ctx.settings.lang


def filter_inputs() -> list[Input]:
    """The inputs every view of the filtered data listens to, in the order
    ``(table, street, community, grid, field values, start, end)``."""
    return [
        Input(Ids.TABLE, "value"),
        Input(Ids.STREET, "value"),
        Input(Ids.COMMUNITY, "value"),
        Input(Ids.GRID, "value"),
        Input({"type": Ids.FIELD, "field": ALL}, "value"),
        Input(Ids.DATES, "start_date"),
        Input(Ids.DATES, "end_date"),
    ]


def _choice(value: Any, allowed: tuple[Any, ...], default: Any) -> Any:
    """``value`` when it is one of ``allowed`` (and of the same type), else ``default``."""
    for option in allowed:
        if type(value) is type(option) and value == option:
            return value
    return default


def _same(new: dict[str, Any], old: Any) -> bool:
    """Whether two hideouts say the same, whenever they were made."""
    return isinstance(old, dict) and {**new, "at": 0} == {**old, "at": 0}


def _table(value: Any) -> TableSpec:
    return TABLES[value] if isinstance(value, str) and value in TABLES else TABLES["grid_events"]


def _field_values(values: Any, ids: Any) -> dict[str, Any]:
    """``{field: [values]}`` from the pattern-matched filter dropdowns."""
    if not isinstance(values, list) or not isinstance(ids, list):
        return {}
    out = {}
    for value, id_ in zip(values, ids, strict=False):
        if isinstance(id_, dict) and isinstance(id_.get("field"), str):
            out[id_["field"]] = value
    return out


def register(app: Dash, ctx: AppContext) -> None:
    dataset = ctx.dataset
    places = PlaceTree.of(dataset)
    times = WalkTimes(dataset, ctx.finder)
    properties = layer_properties()
    known_layers = set(panel_layers())
    before = overdue_before(ctx)

    def filters_from(table, street, community, grid, values, ids, start, end, bbox=None) -> Filters:
        return Filters.from_browser(
            places, table, street, community, grid, start, end, _field_values(values, ids), bbox
        )

    # -- street → community → grid -------------------------------------------------
    @app.callback(
        Output(Ids.COMMUNITY, "options"),
        Output(Ids.COMMUNITY, "value"),
        Input(Ids.STREET, "value"),
        State(Ids.COMMUNITY, "value"),
        prevent_initial_call=True,
    )
    def cascade_communities(street: Any, community: Any):
        street = street if isinstance(street, str) and street in places.streets else None
        keep = isinstance(community, str) and places.community_street.get(community) == street
        return community_options(dataset, street), community if keep else None

    @app.callback(
        Output(Ids.GRID, "options"),
        Output(Ids.GRID, "value"),
        Input(Ids.STREET, "value"),
        Input(Ids.COMMUNITY, "value"),
        State(Ids.GRID, "value"),
        prevent_initial_call=True,
    )
    def cascade_grids(street: Any, community: Any, grid: Any):
        f = Filters.from_browser(places, None, street, community, grid)
        return grid_options(dataset, f.street, f.community), f.grid

    # -- the table's own filters ----------------------------------------------------
    @app.callback(
        Output(Ids.FIELDS, "children"),
        Input(Ids.TABLE, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def show_field_filters(table: Any, lang: Any):
        return field_filters(_table(table).layer, {}, _lang(lang, ctx))

    # -- map layers: shown, hidden and filtered in the browser ------------------------
    @app.callback(
        Output(layer_id(FACE, ALL), "url"),  # type: ignore[arg-type]
        Output(layer_id(FACE, ALL), "hideout"),  # type: ignore[arg-type]
        Input(Ids.LAYERS, "value"),
        *filter_inputs(),
        State({"type": Ids.FIELD, "field": ALL}, "id"),
        State(layer_id(FACE, ALL), "url"),  # type: ignore[arg-type]
        State(layer_id(FACE, ALL), "hideout"),  # type: ignore[arg-type]
        State(Ids.LANG, "data"),
    )
    def show_layers(
        layers, table, street, community, grid, values, start, end, field_ids, urls, hideouts, lang
    ):
        lang = _lang(lang, ctx)
        chosen = (
            {x for x in layers if isinstance(x, str)} & known_layers if isinstance(layers, list) else set()
        )
        spec = _table(table)
        f = filters_from(spec, street, community, grid, values, field_ids, start, end)
        out_urls, out_hideouts = [], []
        # The layers' ids come with the request (the outputs Dash expects): read defensively.
        outs = dash_ctx.outputs_list[0] if dash_ctx.outputs_list else []
        outs = outs if isinstance(outs, list) else []
        ids = [o.get("id") if isinstance(o, dict) else None for o in outs]
        urls = urls if isinstance(urls, list) and len(urls) == len(ids) else [None] * len(ids)
        hideouts = hideouts if isinstance(hideouts, list) and len(hideouts) == len(ids) else [{}] * len(ids)
        for id_, url, hideout in zip(ids, urls, hideouts, strict=True):
            layer = id_.get("layer") if isinstance(id_, dict) else None
            if layer not in known_layers:  # the basemap: never changes
                out_urls.append(no_update)
                out_hideouts.append(no_update)
                continue
            shown = layer in chosen
            # Once loaded a layer keeps its data; hiding it is a filter, not a download.
            wanted_url = ctx.layer_url(FACE, layer, lang) if shown else (url or None)
            new = dict(hideout) if isinstance(hideout, dict) else {}
            new.update(layer_hideout(layer, shown, spec, f, properties[layer], before))
            # Unchanged props are not sent again: setting one makes dash-leaflet redraw
            # (or refetch) the layer, and a refetch racing a filter change draws it unfiltered.
            out_urls.append(no_update if wanted_url == url else wanted_url)
            out_hideouts.append(no_update if _same(new, hideout) else new)
        return out_urls, out_hideouts

    # The newest hideouts for the map's style and filter functions (see assets/redmap.js).
    app.clientside_callback(
        "function(layers, choropleth) { return window.redmap.rememberHideouts(layers, choropleth); }",
        Output(Ids.HIDEOUTS, "data"),
        Input(layer_id(FACE, ALL), "hideout"),  # type: ignore[arg-type]
        Input(Ids.CHOROPLETH, "hideout"),
    )

    # -- table and chart -----------------------------------------------------------------
    @app.callback(
        Output(Ids.RECORDS, "rowData"),
        Output(Ids.RECORDS, "columnDefs"),
        Output(Ids.RECORDS_NOTE, "children"),
        Output(Ids.CHART, "children"),
        *filter_inputs(),
        Input(Ids.IN_VIEW, "value"),
        Input(Ids.VIEW, "data"),
        Input(Ids.LANG, "data"),
        State({"type": Ids.FIELD, "field": ALL}, "id"),
        State(Ids.RECORDS, "rowData"),
    )
    def show_records(
        table, street, community, grid, values, start, end, in_view, view, lang, field_ids, shown
    ):
        in_view = isinstance(in_view, list) and "on" in in_view
        if dash_ctx.triggered_id == Ids.VIEW and not in_view and shown:
            return no_update, no_update, no_update, no_update  # the map moved; nothing depends on it
        lang = _lang(lang, ctx)
        spec = _table(table)
        bbox = view.get("bounds") if in_view and isinstance(view, dict) else None
        f = filters_from(spec, street, community, grid, values, field_ids, start, end, bbox)
        frame = filtered(dataset, spec, f)
        view_ = table_rows(
            dataset, spec.layer, frame, spec.columns, current_principal(), lang, spec.date_field
        )
        columns = [column_def(spec.layer, c["id"], c["name"]) for c in view_.columns]
        note = records_note(view_.shown, view_.total, view_.masked_rows, lang)
        return view_.rows, columns, note, chart_bars(frame, spec, lang)

    @app.callback(
        Output(Ids.RECORDS, "dashGridOptions"),
        Input(Ids.SEARCH, "value"),
        prevent_initial_call=True,
    )
    def search_table(text: Any):
        patch = Patch()
        patch["quickFilterText"] = text[:100] if isinstance(text, str) else ""
        return patch

    # -- the map follows the place chosen -------------------------------------------------
    @app.callback(
        Output(Ids.MAP, "viewport", allow_duplicate=True),
        Input(Ids.STREET, "value"),
        Input(Ids.COMMUNITY, "value"),
        Input(Ids.GRID, "value"),
        prevent_initial_call=True,
    )
    def zoom_to_place(street: Any, community: Any, grid: Any):
        bounds = place_bounds(ctx, Filters.from_browser(places, None, street, community, grid))
        if bounds is None:
            west, south, east, north = (float(v) for v in dataset["district"].total_bounds)
            bounds = [[south, west], [north, east]]
        return {"bounds": bounds, "transition": "flyToBounds"}

    # -- row ↔ feature ---------------------------------------------------------------
    @app.callback(
        Output(Ids.MAP, "viewport"),
        Output(Ids.SELECTION, "children"),
        Input(Ids.RECORDS, "selectedRows"),
        State(Ids.TABLE, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def show_selected(rows: Any, table: Any, lang: Any):
        spec, lang = _table(table), _lang(lang, ctx)
        # Only layers the map draws: a home-service recipient's home is never pinpointed.
        if spec.map_layer is None or not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
            return no_update, []
        frame = dataset[spec.layer]
        # Only the id comes from the browser; what the popup shows is read and masked here.
        match = frame[frame["id"].astype(str) == str(rows[0].get("id"))]
        if match.empty or not hasattr(match, "geometry") or match.geometry.iloc[0] is None:
            return no_update, []
        point = match.geometry.iloc[0].representative_point()
        shown = table_rows(dataset, spec.layer, match, spec.columns, current_principal(), lang)
        record = shown.rows[0]
        labels = {c["id"]: c["name"] for c in shown.columns}
        popup = dl.Popup(
            html.Div(
                [
                    html.Strong(str(record.get("name") or record["id"])),
                    *[
                        html.Div([html.Span(f"{labels[k]}：", className="rm-pop-k"), str(v)])
                        for k, v in record.items()
                        if k not in ("id", "name")
                    ][:6],
                ],
                className="rm-popup",
            ),
            position=[point.y, point.x],
            id="staff-selected-popup",
        )
        return {"center": [point.y, point.x], "zoom": 16, "transition": "flyTo"}, [popup]

    @app.callback(
        Output(Ids.RECORDS, "selectedRows"),
        Output(Ids.RECORDS, "scrollTo"),
        Input(layer_id(FACE, ALL), "clickData"),  # type: ignore[arg-type]
        State(Ids.TABLE, "value"),
        prevent_initial_call=True,
    )
    def select_clicked(_clicks: Any, table: Any):
        trigger = dash_ctx.triggered_id
        spec = _table(table)
        if not isinstance(trigger, dict) or trigger.get("layer") != spec.map_layer:
            return no_update, no_update
        data = dash_ctx.triggered[0].get("value") if dash_ctx.triggered else None
        feature_id = (data or {}).get("properties", {}).get("id") if isinstance(data, dict) else None
        if not isinstance(feature_id, str):
            return no_update, no_update
        return {"ids": [feature_id]}, {"rowId": feature_id}

    # -- choropleth and gaps ------------------------------------------------------------
    @app.callback(
        Output(Ids.CHOROPLETH, "url"),
        Output(Ids.CHOROPLETH, "hideout"),
        Output(Ids.LEGEND, "children"),
        Input(Ids.METRIC, "value"),
        Input(Ids.LEVEL, "value"),
        Input(Ids.SCHEME, "value"),
        Input(Ids.STREET, "value"),
        Input(Ids.DATES, "start_date"),
        Input(Ids.DATES, "end_date"),
        Input(Ids.GAP_KIND, "value"),
        Input(Ids.GAP_MINUTES, "value"),
        State(Ids.CHOROPLETH, "hideout"),
        State(Ids.LANG, "data"),
    )
    def show_choropleth(metric, level, scheme, street, start, end, kind, minutes, hideout, lang):
        lang = _lang(lang, ctx)
        hideout = dict(hideout) if isinstance(hideout, dict) else {}
        metric = _choice(metric, (*METRICS, COVERAGE), None)
        if metric is None:
            hideout["choropleth"], hideout["at"] = {}, stamp()
            return None, hideout, []
        level = _choice(level, tuple(LEVELS), "grids")
        scheme = _choice(scheme, SCHEMES, "quantiles")
        f = Filters.from_browser(places, None, street, start=start, end=end)
        if metric == COVERAGE:
            kind = _choice(kind, ctx.finder.kinds, "any")
            minutes = _choice(minutes, GAP_MINUTES, 15)
            values = coverage(dataset, times, kind, minutes, level, f.street)
            label = t("walk_coverage", lang) + " · " + ctx.finder.kind_label(kind, lang)
            result, digits = classify(values, SMALL_CELL, scheme), 0
        else:
            m = METRICS[metric]
            if level not in m.levels:
                level = m.levels[0]
            values = m.compute(dataset, level, f.street, f.start, f.end)
            label, result, digits = m.label(lang), classify(values, m.min_records, scheme), m.digits
        hideout["at"] = stamp()
        hideout["choropleth"] = {"colors": dict(result.colors), "opacity": 0.7}
        hideout["level"] = level
        # Only the chosen street's areas: the others are not part of the comparison.
        hideout["filters"] = {("id" if level == "streets" else "street_id"): f.street} if f.street else {}
        return ctx.layer_url(FACE, level, lang), hideout, legend(result, label, level, scheme, digits, lang)

    @app.callback(
        Output(Ids.GAP_LAYER, "data"),
        Output(Ids.GAP_SUMMARY, "children"),
        Input(Ids.GAP_KIND, "value"),
        Input(Ids.GAP_MINUTES, "value"),
        Input(Ids.STREET, "value"),
        Input(Ids.TABS, "value"),
        State(Ids.LANG, "data"),
    )
    def show_gaps(kind, minutes, street, tab, lang):
        if tab != "themes":  # computed only when someone looks (~0.1 s the first time per service)
            return None, ""
        lang = _lang(lang, ctx)
        kind = _choice(kind, ctx.finder.kinds, "any")
        minutes = _choice(minutes, GAP_MINUTES, 15)
        street = street if isinstance(street, str) and street in places.streets else None
        summary = gap_summary(dataset, times, kind, minutes, street)
        blocks = dataset["building_groups"]
        beyond = blocks[blocks["id"].astype(str).isin(set(summary.beyond_ids))]
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(g.x), float(g.y)]},
                "properties": {"id": str(i), "_label": html_lib.escape(str(n))},
            }
            for i, n, g in zip(beyond["id"], beyond["name"], beyond.geometry, strict=True)
        ]
        return {"type": "FeatureCollection", "features": features}, gap_text(summary, ctx, kind, lang)

    # -- the URL holds the state ----------------------------------------------------------
    @app.callback(
        Output(Ids.URL, "search"),
        Input(Ids.LAYERS, "value"),
        *filter_inputs(),
        Input(Ids.METRIC, "value"),
        Input(Ids.LEVEL, "value"),
        Input(Ids.SCHEME, "value"),
        Input(Ids.GAP_KIND, "value"),
        Input(Ids.GAP_MINUTES, "value"),
        Input(Ids.IN_VIEW, "value"),
        Input(Ids.VIEW, "data"),
        Input(Ids.RECORDS, "selectedRows"),
        State({"type": Ids.FIELD, "field": ALL}, "id"),
        prevent_initial_call=True,
    )
    def remember_state(layers, table, street, community, grid, values, start, end, metric, level, scheme,
                       gap, minutes, in_view, view, rows, field_ids):  # fmt: skip
        spec = _table(table)
        f = filters_from(spec, street, community, grid, values, field_ids, start, end)
        lat_lon_zoom = None
        if isinstance(view, dict) and isinstance(view.get("center"), list) and len(view["center"]) == 2:
            try:
                lat_lon_zoom = (float(view["center"][0]), float(view["center"][1]), float(view.get("zoom")))
            except (TypeError, ValueError):
                lat_lon_zoom = None
        selected = (
            rows[0].get("id") if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
        )
        state = permalink.StaffState(
            layers=tuple(x for x in layers if x in known_layers) if isinstance(layers, list) else None,
            street=f.street,
            community=f.community,
            grid=f.grid,
            table=spec.layer,
            fields=dict(f.fields),
            start=f.start.isoformat() if f.start else None,
            end=f.end.isoformat() if f.end else None,
            metric=_choice(metric, (*METRICS, COVERAGE), None),
            level=_choice(level, tuple(LEVELS), None),
            scheme=_choice(scheme, SCHEMES, None),
            gap=_choice(gap, ctx.finder.kinds, None),
            minutes=_choice(minutes, GAP_MINUTES, None),
            in_view=isinstance(in_view, list) and "on" in in_view,
            view=lat_lon_zoom,
            selected=selected if isinstance(selected, str) else None,
        )
        return permalink.compose(state)


def column_def(layer: str, name: str, header: str) -> dict[str, Any]:
    """An AG Grid column sized for what it holds (ids and dates in full, text flexing)."""
    f = schema_layer(layer).field(name)
    if name == "id":
        return {"field": name, "headerName": header, "width": 160, "pinned": "left"}
    if f.type in ("date", "datetime"):
        return {"field": name, "headerName": header, "width": 150 if f.type == "datetime" else 112}
    if name in ("description", "address", "name", "property_company", "services", "opening_hours"):
        return {"field": name, "headerName": header, "flex": 2, "minWidth": 160}
    return {"field": name, "headerName": header, "flex": 1, "minWidth": 96}


def records_note(shown: int, total: int, masked: int, lang: str) -> str:
    if lang == "zh":
        text = f"显示 {shown:,} / 共 {total:,} 条"
        return text + (f"；{masked:,} 条的个人信息已脱敏（非本街道）" if masked else "")
    text = f"showing {shown:,} of {total:,}"
    return text + (f"; personal data masked in {masked:,} (other streets)" if masked else "")


def chart_bars(frame: pd.DataFrame, spec: TableSpec, lang: str) -> list[Any]:
    """Bars of the filtered rows by the table's chart field, as plain HTML.

    A handful of bars needs no charting library: Plotly would add 1.5 MB to the page.
    """
    counts = chart_counts(frame, spec, lang)
    top = max(int(counts.max()), 1) if len(counts) else 1
    title = schema_layer(spec.layer).field(spec.chart_field).label(lang)
    return [
        html.Div(title, className="rm-sbars-title"),
        html.Ul(
            [
                html.Li(
                    [
                        html.Span(label, className="rm-sbar-label"),
                        html.Span(
                            html.Span(className="rm-sbar", style={"width": f"{100 * int(n) / top:.1f}%"}),
                            className="rm-sbar-track",
                        ),
                        html.Span(f"{int(n):,}", className="rm-sbar-value"),
                    ],
                    **{"data-count": int(n), "data-label": label},
                )
                for label, n in counts.items()
            ],
            className="rm-sbars",
        ),
    ]


def legend(result: Choropleth, label: str, level: str, scheme: str, digits: int, lang: str) -> list[Any]:
    """The legend: metric, areas and classification, then one row per class."""
    _, zh, en = LEVELS[level]
    title = t("legend_metric", lang).format(label, zh if lang == "zh" else en, t(f"scheme_{scheme}", lang))
    rows = [
        html.Li(
            [
                html.Span(className="rm-legend-swatch", style={"background": row.color}),
                legend_text(row, digits, lang),
            ],
            className=f"rm-legend-{row.kind}",
            **{"data-lower": row.lower, "data-upper": row.upper, "data-count": row.count},
        )
        for row in result.legend
    ]
    return [html.Div(title, className="rm-legend-title"), html.Ul(rows)]


def gap_text(summary: Any, ctx: AppContext, kind: str, lang: str) -> str:
    service = ctx.finder.kind_label(kind, lang)
    grids = len(summary.grids_mostly_beyond)
    if lang == "zh":
        return (
            f"距最近的“{service}”步行超过{summary.minutes}分钟："
            f"{summary.blocks_beyond:,} / {summary.blocks:,} 个楼栋，"
            f"约 {summary.households_beyond:,} 户；{grids} 个网格的多数楼栋在此范围外。"
            f"按步行速度 {ctx.finder.walk_speed:g} 米/分钟沿道路计算。"
        )
    return (
        f"More than {summary.minutes} min on foot from the nearest '{service}': {summary.blocks_beyond:,} of "
        f"{summary.blocks:,} blocks, about {summary.households_beyond:,} households; "
        f"most blocks of {grids} grids. "
        f"Walked along the roads at {ctx.finder.walk_speed:g} m/min."
    )
