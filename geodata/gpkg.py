"""Reading and writing a deployment's GeoPackage.

A deployment keeps all of its layers in one GeoPackage file. Writes go to a
temporary file beside the target and replace it atomically, so a crash never
leaves a half-written data file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geodata.schema import META_TABLE, STORAGE_CRS

Frame = gpd.GeoDataFrame | pd.DataFrame


def list_layers(path: str | os.PathLike[str]) -> dict[str, str | None]:
    """Layer names in the file with their geometry type (None for attribute tables)."""
    return {str(name): (None if gtype is None else str(gtype)) for name, gtype in pyogrio.list_layers(path)}


def read_frame(path: str | os.PathLike[str], layer: str) -> Frame:
    """Read one layer as stored (no reprojection, no validation)."""
    frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=False)
    return frame


def read_meta(path: str | os.PathLike[str]) -> dict[str, str]:
    """The provenance key/value table, empty when the file has none."""
    if META_TABLE not in list_layers(path):
        return {}
    meta = pyogrio.read_dataframe(path, layer=META_TABLE)
    return {str(k): str(v) for k, v in zip(meta["key"], meta["value"], strict=True)}


def write_geopackage(
    path: str | os.PathLike[str],
    frames: Mapping[str, Frame],
    meta: Mapping[str, str] | None = None,
) -> Path:
    """Write every frame as a layer of a new GeoPackage at ``path``, atomically.

    Parameters
    ----------
    path
        Target file; replaced only once the whole file is written.
    frames
        Layer name to GeoDataFrame (spatial layer, must carry a CRS) or DataFrame
        (attribute table).
    meta
        Provenance written to the ``redmap_meta`` table.

    Returns
    -------
    Path
        The written file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".gpkg", dir=target.parent)
    os.close(fd)
    os.unlink(tmp_name)  # GDAL wants to create the file itself
    try:
        for name, frame in frames.items():
            if isinstance(frame, gpd.GeoDataFrame):
                if frame.crs is None:
                    raise ValueError(f"layer {name!r} has no CRS")
                if frame.crs != STORAGE_CRS:
                    frame = frame.to_crs(STORAGE_CRS)
                pyogrio.write_dataframe(frame, tmp_name, layer=name, driver="GPKG")
            else:
                pyogrio.write_dataframe(pd.DataFrame(frame), tmp_name, layer=name, driver="GPKG")
        if meta:
            table = pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]})
            pyogrio.write_dataframe(table, tmp_name, layer=META_TABLE, driver="GPKG")
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target
