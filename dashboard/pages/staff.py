"""The staff workspace (``/staff/``): switch and filter layers for street-office work.

Layer visibility is driven by our own panel (built from the layer registry), not
dash-leaflet's LayersControl, whose overlay state breaks on Dash ≥ 4.2 (BRIEF §6).
"""

from __future__ import annotations

from typing import Any

import flask
from dash import Dash, Input, Output, dcc, html

from dashboard.context import FACE_PREFIX, AppContext
from dashboard.i18n import t
from dashboard.maps import district_map, geojson_layer
from dashboard.pages.common import lang_switch, layout_for_request, make_dash
from layers import REGISTRY, for_face

FACE = "staff"


class Ids:
    """Component ids of the staff workspace."""

    MAP = "staff-map"
    OVERLAYS = "staff-overlays"
    LAYERS = "staff-layers"
    STREET = "staff-street"
    LANG = "staff-lang"


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


def layout(ctx: AppContext, lang: str) -> html.Div:
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
                                value=None,
                                placeholder=t("all_streets", lang),
                                clearable=True,
                                className="rm-street-select",
                            ),
                        ],
                        className="rm-staff-filter",
                    ),
                    html.Span(t("demo_data", lang), className="rm-badge") if ctx.dataset.is_demo else None,
                    lang_switch(lang, FACE_PREFIX[FACE]),
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
    def show_layers(layers: list[str] | None, street: str | None, lang: str | None) -> list[Any]:
        street = street if street in known_streets else None
        lang = lang if lang in ("zh", "en") else ctx.settings.lang
        return overlays(ctx, layers or [], street, lang)


def create(server: flask.Flask, ctx: AppContext) -> Dash:
    app = make_dash(server, FACE_PREFIX[FACE], "redmap_staff", "红色地图 · 工作台", ctx.settings.debug)
    app.layout = layout_for_request(lambda lang: layout(ctx, lang), ctx.settings.lang)
    register_callbacks(app, ctx)
    return app
