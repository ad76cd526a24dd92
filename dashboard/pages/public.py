"""The public finder (``/``): residents find service points on a phone.

This Dash app is the only one reachable without a login. Its layout, callbacks and
data routes carry only the schema's public fields; nothing of the staff or wall
apps is registered on it.
"""

from __future__ import annotations

from typing import Any

import flask
from dash import Dash, Input, Output, dcc, html

from dashboard.context import FACE_PREFIX, AppContext
from dashboard.i18n import t
from dashboard.maps import district_map, layer_id
from dashboard.pages.common import lang_switch, layout_for_request, make_dash
from geodata.metrics import centers_offering
from geodata.schema import SERVICE_MENU
from layers import REGISTRY

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
LEGEND_LAYERS = ["service_centers", "daycare_centers", "child_care", "facilities"]
ALL = "all"


class Ids:
    """Component ids of the public page."""

    MAP = "pub-map"
    SERVICE = "pub-service"
    COUNT = "pub-count"
    LANG = "pub-lang"


def count_text(ctx: AppContext, service: str | None, lang: str) -> str:
    n = centers_offering(ctx.dataset["service_centers"], None if service in (None, ALL) else service)
    return f"共 {n} {t('points_shown', lang)}" if lang == "zh" else f"{n} {t('points_shown', lang)}"


def centers_hideout(service: str | None) -> dict[str, Any]:
    spec = REGISTRY["service_centers"]
    wanted = None if service in (None, ALL) else service
    return {"layer": spec.id, "kind": spec.kind, "style": spec.style(), "filters": {"services": wanted}}


def legend(lang: str) -> html.Ul:
    items = []
    for name in LEGEND_LAYERS:
        spec = REGISTRY[name]
        items.append(
            html.Li(
                [
                    html.Span(className="rm-swatch", style={"background": spec.color}),
                    spec.label(lang),
                ]
            )
        )
    return html.Ul(items, className="rm-legend", **{"aria-label": "Legend"})


def layout(ctx: AppContext, lang: str) -> html.Div:
    options = [{"label": t("all_services", lang), "value": ALL}] + [
        {"label": c.zh if lang == "zh" else c.en, "value": c.value} for c in SERVICE_MENU
    ]
    return html.Div(
        [
            dcc.Store(id=Ids.LANG, data=lang),
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
            html.Main(
                district_map(ctx, FACE, lang, Ids.MAP, MAP_LAYERS),
                className="rm-pub-map",
                **{"aria-label": t("district", lang)},
            ),
            html.Section(
                [
                    html.Label(t("need_label", lang), htmlFor=Ids.SERVICE, className="rm-sheet-label"),
                    dcc.RadioItems(
                        id=Ids.SERVICE,
                        options=options,
                        value=ALL,
                        className="rm-chips",
                        inputClassName="rm-chip-input",
                        labelClassName="rm-chip",
                    ),
                    html.P(
                        count_text(ctx, None, lang),
                        id=Ids.COUNT,
                        className="rm-count",
                        **{"aria-live": "polite"},
                    ),
                    html.P(t("tap_hint", lang), className="rm-hint"),
                    legend(lang),
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
        lang="zh-CN" if lang == "zh" else "en",
    )


def register_callbacks(app: Dash, ctx: AppContext) -> None:
    @app.callback(
        Output(layer_id(FACE, "service_centers"), "hideout"),
        Output(Ids.COUNT, "children"),
        Input(Ids.SERVICE, "value"),
        Input(Ids.LANG, "data"),
    )
    def filter_by_service(service: str | None, lang: str | None) -> tuple[dict[str, Any], str]:
        known = {c.value for c in SERVICE_MENU} | {ALL}
        service = service if service in known else ALL
        lang = lang if lang in ("zh", "en") else ctx.settings.lang
        return centers_hideout(service), count_text(ctx, service, lang)


def create(server: flask.Flask, ctx: AppContext) -> Dash:
    app = make_dash(server, FACE_PREFIX[FACE], "redmap_public", "红色地图 · 心心秦家", ctx.settings.debug)
    app.layout = layout_for_request(lambda lang: layout(ctx, lang), ctx.settings.lang)
    register_callbacks(app, ctx)
    return app
