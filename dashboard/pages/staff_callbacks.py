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
from dash import ALL, Dash, Input, Output, State, html, no_update
from dash import ctx as dash_ctx

from dashboard import permalink
from dashboard.auth import current_principal
from dashboard.choropleth import LEVELS, METRICS, SCHEMES, Choropleth, classify, legend_text
from dashboard.context import FACE_PREFIX, AppContext
from dashboard.gaps import GAP_MINUTES, WalkTimes, coverage, gap_summary
from dashboard.i18n import t
from dashboard.maps import layer_id
from dashboard.pages.staff import (
    COVERAGE,
    EXPORT_FORMATS,
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
from dashboard.pages.staff_table import PAGE, SORT, next_query, pager, records_table
from dashboard.records import PAGE_SIZE, TableQuery, arrange, masked_rows, page_count, page_of_row, table_rows
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
    # One callback for both levels: every view of the data waits for the cascade, and
    # each level answered on its own was another round trip before the table moved.
    @app.callback(
        Output(Ids.COMMUNITY, "options"),
        Output(Ids.COMMUNITY, "value"),
        Output(Ids.GRID, "options"),
        Output(Ids.GRID, "value"),
        Input(Ids.STREET, "value"),
        Input(Ids.COMMUNITY, "value"),
        State(Ids.GRID, "value"),
        prevent_initial_call=True,
    )
    def cascade_places(street: Any, community: Any, grid: Any):
        f = Filters.from_browser(places, None, street, community, grid)
        grids = grid_options(dataset, f.street, f.community)
        if dash_ctx.triggered_id == Ids.COMMUNITY:  # the street's communities stay listed
            return no_update, f.community, grids, f.grid
        return community_options(dataset, f.street), f.community, grids, f.grid

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
        Output(Ids.RECORDS, "children"),
        Output(Ids.PAGER, "children"),
        Output(Ids.RECORDS_NOTE, "children"),
        Output(Ids.CHART, "children"),
        Output(Ids.TABLE_QUERY, "data"),
        *filter_inputs(),
        Input(Ids.IN_VIEW, "value"),
        Input(Ids.VIEW, "data"),
        Input(Ids.LANG, "data"),
        Input(Ids.SEARCH, "value"),
        Input({"type": SORT, "col": ALL}, "n_clicks"),
        Input({"type": PAGE, "to": ALL}, "n_clicks"),
        Input(Ids.SELECTED, "data"),
        State({"type": Ids.FIELD, "field": ALL}, "id"),
        State(Ids.TABLE_QUERY, "data"),
    )
    def show_records(table, street, community, grid, values, start, end, in_view, view, lang,
                     search, _sorts, _pages, selected, field_ids, arranged_as):  # fmt: skip
        # Several inputs can change in one call (the map reports its view as the page
        # settles): only when every one of them is a table action is it a table action.
        triggers = list(dash_ctx.triggered_prop_ids.values()) if dash_ctx.triggered_prop_ids else []
        in_view = isinstance(in_view, list) and "on" in in_view
        chosen = selected.get("id") if isinstance(selected, dict) else None
        chosen = chosen if isinstance(chosen, str) else None
        from_table = isinstance(selected, dict) and selected.get("from") == "table"
        if triggers and all(
            (i == Ids.VIEW and not in_view and arranged_as) or (i == Ids.SELECTED and from_table)
            for i in triggers
        ):
            # The map moved and nothing depends on it; or a row was chosen in the table,
            # which marks it itself.
            return (no_update,) * 5
        lang = _lang(lang, ctx)
        spec = _table(table)
        bbox = view.get("bounds") if in_view and isinstance(view, dict) else None
        f = filters_from(spec, street, community, grid, values, field_ids, start, end, bbox)
        frame = filtered(dataset, spec, f)
        table_action = bool(triggers) and all(_table_control(i) for i in triggers)
        trigger = triggers[0] if len(triggers) == 1 else None
        if Ids.TABLE in triggers:  # another table: its own default order, the search kept
            query = next_query(TableQuery(), Ids.SEARCH, search)
        else:
            query = TableQuery.from_browser(arranged_as, spec.columns)
            # A table action moves within the rows; a filter change starts on page one.
            query = next_query(query, trigger, search) if table_action else query.on_page(0)
        viewer = current_principal()
        rows = arrange(dataset, spec.layer, frame, spec.columns, viewer, query, spec.date_field, lang)
        pages = page_count(len(rows))
        page = min(query.page, pages - 1)
        if chosen is not None and (not triggers or Ids.SELECTED in triggers):  # on the map, or a link
            found = page_of_row(rows, chosen)
            page = page if found is None else found
        query = query.on_page(page)
        shown = rows.iloc[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        view_ = table_rows(dataset, spec.layer, shown, spec.columns, viewer, lang, max_rows=PAGE_SIZE)
        masked = masked_rows(spec.layer, rows, viewer)
        note = records_note(page * PAGE_SIZE, view_.shown, len(rows), masked, lang)
        chart = no_update if table_action else chart_bars(frame, spec, lang)
        return (
            records_table(view_, spec.layer, query, spec.date_field, chosen, lang),
            pager(page, pages, lang) if pages > 1 else None,
            note,
            chart,
            query.to_browser(),
        )

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
        Input(Ids.SELECTED, "data"),
        State(Ids.TABLE, "value"),
        State(Ids.LANG, "data"),
    )
    def show_selected(selected: Any, table: Any, lang: Any):
        spec, lang = _table(table), _lang(lang, ctx)
        row_id = selected.get("id") if isinstance(selected, dict) else None
        # Only layers the map draws: a home-service recipient's home is never pinpointed.
        if spec.map_layer is None or not isinstance(row_id, str):
            return no_update, []
        frame = dataset[spec.layer]
        # Only the id comes from the browser; what the popup shows is read and masked here.
        match = frame[frame["id"].astype(str) == row_id]
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
        # Chosen in the table: fly there. On the map it is in view already, and a
        # link restores its own view.
        if selected.get("from") != "table":
            return no_update, [popup]
        return {"center": [point.y, point.x], "zoom": 16, "transition": "flyTo"}, [popup]

    @app.callback(
        Output(Ids.SELECTED, "data", allow_duplicate=True),
        Input(layer_id(FACE, ALL), "clickData"),  # type: ignore[arg-type]
        State(Ids.TABLE, "value"),
        prevent_initial_call=True,
    )
    def select_clicked(_clicks: Any, table: Any):
        trigger = dash_ctx.triggered_id
        spec = _table(table)
        if not isinstance(trigger, dict) or trigger.get("layer") != spec.map_layer:
            return no_update
        data = dash_ctx.triggered[0].get("value") if dash_ctx.triggered else None
        feature_id = (data or {}).get("properties", {}).get("id") if isinstance(data, dict) else None
        if not isinstance(feature_id, str):
            return no_update
        return {"id": feature_id, "from": "map"}

    # The row chosen on the map, on its page now: scroll it into view.
    app.clientside_callback(
        "function(table) { return window.redmap.showSelectedRow(table); }",
        Output(Ids.SCROLLED, "data"),
        Input(Ids.RECORDS, "children"),
        prevent_initial_call=True,
    )

    # -- PNG of the map and chart for a report (drawn in the browser, assets/redmap_png.js) --
    app.clientside_callback(
        """function(clicks, table) {
            if (!clicks || !window.redmapPng) { return window.dash_clientside.no_update; }
            var text = function (sel) {  // a dropdown reads its choice, or "all …" when none
                var el = document.querySelector(sel);
                return el ? el.innerText.trim().split("\\n")[0] : "";
            };
            var parts = ["#staff-record-layer", "#staff-street", "#staff-community", "#staff-grid"]
                .map(text).filter(Boolean);
            var note = document.getElementById("staff-records-note");
            if (note) { parts.push(note.textContent.split("；")[0]); }
            var button = document.getElementById("staff-export-png");
            if (button && button.dataset.note) { parts.push(button.dataset.note); }
            var day = new Date().toISOString().slice(0, 10);
            window.redmapPng.download("staff-map", "staff-chart", parts.join(" · "),
                                      "redmap_" + (table || "map") + "_" + day + ".png")
                .catch(function (e) { console.warn("PNG export failed", e); });
            return window.dash_clientside.no_update;
        }""",
        Output(Ids.EXPORT_PNG, "title"),
        Input(Ids.EXPORT_PNG, "n_clicks"),
        State(Ids.TABLE, "value"),
        prevent_initial_call=True,
    )

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
        *[Output(Ids.export(fmt), "href") for fmt in EXPORT_FORMATS],
        Input(Ids.LAYERS, "value"),
        *filter_inputs(),
        Input(Ids.METRIC, "value"),
        Input(Ids.LEVEL, "value"),
        Input(Ids.SCHEME, "value"),
        Input(Ids.GAP_KIND, "value"),
        Input(Ids.GAP_MINUTES, "value"),
        Input(Ids.IN_VIEW, "value"),
        Input(Ids.VIEW, "data"),
        Input(Ids.SELECTED, "data"),
        State({"type": Ids.FIELD, "field": ALL}, "id"),
        prevent_initial_call=True,
    )
    def remember_state(layers, table, street, community, grid, values, start, end, metric, level, scheme,
                       gap, minutes, in_view, view, selected, field_ids):  # fmt: skip
        spec = _table(table)
        f = filters_from(spec, street, community, grid, values, field_ids, start, end)
        lat_lon_zoom = None
        if isinstance(view, dict) and isinstance(view.get("center"), list) and len(view["center"]) == 2:
            try:
                lat_lon_zoom = (float(view["center"][0]), float(view["center"][1]), float(view.get("zoom")))
            except (TypeError, ValueError):
                lat_lon_zoom = None
        selected = selected.get("id") if isinstance(selected, dict) else None
        state = permalink.StaffState(
            layers=tuple(x for x in layers if x in known_layers) if isinstance(layers, list) else None,
            # "All streets" said explicitly: a link without one opens on the viewer's street.
            street=f.street or (permalink.ALL_STREETS if current_principal().street_id else None),
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
        query = permalink.compose(state)
        return query, *export_hrefs(query, view if state.in_view else None)


def _table_control(component_id: Any) -> bool:
    """Whether a trigger only rearranges the table (sort, page, search, chosen row)."""
    if isinstance(component_id, dict):
        return component_id.get("type") in (SORT, PAGE)
    return component_id in (Ids.SEARCH, Ids.SELECTED)


def export_hrefs(query: str, view: Any = None) -> list[str]:
    """The download links for a page query: the same filters, plus the map's bounds
    when the table is tied to the view (the link holds only centre and zoom)."""
    extra = ""
    bounds = view.get("bounds") if isinstance(view, dict) else None
    if isinstance(bounds, list) and len(bounds) == 4:
        extra = ("&" if query else "?") + "bbox=" + ",".join(f"{float(v):.6f}" for v in bounds)
    return [f"{FACE_PREFIX[FACE]}export/{fmt}{query}{extra}" for fmt in EXPORT_FORMATS]


def records_note(first: int, shown: int, total: int, masked: int, lang: str) -> str:
    """ "rows a–b of n" and, when personal data is masked in some of them, how many."""
    where = f"{first + 1:,}–{first + shown:,}" if shown else "0"
    if lang == "zh":
        text = f"第 {where} 条，共 {total:,} 条"
        return text + (f"；{masked:,} 条的个人信息已脱敏（非本街道）" if masked else "")
    text = f"{where} of {total:,}"
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
