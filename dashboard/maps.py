"""The district map shared by the three faces: an offline basemap plus registry layers.

With no ``REDMAP_TILE_URL`` the basemap is drawn from the district's own layers
(outline, river, roads, street boundaries), so the map reads well on an isolated
intranet and nothing is requested from outside.
"""

from __future__ import annotations

import math
from typing import Any

import dash_leaflet as dl
from dash import Dash, Input, Output, State, dcc

from geodata.schema import SCHEMATIC_NOTE_EN, SCHEMATIC_NOTE_ZH
from layers import REGISTRY, LayerSpec

from .context import AppContext
from .detail import FIRST_MAP_PX, fit_zoom
from .i18n import t
from .tiles import MAX_TILES, TILE_DEG

PANES: dict[str, int] = {"rm-land": 240, "rm-water": 245, "rm-base": 250, "rm-areas": 410, "rm-points": 450}
"""Map panes by z-index. Layers load asynchronously, so drawing order cannot rely on
the order they were added: the opaque basemap once landed on top of the points, and
the district's land, fetched again at a new level of detail, on top of the roads."""
MAX_PERMANENT_LABELS = 100
"""Most features of a layer whose names are always shown (above: on hover)."""

MIN_ZOOM, MAX_ZOOM = 9, 18

PANE_OF_KIND = {"basemap": "rm-base", "area": "rm-areas", "line": "rm-areas", "point": "rm-points"}
BASEMAP_PANE = {"district": "rm-land", "water": "rm-water"}
"""Basemap layers under the rest of the basemap (the roads), land first."""


def js(name: str) -> dict[str, str]:
    """Reference to a function in ``assets/redmap.js`` (``window.redmap``)."""
    return {"variable": f"redmap.{name}"}


def layer_id(face: str, layer: str) -> dict[str, str]:
    """Pattern-matching id of a map layer, so callbacks can address all of them."""
    return {"type": "map-layer", "face": face, "layer": layer}


def district_bounds(ctx: AppContext) -> list[list[float]]:
    minx, miny, maxx, maxy = ctx.dataset["district"].total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def first_zoom(
    ctx: AppContext, face: str, zoom: float | None = None, bounds: list[list[float]] | None = None
) -> float:
    """The zoom of a map's first view: the one it is given, or the one that fits
    ``bounds`` (``[[south, west], [north, east]]``, the district's by default) on the
    face's usual screen (:data:`dashboard.detail.FIRST_MAP_PX`), snapped as the map does."""
    if zoom is not None:
        return float(zoom)
    (south, west), (north, east) = bounds or district_bounds(ctx)
    fitted = fit_zoom((west, south, east, north), *FIRST_MAP_PX[face])
    return min(max(math.floor(fitted * 4) / 4, MIN_ZOOM), MAX_ZOOM)


def reported_zoom(view: Any, fallback: float | None) -> float | None:
    """The zoom a map last reported in its view store (``redmap.mapMoved`` or
    ``staffMoved``), else ``fallback`` (its first view's)."""
    zoom = view.get("zoom") if isinstance(view, dict) else None
    return float(zoom) if isinstance(zoom, int | float) and not isinstance(zoom, bool) else fallback


def detail_config(ctx: AppContext, face: str, layer_ids: list[str], zoom: float) -> dict[str, Any] | None:
    """What ``redmap.detailUrl`` needs to ask for each layer at its view's level of
    detail (:mod:`dashboard.detail`); None when no layer of ``layer_ids`` has levels."""
    layers = {layer: list(ctx.levels(face, layer)) for layer in layer_ids if ctx.levels(face, layer)}
    return {"layers": layers, "first": zoom} if layers else None


def geojson_layer(
    ctx: AppContext,
    spec: LayerSpec,
    face: str,
    lang: str,
    hideout: dict[str, Any] | None = None,
    load: bool = True,
    zoom: float | None = None,
) -> dl.GeoJSON:
    """One registry layer, loaded by URL (cached by the browser) and styled in JS.

    With ``load=False`` the layer is in the page without its URL: nothing is fetched
    until a callback sets one (a hidden layer in the staff panel). ``zoom`` is the
    first view's, whose level of detail a polygon layer is fetched at.
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
        url=ctx.view_url(face, spec.id, lang, zoom) if load else None,
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
        pane=BASEMAP_PANE.get(spec.id, PANE_OF_KIND[spec.kind]),
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
    zoom = first_zoom(ctx, face, map_props.get("zoom"), map_props.get("bounds"))
    children += [geojson_layer(ctx, spec, face, lang, hideouts.get(spec.id), zoom=zoom) for spec in basemap]
    if overlays is None:
        overlays = [
            geojson_layer(ctx, spec, face, lang, hideouts.get(spec.id), zoom=zoom) for spec in overlay_specs
        ]
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
        "minZoom": MIN_ZOOM,
        "maxZoom": MAX_ZOOM,
        "zoomSnap": 0.25,
        "attributionControl": True,
        "className": "rm-map",
        "style": {"height": "100%", "width": "100%"},
    }
    if "eventHandlers" not in map_props:
        props["eventHandlers"] = {"moveend": js("mapMoved")}  # the view, for area layers and detail
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
        "layers": layers,  # in the order of register_view_layers' outputs
        "hint": t("zoom_in_for", lang),  # "{layers}": the panel layers the view is too wide for
    }


def view_stores(ctx: AppContext, face: str, lang: str, map_id: str, layer_ids: list[str]) -> list[Any]:
    """The stores :func:`register_view_layers` needs in a page's layout: the map's view
    (``redmap.mapMoved`` keeps it), and what its area layers and levels of detail need."""
    stores: list[Any] = [dcc.Store(id=f"{map_id}-view")]
    area = area_config(ctx, face, lang, layer_ids)
    if area is not None:
        stores.append(dcc.Store(id=f"{map_id}-area", data=area))
    detail = detail_config(ctx, face, layer_ids, first_zoom(ctx, face))
    if detail is not None:
        stores.append(dcc.Store(id=f"{map_id}-detail", data=detail))
    return stores


def register_view_layers(app: Dash, ctx: AppContext, face: str, map_id: str, layer_ids: list[str]) -> None:
    """Make a map's layers follow its view, on every move (``redmap.mapMoved`` reports
    it): those sent by map area get the URL of the tiles around it (also for the first
    view), and polygon layers with levels the URL of the view's zoom."""
    by_area = [layer for layer in layer_ids if ctx.sent_by_area(face, layer)]
    if by_area:
        app.clientside_callback(
            "function(view, area) { return window.redmap.areaUrls(view, area); }",
            [Output(layer_id(face, layer), "url") for layer in by_area],
            Input(f"{map_id}-view", "data"),
            State(f"{map_id}-area", "data"),
        )
    detailed = [layer for layer in layer_ids if ctx.levels(face, layer)]
    if detailed:
        # Other callbacks set these URLs too (the wall's new data): each keeps the level.
        app.clientside_callback(
            "function(view, detail, ...urls) { return window.redmap.detailUrls(view, detail, urls); }",
            [Output(layer_id(face, layer), "url", allow_duplicate=True) for layer in detailed],
            Input(f"{map_id}-view", "data"),
            State(f"{map_id}-detail", "data"),
            *[State(layer_id(face, layer), "url") for layer in detailed],
            prevent_initial_call=True,
        )
