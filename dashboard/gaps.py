"""Service gaps: where residents live beyond a walk from any place offering a service.

Residents are placed by the building groups (楼栋党小组, one per residential block);
each grid's households are shared evenly among its building groups. A block's walk
is the finder's walking distance along the roads to the nearest place of the kind
(:meth:`geodata.nearest.ServiceIndex.nearest`), so the gaps agree with what the
public finder tells a resident standing there.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geodata.area_metrics import format_scaled
from geodata.dataset import Dataset

from .choropleth import LEVELS, AreaValues
from .finder import Finder

GAP_MINUTES = (5, 10, 15, 20, 30)
"""Walking times offered; 15 minutes is the "15-minute community life circle" standard."""


class WalkTimes:
    """Walking minutes from every building group to the nearest place of each kind.

    Computed once per kind on first use (~0.1 s for the demo's 715 blocks) and kept:
    the answer depends on the data alone, so every user may share it.
    """

    def __init__(self, dataset: Dataset, finder: Finder) -> None:
        self.dataset = dataset
        self.finder = finder
        blocks = dataset["building_groups"]
        self._blocks = blocks
        self._lonlat = shapely.get_coordinates(blocks.geometry.to_numpy()).tolist()
        self._lock = threading.Lock()
        self._minutes: dict[str, pd.Series] = {}

    def minutes(self, kind: str) -> pd.Series:
        """Minutes on foot from each building group (by id) to the nearest ``kind``; inf if none."""
        with self._lock:
            cached = self._minutes.get(kind)
        if cached is not None:
            return cached
        speed = self.finder.walk_speed
        out = []
        for lon, lat in self._lonlat:
            found = self.finder.services.nearest(lon, lat, kind, 1)
            out.append(found[0].walk_m / speed if found else math.inf)
        series = pd.Series(out, index=self._blocks["id"].astype(str).to_numpy(), dtype=float)
        with self._lock:
            self._minutes[kind] = series
        return series


@dataclass(frozen=True)
class GapSummary:
    """Blocks and households beyond the walk, and the grids where most are."""

    minutes: int
    blocks: int
    blocks_beyond: int
    households_beyond: int
    grids_mostly_beyond: tuple[str, ...]
    beyond_ids: tuple[str, ...]


def block_households(dataset: Dataset) -> pd.Series:
    """Households per building group: its grid's households shared evenly among the grid's groups."""
    blocks = dataset["building_groups"]
    grids = dataset["grids"].set_index(dataset["grids"]["id"].astype(str))
    grid_of = blocks["grid_id"].astype(str)
    per_grid = grid_of.value_counts()
    share = grids["households"].reindex(grid_of).to_numpy(dtype=float) / per_grid.reindex(grid_of).to_numpy()
    return pd.Series(share, index=blocks["id"].astype(str).to_numpy())


def gap_summary(
    dataset: Dataset, times: WalkTimes, kind: str, minutes: int, street: str | None
) -> GapSummary:
    """Who lives beyond ``minutes`` on foot from the nearest ``kind`` (optionally in one street)."""
    blocks = dataset["building_groups"]
    walk = times.minutes(kind).to_numpy()
    households = block_households(dataset).to_numpy()
    keep = np.ones(len(blocks), dtype=bool) if not street else (blocks["street_id"] == street).to_numpy()
    beyond = keep & (walk > minutes)
    grid_of = blocks["grid_id"].astype(str).to_numpy()
    frame = pd.DataFrame({"grid": grid_of[keep], "beyond": beyond[keep]})
    share = frame.groupby("grid")["beyond"].mean()
    return GapSummary(
        minutes=minutes,
        blocks=int(keep.sum()),
        blocks_beyond=int(beyond.sum()),
        households_beyond=round(float(households[beyond].sum())),
        grids_mostly_beyond=tuple(sorted(share.index[share > 0.5])),
        beyond_ids=tuple(blocks["id"].astype(str).to_numpy()[beyond]),
    )


def coverage_text(value: float) -> str:
    """How a coverage share reads in the legend."""
    return format_scaled(value, "share")


def coverage(
    dataset: Dataset, times: WalkTimes, kind: str, minutes: int, level: str, street: str | None
) -> AreaValues:
    """Share (0–1, read as a percentage) of households within ``minutes`` of ``kind``,
    per area of ``level``."""
    blocks = dataset["building_groups"]
    column = LEVELS[level][0]
    households = block_households(dataset)
    within = (times.minutes(kind) <= minutes).to_numpy()
    areas = dataset[level]
    if street:
        areas = areas[(areas["id"] if level == "streets" else areas["street_id"]) == street]
    ids = areas["id"].astype(str).to_numpy()
    keys = blocks[column].astype(str).to_numpy()
    total = pd.Series(households.to_numpy(), index=keys).groupby(level=0).sum().reindex(ids)
    near = pd.Series(households.to_numpy() * within, index=keys).groupby(level=0).sum().reindex(ids)
    count = pd.Series(1, index=keys).groupby(level=0).sum().reindex(ids, fill_value=0).astype(float)
    return AreaValues(near / total.where(total > 0), count)
