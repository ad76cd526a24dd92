"""What a map layer is: a small spec over a schema layer, and a pure build to GeoJSON.

Each module in ``layers/`` declares one :class:`LayerSpec`. The spec decides how the
layer looks and which of its fields each face may show; the schema decides what the
fields are and which are personal. :func:`build_geojson` turns a GeoDataFrame into
the FeatureCollection the map draws, with popups and tooltips rendered (and
escaped) on the server, so that no feature text is ever interpreted as HTML.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.schema import Field, Layer, layer, split_codes

Face = Literal["public", "staff", "wall"]
FACES: tuple[Face, ...] = ("public", "staff", "wall")
Kind = Literal["basemap", "area", "line", "point"]

COORD_DECIMALS = 6
"""~0.1 m at this latitude: finer precision only inflates the payload."""


@dataclass(frozen=True)
class LayerSpec:
    """How one schema layer is drawn.

    Parameters
    ----------
    id : str
        The schema layer name (also the map layer id).
    kind : Kind
        ``basemap`` layers are drawn under everything and have no popups.
    color : str
        Main colour (stroke or marker fill), also the legend swatch.
    faces : frozenset of Face
        Faces that may draw the layer at all.
    visible : frozenset of Face
        Faces on which it is switched on when the page opens.
    popup_fields : tuple of str
        Fields a popup may show, in order; each face further keeps only the fields
        it may see (public: the schema's public fields; never a personal field).
    filter_fields : tuple of str
        Fields the browser filters on; sent as raw values in feature properties.
    label_field : str or None
        Field used for the tooltip.
    cluster : bool
        Cluster points (supercluster) at low zoom.
    fill : str or None
        Fill colour for areas (None: no fill).
    fill_opacity, weight, radius, dash : float, float, float, str or None
        Leaflet path options.
    description_zh, description_en : str
        One line for the layer panel.
    """

    id: str
    kind: Kind
    color: str
    faces: frozenset[Face]
    visible: frozenset[Face] = frozenset()
    popup_fields: tuple[str, ...] = ()
    filter_fields: tuple[str, ...] = ()
    label_field: str | None = "name"
    cluster: bool = False
    fill: str | None = None
    fill_opacity: float = 0.0
    weight: float = 1.5
    radius: float = 6.0
    dash: str | None = None
    description_zh: str = ""
    description_en: str = ""
    extra_style: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        schema = layer(self.id)  # KeyError for a spec without a schema layer
        for name in (*self.popup_fields, *self.filter_fields, *filter(None, [self.label_field])):
            if name not in schema:
                raise ValueError(f"layer spec {self.id!r} names unknown field {name!r}")
            if schema.field(name).personal:
                # Personal data reaches a map only through the access-controlled,
                # masked path (roles), never through a layer spec.
                raise ValueError(f"layer spec {self.id!r} would draw personal field {name!r}")
        if "public" in self.faces and not schema.public:
            raise ValueError(f"layer {self.id!r} is not public in the schema")

    @property
    def schema(self) -> Layer:
        return layer(self.id)

    def label(self, lang: str = "zh") -> str:
        return self.schema.label(lang)

    def description(self, lang: str = "zh") -> str:
        return self.description_zh if lang == "zh" else self.description_en

    def fields_for(self, face: Face, names: Iterable[str]) -> tuple[Field, ...]:
        """The fields among ``names`` that ``face`` may see."""
        schema = self.schema
        allowed = []
        for name in names:
            f = schema.field(name)
            if f.personal or (face == "public" and not f.public):
                continue
            allowed.append(f)
        return tuple(allowed)

    def style(self) -> dict[str, Any]:
        """Leaflet path options (also used for circle markers)."""
        style: dict[str, Any] = {"color": self.color, "weight": self.weight, "opacity": 0.9}
        if self.fill:
            style.update(fill=True, fillColor=self.fill, fillOpacity=self.fill_opacity)
        else:
            style.update(fill=self.kind == "point", fillOpacity=0.85 if self.kind == "point" else 0)
        if self.kind == "point":
            style.update(radius=self.radius, fillColor=self.fill or self.color, color="#ffffff")
        if self.dash:
            style["dashArray"] = self.dash
        style.update(self.extra_style)
        return style


def display_value(f: Field, value: Any, lang: str = "zh") -> str:
    """A field value as a person reads it (labels for choices, dates as ISO)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "—"
    if f.type == "codes":
        return "、".join(f.choice_label(v, lang) for v in split_codes(value)) or "—"
    if f.name == "opening_hours":
        return readable_hours(str(value), lang)
    if f.choices:
        return f.choice_label(str(value), lang)
    if f.type == "bool":
        yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
        return yes if bool(value) else no
    if f.type == "datetime" and hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    if f.type == "date" and hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if f.type == "float":
        return f"{float(value):,.3f}".rstrip("0").rstrip(".")
    if f.type == "int":
        return f"{int(value):,}"
    return str(value)


_DAY_ZH = {"Mo": "周一", "Tu": "周二", "We": "周三", "Th": "周四", "Fr": "周五", "Sa": "周六", "Su": "周日"}
_DAY_EN = {"Mo": "Mon", "Tu": "Tue", "We": "Wed", "Th": "Thu", "Fr": "Fri", "Sa": "Sat", "Su": "Sun"}


def readable_hours(text: str | None, lang: str = "zh") -> str:
    """OSM opening hours as a resident reads them: ``Mo-Fr 08:30-17:30; Sa,Su 09:00-17:00``
    → ``周一至周五 08:30–17:30；周六、周日 09:00–17:00``. Unknown forms are shown as given."""
    if not text or not text.strip():
        return "—"
    zh = lang == "zh"
    if text.strip() == "24/7":
        return "全天24小时" if zh else "24 hours, every day"
    names = _DAY_ZH if zh else _DAY_EN
    rules = []
    for rule in text.split(";"):
        parts = rule.strip().split(" ", 1)
        if len(parts) == 1:
            days_text, times = "", parts[0]
        else:
            days_text, times = parts
        days = []
        for item in filter(None, days_text.split(",")):
            first, _, last = item.partition("-")
            if first not in names or (last and last not in names):
                return text
            if (first, last) == ("Mo", "Su"):
                days.append("每天" if zh else "Every day")
            elif last:
                days.append(f"{names[first]}至{names[last]}" if zh else f"{names[first]}–{names[last]}")
            else:
                days.append(names[first])
        span = times.replace("-", "–").replace(",", "、" if zh else ", ")
        if times.strip() in ("off", "closed"):
            span = "休息" if zh else "closed"
        rules.append(("、" if zh else ", ").join(days) + " " + span if days else span)
    return ("；" if zh else "; ").join(rules)


def popup_html(title: str, rows: Iterable[tuple[str, str]]) -> str:
    """Escaped popup markup: a title and label/value rows."""
    body = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in rows
    )
    return f'<div class="rm-popup"><h4>{html.escape(title)}</h4><table>{body}</table></div>'


def _popup_value(f: Field, value: Any, lang: str, names: Mapping[str, Mapping[str, str]] | None) -> str:
    if names and f.references in names and value is not None and str(value) in names[f.references]:
        return names[f.references][str(value)]
    return display_value(f, value, lang)


def _json_value(f: Field, value: Any) -> Any:
    """A raw value for browser-side filtering."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if f.type == "codes":
        return split_codes(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class PreparedLayer:
    """A layer's rows and GeoJSON geometries, computed once and shared by every face
    and language (the costly part of :func:`build_geojson`)."""

    records: list[dict[str, Any]]
    geometries: list[dict[str, Any] | None]


def prepare(frame: gpd.GeoDataFrame) -> PreparedLayer:
    """Rows as dicts and geometries as rounded GeoJSON mappings (None when empty)."""
    return PreparedLayer(
        frame.drop(columns=frame.geometry.name).to_dict("records"), geojson_geometries(frame.geometry.values)
    )


def with_geometries(prepared: PreparedLayer, geometries: Any) -> PreparedLayer:
    """The same rows with other geometries, one per row (a simplified level of the layer)."""
    return PreparedLayer(prepared.records, geojson_geometries(geometries))


def geojson_geometries(geometries: Any) -> list[dict[str, Any] | None]:
    """Shapely geometries as GeoJSON mappings rounded to ``COORD_DECIMALS`` (None when empty)."""
    rounded = shapely.set_precision(np.asarray(geometries, dtype=object), 10**-COORD_DECIMALS)
    return [None if g is None or g.is_empty else shapely.geometry.mapping(g) for g in rounded]


def build_geojson(
    spec: LayerSpec,
    frame: gpd.GeoDataFrame | PreparedLayer,
    face: Face,
    lang: str = "zh",
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """Turn a validated layer into the FeatureCollection that ``face`` draws.

    Parameters
    ----------
    spec
        The layer spec.
    frame
        The layer in EPSG:4326, validated against the schema (or already
        :func:`prepare`-d, when several faces and languages are built from it).
    face
        Which face will draw it; decides the fields that leave the server.
    lang
        ``zh`` or ``en`` labels in popups.
    names
        ``"layer.id"`` reference → {id: name}: popups show a referenced street,
        community or centre by its name rather than its code.

    Returns
    -------
    dict
        GeoJSON with properties ``id``, ``_label`` (tooltip text), ``_popup``
        (escaped HTML) and the raw values of the filter fields.
    """
    if face not in spec.faces:
        raise PermissionError(f"layer {spec.id!r} is not drawn on the {face} face")
    prepared = frame if isinstance(frame, PreparedLayer) else prepare(frame)
    schema = spec.schema
    popup_fields = spec.fields_for(face, spec.popup_fields) if spec.kind != "basemap" else ()
    filter_fields = spec.fields_for(face, spec.filter_fields)
    label_field = spec.fields_for(face, [spec.label_field] if spec.label_field else [])
    english_name = f"{spec.label_field}_en"
    english_label = bool(
        spec.label_field and english_name in schema and spec.fields_for(face, [english_name])
    )
    features = []
    for record, geometry in zip(prepared.records, prepared.geometries, strict=True):
        if geometry is None:
            continue
        props: dict[str, Any] = {"id": str(record[schema.id_field.name])}
        if label_field:
            value = record.get(label_field[0].name)
            # A layer with an English name column (streets: name_en) labels in English too,
            # where the face may show that column.
            english = record.get(f"{label_field[0].name}_en") if lang == "en" and english_label else None
            label = display_value(label_field[0], english if english else value, lang)
            props["_label"] = html.escape(label)
        else:
            label = ""
        if popup_fields:
            props["_popup"] = popup_html(
                label or spec.label(lang),
                [(f.label(lang), _popup_value(f, record.get(f.name), lang, names)) for f in popup_fields],
            )
        for f in filter_fields:
            props[f.name] = _json_value(f, record.get(f.name))
        features.append({"type": "Feature", "id": props["id"], "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}
