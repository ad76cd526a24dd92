"""Check a Red Map GeoPackage against the schema and load it once, validated.

Every check reads :data:`geodata.schema.SCHEMA`; nothing here names a layer or a
field. The validator reports *every* problem it finds (not just the first), each
as a :class:`Problem` that says where it is (file, layer, feature id or row,
field) and what is wrong in plain words::

    demo.gpkg: layer service_centers, feature SC007, field services: unknown code 'wifi' (allowed: ...)

What is checked
---------------
* the file: exists, is a regular file, is a GeoPackage (an SQLite file with the
  GeoPackage application id; anything else is refused before GDAL opens it);
* layers: every schema layer present (extra layers are a warning);
* columns: every schema field present (extra columns are a warning);
* values: type (text, whole number, number, true/false, date, date-time), required
  values not empty, values among the allowed choices (each ``;``-part of a
  ``codes`` field), numbers within their minimum/maximum, unique ids, references
  to an id that exists in the target layer;
* geometry: present, not empty, valid (with GEOS's reason), of an allowed kind
  (Multi- forms accepted), CRS present and convertible to EPSG:4326, coordinates
  in longitude/latitude range, features inside the file's own district outline
  (buffered by 50 m in EPSG:4545 to tolerate coordinate rounding); the district
  layer holds exactly one feature.

A layer in another known CRS (e.g. EPSG:3857) is not an error: it is reprojected
to EPSG:4326 by :func:`load_validated`, with a warning.
"""

from __future__ import annotations

import os

# GDAL would open a file that merely claims to be something else but is a VRT and
# read arbitrary local files through it (BRIEF §6). The drivers are skipped only if
# this is set before GDAL registers them, i.e. before pyogrio is first imported.
os.environ.setdefault("GDAL_SKIP", "OGR_VRT VRT")

import datetime as dt
import functools
import logging
import math
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geodata import gpkg
from geodata.schema import (
    MEASURE_CRS,
    META_TABLE,
    SCHEMA,
    STORAGE_CRS,
    Field,
    Layer,
    split_codes,
)

__all__ = [
    "DISTRICT_TOLERANCE_M",
    "DataError",
    "Problem",
    "format_problems",
    "load_validated",
    "validate_frames",
    "validate_path",
]

log = logging.getLogger(__name__)

Frame = gpd.GeoDataFrame | pd.DataFrame
Severity = Literal["error", "warning"]

DISTRICT_LAYER = "district"
DISTRICT_TOLERANCE_M = 50.0
"""How far (metres, in EPSG:4545) a feature may stray outside the district outline
before it is reported; absorbs coordinate rounding and a coarse outline."""

LOCAL_TIMEZONE = "Asia/Shanghai"

_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")
_TRUE = frozenset({"true", "1", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "f", "n"})
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
_KIND_IDS = {"Point": (0, 4), "LineString": (1, 5), "Polygon": (3, 6)}
_MAX_LISTED = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data file.

    Parameters
    ----------
    source : str
        The file (or the name given to :func:`validate_frames`).
    layer : str or None
        Layer name; None for a problem with the whole file.
    row : str or None
        The feature's id when it has a unique one, else its 0-based position as
        ``"row 17"``; None for a layer- or column-level problem.
    field : str or None
        Column name; None when the problem is not about one field.
    message : str
        Plain English: the bad value and what was expected.
    severity : {"error", "warning"}
        Errors make the file unusable; warnings are informational.
    """

    source: str
    layer: str | None
    row: str | None
    field: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = []
        if self.layer is not None:
            where.append(f"layer {self.layer}")
        if self.row is not None:
            if self.row.startswith("row "):
                where.append(self.row)
            else:
                spatial = self.layer not in SCHEMA or SCHEMA[self.layer].has_geometry
                where.append(f"{'feature' if spatial else 'record'} {self.row}")
        if self.field is not None:
            where.append(f"field {self.field}")
        location = ", ".join(where)
        return f"{self.source}: {location}: {self.message}" if location else f"{self.source}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def format_problems(problems: list[Problem]) -> str:
    """All problems, one per line, errors first, each prefixed by its severity."""
    ordered = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    return "\n".join(f"{p.severity}: {p}" for p in ordered)


class DataError(ValueError):
    """A data file has errors; ``problems`` holds every problem found (errors and warnings)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        errors = sum(p.is_error for p in self.problems)
        warnings = len(self.problems) - errors
        super().__init__(
            f"{errors} error(s) and {warnings} warning(s) in the data:\n{format_problems(self.problems)}"
        )

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


# --- public entry points -------------------------------------------------------------


def validate_frames(frames: Mapping[str, Frame], source: str = "<frames>") -> list[Problem]:
    """Check in-memory layers against the schema (pure; no I/O).

    Parameters
    ----------
    frames
        Layer name to GeoDataFrame (spatial layers) or DataFrame (record tables),
        as stored (before reprojection).
    source
        Name used as the ``source`` of every problem.

    Returns
    -------
    list of Problem
        Every problem found; empty when the data is valid.
    """
    problems, _ = _Checker(source).run(frames)
    return problems


def validate_path(path: str | os.PathLike[str]) -> list[Problem]:
    """Read a GeoPackage and check it against the schema.

    A file that does not exist, is not a regular file, is not a GeoPackage or
    cannot be read gives one problem, never an exception.

    Parameters
    ----------
    path
        The GeoPackage.

    Returns
    -------
    list of Problem
        Every problem found; empty when the file is valid.
    """
    problems, _ = _read_and_check(path)
    return problems


def load_validated(path: str | os.PathLike[str]) -> dict[str, Frame]:
    """Read, validate and normalise every schema layer of a GeoPackage.

    Spatial layers stored in another CRS are reprojected to EPSG:4326 (with a
    warning in the log). Columns are normalised to one type per schema type:
    ``int`` → int64, ``float`` → float64, ``bool`` → bool, ``date`` → datetime64
    at midnight, ``datetime`` → naive datetime64 in Asia/Shanghai time, ``str`` and
    ``codes`` as stored; empty optional values are NaN/NaT/None.

    Parameters
    ----------
    path
        The GeoPackage.

    Returns
    -------
    dict
        Layer name to frame, in schema order.

    Raises
    ------
    DataError
        When there is any error; its message lists every problem.
    """
    problems, frames = _read_and_check(path)
    if any(p.is_error for p in problems):
        raise DataError(problems)
    for p in problems:
        log.warning("%s", p)
    return {name: frames[name] for name in SCHEMA}


# --- reading -------------------------------------------------------------------------


def _file_problem(path: Path, source: str) -> Problem | None:
    """Refuse anything that is not a regular file holding a GeoPackage, before GDAL sees it."""

    def problem(message: str) -> Problem:
        return Problem(source, None, None, None, message)

    try:
        st = path.stat()
    except FileNotFoundError:
        return problem("the file does not exist")
    except OSError as exc:
        return problem(f"the file cannot be read ({exc.strerror or exc})")
    if not stat.S_ISREG(st.st_mode):
        return problem("not a regular file; give the path of a GeoPackage (.gpkg) file")
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        return problem(f"the file cannot be read ({exc.strerror or exc})")
    if not header.startswith(_SQLITE_MAGIC):
        return problem(
            "not a GeoPackage (it is not an SQLite database); export the data as a GeoPackage (.gpkg)"
        )
    if len(header) < 72 or header[68:72] not in _GPKG_APPLICATION_IDS:
        return problem(
            "an SQLite database but not a GeoPackage (no GeoPackage application id); "
            "export the data as a GeoPackage (.gpkg)"
        )
    return None


def _read_and_check(path: str | os.PathLike[str]) -> tuple[list[Problem], dict[str, Frame]]:
    source = os.fspath(path)
    file_path = Path(source)
    refused = _file_problem(file_path, source)
    if refused is not None:
        return [refused], {}
    resolved = str(file_path.resolve())
    try:
        stored = gpkg.list_layers(resolved)
    except Exception as exc:  # GDAL raises many kinds; the user needs one line, not a traceback
        return [Problem(source, None, None, None, f"cannot be read as a GeoPackage: {_short(exc)}")], {}

    problems: list[Problem] = []
    frames: dict[str, Frame] = {}
    unreadable: set[str] = set()
    for name in SCHEMA:
        if name not in stored:
            continue
        try:
            frames[name] = gpkg.read_frame(resolved, name)
        except Exception as exc:
            unreadable.add(name)
            problems.append(Problem(source, name, None, None, f"the layer cannot be read: {_short(exc)}"))
    for name in stored:
        if name not in SCHEMA and name != META_TABLE:
            problems.append(
                Problem(source, name, None, None, "not a layer of the schema; it is ignored", "warning")
            )
    if META_TABLE not in stored:
        problems.append(
            Problem(
                source, None, None, None,
                f"no {META_TABLE} table: the file records no provenance (source, date, generator)",
                "warning",
            )
        )
    checked, normalised = _Checker(source, skip=unreadable).run(frames)
    return problems + checked, normalised


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


# --- checking ------------------------------------------------------------------------


def _row_labels(frame: Frame, layer: Layer) -> np.ndarray:
    """Each row's label: its id when unique and non-empty, else ``row N`` (0-based)."""
    n = len(frame)
    labels = np.array([f"row {i}" for i in range(n)], dtype=object)
    id_name = layer.id_field.name
    if id_name not in frame.columns or n == 0:
        return labels
    ids = frame[id_name]
    empty = _empty_mask(ids)
    texts = _as_text(ids).reset_index(drop=True)
    as_text = texts.to_numpy(dtype=object)
    unique = ~empty & ~texts.duplicated(keep=False).to_numpy()
    labels[unique] = as_text[unique]
    return labels


def _is_text_dtype(series: pd.Series) -> bool:
    """A pandas string dtype (every non-missing value is a str), as opposed to object."""
    return series.dtype != object and pd.api.types.is_string_dtype(series.dtype)


def _empty_mask(series: pd.Series) -> np.ndarray:
    """True where a value is missing or blank text."""
    empty = series.isna().to_numpy(copy=True)
    if _is_text_dtype(series):
        empty |= series.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    elif series.dtype == object:
        empty |= series.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    return empty


def _as_text(series: pd.Series) -> pd.Series:
    """Values as str (missing stay missing), for comparing ids and references."""
    if _is_text_dtype(series):
        return series
    return series.astype(object).map(lambda v: v if v is None or pd.isna(v) else str(v))


def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, (np.integer,)):
        return str(int(value))
    if isinstance(value, np.str_):
        return repr(str(value))
    return repr(value)


def _allowed(field: Field) -> str:
    return ", ".join(c.value if c.zh == c.value else f"{c.value} ({c.zh})" for c in field.choices)


def _kind_text(kinds: tuple[str, ...]) -> str:
    return " or ".join(f"{k} (or Multi{k})" for k in kinds)


class _Checker:
    """One validation run: collects problems and normalised frames."""

    def __init__(self, source: str, skip: set[str] | None = None) -> None:
        self.source = source
        self.skip = skip or set()
        self.problems: list[Problem] = []
        self.labels: dict[str, np.ndarray] = {}
        self.geometry_ok: dict[str, np.ndarray] = {}  # rows fit for the district check
        self.crs_ok: dict[str, bool] = {}

    def add(
        self,
        layer: str | None,
        row: str | None,
        field: str | None,
        message: str,
        severity: Severity = "error",
    ) -> None:
        self.problems.append(Problem(self.source, layer, row, field, message, severity))

    def run(self, frames: Mapping[str, Frame]) -> tuple[list[Problem], dict[str, Frame]]:
        out: dict[str, Frame] = {}
        for name, layer in SCHEMA.items():
            if name in self.skip:
                continue
            if name not in frames:
                self.add(name, None, None, f"the layer is missing (expected {layer.en} / {layer.zh})")
                continue
            out[name] = self._check_layer(layer, frames[name])
        for name in frames:
            if name not in SCHEMA and name != META_TABLE:
                self.add(name, None, None, "not a layer of the schema; it is ignored", "warning")
        self._check_references(out)
        self._check_within_district(out)
        return self.problems, out

    # --- one layer --------------------------------------------------------------------

    def _check_layer(self, layer: Layer, frame: Frame) -> Frame:
        frame = frame.copy()
        frame.index = pd.RangeIndex(len(frame))
        labels = _row_labels(frame, layer)
        self.labels[layer.name] = labels
        geometry_name = _geometry_name(frame)

        for f in layer.fields:
            if f.name not in frame.columns:
                self.add(layer.name, None, f.name, f"missing column {f.name!r} ({f.type}; {f.en} / {f.zh})")
        for column in frame.columns:
            if column != geometry_name and column not in layer:
                self.add(
                    layer.name, None, str(column),
                    f"unexpected column {column!r} (not in the schema; it is ignored)", "warning",
                )
        for f in layer.fields:
            if f.name in frame.columns:
                frame[f.name] = self._check_field(layer, f, frame[f.name], labels)
        self._check_duplicates(layer, frame)

        if layer.has_geometry:
            if geometry_name is None:
                self.add(
                    layer.name, None, None,
                    f"the layer has no geometry; expected {_kind_text(layer.geometry or ())} features",
                )
                self.crs_ok[layer.name] = False
                return frame
            frame = self._check_geometry(layer, frame, labels)
        elif geometry_name is not None:
            self.add(
                layer.name, None, None, "the table has a geometry column, which is ignored", "warning"
            )
            frame = pd.DataFrame(frame.drop(columns=[geometry_name]))
        if layer.name == DISTRICT_LAYER and len(frame) != 1:
            self.add(
                layer.name, None, None,
                f"the district layer must hold exactly one feature (the outline); it holds {len(frame)}",
            )
        return frame

    def _check_field(self, layer: Layer, f: Field, series: pd.Series, labels: np.ndarray) -> pd.Series:
        empty = _empty_mask(series)
        if f.required:
            for i in np.flatnonzero(empty):
                self.add(layer.name, labels[i], f.name, f"required value is empty ({f.en} / {f.zh})")
        present = ~empty
        if not present.any():
            return series
        converted, bad, expected = self._convert(layer, f, series, present)
        if bad is None:  # column-level problem already reported
            return series
        values = series.to_numpy(dtype=object)
        for i in np.flatnonzero(bad):
            self.add(layer.name, labels[i], f.name, f"{_fmt(values[i])} is not {expected}")
        good = present & ~bad

        if f.choices and f.type == "str":
            allowed = f.allowed_values
            outside = good & ~series.isin(allowed).to_numpy()
            for i in np.flatnonzero(outside):
                self.add(
                    layer.name, labels[i], f.name,
                    f"{_fmt(values[i])} is not an allowed value (allowed: {_allowed(f)})",
                )
        if f.type == "codes":
            allowed = f.allowed_values
            for i in np.flatnonzero(good):
                unknown = [c for c in split_codes(values[i]) if c not in allowed]
                if unknown:
                    codes = ", ".join(repr(c) for c in unknown)
                    self.add(
                        layer.name, labels[i], f.name,
                        f"unknown code{'s' if len(unknown) > 1 else ''} {codes} in {_fmt(values[i])} "
                        f"(allowed: {_allowed(f)})",
                    )
        if f.type in ("int", "float") and (f.minimum is not None or f.maximum is not None):
            numbers = pd.to_numeric(converted, errors="coerce").to_numpy(dtype=float)
            if f.minimum is not None:
                for i in np.flatnonzero(good & (numbers < f.minimum)):
                    self.add(
                        layer.name, labels[i], f.name,
                        f"{_fmt(numbers[i])} is below the minimum {_fmt(float(f.minimum))}",
                    )
            if f.maximum is not None:
                for i in np.flatnonzero(good & (numbers > f.maximum)):
                    self.add(
                        layer.name, labels[i], f.name,
                        f"{_fmt(numbers[i])} is above the maximum {_fmt(float(f.maximum))}",
                    )
        return converted

    def _column_problem(self, layer: Layer, f: Field, series: pd.Series, expected: str) -> None:
        self.add(
            layer.name, None, f.name,
            f"expected {expected}, but the column holds {series.dtype} values; store it as "
            f"a {'text' if f.type in ('str', 'codes') else f.type} column",
        )

    def _convert(
        self, layer: Layer, f: Field, series: pd.Series, present: np.ndarray
    ) -> tuple[pd.Series, np.ndarray | None, str]:
        """Normalised values, the rows whose value has the wrong type, and what was expected.

        Returns ``bad=None`` when the whole column has the wrong type (reported once).
        """
        dtype = series.dtype
        is_bool = pd.api.types.is_bool_dtype(dtype)
        is_numeric = pd.api.types.is_numeric_dtype(dtype) and not is_bool
        is_datetime = pd.api.types.is_datetime64_any_dtype(dtype)

        if f.type in ("str", "codes"):
            expected = "text"
            if is_bool or is_numeric or is_datetime:
                self._column_problem(layer, f, series, expected)
                return series, None, expected
            if _is_text_dtype(series):
                return series, np.zeros(len(series), dtype=bool), expected
            bad = present & ~series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            return series, bad, expected

        if f.type in ("int", "float"):
            expected = "a whole number" if f.type == "int" else "a number"
            if is_bool or is_datetime:
                self._column_problem(layer, f, series, expected)
                return series, None, expected
            if is_numeric:
                numbers = series.astype(float)
            else:
                numbers = pd.to_numeric(
                    series.map(lambda v: v.strip() if isinstance(v, str) else v)
                    .map(lambda v: None if isinstance(v, bool) else v),
                    errors="coerce",
                ).astype(float)
            arr = numbers.to_numpy(dtype=float)
            bad = present & ~np.isfinite(arr)
            if f.type == "int":
                with np.errstate(invalid="ignore"):
                    bad |= present & np.isfinite(arr) & (np.floor(arr) != arr)
            if f.type == "int" and not (bad | ~present).any():
                if pd.api.types.is_integer_dtype(dtype):
                    return series.astype("int64"), bad, expected
                return pd.Series(arr.astype("int64"), index=series.index, name=series.name), bad, expected
            return pd.Series(arr, index=series.index, name=series.name), bad, expected

        if f.type == "bool":
            expected = "true or false"
            if is_bool:
                return series, np.zeros(len(series), dtype=bool), expected
            if is_datetime:
                self._column_problem(layer, f, series, expected)
                return series, None, expected

            def as_bool(v: object) -> bool | None:
                if isinstance(v, (bool, np.bool_)):
                    return bool(v)
                if isinstance(v, (int, float, np.integer, np.floating)) and v in (0, 1):
                    return bool(v)
                if isinstance(v, str):
                    text = v.strip().lower()
                    return True if text in _TRUE else False if text in _FALSE else None
                return None

            parsed = series.map(as_bool).to_numpy(dtype=object)
            bad = present & np.array([p is None for p in parsed], dtype=bool)
            if not (bad | ~present).any():
                return pd.Series(parsed.astype(bool), index=series.index, name=series.name), bad, expected
            return series, bad, expected

        # date / datetime
        expected = "a date (YYYY-MM-DD)" if f.type == "date" else "a date and time (YYYY-MM-DD HH:MM:SS)"
        if is_bool or is_numeric:
            self._column_problem(layer, f, series, expected)
            return series, None, expected
        stamps = series if is_datetime else _parse_datetimes(series)
        bad = present & stamps.isna().to_numpy()
        stamps = _naive_local(stamps)
        if f.type == "date":
            stamps = stamps.dt.normalize()
        return stamps.rename(series.name), bad, expected

    def _check_duplicates(self, layer: Layer, frame: Frame) -> None:
        id_name = layer.id_field.name
        if id_name not in frame.columns or frame.empty:
            return
        ids = frame[id_name]
        texts = pd.Series(_as_text(ids).to_numpy(dtype=object))
        texts[_empty_mask(ids)] = None
        duplicated = texts.duplicated(keep=False) & texts.notna()
        if not duplicated.any():
            return
        for value, rows in texts[duplicated].groupby(texts[duplicated], sort=False).groups.items():
            positions = [int(r) for r in rows]
            listed = ", ".join(str(p) for p in positions[:-1]) + f" and {positions[-1]}"
            self.add(
                layer.name, f"row {positions[1]}", id_name,
                f"duplicate id {value!r}: rows {listed} share it; ids must be unique",
            )

    # --- geometry ---------------------------------------------------------------------

    def _check_geometry(self, layer: Layer, frame: gpd.GeoDataFrame, labels: np.ndarray) -> Frame:
        name = layer.name
        geoms = np.asarray(frame.geometry.array, dtype=object)
        missing = shapely.is_missing(geoms)
        empty = ~missing & shapely.is_empty(geoms)
        for i in np.flatnonzero(missing):
            self.add(name, labels[i], None, "geometry is missing")
        for i in np.flatnonzero(empty):
            self.add(name, labels[i], None, "geometry is empty")
        present = ~missing & ~empty

        type_ids = shapely.get_type_id(geoms)
        allowed_ids = [t for k in (layer.geometry or ()) for t in _KIND_IDS[k]]
        wrong_kind = present & ~np.isin(type_ids, allowed_ids)
        for i in np.flatnonzero(wrong_kind):
            self.add(
                name, labels[i], None,
                f"geometry is a {_TYPE_NAMES.get(int(type_ids[i]), 'geometry')}; "
                f"expected {_kind_text(layer.geometry or ())}",
            )
        fit = present & ~wrong_kind
        valid = np.ones(len(geoms), dtype=bool)
        if fit.any():
            valid[fit] = shapely.is_valid(geoms[fit])
        invalid = fit & ~valid
        if invalid.any():
            reasons = shapely.is_valid_reason(geoms[invalid])
            for i, reason in zip(np.flatnonzero(invalid), reasons, strict=True):
                self.add(name, labels[i], None, f"geometry is invalid: {reason}")
        ok = fit & valid

        frame, crs_ok = self._check_crs(layer, frame)
        self.crs_ok[name] = crs_ok
        if crs_ok and ok.any():
            ok = ok & self._check_lonlat(layer, frame, labels, ok)
        self.geometry_ok[name] = ok
        return frame

    def _check_crs(self, layer: Layer, frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, bool]:
        name = layer.name
        crs = frame.crs
        if crs is None:
            self.add(
                name, None, None,
                f"the layer has no CRS, so it cannot be reprojected to {STORAGE_CRS}; "
                f"store it in {STORAGE_CRS} (WGS 84 longitude/latitude)",
            )
            return frame, False
        storage = CRS.from_user_input(STORAGE_CRS)
        if crs.equals(storage, ignore_axis_order=True):
            return frame, True
        label = crs.to_string() if crs.to_epsg() is None else f"EPSG:{crs.to_epsg()}"
        try:
            reprojected = frame.to_crs(storage)
            coords = shapely.get_coordinates(np.asarray(reprojected.geometry.array, dtype=object))
            if getattr(crs, "is_engineering", False) or (len(coords) and not np.isfinite(coords).all()):
                raise ValueError("non-finite coordinates")
        except Exception:
            self.add(
                name, None, None,
                f"CRS {label} ({crs.name}) cannot be reprojected to {STORAGE_CRS}; "
                f"store the layer in {STORAGE_CRS}",
            )
            return frame, False
        self.add(
            name, None, None,
            f"the layer is stored in {label} ({crs.name}), not {STORAGE_CRS}; "
            f"it is reprojected to {STORAGE_CRS} when loaded",
            "warning",
        )
        return reprojected, True

    def _check_lonlat(
        self, layer: Layer, frame: gpd.GeoDataFrame, labels: np.ndarray, ok: np.ndarray
    ) -> np.ndarray:
        """Rows whose coordinates are plausible longitude/latitude (one problem per layer)."""
        bounds = shapely.bounds(np.asarray(frame.geometry.array, dtype=object))
        inside = (
            (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180) & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90)
        )
        outside = ok & ~inside
        if outside.any():
            rows = np.flatnonzero(outside)
            named = ", ".join(str(labels[i]) for i in rows[:_MAX_LISTED])
            more = f" and {len(rows) - _MAX_LISTED} more" if len(rows) > _MAX_LISTED else ""
            self.add(
                layer.name, None, None,
                f"{len(rows)} feature(s) have coordinates outside the longitude/latitude range "
                f"(e.g. {named}{more}); the layer's CRS is probably wrong "
                f"(it says {STORAGE_CRS} but holds projected coordinates?)",
            )
        return inside

    # --- across layers ----------------------------------------------------------------

    def _check_references(self, frames: Mapping[str, Frame]) -> None:
        for name, frame in frames.items():
            layer = SCHEMA[name]
            for f in layer.fields:
                if not f.references or f.name not in frame.columns:
                    continue
                target_name, _, target_field = f.references.partition(".")
                target = frames.get(target_name)
                if target is None or target_field not in target.columns:
                    continue  # the missing layer/column is already reported
                target_ids = set(
                    _as_text(target[target_field])[~_empty_mask(target[target_field])]
                )
                series = frame[f.name]
                present = ~_empty_mask(series)
                values = _as_text(series)
                dangling = present & ~values.isin(target_ids).to_numpy()
                labels = self.labels[name]
                for i in np.flatnonzero(dangling):
                    self.add(
                        name, labels[i], f.name,
                        f"{values.iloc[i]!r} does not match any id in layer {target_name} "
                        f"({target_name}.{target_field})",
                    )

    def _district_outline(self, frames: Mapping[str, Frame]) -> shapely.Geometry | None:
        """The district outline buffered by the tolerance, in EPSG:4326; None when unusable."""
        frame = frames.get(DISTRICT_LAYER)
        ok = self.geometry_ok.get(DISTRICT_LAYER)
        if frame is None or ok is None or len(frame) != 1 or not ok.all() or not self.crs_ok[DISTRICT_LAYER]:
            return None
        outline = frame.geometry.iloc[0]
        to_metres = _transformer(STORAGE_CRS, MEASURE_CRS)
        to_degrees = _transformer(MEASURE_CRS, STORAGE_CRS)
        metric = _project(outline, to_metres)
        buffered = _project(shapely.buffer(metric, DISTRICT_TOLERANCE_M), to_degrees)
        self._outline_metric = metric
        self._to_metres = to_metres
        return buffered

    def _check_within_district(self, frames: Mapping[str, Frame]) -> None:
        outline = self._district_outline(frames)
        if outline is None:
            return
        shapely.prepare(outline)
        for name, frame in frames.items():
            layer = SCHEMA[name]
            if not (layer.has_geometry and layer.within_district) or not self.crs_ok.get(name):
                continue
            ok = self.geometry_ok[name]
            if not ok.any():
                continue
            rows = np.flatnonzero(ok)
            geoms = np.asarray(frame.geometry.array, dtype=object)[rows]
            type_ids = shapely.get_type_id(geoms)
            inside = np.empty(len(rows), dtype=bool)
            points = type_ids == 0
            if points.any():
                inside[points] = shapely.contains_xy(
                    outline, shapely.get_x(geoms[points]), shapely.get_y(geoms[points])
                )
            if (~points).any():
                inside[~points] = shapely.covers(outline, geoms[~points])
            labels = self.labels[name]
            for i, geom in zip(rows[~inside], geoms[~inside], strict=True):
                self.add(name, labels[i], None, self._outside_message(geom))

    def _outside_message(self, geom: shapely.Geometry) -> str:
        metric = _project(geom, self._to_metres)
        where = shapely.get_coordinates(shapely.point_on_surface(geom))[0]
        at = f"at {where[0]:.5f}, {where[1]:.5f}"
        if shapely.intersects(metric, self._outline_metric):
            return f"the feature extends outside the district outline ({at})"
        distance = shapely.distance(metric, self._outline_metric)
        away = f"{distance / 1000:.1f} km" if distance >= 1000 else f"{distance:.0f} m"
        return f"the feature lies outside the district outline, {away} from it ({at})"


@functools.lru_cache(maxsize=8)
def _transformer(source: str, target: str) -> Transformer:
    """A cached transformer (building one costs ~0.1 s; pyproj ≥ 3.1 transformers are thread-safe)."""
    return Transformer.from_crs(source, target, always_xy=True)


def _project(geom: shapely.Geometry, transformer: Transformer) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _geometry_name(frame: Frame) -> str | None:
    if not isinstance(frame, gpd.GeoDataFrame):
        return None
    name = frame._geometry_column_name
    return name if name in frame.columns else None


def _parse_datetimes(series: pd.Series) -> pd.Series:
    """Parse ISO 8601 text and date/datetime objects; anything else becomes NaT."""

    def as_text(v: object) -> object:
        if isinstance(v, str):
            return v.strip()
        if isinstance(v, (dt.date, pd.Timestamp, np.datetime64)):
            return pd.Timestamp(v).isoformat()
        return None

    texts = series.map(as_text)
    try:
        return pd.to_datetime(texts, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # mixed time zones
        return pd.to_datetime(texts, format="ISO8601", errors="coerce", utc=True)


def _naive_local(stamps: pd.Series) -> pd.Series:
    if getattr(stamps.dt, "tz", None) is not None:
        return stamps.dt.tz_convert(LOCAL_TIMEZONE).dt.tz_localize(None)
    return stamps
