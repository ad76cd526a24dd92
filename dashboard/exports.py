"""Exports of the staff workspace: the filtered rows as files, the map as one HTML page.

Pure functions over a :class:`~geodata.dataset.Dataset`: each takes the rows that
:func:`dashboard.workspace.filtered` kept for the table (so a file holds exactly what
the table lists, all of it, not only the first 500 shown), the viewer established on
the server, and a language, and returns the file's bytes.

What a file holds
-----------------
* **Columns**: every field of the layer in schema order, headed by the schema's label
  (Chinese, or English for ``lang="en"``); choice values and referenced streets,
  communities, grids and teams read by name, as in the table.
* **Personal fields** (schema ``personal``: names and phones of reporters, disputants,
  home-service recipients) are kept only when the viewer may see the personal data of
  *every* exported row: an admin, or street staff whose export lies wholly in their
  own street. Otherwise the columns are left out altogether, not masked: a file
  travels further than a screen, ``张**`` with ``138****0000`` still narrows a person
  down, and a column real in some rows and masked in others is easy to misread.
  Filter to your own street to export its contact data.
* **Positions**: a home-service recipient's home is never exported, as the page never
  draws it (the table has no map layer): no geometry (GeoJSON ``null``, a GeoPackage
  attribute table), no coordinates, and the HTML map shows only counts per community,
  fewer than :data:`geodata.privacy.MIN_GROUP` suppressed. Mediation cases have no
  position at all and are mapped the same way.
* **Spreadsheets** (CSV, Excel): a text cell that starts with ``= + - @``, a tab or a
  carriage return gets a leading ``'`` so that it is never read as a formula (OWASP
  "CSV injection"). CSV is UTF-8 with a byte-order mark, so Excel reads the Chinese.
* **HTML map**: a standalone Folium page that works offline with every library
  inline (:mod:`dashboard.vendor`); popups show the layer's popup fields for the
  staff face (never a personal field), written as text, never parsed as HTML.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from folium.plugins import MarkerCluster
from folium.utilities import JsCode
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from dashboard import vendor
from dashboard.auth.roles import Principal
from dashboard.i18n import t
from dashboard.workspace import TABLES, Filters, TableSpec, filter_choices
from geodata.dataset import Dataset
from geodata.privacy import MIN_GROUP
from geodata.schema import SCHEMATIC_NOTE_EN, SCHEMATIC_NOTE_ZH, STORAGE_CRS, Field
from geodata.schema import layer as schema_layer
from layers import REGISTRY
from layers.base import display_value, readable_hours
from layers.three_no_compounds import STAGE_COLORS

Format = Literal["geojson", "gpkg", "csv", "xlsx", "html"]

COORD_DECIMALS = 6
"""~0.1 m at this latitude, as on the map."""
NUMERIC = ("int", "float")
"""Field types exported as numbers; every other field is text (labels, names, 是/否)."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is a formula to a spreadsheet (OWASP)."""
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
"""Category colours of map points (a table's chart field has at most 8 values)."""
COUNT_COLORS = ("#fde0c5", "#f8b58b", "#f08a5d", "#d9534f", "#8c1c13")
"""Records per community on the HTML map of a table without positions, few → many."""
SUPPRESSED_COLOR = "#d9d9d9"
REFERENCES = ("streets.id", "communities.id", "grids.id", "legal_teams.id")

_TEXT = {
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "rows": ("共 {:,} 条", "{:,} records"),
    "generated": ("导出于 {}", "exported {}"),
    "whole_district": ("全区", "whole district"),
    "dates": ("{}：{} 至 {}", "{}: {} to {}"),
    "in_view": ("仅地图范围内", "features in the map view only"),
    "legend": ("图例", "Legend"),
    "district_line": ("区界", "District boundary"),
    "street_line": ("街道界线", "Street boundaries"),
    "chosen_area": ("所选范围", "Chosen area"),
    "per_community": ("每社区记录数", "Records per community"),
    "records": ("记录数", "Records"),
    "suppressed": ("少于{}（不显示）", "fewer than {} (not shown)"),
    "no_community": ("另有 {:,} 条未关联社区", "{:,} more not tied to a community"),
    "no_position": ("不含位置：仅按社区汇总", "No positions: counted per community only"),
    "personal_kept": ("含个人信息（仅限本人职责范围）", "Includes personal data (for your duties only)"),
    "personal_left_out": (
        "不含个人信息（{}）：仅当全部记录属于本人街道时导出",
        "Personal data left out ({}): exported only when every row is in your street",
    ),
    "about": ("说明", "About"),
    "title": ("标题", "Title"),
    "filters": ("筛选条件", "Filters"),
    "count": ("条数", "Rows"),
    "exported_at": ("导出时间", "Exported at"),
    "exported_by": ("导出人", "Exported by"),
    "personal": ("个人信息", "Personal data"),
    "boundaries": ("边界说明", "Boundaries"),
    "data": ("数据说明", "Data"),
    "none": ("无", "none"),
}


def text(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


# -- what may leave the server -------------------------------------------------------------


def personal_allowed(viewer: Principal, frame: pd.DataFrame) -> bool:
    """Whether an export of ``frame`` may carry the layer's personal fields.

    Only when the viewer may see the personal data of every row
    (:meth:`Principal.sees_personal_data_of`): always for an admin; for street staff
    when every row lies in their own street; never for anyone else.
    """
    if viewer.role == "admin":
        return True
    if "street_id" not in frame.columns:
        return False
    streets = frame["street_id"]
    return bool(streets.map(lambda s: viewer.sees_personal_data_of(None if pd.isna(s) else str(s))).all())


def has_positions(spec: TableSpec) -> bool:
    """Whether the table's rows are exported with their geometry.

    Only tables the page draws on its map do (``map_layer``): home-service
    recipients' homes are never pinpointed, mediation cases have no position.
    """
    return spec.map_layer is not None and schema_layer(spec.layer).has_geometry


def escape_formula(value: Any) -> Any:
    """``=HYPERLINK("x")`` → ``'=HYPERLINK("x")``: a spreadsheet shows it, never runs it."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportTable:
    """The rows of one export, ready to write.

    Attributes
    ----------
    fields : tuple of Field
        The exported fields, in schema order (personal ones only when allowed).
    frame : pandas.DataFrame
        One column per field, headed by its label; values as people read them
        (labels, names), numbers as numbers, dates and times as ``datetime64``.
    geometry : geopandas.GeoSeries or None
        The rows' geometry in EPSG:4326, or None when the table is exported without
        positions (:func:`has_positions`).
    personal : bool
        Whether the personal fields were kept.
    left_out : tuple of str
        Labels of the personal fields that were left out.
    title : str
        The layer's label.
    layer : str
        The schema layer name.
    """

    fields: tuple[Field, ...]
    frame: pd.DataFrame
    geometry: gpd.GeoSeries | None
    personal: bool
    left_out: tuple[str, ...]
    title: str
    layer: str

    def __len__(self) -> int:
        return len(self.frame)


def export_table(
    dataset: Dataset, spec: TableSpec, frame: pd.DataFrame, viewer: Principal, lang: str = "zh"
) -> ExportTable:
    """The rows of ``frame`` (a slice of ``spec.layer``) as they may leave the server.

    Sorted as the table is, newest first by its date field.
    """
    schema = schema_layer(spec.layer)
    if spec.date_field:
        frame = frame.sort_values(spec.date_field, ascending=False, na_position="last", kind="stable")
    allowed = personal_allowed(viewer, frame)
    fields = tuple(f for f in schema.fields if (allowed or not f.personal) and f.name in frame.columns)
    names = _names(dataset, lang)
    columns = {f.label(lang): _column(f, frame[f.name], lang, names) for f in fields}
    out = pd.DataFrame(columns, index=frame.index).reset_index(drop=True)
    geometry = None
    if has_positions(spec) and isinstance(frame, gpd.GeoDataFrame):
        geometry = frame.geometry.to_crs(STORAGE_CRS).reset_index(drop=True)
    left_out = tuple(f.label(lang) for f in schema.personal_fields if not allowed)
    return ExportTable(fields, out, geometry, allowed, left_out, schema.label(lang), spec.layer)


def _names(dataset: Dataset, lang: str) -> dict[str, dict[str, str]]:
    names = {ref: dataset.names_by_id(ref.split(".")[0]) for ref in REFERENCES}
    names["streets.id"] = dataset.names_by_id("streets", "name" if lang == "zh" else "name_en")
    return names


def _column(f: Field, values: pd.Series, lang: str, names: Mapping[str, Mapping[str, str]]) -> Any:
    """One field's values as an export holds them."""
    if f.type in ("date", "datetime"):
        return pd.to_datetime(values, errors="coerce").astype("datetime64[ms]").to_numpy()
    if f.type == "int":
        return pd.array(pd.to_numeric(values, errors="coerce"), dtype="Int64")
    if f.type == "float":
        return pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    lookup = names.get(f.references or "")

    def one(value: Any) -> Any:
        if _missing(value):
            return None
        if lookup is not None:
            return lookup.get(str(value), str(value))
        if f.type == "codes" or f.choices or f.type == "bool":
            return display_value(f, value, lang)
        if f.name == "opening_hours":
            return readable_hours(str(value), lang)
        return str(value)

    return np.array([one(v) for v in values], dtype=object)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _plain(value: Any) -> Any:
    """A cell value as plain Python (None for missing)."""
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _text_frame(table: ExportTable) -> pd.DataFrame:
    """The rows as text-safe values: dates and times as ISO text, formulas escaped."""
    out = pd.DataFrame(index=table.frame.index)
    for f, column in zip(table.fields, table.frame.columns, strict=True):
        values = table.frame[column]
        if f.type == "date":
            out[column] = values.dt.strftime("%Y-%m-%d").astype(object).where(values.notna(), None)
        elif f.type == "datetime":
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(values.notna(), None)
        elif f.type not in NUMERIC:
            out[column] = values.map(escape_formula)
        else:
            out[column] = values
    return out


def _lon_lat(table: ExportTable) -> tuple[pd.Series, pd.Series] | None:
    """Longitude and latitude of each row (a polygon's representative point), if exported."""
    if table.geometry is None:
        return None
    points = table.geometry.representative_point()
    lon = points.x.round(COORD_DECIMALS).where(~table.geometry.isna())
    lat = points.y.round(COORD_DECIMALS).where(~table.geometry.isna())
    return lon, lat


# -- files --------------------------------------------------------------------------------


def to_geojson(
    dataset: Dataset, spec: TableSpec, frame: pd.DataFrame, viewer: Principal, lang: str = "zh"
) -> bytes:
    """The rows as a GeoJSON FeatureCollection (RFC 7946, WGS-84), UTF-8.

    Dates and times are ISO text; rows without positions have ``"geometry": null``.
    """
    table = export_table(dataset, spec, frame, viewer, lang)
    geometries: list[Any] = [None] * len(table)
    if table.geometry is not None:
        rounded = shapely.set_precision(table.geometry.values, 10**-COORD_DECIMALS)
        geometries = [None if g is None or g.is_empty else shapely.geometry.mapping(g) for g in rounded]
    columns = list(table.frame.columns)
    types = {f.label(lang): f.type for f in table.fields}
    features = []
    for values, geometry in zip(table.frame.itertuples(index=False, name=None), geometries, strict=True):
        properties = {}
        for column, value in zip(columns, values, strict=True):
            value = _plain(value)
            if value is not None and types[column] in ("date", "datetime"):
                value = pd.Timestamp(value)
                value = value.date().isoformat() if types[column] == "date" else value.isoformat()
            properties[column] = value
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    collection = {
        "type": "FeatureCollection",
        "name": table.layer,
        "title": table.title,
        "features": features,
    }
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def to_gpkg(
    dataset: Dataset, spec: TableSpec, frame: pd.DataFrame, viewer: Principal, lang: str = "zh"
) -> bytes:
    """The rows as a GeoPackage with one layer named after the table, in EPSG:4326.

    A table exported without positions is a GeoPackage attribute table (no geometry).
    """
    table = export_table(dataset, spec, frame, viewer, lang)
    data: pd.DataFrame = table.frame
    if table.geometry is not None:
        data = gpd.GeoDataFrame(table.frame, geometry=table.geometry.values, crs=STORAGE_CRS)
    out = io.BytesIO()
    pyogrio.write_dataframe(
        data,
        out,
        driver="GPKG",
        layer=table.layer,
        layer_options={"IDENTIFIER": table.title, "DESCRIPTION": table.title},
    )
    return out.getvalue()


def to_csv(
    dataset: Dataset, spec: TableSpec, frame: pd.DataFrame, viewer: Principal, lang: str = "zh"
) -> bytes:
    """The rows as CSV: UTF-8 with a byte-order mark, CRLF line ends, formulas escaped.

    Rows with a position get longitude and latitude columns at the end.
    """
    table = export_table(dataset, spec, frame, viewer, lang)
    out = _text_frame(table)
    lon_lat = _lon_lat(table)
    if lon_lat is not None:
        out[text("lon", lang)], out[text("lat", lang)] = lon_lat
    body = out.to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" + body).encode("utf-8")


def to_xlsx(
    dataset: Dataset,
    spec: TableSpec,
    frame: pd.DataFrame,
    viewer: Principal,
    lang: str = "zh",
    *,
    filters: Filters | None = None,
    generated: dt.datetime | None = None,
) -> bytes:
    """The rows as an Excel workbook: a sheet of rows (header frozen, auto-filter) and
    an "about" sheet (filters, count, when and by whom, what was left out)."""
    table = export_table(dataset, spec, frame, viewer, lang)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(table.title))
    headers = list(table.frame.columns)
    lon_lat = _lon_lat(table)
    if lon_lat is not None:
        headers += [text("lon", lang), text("lat", lang)]
    widths = [min(max(_width(h), 8), 40) for h in headers]
    for f, column in zip(table.fields, table.frame.columns, strict=True):
        i = headers.index(column)
        if f.type == "datetime":
            widths[i] = 18
        elif f.type == "date":
            widths[i] = 12
        elif f.type not in NUMERIC:
            sample = table.frame[column].head(200).dropna()
            widths[i] = min(max([widths[i], *(_width(str(v)) for v in sample)]), 40)
    for i, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(i)].width = width + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{_column_letter(len(headers) - 1)}{len(table) + 1}"
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    formats = [
        "yyyy-mm-dd hh:mm" if f.type == "datetime" else "yyyy-mm-dd" if f.type == "date" else None
        for f in table.fields
    ]
    extra = list(zip(*lon_lat, strict=True)) if lon_lat is not None else None
    for n, values in enumerate(table.frame.itertuples(index=False, name=None)):
        row: list[Any] = []
        for value, number_format in zip(values, formats, strict=True):
            value = _plain(value)
            if number_format and value is not None:
                cell = WriteOnlyCell(sheet, value=pd.Timestamp(value).to_pydatetime())
                cell.number_format = number_format
                row.append(cell)
            else:
                row.append(escape_formula(value))
        if extra is not None:
            row += [_plain(v) for v in extra[n]]
        sheet.append(row)
    about = workbook.create_sheet(text("about", lang))
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 90
    wrap = Alignment(wrap_text=True, vertical="top")
    for key, value in _about_rows(dataset, table, viewer, lang, filters, generated):
        label = WriteOnlyCell(about, value=key)
        label.font = bold
        cell = WriteOnlyCell(about, value=escape_formula(value))
        cell.alignment = wrap
        about.append([label, cell])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _width(value: str) -> int:
    """Display width in Excel columns: a Chinese character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "data"


def _about_rows(
    dataset: Dataset,
    table: ExportTable,
    viewer: Principal,
    lang: str,
    filters: Filters | None,
    generated: dt.datetime | None,
) -> list[tuple[str, str]]:
    described = describe_filters(dataset, table.layer, filters, lang) if filters else []
    if table.left_out:
        personal = text("personal_left_out", lang).format("、".join(table.left_out))
    elif any(f.personal for f in table.fields):
        personal = text("personal_kept", lang)
    else:
        personal = text("none", lang)
    rows = [
        (text("title", lang), table.title),
        (text("filters", lang), "；".join(described) or text("whole_district", lang)),
        (text("count", lang), f"{len(table):,}"),
        (text("exported_at", lang), _when(generated)),
        (text("exported_by", lang), viewer.name),
        (text("personal", lang), personal),
        (text("boundaries", lang), boundary_note(dataset, lang)),
    ]
    if dataset.is_demo:
        rows.append((text("data", lang), dataset.meta.get("demo_notice", t("demo_data", lang))))
    return rows


def boundary_note(dataset: Dataset, lang: str) -> str:
    """ "示意，非法定界线" with where the outline comes from, said once."""
    note = SCHEMATIC_NOTE_ZH if lang == "zh" else SCHEMATIC_NOTE_EN
    source = dataset.meta.get("outline_source", "").strip()
    for known in (SCHEMATIC_NOTE_ZH, SCHEMATIC_NOTE_EN):
        source = source.replace(f"; {known}", "").replace(known, "").strip(" ;；·")
    return note + (f" · {source}" if source else "")


def _when(generated: dt.datetime | None) -> str:
    moment = generated or pd.Timestamp.now(tz="Asia/Shanghai").to_pydatetime()
    return moment.strftime("%Y-%m-%d %H:%M")


def describe_filters(dataset: Dataset, layer: str, filters: Filters, lang: str = "zh") -> list[str]:
    """The filters as people read them: ``["街道：渭阳西路街道", "状态：已发现、已派单", …]``."""
    out = []
    street_names = dataset.names_by_id("streets", "name" if lang == "zh" else "name_en")
    for key, chosen, names in (
        ("street_filter", filters.street, street_names),
        ("community_filter", filters.community, dataset.names_by_id("communities")),
        ("grid_filter", filters.grid, dataset.names_by_id("grids")),
    ):
        if chosen:
            out.append(f"{t(key, lang)}{'：' if lang == 'zh' else ': '}{names.get(chosen, chosen)}")
    schema = schema_layer(layer)
    for name, values in filters.fields.items():
        labels = {o["value"]: o["label"] for o in filter_choices(layer, name, lang)}
        joined = ("、" if lang == "zh" else ", ").join(labels.get(v, v) for v in values)
        out.append(f"{schema.field(name).label(lang)}{'：' if lang == 'zh' else ': '}{joined}")
    if filters.start or filters.end:
        date_field = TABLES[layer].date_field if layer in TABLES else None
        label = schema.field(date_field).label(lang) if date_field else ""
        out.append(
            text("dates", lang).format(
                label,
                filters.start.isoformat() if filters.start else "…",
                filters.end.isoformat() if filters.end else "…",
            )
        )
    if filters.bbox:
        out.append(text("in_view", lang))
    return out


# -- the map as one offline HTML page -------------------------------------------------------

_FEATURE_JS = """
function (feature, layer) {
    var p = feature.properties, colors = %(colors)s, labels = %(labels)s;
    var color = colors[p.k] || %(default)s;
    if (layer.setStyle) {
        layer.setStyle(%(point)s ? {fillColor: color} : {fillColor: color, color: color});
    }
    // Built as DOM text, never as HTML: a name like <img onerror=…> shows as itself.
    layer.bindPopup(function () {
        var box = document.createElement("div");
        box.className = "rm-x-popup";
        var head = document.createElement("h4");
        head.textContent = p.t;
        box.appendChild(head);
        var rows = document.createElement("table");
        labels.forEach(function (label, i) {
            var value = p.v[i];
            if (value === null || value === undefined || value === "") { return; }
            var row = rows.insertRow();
            var th = document.createElement("th");
            th.textContent = label;
            row.appendChild(th);
            row.insertCell().textContent = String(value);
        });
        box.appendChild(rows);
        return box;
    }, {maxWidth: 340});
}
"""

_PAGE_CSS = """
html, body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
.leaflet-container { background: #f6f3ee; }
.rm-x-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%); z-index: 1000;
  background: rgba(255,255,255,.94); border-top: 4px solid #c8102e; padding: 6px 16px 8px;
  box-shadow: 0 1px 6px rgba(0,0,0,.25); max-width: 70%; text-align: center; }
.rm-x-title h1 { font-size: 18px; margin: 0 0 2px; color: #8c1c13; }
.rm-x-title p { font-size: 12px; margin: 0; color: #444; }
.rm-x-legend { position: absolute; bottom: 24px; right: 10px; z-index: 1000;
  background: rgba(255,255,255,.94);
  padding: 8px 12px; box-shadow: 0 1px 6px rgba(0,0,0,.25); font-size: 12px; max-width: 300px; }
.rm-x-legend h2 { font-size: 13px; margin: 0 0 4px; }
.rm-x-legend ul { list-style: none; margin: 0; padding: 0; }
.rm-x-legend li { margin: 2px 0; display: flex; align-items: center; gap: 6px; }
.rm-x-legend .n { margin-left: auto; padding-left: 10px; color: #555; }
.rm-x-dot { width: 11px; height: 11px; border-radius: 50%; border: 1px solid #fff;
  box-shadow: 0 0 0 1px #999; }
.rm-x-box { width: 14px; height: 10px; border: 1px solid #999; }
.rm-x-line { width: 16px; height: 0; border-top: 2px dashed #b03a2e; }
.rm-x-legend .note { margin-top: 6px; color: #666; font-size: 11px; }
.rm-x-popup h4 { margin: 0 0 4px; font-size: 14px; }
.rm-x-popup th { text-align: left; padding: 1px 8px 1px 0; color: #666; font-weight: normal;
  white-space: nowrap; }
.rm-x-popup td { padding: 1px 0; }
"""

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'"
)
"""The page may run only its own inline code and load nothing: set as a meta tag, it
holds wherever the file is opened."""


@dataclass(frozen=True)
class _Category:
    label: str
    color: str
    count: int


def to_map_html(
    dataset: Dataset,
    spec: TableSpec,
    frame: pd.DataFrame,
    viewer: Principal,
    lang: str = "zh",
    *,
    filters: Filters | None = None,
    generated: dt.datetime | None = None,
) -> bytes:
    """The current map as a standalone HTML page (Folium) that works offline.

    Draws the district, the river and the street boundaries for context, the chosen
    place outlined, then the filtered features of the table's layer (points coloured
    by the table's chart field and clustered, polygons filled), with a title and a
    legend. A table without positions (mediation cases, home services) is drawn as
    records per community, counts below :data:`MIN_GROUP` of home services suppressed.
    No tile layer, nothing fetched: Leaflet and markercluster are inline
    (:mod:`dashboard.vendor`), and a Content-Security-Policy forbids any request.
    """
    del viewer  # the map shows no personal field to anyone (layer specs forbid it)
    filters = filters or Filters()
    schema = schema_layer(spec.layer)
    names = _names(dataset, lang)
    # No tiles: the map's own zoom limits (markercluster needs a maxZoom to exist).
    the_map = folium.Map(location=None, tiles=None, control_scale=True, minZoom=9, maxZoom=19)
    _context_layers(dataset, filters, lang).add_to(the_map)
    if has_positions(spec) and isinstance(frame, gpd.GeoDataFrame):
        categories, drawn = _draw_features(the_map, spec, frame, lang, names)
        legend_title = schema.field(spec.chart_field).label(lang)
        legend_rows = [(c.label, c.color, f"{c.count:,}", "dot") for c in categories]
        extra_note = ""
    else:
        legend_rows, drawn, extra_note = _draw_counts(the_map, dataset, spec, frame, lang)
        legend_title = text("per_community", lang)
    bounds = _bounds(dataset, filters, drawn)
    the_map.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])

    title = schema.label(lang)
    described = describe_filters(dataset, spec.layer, filters, lang)
    subtitle = " · ".join(
        [
            "；".join(described) or text("whole_district", lang),
            text("rows", lang).format(len(frame)),
            text("generated", lang).format(_when(generated)),
        ]
        + ([t("demo_data", lang)] if dataset.is_demo else [])
    )
    notes = [boundary_note(dataset, lang)]
    if extra_note:
        notes.insert(0, extra_note)
    if dataset.is_demo:
        notes.append(t("demo_data", lang))
    outline_rows = [(text("street_line", lang), "#b03a2e", "", "line")]
    if filters.street or filters.community or filters.grid:
        outline_rows.append((text("chosen_area", lang), "#c8102e", "", "area"))
    outline_rows.append((text("district_line", lang), "#efe8da", "", "box"))
    root = the_map.get_root()
    root.header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"), name="rm_title")
    root.header.add_child(folium.Element(f"<style>{_PAGE_CSS}</style>"), name="rm_css")
    root.html.add_child(
        folium.Element(
            '<div class="rm-x-title" id="rm-x-title">'
            f"<h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></div>"
        )
    )
    root.html.add_child(folium.Element(_legend_html(legend_title, legend_rows + outline_rows, notes, lang)))
    vendor.localize(the_map)
    page = root.render()
    page = page.replace("<html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)
    page = page.replace("<head>", f'<head>\n<meta http-equiv="Content-Security-Policy" content="{_CSP}">', 1)
    return vendor.inline(_unescape_unicode(page)).encode("utf-8")


_JSON_ESCAPE = re.compile(r"(\\\\)|\\u([0-9a-fA-F]{4})")


def _unescape_unicode(page: str) -> str:
    """Folium's JSON spells every Chinese character as ``\\uXXXX`` (6 bytes, not 3).

    Written as itself it means the same inside a JavaScript string; ASCII escapes
    (``\\u003c`` for ``<``, which keeps ``</script>`` out) and line separators stay.
    Runs before the vendored libraries are inlined, whose own escapes are left alone.
    """

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1)  # an escaped backslash: what follows is text
        code = int(match.group(2), 16)
        if code < 0x80 or 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029):
            return match.group(0)
        return chr(code)

    return _JSON_ESCAPE.sub(one, page)


def _context_layers(dataset: Dataset, filters: Filters, lang: str) -> folium.FeatureGroup:
    """District, river and street boundaries (with the street's name on hover), and
    the chosen place outlined."""
    group = folium.FeatureGroup(name="context", control=False)
    district = REGISTRY["district"]
    _outline(dataset["district"], {"color": district.color, "weight": 2.5, "fillColor": district.fill,
                                   "fillOpacity": 1.0}).add_to(group)  # fmt: skip
    if "water" in dataset.frames and len(dataset["water"]):
        _outline(dataset["water"], {"color": "#7fb3d5", "weight": 1, "fillColor": "#a9cce3",
                                    "fillOpacity": 0.9}).add_to(group)  # fmt: skip
    streets = dataset["streets"]
    label = "name" if lang == "zh" else "name_en"
    _outline(
        streets,
        {"color": "#b03a2e", "weight": 1.5, "dashArray": "6 4", "fillOpacity": 0},
        tooltip=[html.escape(str(n)) for n in streets[label]],
    ).add_to(group)
    for layer, chosen in (
        ("grids", filters.grid),
        ("communities", filters.community),
        ("streets", filters.street),
    ):
        if chosen:
            frame = dataset[layer]
            _outline(
                frame[frame["id"] == chosen], {"color": "#c8102e", "weight": 3.5, "fillOpacity": 0}
            ).add_to(group)
            break
    return group


def _outline(
    frame: gpd.GeoDataFrame, style: dict[str, Any], tooltip: list[str] | None = None
) -> folium.GeoJson:
    """Areas with one style; a tooltip (already escaped: Folium writes it as HTML) when given."""
    geometries = shapely.set_precision(frame.geometry.values, 1e-5)
    features = [
        {
            "type": "Feature",
            "id": str(i),
            "properties": {"id": str(i), **({"label": tooltip[i]} if tooltip else {})},
            "geometry": shapely.geometry.mapping(g),
        }
        for i, g in enumerate(geometries)
        if g is not None and not g.is_empty
    ]
    options: dict[str, Any] = {"interactive": tooltip is not None}
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda _feature, style=style: style,
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False) if tooltip else None,
        control=False,
        **options,
    )


def _categories(spec: TableSpec, frame: pd.DataFrame, lang: str) -> tuple[list[_Category], pd.Series]:
    """Colour classes by the table's chart field, and each row's class (-1: none)."""
    f = schema_layer(spec.layer).field(spec.chart_field)
    if not f.choices or f.type == "codes":
        layer_color = REGISTRY[spec.map_layer].color if spec.map_layer else PALETTE[0]
        return [_Category(schema_layer(spec.layer).label(lang), layer_color, len(frame))], pd.Series(
            0, index=frame.index
        )
    values = [c.value for c in f.choices]
    colors = (
        [STAGE_COLORS.get(v, PALETTE[i % len(PALETTE)]) for i, v in enumerate(values)]
        if spec.layer == "three_no_compounds"
        else [PALETTE[i % len(PALETTE)] for i in range(len(values))]
    )
    index = {v: i for i, v in enumerate(values)}
    which = frame[spec.chart_field].map(lambda v: index.get(str(v), -1))
    counts = which.value_counts()
    categories = [
        _Category(c.zh if lang == "zh" else c.en, colors[i], int(counts.get(i, 0)))
        for i, c in enumerate(f.choices)
    ]
    return categories, which


def _draw_features(
    the_map: folium.Map,
    spec: TableSpec,
    frame: gpd.GeoDataFrame,
    lang: str,
    names: Mapping[str, Mapping[str, str]],
) -> tuple[list[_Category], gpd.GeoSeries]:
    """The table's features: points clustered, areas filled; popups of the layer's fields."""
    layer_spec = REGISTRY[spec.map_layer or spec.layer]
    popup_fields = layer_spec.fields_for("staff", layer_spec.popup_fields)
    labels = [schema_layer(spec.layer).id_field.label(lang), *(f.label(lang) for f in popup_fields)]
    title_field = layer_spec.fields_for("staff", [layer_spec.label_field] if layer_spec.label_field else [])
    categories, which = _categories(spec, frame, lang)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    rounded = shapely.set_precision(frame.geometry.values, 10**-COORD_DECIMALS)
    points: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = []
    for (index, record), geometry in zip(frame.iterrows(), rounded, strict=True):
        title = (
            _popup_value(title_field[0], record.get(title_field[0].name), lang, names) if title_field else ""
        )
        feature = {
            "type": "Feature",
            "id": str(record["id"]),
            "properties": {
                "k": int(which.get(index, -1)),
                "t": title or str(record["id"]),
                "v": [
                    str(record["id"]),
                    *(_popup_value(f, record.get(f.name), lang, names) for f in popup_fields),
                ],
            },
            "geometry": shapely.geometry.mapping(geometry),
        }
        (points if geometry.geom_type == "Point" else areas).append(feature)
    script = _feature_script([c.color for c in categories], labels, layer_spec.color)
    if points:
        cluster = MarkerCluster(
            control=False,
            options={"maxClusterRadius": 50, "disableClusteringAtZoom": 16, "showCoverageOnHover": False},
        )
        folium.GeoJson(
            {"type": "FeatureCollection", "features": points},
            marker=folium.CircleMarker(
                radius=max(layer_spec.radius, 5),
                weight=1,
                color="#ffffff",
                fill=True,
                fill_color=layer_spec.color,
                fill_opacity=0.9,
                className="rm-x-feature",
            ),
            on_each_feature=JsCode(script % {"point": "true"}),
            control=False,
        ).add_to(cluster)
        cluster.add_to(the_map)
    if areas:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": areas},
            style_function=lambda _f: {"weight": 1.5, "fillOpacity": 0.6, "className": "rm-x-feature"},
            on_each_feature=JsCode(script % {"point": "false"}),
            control=False,
        ).add_to(the_map)
    return categories, frame.geometry


def _popup_value(f: Field, value: Any, lang: str, names: Mapping[str, Mapping[str, str]]) -> str:
    if not _missing(value) and f.references in names and str(value) in names[f.references]:
        return names[f.references][str(value)]
    shown = display_value(f, None if _missing(value) else value, lang)
    return "" if shown == "—" else shown


def _feature_script(colors: list[str], labels: list[str], default: str) -> str:
    """The popup and colour function, with its data as script-safe JSON; ``%(point)s`` left open."""
    return _FEATURE_JS % {
        "colors": _script_json(colors),
        "labels": _script_json(labels),
        "default": _script_json(default),
        "point": "%(point)s",
    }


def _script_json(value: Any) -> str:
    """JSON that cannot end the ``<script>`` it sits in."""
    text_ = json.dumps(value, ensure_ascii=False)
    return text_.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("%", "%%")


def _draw_counts(
    the_map: folium.Map, dataset: Dataset, spec: TableSpec, frame: pd.DataFrame, lang: str
) -> tuple[list[tuple[str, str, str, str]], gpd.GeoSeries, str]:
    """Records per community, for tables without positions; small counts of people suppressed."""
    communities = dataset["communities"]
    counts = (
        frame["community_id"].dropna().astype(str).value_counts() if "community_id" in frame else pd.Series()
    )
    unplaced = len(frame) - int(counts.sum())
    shown = communities[communities["id"].astype(str).isin(counts.index)]
    protect = spec.layer == "home_services"  # people, not cases: a count of 1–4 is nearly a person
    values = np.array([int(counts[str(i)]) for i in shown["id"]], dtype=int)
    visible = values[values >= MIN_GROUP] if protect else values
    breaks = _breaks(visible)
    features, rows = [], []
    label = text("records", lang)
    for (_, record), n in zip(shown.iterrows(), values, strict=True):
        suppressed = protect and n < MIN_GROUP
        k = -1 if suppressed else int(np.searchsorted(breaks, n, side="left"))
        features.append(
            {
                "type": "Feature",
                "id": str(record["id"]),
                "properties": {
                    "k": k,
                    "t": str(record["name"]),
                    "v": [text("suppressed", lang).format(MIN_GROUP) if suppressed else f"{n:,}"],
                },
                "geometry": shapely.geometry.mapping(shapely.set_precision(record.geometry, 1e-5)),
            }
        )
    colors = list(COUNT_COLORS[-len(breaks) :]) if len(breaks) else []
    lower = 1 if not protect else MIN_GROUP
    for i, upper in enumerate(breaks):
        span = f"{lower:,}" if lower == upper else f"{lower:,}–{int(upper):,}"
        rows.append((span, colors[i], "", "box"))
        lower = int(upper) + 1
    if protect and (values < MIN_GROUP).any():
        rows.append((text("suppressed", lang).format(MIN_GROUP), SUPPRESSED_COLOR, "", "box"))
    if features:
        script = _feature_script(colors, [label], SUPPRESSED_COLOR) % {"point": "false"}
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda _f: {"weight": 1, "fillOpacity": 0.75, "className": "rm-x-feature"},
            on_each_feature=JsCode(script),
            control=False,
        ).add_to(the_map)
    note = text("no_position", lang)
    if unplaced:
        note += "；" if lang == "zh" else "; "
        note += text("no_community", lang).format(unplaced)
    return rows, shown.geometry, note


def _breaks(values: np.ndarray) -> list[int]:
    """Upper limits of at most five classes (quantiles of the distinct counts)."""
    if not len(values):
        return []
    distinct = np.unique(values)
    if len(distinct) <= len(COUNT_COLORS):
        return [int(v) for v in distinct]
    quantiles = np.quantile(distinct, np.linspace(0, 1, len(COUNT_COLORS) + 1)[1:], method="higher")
    return sorted({int(v) for v in quantiles})


def _bounds(dataset: Dataset, filters: Filters, drawn: gpd.GeoSeries) -> tuple[float, float, float, float]:
    """What the map opens on: the chosen place, else what is drawn, else the district."""
    for layer, chosen in (
        ("grids", filters.grid),
        ("communities", filters.community),
        ("streets", filters.street),
    ):
        if chosen:
            frame = dataset[layer]
            shape = frame[frame["id"] == chosen]
            if len(shape):
                return tuple(float(v) for v in shape.total_bounds)  # type: ignore[return-value]
    drawn = drawn[drawn.notna()] if len(drawn) else drawn
    if len(drawn):
        west, south, east, north = (float(v) for v in drawn.total_bounds)
        if east - west > 1e-4 or north - south > 1e-4:
            return west, south, east, north
        pad = 0.005  # one point: a street's worth around it
        return west - pad, south - pad, east + pad, north + pad
    return tuple(float(v) for v in dataset["district"].total_bounds)  # type: ignore[return-value]


def _legend_html(title: str, rows: list[tuple[str, str, str, str]], notes: list[str], lang: str) -> str:
    items = []
    for label, color, count, kind in rows:
        if kind == "line":
            swatch = '<span class="rm-x-line"></span>'
        elif kind == "area":
            swatch = f'<span class="rm-x-box" style="border:2px solid {color};background:none"></span>'
        else:
            cls = "rm-x-dot" if kind == "dot" else "rm-x-box"
            swatch = f'<span class="{cls}" style="background:{html.escape(color)}"></span>'
        number = f'<span class="n">{html.escape(count)}</span>' if count else ""
        items.append(f"<li>{swatch}<span>{html.escape(label)}</span>{number}</li>")
    notes_html = "".join(f'<div class="note">{html.escape(n)}</div>' for n in notes)
    return (
        f'<div class="rm-x-legend" id="rm-x-legend"><h2>{html.escape(text("legend", lang))} · '
        f"{html.escape(title)}</h2><ul>{''.join(items)}</ul>{notes_html}</div>"
    )


# -- one entry point -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """How one format is made and sent."""

    extension: str
    mimetype: str
    build: Callable[..., bytes]
    takes_context: bool = False
    """Whether ``build`` also takes ``filters`` and ``generated`` (title, about sheet)."""


FORMATS: Mapping[str, ExportFormat] = {
    "geojson": ExportFormat("geojson", "application/geo+json", to_geojson),
    "gpkg": ExportFormat("gpkg", "application/geopackage+sqlite3", to_gpkg),
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", to_csv),
    "xlsx": ExportFormat(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx, True
    ),
    "html": ExportFormat("html", "text/html; charset=utf-8", to_map_html, True),
}
"""The formats of ``/staff/export/<fmt>``, by name."""


def export(
    fmt: str,
    dataset: Dataset,
    spec: TableSpec,
    frame: pd.DataFrame,
    viewer: Principal,
    lang: str = "zh",
    *,
    filters: Filters | None = None,
    generated: dt.datetime | None = None,
) -> bytes:
    """The bytes of one export in format ``fmt`` (a key of :data:`FORMATS`)."""
    made = FORMATS[fmt]
    if made.takes_context:
        return made.build(dataset, spec, frame, viewer, lang, filters=filters, generated=generated)
    return made.build(dataset, spec, frame, viewer, lang)
