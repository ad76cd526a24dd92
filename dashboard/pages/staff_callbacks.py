"""Callbacks of the staff workspace: thin, over the pure functions of
:mod:`dashboard.workspace`, :mod:`dashboard.choropleth` and :mod:`dashboard.gaps`.

Every value from the browser is checked before use (:meth:`Filters.from_browser`
drops what does not exist); whose personal data may be shown is decided by the
signed-in principal on the server, never by a value in the request.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable
from typing import Any

import dash_leaflet as dl
import numpy as np
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update, set_props
from dash import ctx as dash_ctx

from dashboard import permalink
from dashboard.auth import current_principal
from dashboard.choropleth import LEVELS, METRICS, SCHEMES, Choropleth, classify, legend_text
from dashboard.context import FACE_PREFIX, AppContext
from dashboard.gaps import GAP_MINUTES, WalkTimes, coverage, coverage_text, gap_summary
from dashboard.i18n import LANGS, t
from dashboard.maps import layer_id, reported_zoom
from dashboard.pages.staff import (
    COVERAGE,
    EXPORT_FORMATS,
    FACE,
    Ids,
    field_filters,
    panel_layers,
    place_bounds,
    stamp,
    timeline,
)
from dashboard.pages.staff_table import PAGE, SORT, next_query, pager_data, table_data
from dashboard.records import (
    PAGE_SIZE,
    TableQuery,
    arrange,
    masked_rows,
    page_count,
    page_of_row,
    prepare_tables,
    table_rows,
)
from dashboard.workspace import (
    TABLES,
    Filters,
    PlaceTree,
    TableSpec,
    chart_counts,
    community_options,
    grid_options,
    passing_rows,
)
from geodata.area_metrics import SMALL_CELL, Scope
from geodata.dataset import Dataset
from geodata.schema import layer as schema_layer


def first_view_zoom(config: Any) -> float | None:
    """The map's first view's zoom, from the page's map config (see staff.map_config)."""
    detail = config.get("detail") if isinstance(config, dict) else None
    first = detail.get("first") if isinstance(detail, dict) else None
    return float(first) if isinstance(first, int | float) else None


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


def filter_states() -> list[State]:
    """:func:`filter_inputs` as states, in the same order."""
    return [State(i.component_id, i.component_property) for i in filter_inputs()]


def _choice(value: Any, allowed: tuple[Any, ...], default: Any) -> Any:
    """``value`` when it is one of ``allowed`` (and of the same type), else ``default``."""
    for option in allowed:
        if type(value) is type(option) and value == option:
            return value
    return default


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
    prepare_tables(dataset, TABLES, LANGS)
    known_layers = set(panel_layers())

    def filters_from(table, street, community, grid, values, ids, start, end, bbox=None) -> Filters:
        return Filters.from_browser(
            places, table, street, community, grid, start, end, _field_values(values, ids), bbox
        )

    # -- street → community → grid ---------------------------------------------------
    # Only the lists are outputs, and they follow the table's answer (ANSWERED says which
    # level changed): nothing on the way to the table and the map waits for them, and
    # their request goes after the table's. Every view of the data reads the three values
    # as they are and drops a community or grid outside the street itself
    # (Filters.from_browser); a value that no longer fits is cleared here as a side
    # update, which the views then see as one more change.
    @app.callback(
        Output(Ids.COMMUNITY, "options"),
        Output(Ids.GRID, "options"),
        Input(Ids.ANSWERED, "data"),
        State(Ids.STREET, "value"),
        State(Ids.COMMUNITY, "value"),
        State(Ids.GRID, "value"),
        prevent_initial_call=True,
    )
    def cascade_places(answered: Any, street: Any, community: Any, grid: Any):
        level = answered.get("place") if isinstance(answered, dict) else None
        if level not in (Ids.STREET, Ids.COMMUNITY):  # a grid, or no place: the lists stand
            return no_update, no_update
        f = Filters.from_browser(places, None, street, community, grid)
        if community is not None and f.community != community:
            set_props(Ids.COMMUNITY, {"value": f.community})
        if grid is not None and f.grid != grid:
            set_props(Ids.GRID, {"value": f.grid})
        grids = grid_options(dataset, f.street, f.community)
        if level == Ids.COMMUNITY:  # the street's communities stay listed
            return no_update, grids
        return community_options(dataset, f.street), grids

    # -- the table's own filters ----------------------------------------------------
    @app.callback(
        Output(Ids.FIELDS, "children"),
        Output(Ids.TIME_STEPS, "data"),
        Output(Ids.DATE_SLIDER, "max"),
        Output(Ids.DATE_SLIDER, "marks"),
        Output(Ids.DATE_SLIDER, "value", allow_duplicate=True),
        Output(Ids.TIMELINE, "hidden"),
        Input(Ids.TABLE, "value"),
        State(Ids.DATES, "start_date"),
        State(Ids.DATES, "end_date"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def show_field_filters(table: Any, start: Any, end: Any, lang: Any):
        lang = _lang(lang, ctx)
        spec = _table(table)
        slider = timeline(ctx, spec, start, end, lang)
        return (
            field_filters(spec.layer, {}, lang),
            slider["steps"],
            slider["max"],
            slider["marks"],
            slider["value"],
            not slider["steps"]["steps"],
        )

    # The time slider and the date range move each other; ▶ steps the slider's window
    # forward. All in the browser: the dates then reach the table like a picked range.
    app.clientside_callback(
        "function() { return window.redmap.timeSlider.apply(null, arguments); }",
        Output(Ids.DATES, "start_date"),
        Output(Ids.DATES, "end_date"),
        Output(Ids.DATE_SLIDER, "value"),
        Output(Ids.PLAY_TICK, "disabled"),
        Input(Ids.DATE_SLIDER, "value"),
        Input(Ids.DATES, "start_date"),
        Input(Ids.DATES, "end_date"),
        Input(Ids.PLAY, "n_clicks"),
        Input(Ids.PLAY_TICK, "n_intervals"),
        State(Ids.TIME_STEPS, "data"),
        State(Ids.PLAY_TICK, "disabled"),
        prevent_initial_call=True,
    )

    # -- map layers: shown, hidden and filtered in the browser ------------------------
    # Computed in the browser (redmap.staffLayers, the rule of map_hideout_filters): the
    # features are there already, and a round trip only kept the map behind the table.
    # It sets the hideouts that change itself (dash_clientside.set_props): as a wildcard
    # output over every layer, Dash's own bookkeeping took longer than the redraw.
    # A layer's data is fetched when it is first ticked (redmap.staffLayerUrls); a layer sent
    # by map area follows the view.
    app.clientside_callback(
        "function() { return window.redmap.staffLayers.apply(null, arguments); }",
        Output(Ids.MAP_FILTERS, "data"),
        Input(Ids.LAYERS, "value"),
        *filter_inputs(),
        State({"type": Ids.FIELD, "field": ALL}, "id"),
        State(layer_id(FACE, ALL), "hideout"),  # type: ignore[arg-type]
        State(Ids.MAP_CONFIG, "data"),
    )
    app.clientside_callback(
        "function() { return window.redmap.staffLayerUrls.apply(null, arguments); }",
        Output(layer_id(FACE, ALL), "url"),  # type: ignore[arg-type]
        Input(Ids.LAYERS, "value"),
        Input(Ids.VIEW, "data"),
        State(layer_id(FACE, ALL), "url"),  # type: ignore[arg-type]
        State(Ids.MAP_CONFIG, "data"),
    )

    # The newest choropleth hideout for the map's style functions (see assets/redmap.js;
    # redmap.staffLayers keeps the layers' own).
    app.clientside_callback(
        "function(choropleth) { return window.redmap.rememberHideouts(choropleth); }",
        Output(Ids.HIDEOUTS, "data"),
        Input(Ids.CHOROPLETH, "hideout"),
    )

    # -- table and chart -----------------------------------------------------------------
    # Table, pager, note and chart travel as data in one store, drawn by redmap.drawRecords:
    # as Dash components (a few hundred for a page) they made every update of the page slower.
    # The map's view reaches the table only while "in view only" is on. As an input of
    # the table's callback, every move (the flight to a chosen street ends a second later)
    # was a request that replaced the one still answering a newer filter: Dash keeps only
    # a callback's latest request, and the table stayed on the old filters.
    app.clientside_callback(
        """function(view, inView) {
            var on = Array.isArray(inView) && inView.indexOf("on") !== -1;
            return on ? view : window.dash_clientside.no_update;
        }""",
        Output(Ids.TABLE_VIEW, "data"),
        Input(Ids.VIEW, "data"),
        State(Ids.IN_VIEW, "value"),
    )

    @app.callback(
        Output(Ids.RECORDS, "children"),
        Output(Ids.TABLE_QUERY, "data"),
        Output(Ids.ANSWERED, "data"),
        *filter_inputs(),
        Input(Ids.IN_VIEW, "value"),
        Input(Ids.TABLE_VIEW, "data"),
        Input(Ids.LANG, "data"),
        Input(Ids.SEARCH, "value"),
        Input(Ids.SORT_BY, "data"),
        Input(Ids.PAGE_TO, "data"),
        Input(Ids.SELECTED, "data"),
        State({"type": Ids.FIELD, "field": ALL}, "id"),
        State(Ids.TABLE_QUERY, "data"),
        State(Ids.VIEW, "data"),
    )
    def show_records(table, street, community, grid, values, start, end, in_view, _view_moved, lang,
                     search, sort_by, page_to, selected, field_ids, arranged_as, view):  # fmt: skip
        # Several inputs can change in one call (the map reports its view as the page
        # settles): only when every one of them is a table action is it a table action.
        triggers = list(dash_ctx.triggered_prop_ids.values()) if dash_ctx.triggered_prop_ids else []
        in_view = isinstance(in_view, list) and "on" in in_view
        chosen = selected.get("id") if isinstance(selected, dict) else None
        chosen = chosen if isinstance(chosen, str) else None
        from_table = isinstance(selected, dict) and selected.get("from") == "table"
        if triggers and all(
            (i == Ids.TABLE_VIEW and not in_view and arranged_as) or (i == Ids.SELECTED and from_table)
            for i in triggers
        ):
            # The map moved and nothing depends on it; or a row was chosen in the table,
            # which marks it itself.
            return (no_update,) * 3
        lang = _lang(lang, ctx)
        spec = _table(table)
        bbox = view.get("bounds") if in_view and isinstance(view, dict) else None
        f = filters_from(spec, street, community, grid, values, field_ids, start, end, bbox)
        passing = passing_rows(dataset, spec, f)
        table_action = bool(triggers) and all(_table_control(i) for i in triggers)
        trigger = triggers[0] if len(triggers) == 1 else None
        if trigger == Ids.SORT_BY:  # a header clicked in the browser: {"col", "at"}
            trigger = {"type": SORT, "col": sort_by.get("col") if isinstance(sort_by, dict) else None}
        if trigger == Ids.PAGE_TO:  # a pager button clicked in the browser: {"to", "at"}
            trigger = {"type": PAGE, "to": page_to.get("to") if isinstance(page_to, dict) else None}
        if Ids.TABLE in triggers:  # another table: its own default order, the search kept
            query = next_query(TableQuery(), Ids.SEARCH, search)
        else:
            query = TableQuery.from_browser(arranged_as, spec.columns)
            # A table action moves within the rows; a filter change starts on page one.
            query = next_query(query, trigger, search) if table_action else query.on_page(0)
        viewer = current_principal()
        rows = arrange(dataset, spec.layer, passing, spec.columns, viewer, query, spec.date_field, lang)
        pages = page_count(len(rows))
        page = min(query.page, pages - 1)
        if chosen is not None and (not triggers or Ids.SELECTED in triggers):  # on the map, or a link
            found = page_of_row(dataset, spec.layer, rows, chosen)
            page = page if found is None else found
        query = query.on_page(page)
        shown = dataset[spec.layer].iloc[rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
        view_ = table_rows(dataset, spec.layer, shown, spec.columns, viewer, lang, max_rows=PAGE_SIZE)
        masked = masked_rows(dataset, spec.layer, rows, viewer)
        drawn = {
            "table": table_data(view_, spec.layer, query, spec.date_field, chosen, lang),
            "note": records_note(page * PAGE_SIZE, view_.shown, len(rows), masked, lang),
            "pager": pager_data(page, pages, lang),
        }
        # Sorting, paging, searching or choosing a row leave the counts as they are; the
        # page's first answer (no arrangement yet) draws them whatever triggered it.
        if not table_action or not arranged_as:
            drawn["chart"] = chart_data(dataset, spec, passing, lang)
        place = next((i for i in (Ids.STREET, Ids.COMMUNITY, Ids.GRID) if i in triggers), None)
        if place:
            # The map follows a new place once the table is drawn: a flight is a second of
            # repaints, and started first it held the table back.
            drawn["view"] = follow(f)
        # What the link and the place lists follow: which filters the table answered.
        answered = {"at": stamp(), "place": place} if any(_filter_control(i) for i in triggers) else no_update
        return dcc.Store(id=Ids.ROWS, data=drawn), query.to_browser(), answered

    def follow(f: Filters) -> dict[str, Any]:
        """The map's flight to the narrowest place chosen, or back to the district."""
        bounds = place_bounds(ctx, f)
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

    # Table, note, pager and chart drawn; a row chosen on the map scrolled into view; then
    # the map's flight to a new place.
    app.clientside_callback(
        "function(rows) { return window.redmap.drawRecords(rows); }",
        Output(Ids.MAP, "viewport", allow_duplicate=True),
        Input(Ids.ROWS, "data"),
        prevent_initial_call="initial_duplicate",
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
    # A new street reaches them only while a theme is shown: otherwise they would answer
    # "nothing to draw" to every filter change, two requests the table waited behind.
    app.clientside_callback(
        """function(street, metric, tab) {
            if (!metric && tab !== "themes") { return window.dash_clientside.no_update; }
            return {street: street, at: Date.now()};
        }""",
        Output(Ids.THEME_STREET, "data"),
        Input(Ids.STREET, "value"),
        State(Ids.METRIC, "value"),
        State(Ids.TABS, "value"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(Ids.CHOROPLETH, "url"),
        Output(Ids.CHOROPLETH, "hideout"),
        Output(Ids.LEGEND, "children"),
        Input(Ids.METRIC, "value"),
        Input(Ids.LEVEL, "value"),
        Input(Ids.SCHEME, "value"),
        Input(Ids.THEME_STREET, "data"),
        Input(Ids.DATES, "start_date"),
        Input(Ids.DATES, "end_date"),
        Input(Ids.GAP_KIND, "value"),
        Input(Ids.GAP_MINUTES, "value"),
        State(Ids.STREET, "value"),
        State(Ids.CHOROPLETH, "hideout"),
        State(Ids.LANG, "data"),
        State(Ids.VIEW, "data"),
        State(Ids.MAP_CONFIG, "data"),
    )
    def show_choropleth(
        metric, level, scheme, _street_changed, start, end, kind, minutes, street, hideout, lang, view, config
    ):
        lang = _lang(lang, ctx)
        hideout = dict(hideout) if isinstance(hideout, dict) else {}
        metric = _choice(metric, (*METRICS, COVERAGE), None)
        if metric is None:
            if hideout.get("choropleth") == {}:  # nothing drawn: a new street changes nothing
                return no_update, no_update, no_update
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
            result, fmt = classify(values, SMALL_CELL, scheme), coverage_text
        else:
            m = METRICS[metric]
            if level not in m.levels:
                level = m.levels[0]
            values = m.compute(dataset, Scope(level, f.street, f.start, f.end, now=dataset.as_of()))
            label, result, fmt = m.label(lang), classify(values, m.min_records, scheme), m.format
        hideout["at"] = stamp()
        hideout["choropleth"] = {"colors": dict(result.colors), "opacity": 0.7}
        hideout["level"] = level
        # Only the chosen street's areas: the others are not part of the comparison.
        hideout["filters"] = {("id" if level == "streets" else "street_id"): f.street} if f.street else {}
        url = ctx.view_url(FACE, level, lang, reported_zoom(view, first_view_zoom(config)))
        return url, hideout, legend(result, label, level, scheme, fmt, lang)

    # The choropleth's areas at the level of detail of the view (dashboard.detail).
    app.clientside_callback(
        "function(view, config, url) {"
        " return window.redmap.detailUrls(view, config && config.detail, [url])[0]; }",
        Output(Ids.CHOROPLETH, "url", allow_duplicate=True),
        Input(Ids.VIEW, "data"),
        State(Ids.MAP_CONFIG, "data"),
        State(Ids.CHOROPLETH, "url"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(Ids.GAP_LAYER, "data"),
        Output(Ids.GAP_SUMMARY, "children"),
        Input(Ids.GAP_KIND, "value"),
        Input(Ids.GAP_MINUTES, "value"),
        Input(Ids.THEME_STREET, "data"),
        Input(Ids.TABS, "value"),
        State(Ids.STREET, "value"),
        State(Ids.GAP_SUMMARY, "children"),
        State(Ids.LANG, "data"),
    )
    def show_gaps(kind, minutes, _street_changed, tab, street, shown, lang):
        if tab != "themes":  # computed only when someone looks (~0.1 s the first time per service)
            return (None, "") if shown else (no_update, no_update)
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
    # A filter reaches the link through the table's answer (ANSWERED): its request then
    # goes after the table's, not beside it, and the link follows a moment later.
    @app.callback(
        Output(Ids.URL, "search"),
        *[Output(Ids.export(fmt), "href") for fmt in EXPORT_FORMATS],
        Input(Ids.LAYERS, "value"),
        Input(Ids.ANSWERED, "data"),
        Input(Ids.METRIC, "value"),
        Input(Ids.LEVEL, "value"),
        Input(Ids.SCHEME, "value"),
        Input(Ids.GAP_KIND, "value"),
        Input(Ids.GAP_MINUTES, "value"),
        Input(Ids.IN_VIEW, "value"),
        Input(Ids.VIEW, "data"),
        Input(Ids.SELECTED, "data"),
        *filter_states(),
        State({"type": Ids.FIELD, "field": ALL}, "id"),
        prevent_initial_call=True,
    )
    def remember_state(layers, _answered, metric, level, scheme, gap, minutes, in_view, view, selected,
                       table, street, community, grid, values, start, end, field_ids):  # fmt: skip
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


def _filter_control(component_id: Any) -> bool:
    """Whether a trigger is one of the filters (:func:`filter_inputs`), which the link holds."""
    if isinstance(component_id, dict):
        return component_id.get("type") == Ids.FIELD
    return component_id in (Ids.TABLE, Ids.STREET, Ids.COMMUNITY, Ids.GRID, Ids.DATES)


def _table_control(component_id: Any) -> bool:
    """Whether a trigger only rearranges the table (sort, page, search, chosen row)."""
    return component_id in (Ids.SEARCH, Ids.SELECTED, Ids.SORT_BY, Ids.PAGE_TO)


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


def chart_data(dataset: Dataset, spec: TableSpec, rows: np.ndarray, lang: str) -> dict[str, Any]:
    """Bars of the filtered rows by the table's chart field, as data for ``redmap.drawRecords``
    (``title``, ``bars`` of ``[label, count]``, ``top``: the longest bar's count).

    A handful of bars needs no charting library: Plotly would add 1.5 MB to the page.
    """
    counts = chart_counts(dataset, spec, rows, lang)
    return {
        "title": schema_layer(spec.layer).field(spec.chart_field).label(lang),
        "bars": [[str(label), int(n)] for label, n in counts.items()],
        "top": max(int(counts.max()), 1) if len(counts) else 1,
    }


def legend(
    result: Choropleth, label: str, level: str, scheme: str, fmt: Callable[[float], str], lang: str
) -> list[Any]:
    """The legend: metric, areas and classification, then one row per class."""
    _, zh, en = LEVELS[level]
    title = t("legend_metric", lang).format(label, zh if lang == "zh" else en, t(f"scheme_{scheme}", lang))
    rows = [
        html.Li(
            [
                html.Span(className="rm-legend-swatch", style={"background": row.color}),
                legend_text(row, fmt, lang),
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
