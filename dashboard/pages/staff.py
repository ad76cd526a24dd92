"""The staff workspace (``/staff/``): switch and filter layers for street-office work.

Layer visibility is driven by our own panel (built from the layer registry), not
dash-leaflet's LayersControl, whose overlay state breaks on Dash ≥ 4.2 (BRIEF §6).
"""

from __future__ import annotations

from typing import Any

import flask
from dash import Dash, Input, Output, dash_table, dcc, html

from dashboard.auth import current_principal
from dashboard.auth.web import CSRF_COOKIE
from dashboard.context import FACE_PREFIX, AppContext
from dashboard.i18n import t
from dashboard.maps import district_map, geojson_layer
from dashboard.pages.common import lang_switch, layout_for_request, make_dash
from dashboard.records import RECORD_COLUMNS, record_view
from geodata.schema import layer as schema_layer
from layers import REGISTRY, for_face

FACE = "staff"


class Ids:
    """Component ids of the staff workspace."""

    MAP = "staff-map"
    OVERLAYS = "staff-overlays"
    LAYERS = "staff-layers"
    STREET = "staff-street"
    LANG = "staff-lang"
    RECORD_LAYER = "staff-record-layer"
    RECORDS = "staff-records"
    RECORDS_NOTE = "staff-records-note"


def panel_layers() -> list[str]:
    """Layers listed in the panel: everything the staff face draws but the basemap."""
    return [spec.id for spec in for_face(FACE) if spec.kind != "basemap"]


def default_layers() -> list[str]:
    return [i for i in panel_layers() if FACE in REGISTRY[i].visible]


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


def overlays(ctx: AppContext, layers: list[str], street: str | None, lang: str) -> list[Any]:
    """The chosen layers, in registry order, filtered to one street when given."""
    chosen = [i for i in panel_layers() if i in set(layers or [])]
    children = []
    for layer in chosen:
        spec = REGISTRY[layer]
        filters = {}
        if street and "street_id" in spec.filter_fields:
            filters["street_id"] = street
        elif street and layer == "streets":
            filters["id"] = street
        children.append(geojson_layer(ctx, spec, FACE, lang, hideout={"filters": filters}))
    return children


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


def records_panel(lang: str) -> html.Section:
    options = [{"label": schema_layer(n).label(lang), "value": n} for n in RECORD_COLUMNS]
    return html.Section(
        [
            html.Div(
                [
                    html.H2(t("records", lang)),
                    dcc.Dropdown(
                        id=Ids.RECORD_LAYER,
                        options=options,
                        value="grid_events",
                        clearable=False,
                        className="rm-record-select",
                    ),
                    html.Span(id=Ids.RECORDS_NOTE, className="rm-records-note"),
                ],
                className="rm-records-head",
            ),
            dash_table.DataTable(
                id=Ids.RECORDS,
                page_size=6,
                sort_action="native",
                filter_action="none",
                style_table={"overflowX": "auto"},
                style_cell={
                    "fontSize": 13,
                    "padding": "4px 8px",
                    "textAlign": "left",
                    "maxWidth": 220,
                    "overflow": "hidden",
                    "textOverflow": "ellipsis",
                    "fontFamily": "inherit",
                },
                style_header={"fontWeight": 600, "background": "#f6f1e7"},
            ),
        ],
        className="rm-staff-records",
    )


def layout(ctx: AppContext, lang: str) -> html.Div:
    principal = current_principal()
    return html.Div(
        [
            dcc.Store(id=Ids.LANG, data=lang),
            html.Header(
                [
                    html.H1(t("staff_title", lang)),
                    html.Div(
                        [
                            html.Label(t("street_filter", lang), htmlFor=Ids.STREET),
                            dcc.Dropdown(
                                id=Ids.STREET,
                                options=street_options(ctx, lang),
                                # Street staff start on their own street.
                                value=principal.street_id,
                                placeholder=t("all_streets", lang),
                                clearable=True,
                                className="rm-street-select",
                            ),
                        ],
                        className="rm-staff-filter",
                    ),
                    html.Span(t("demo_data", lang), className="rm-badge") if ctx.dataset.is_demo else None,
                    lang_switch(lang, FACE_PREFIX[FACE]),
                    user_box(lang),
                ],
                className="rm-staff-header",
            ),
            html.Aside(
                [
                    html.H2(t("layers", lang)),
                    dcc.Checklist(
                        id=Ids.LAYERS,
                        options=[layer_option(ctx, i, lang) for i in panel_layers()],
                        value=default_layers(),
                        className="rm-layer-list",
                    ),
                    html.P(t("schematic", lang), className="rm-note"),
                ],
                className="rm-staff-panel",
            ),
            html.Main(
                district_map(
                    ctx, FACE, lang, Ids.MAP, ["district", "water", "roads"], overlay_id=Ids.OVERLAYS
                ),
                className="rm-staff-map",
            ),
            records_panel(lang),
        ],
        className="rm-staff",
        lang="zh-CN" if lang == "zh" else "en",
    )


def register_callbacks(app: Dash, ctx: AppContext) -> None:
    known_streets = set(ctx.dataset["streets"]["id"].astype(str))

    @app.callback(
        Output(Ids.OVERLAYS, "children"),
        Input(Ids.LAYERS, "value"),
        Input(Ids.STREET, "value"),
        Input(Ids.LANG, "data"),
    )
    def show_layers(layers: Any, street: Any, lang: Any) -> list[Any]:
        # Browser values are checked against what exists before anything is read.
        street = street if isinstance(street, str) and street in known_streets else None
        layers = [x for x in layers if isinstance(x, str)] if isinstance(layers, list) else []
        lang = lang if lang in ("zh", "en") else ctx.settings.lang
        return overlays(ctx, layers, street, lang)

    @app.callback(
        Output(Ids.RECORDS, "data"),
        Output(Ids.RECORDS, "columns"),
        Output(Ids.RECORDS_NOTE, "children"),
        Input(Ids.RECORD_LAYER, "value"),
        Input(Ids.STREET, "value"),
        Input(Ids.LANG, "data"),
    )
    def show_records(layer: Any, street: Any, lang: Any):
        # Browser values only choose what to list; who may read personal data is the
        # signed-in principal's account (street scope), decided here on the server.
        layer = layer if isinstance(layer, str) and layer in RECORD_COLUMNS else "grid_events"
        street = street if isinstance(street, str) and street in known_streets else None
        lang = lang if lang in ("zh", "en") else ctx.settings.lang
        view = record_view(ctx.dataset, layer, street, current_principal(), lang)
        note = records_note(len(view.rows), view.total, view.masked_rows, lang)
        return view.rows, view.columns, note


def records_note(shown: int, total: int, masked: int, lang: str) -> str:
    if lang == "zh":
        text = f"显示最新 {shown:,} / 共 {total:,} 条"
        return text + (f"；{masked:,} 条的个人信息已脱敏（非本街道）" if masked else "")
    text = f"newest {shown:,} of {total:,}"
    return text + (f"; personal data masked in {masked:,} (other streets)" if masked else "")


def create(server: flask.Flask, ctx: AppContext) -> Dash:
    app = make_dash(server, FACE_PREFIX[FACE], "redmap_staff", "红色地图 · 工作台", ctx.settings.debug)
    app.layout = layout_for_request(lambda lang: layout(ctx, lang), ctx.settings.lang)
    register_callbacks(app, ctx)
    return app
