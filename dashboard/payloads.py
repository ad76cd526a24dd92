"""Layer GeoJSON prepared once at start-up and served as cacheable files.

Each face gets its own rendering of a layer (only the fields that face may show),
in each language. The bytes are built once, gzipped once, and served with an ETag
so that a browser that already has them transfers nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from geodata.dataset import Dataset
from layers import FACES, Face, build_geojson, for_face
from layers.base import prepare

from .i18n import LANGS


@dataclass(frozen=True)
class Payload:
    """One ready-to-send JSON document."""

    body: bytes
    gzipped: bytes
    etag: str
    count: int


def make_payload(document: Mapping, count: int = 0) -> Payload:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Payload(
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag=hashlib.sha1(body).hexdigest()[:16],
        count=count,
    )


PayloadKey = tuple[Face, str, str]
"""(face, layer id, language)"""


REFERENCED_NAMES = ("streets", "communities", "grids", "service_centers", "legal_teams")
"""Layers whose names replace their ids in popups (all non-personal)."""


def build_layer_payloads(dataset: Dataset) -> Mapping[PayloadKey, Payload]:
    """Every layer each face may draw, in every language."""
    payloads: dict[PayloadKey, Payload] = {}
    names = {f"{layer}.id": dataset.names_by_id(layer) for layer in REFERENCED_NAMES}
    prepared = {spec.id: prepare(dataset[spec.id]) for face in FACES for spec in for_face(face)}
    for face in FACES:
        for spec in for_face(face):
            for lang in LANGS:
                doc = build_geojson(spec, prepared[spec.id], face, lang, names)
                payloads[(face, spec.id, lang)] = make_payload(doc, len(doc["features"]))
    return MappingProxyType(payloads)
