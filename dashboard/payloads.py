"""Layer GeoJSON prepared once at start-up and served as cacheable files.

Each face gets its own rendering of a layer (only the fields that face may show),
in each language. The bytes are built once, gzipped once, and served with an ETag
so that a browser that already has them transfers nothing.

Faces that may see the same fields of a layer share one payload (the staff and
wall faces, and often the public one): at 100 times the demo district a layer of
roads alone is ~60 MB of GeoJSON, and building it once instead of three times
saves a minute of start-up and the memory of two copies.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import orjson

from geodata.dataset import Dataset
from layers import FACES, Face, LayerSpec, build_geojson, for_face
from layers.base import PreparedLayer, prepare, with_geometries

from .detail import coverage_levels
from .i18n import LANGS
from .tiles import AreaPayload, make_area_payload


@dataclass(frozen=True)
class Payload:
    """One ready-to-send JSON document, kept gzipped only (almost every client
    accepts gzip; the plain bytes are made again for the few that do not).

    ``levels`` holds the same document with its polygons simplified for a zoom
    (:mod:`dashboard.detail`); empty for points, lines and layers that stay whole."""

    gzipped: bytes
    etag: str
    count: int
    levels: Mapping[int, Payload] = field(default_factory=dict)

    def at_level(self, level: int | None) -> Payload:
        """The document for a view of that level (itself when the level has nothing coarser)."""
        return self.levels.get(level, self) if level is not None else self


def make_payload(document: Mapping, count: int = 0, levels: Mapping[int, Payload] | None = None) -> Payload:
    """Serialise and gzip a JSON document once (orjson: ~10x faster than json.dumps)."""
    body = orjson.dumps(document)
    return Payload(
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag=hashlib.sha1(body).hexdigest()[:16],
        count=count,
        levels=MappingProxyType(dict(levels or {})),
    )


PayloadKey = tuple[Face, str, str]
"""(face, layer id, language)"""


REFERENCED_NAMES = ("streets", "communities", "grids", "service_centers", "legal_teams")
"""Layers whose names replace their ids in popups (all non-personal)."""


def _visible_fields(spec: LayerSpec, face: Face) -> tuple[str, ...]:
    """What of a layer a face may see: two faces that see the same fields get the same file."""
    return tuple(f.name for f in spec.fields_for(face, [f.name for f in spec.schema.fields]))


def _layer_payload(
    spec: LayerSpec,
    prepared: PreparedLayer,
    levels: Mapping[int, PreparedLayer],
    face: Face,
    lang: str,
    names: Mapping[str, Mapping[str, str]],
    by_area: bool,
) -> Payload | AreaPayload:
    """One face's rendering of a layer in one language: tiles when it is sent by map
    area, else one document with its coarser levels."""
    doc = build_geojson(spec, prepared, face, lang, names)
    if by_area:
        return make_area_payload(doc["features"])
    coarser = {
        zoom: make_payload(build_geojson(spec, level, face, lang, names), len(level.records))
        for zoom, level in levels.items()
    }
    return make_payload(doc, len(doc["features"]), coarser)


def build_layer_payloads(
    dataset: Dataset, area_layers_above: int | None = None
) -> Mapping[PayloadKey, Payload | AreaPayload]:
    """Every layer each face may draw, in every language; a layer of more than
    ``area_layers_above`` features is kept in tiles, sent by map area
    (:mod:`dashboard.tiles`)."""
    payloads: dict[PayloadKey, Payload] = {}
    names = {f"{layer}.id": dataset.names_by_id(layer) for layer in REFERENCED_NAMES}
    built: dict[tuple[str, str, tuple[str, ...]], Payload | AreaPayload] = {}
    for layer_id in dict.fromkeys(spec.id for face in FACES for spec in for_face(face)):
        frame = dataset[layer_id]
        by_area = area_layers_above is not None and len(frame) > area_layers_above
        # Rows and geometries, made once per layer and dropped after it; a layer sent
        # by map area is only drawn close up, so it has no coarser levels.
        prepared: PreparedLayer | None = None
        levels: dict[int, PreparedLayer] | None = None
        for face in FACES:
            spec = next((s for s in for_face(face) if s.id == layer_id), None)
            if spec is None:
                continue
            for lang in LANGS:
                key = (layer_id, lang, _visible_fields(spec, face))
                if key not in built:
                    prepared = prepared or prepare(frame)
                    if levels is None:
                        simplified = {} if by_area else coverage_levels(frame.geometry.values, layer_id)
                        levels = {zoom: with_geometries(prepared, g) for zoom, g in simplified.items()}
                    built[key] = _layer_payload(spec, prepared, levels, face, lang, names, by_area)
                payloads[(face, layer_id, lang)] = built[key]
    return MappingProxyType(payloads)
