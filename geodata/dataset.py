"""A deployment's data, loaded and validated once, then shared read-only.

The app opens the GeoPackage at start-up through :func:`open_dataset`; a file with
any schema error stops the start with every problem listed (layer, feature,
field), rather than a map that half-renders.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.gpkg import read_meta
from geodata.schema import SCHEMA


@dataclass(frozen=True)
class Dataset:
    """Every schema layer of one GeoPackage, validated, in EPSG:4326.

    Attributes
    ----------
    path : Path
        The file it was read from.
    frames : Mapping
        Layer name to GeoDataFrame (spatial) or DataFrame (record table).
    meta : Mapping
        The file's provenance table.
    version : str
        A short fingerprint of the file (size and modification time), used for
        HTTP ETags and to notice new data.
    """

    path: Path
    frames: Mapping[str, gpd.GeoDataFrame | pd.DataFrame]
    meta: Mapping[str, str]
    version: str
    # Values derived from the frames on first use (names by id, column codes, orders).
    # The frames never change, so every user and request gets the same answer; at 100
    # times the demo district each costs a request 0.1-1 s when made again every time.
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getitem__(self, name: str) -> gpd.GeoDataFrame | pd.DataFrame:
        return self.frames[name]

    def derived(self, key: tuple, make):
        """``make()``, computed once per dataset and ``key`` (which must name all it depends on)."""
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = make()
            return value

    def latest(self, key: tuple, stamp: object, make):
        """``make()``, kept for ``key`` until ``stamp`` changes (figures that depend on
        the time as well as the data: only the newest is kept)."""
        held = self._derived.get(key)
        if held is None or held[0] != stamp:
            held = self._derived[key] = (stamp, make())
        return held[1]

    def names_by_id(self, layer: str, column: str = "name") -> Mapping[str, str]:
        """``{id: name}`` of a layer, so a referenced street or grid reads by name."""

        def make() -> Mapping[str, str]:
            frame = self.frames[layer]
            names = zip(frame["id"].astype(str), frame[column].astype(str), strict=True)
            return MappingProxyType(dict(names))

        return self.derived(("names_by_id", layer, column), make)

    def codes(self, layer: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        """A column as ``(codes, values)``: ``values`` sorted and distinct, ``codes`` each
        row's index into them (-1 where missing). Comparisons, counts and sorts on the
        codes are integer work instead of string work over every row."""

        def make() -> tuple[np.ndarray, np.ndarray]:
            codes, values = pd.factorize(self.frames[layer][column], sort=True)
            codes = codes.astype(np.int32)
            codes.setflags(write=False)
            values = np.asarray(values, dtype=object)
            values.setflags(write=False)
            return codes, values

        return self.derived(("codes", layer, column), make)

    def counts(self) -> dict[str, int]:
        """Number of rows in every layer, in schema order."""
        return {name: len(self.frames[name]) for name in SCHEMA}

    @property
    def is_demo(self) -> bool:
        """Whether this is the synthetic demo district (shown as such on every face)."""
        return self.meta.get("demo", "").lower() == "true"

    def as_of(self) -> pd.Timestamp:
        """The moment figures such as "overdue" are measured at.

        Real data is measured now (Asia/Shanghai); the demo district is frozen at the
        time its records end, so that its figures do not drift as the calendar moves.
        """
        stamp = self.meta.get("as_of")
        if stamp:
            return pd.Timestamp(stamp)
        return pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None)

    def updated_at(self) -> str:
        """When the data file was last written, local time, for "data updated" notes."""
        stamp = pd.Timestamp(self.path.stat().st_mtime, unit="s", tz="UTC").tz_convert("Asia/Shanghai")
        return stamp.strftime("%Y-%m-%d %H:%M")


def file_version(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha1(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]


def open_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Load and validate ``path``; raise ``geodata.validate.DataError`` listing every problem."""
    from geodata.validate import load_validated

    path = Path(path)
    frames = load_validated(path)
    return Dataset(
        path=path,
        frames=MappingProxyType(dict(frames)),
        meta=MappingProxyType(read_meta(path)),
        version=file_version(path),
    )
