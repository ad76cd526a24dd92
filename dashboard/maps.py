"""The district map shared by the three faces: an offline basemap plus registry layers.

With no ``REDMAP_TILE_URL`` the basemap is drawn from the district's own layers
(outline, river, roads, street boundaries), so the map reads well on an isolated
intranet and nothing is requested from outside.
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash import Dash, Input, Output, State, dcc

from geodata.schema import SCHEMATIC_NOTE_EN, SCHEMATIC_NOTE_ZH
from layers import REGISTRY, LayerSpec

from .context import AppContext
from .i18n import t
from .tiles import MAX_TILES, TILE_DEG

PANES: dict[str, int] = {"rm-base": 250, "rm-areas": 410, "rm-points": 450}
"""Map panes by z-index. Layers load asynchronously, so drawing order cannot rely on
the order they were added: the opaque basemap once landed on top of the points."""
MAX_PERMANENT_LABELS = 100
"""Most features of a layer whose names are always shown (above: on hover)."""

PANE_OF_KIND = {"basemap": "rm-base", "area": "rm-areas", "line": "rm-areas", "point": "rm-points"}


def js(name: str) -> dict[str, str]:
    """Reference to a function in ``assets/redmap.js`` (``window.redmap``)."""
    return {"variable": f"redmap.{name}"}


def layer_id(face: str, layer: str) -> dict[str, str]:
    """Pattern-matching id of a map layer, so callbacks can address all of them."""
    return {"type": "map-layer", "face": face, "layer": layer}


def district_bounds(ctx: AppContext) -> list[list[float]]:
    minx, miny, maxx, maxy = ctx.dataset["district"].total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def geojson_layer(
    ctx: AppContext,
    spec: LayerSpec,
    face: str,
    lang: str,
    hideout: dict[str, Any] | None = None,
    load: bool = True,
) -> dl.GeoJSON:
    """One registry layer, loaded by URL (cached by the browser) and styled in JS.

    With ``load=False`` the layer is in the page without its URL: nothing is fetched
    until a callback sets one (a hidden layer in the staff panel).
    """
    props: dict[str, Any] = {}
    if spec.id == "district":
        source = ctx.dataset.meta.get("outline_source", "")
        note = SCHEMATIC_NOTE_ZH if lang == "zh" else SCHEMATIC_NOTE_EN
        props["attribution"] = f"{note}{' · ' + source if source else ''}"
    if spec.kind == "point":
        props["pointToLayer"] = js("pointToLayer")
    if spec.cluster:
        props.update(
            cluster=True,
            clusterToLayer=js("clusterToLayer"),
            superClusterOptions={"radius": 60, "maxZoom": 15},
        )
    # A layer sent by map area gets its URL from the view (redmap.areaUrl), never whole.
    load = load and not ctx.sent_by_area(face, spec.id)
    return dl.GeoJSON(
        id=layer_id(face, spec.id),
        url=ctx.layer_url(face, spec.id, lang) if load else None,
        style=js("style"),
        onEachFeature=js("onEachFeature"),
        filter=js("filter"),
        hideout={
            "layer": spec.id,
            "kind": spec.kind,
            "style": spec.style(),
            "filters": {},
            # Street names stay on the map for a district's dozen streets; a city's
            # thousand would overlap, and placing them froze the page for seconds.
            "permanentLabels": ctx.layer_count(face, spec.id) <= MAX_PERMANENT_LABELS,
            **(hideout or {}),
        },
        pane=PANE_OF_KIND[spec.kind],
        interactive=spec.kind != "basemap",
        bubblingMouseEvents=spec.kind == "basemap",
        **props,
    )


def district_map(
    ctx: AppContext,
    face: str,
    lang: str,
    map_id: str,
    layer_ids: list[str],
    overlay_id: str | None = None,
    hideouts: dict[str, dict[str, Any]] | None = None,
    overlays: list[Any] | None = None,
    extra: list[Any] | None = None,
    **map_props: Any,
) -> dl.Map:
    """A map of the district with the basemap and ``layer_ids`` drawn for ``face``.

    Parameters
    ----------
    overlay_id
        When given, the non-basemap layers sit in a ``dl.LayerGroup`` with this id
        so that a callback can swap them (our own layer panel, not LayersControl).
    hideouts
        Extra hideout entries per layer id (filters, choropleth colours).
    overlays
        Ready-made overlay layers, instead of those of ``layer_ids``.
    extra
        Further map children drawn above the overlays (analysis layers, popups).
    """
    hideouts = hideouts or {}
    basemap = [REGISTRY[i] for i in layer_ids if REGISTRY[i].kind == "basemap"]
    overlay_specs = [REGISTRY[i] for i in layer_ids if REGISTRY[i].kind != "basemap"]
    children: list[Any] = [dl.Pane(name=name, style={"zIndex": z}) for name, z in PANES.items()]
    if ctx.settings.tile_url:
        children.append(dl.TileLayer(url=ctx.settings.tile_url, attribution=ctx.settings.tile_attribution))
    children += [geojson_layer(ctx, spec, face, lang, hideouts.get(spec.id)) for spec in basemap]
    if overlays is None:
        overlays = [geojson_layer(ctx, spec, face, lang, hideouts.get(spec.id)) for spec in overlay_specs]
    children.append(dl.LayerGroup(overlays, id=overlay_id) if overlay_id else dl.LayerGroup(overlays))
    children += extra or []
    children.append(dl.ScaleControl(position="bottomleft", imperial=False))
    bounds = district_bounds(ctx)
    props: dict[str, Any] = {
        # The district's bounds decide the first view. Viewport tracking stays off:
        # dash-leaflet 1.1.3 throws on it when the view is given by bounds alone.
        "bounds": bounds,
        "trackViewport": False,
        "maxBounds": [[bounds[0][0] - 0.15, bounds[0][1] - 0.2], [bounds[1][0] + 0.15, bounds[1][1] + 0.2]],
        "minZoom": 9,
        "maxZoom": 18,
        "zoomSnap": 0.25,
        "attributionControl": True,
        "className": "rm-map",
        "style": {"height": "100%", "width": "100%"},
    }
    if any(ctx.sent_by_area(face, layer) for layer in layer_ids) and "eventHandlers" not in map_props:
        props["eventHandlers"] = {"moveend": js("mapMoved")}  # the view, for area layers
    props.update(map_props)
    return dl.Map(children, id=map_id, **props)


def area_config(ctx: AppContext, face: str, lang: str, layer_ids: list[str]) -> dict[str, Any] | None:
    """What ``redmap.areaUrl`` needs for the layers of ``layer_ids`` sent by map area
    (:mod:`dashboard.tiles`); None when there are none (the demo district)."""
    layers = {
        layer: {
            "url": ctx.layer_url(face, layer, lang),
            "basemap": REGISTRY[layer].kind == "basemap",
            "label": REGISTRY[layer].label(lang),
        }
        for layer in layer_ids
        if ctx.sent_by_area(face, layer)
    }
    if not layers:
        return None
    west, south, east, north = (float(v) for v in ctx.dataset["district"].total_bounds)
    return {
        "tileDeg": TILE_DEG,
        "maxTiles": MAX_TILES,
        "bounds": [west, south, east, north],  # the first view, until the map reports its own
        "layers": layers,  # in the order of register_area_layers' outputs
        "hint": t("zoom_in_for", lang),  # "{layers}": the panel layers the view is too wide for
    }


def area_stores(ctx: AppContext, face: str, lang: str, map_id: str, layer_ids: list[str]) -> list[Any]:
    """The stores :func:`register_area_layers` needs in a page's layout (none without area layers)."""
    config = area_config(ctx, face, lang, layer_ids)
    if config is None:
        return []
    return [dcc.Store(id=f"{map_id}-view"), dcc.Store(id=f"{map_id}-area", data=config)]


def register_area_layers(app: Dash, ctx: AppContext, face: str, map_id: str, layer_ids: list[str]) -> None:
    """Give a map's layers sent by map area the URL of the tiles around its view, on every
    move (``redmap.mapMoved`` reports it) and for the first view."""
    layers = [layer for layer in layer_ids if ctx.sent_by_area(face, layer)]
    if not layers:
        return
    app.clientside_callback(
        "function(view, area) { return window.redmap.areaUrls(view, area); }",
        *[Output(layer_id(face, layer), "url") for layer in layers],
        Input(f"{map_id}-view", "data"),
        State(f"{map_id}-area", "data"),
    )
