"""Turn generated rows into frames typed exactly as the schema says."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geodata.demo.crs import to_storage
from geodata.schema import SCHEMA, STORAGE_CRS

Frame = gpd.GeoDataFrame | pd.DataFrame


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is pd.NaT


def _as_date(v: object) -> dt.date | None:
    if _missing(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    raise TypeError(f"not a date: {v!r}")


def _valid(geom: BaseGeometry) -> BaseGeometry:
    """Repair the rare polygon that reprojection leaves invalid.

    A ring that pinches to within a nanometre of itself (where a village wraps
    round a town) is valid in metres but can self-intersect once unprojected;
    ``make_valid`` splits the pinch without moving any vertex.
    """
    if geom.is_valid:
        return geom
    fixed = shapely.make_valid(geom)
    polys = [g for g in shapely.get_parts(fixed) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(polys) if len(polys) > 1 else polys[0]


def make_frame(layer: str, rows: list[dict], geoms: list[BaseGeometry] | None = None) -> Frame:
    """A frame with the schema's columns in order, dtypes per field type.

    Parameters
    ----------
    layer : str
        Layer name in :data:`geodata.schema.SCHEMA`.
    rows : list of dict
        One dict per feature with every field of the layer (extra keys are an error).
    geoms : list of geometry, optional
        Geometries in EPSG:4545, converted here to the storage CRS.

    Returns
    -------
    GeoDataFrame or DataFrame
        int → int64, float → float64, bool → bool, date → ``datetime.date``
        objects (None when empty), datetime → naive ``datetime64[ns]``.
    """
    schema = SCHEMA[layer]
    columns = [f.name for f in schema.fields]
    for row in rows[:1]:
        extra = set(row) - set(columns)
        missing = set(columns) - set(row)
        if extra or missing:
            raise ValueError(f"{layer}: extra {sorted(extra)}, missing {sorted(missing)}")
    df = pd.DataFrame.from_records([[r[c] for c in columns] for r in rows], columns=columns)
    for f in schema.fields:
        col = df[f.name]
        if f.type == "int":
            df[f.name] = col.astype("int64")
        elif f.type == "float":
            df[f.name] = col.astype("float64")
        elif f.type == "bool":
            df[f.name] = col.astype(bool)
        elif f.type == "date":
            df[f.name] = pd.Series([_as_date(v) for v in col], dtype=object, index=df.index)
        elif f.type == "datetime":
            df[f.name] = pd.to_datetime(col).astype("datetime64[ns]")
        else:
            df[f.name] = pd.Series(
                [None if _missing(v) else str(v) for v in col], dtype="str", index=df.index
            )
    if schema.has_geometry:
        if geoms is None or len(geoms) != len(df):
            raise ValueError(f"{layer}: need one geometry per row")
        stored = to_storage(geoms)
        # Checked at once, repaired one by one: repairs are rare, checks many (a scaled demo).
        invalid = np.flatnonzero(~shapely.is_valid(stored))
        for i in invalid:
            stored[i] = _valid(stored[i])
        return gpd.GeoDataFrame(df, geometry=list(stored), crs=STORAGE_CRS)
    return df
