"""Point-in-grid rows: which grid a point lies in, and incidents counted per grid.

The app has no point-in-grid code path of its own yet, so "ours" here is the
reference approach the BRIEF recommends (a shapely ``STRtree`` over the prepared
grid polygons, candidates tested with ``contains_xy``; counts with ``numpy.bincount``),
against what a user writes first, ``geopandas.sjoin``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from bench.data import Demo
from bench.report import Row, compare
from bench.timing import cycling, interleaved


class GridLocator:
    """Grid polygons indexed once: one point, or many points' counts per grid."""

    def __init__(self, grids: np.ndarray) -> None:
        shapely.prepare(grids)
        self.grids = grids
        self.tree = shapely.STRtree(grids)

    def locate(self, lon: float, lat: float) -> int:
        """Index of the grid holding the point, -1 when none."""
        near = self.tree.query(shapely.Point(lon, lat))  # bounding boxes only
        hit = near[shapely.contains_xy(self.grids[near], lon, lat)]  # prepared polygons
        return int(hit[0]) if len(hit) else -1

    def counts(self, points: np.ndarray) -> np.ndarray:
        """Points (shapely array) per grid (the first grid wins on a shared border).

        A predicate inside ``STRtree.query`` would prepare the *points*; testing the
        bounding-box candidates with ``contains_xy`` uses the prepared polygons (3x faster).
        """
        xy = shapely.get_coordinates(points)
        pt, grid = self.tree.query(points)  # sorted by point
        inside = shapely.contains_xy(self.grids[grid], xy[pt, 0], xy[pt, 1])
        pt, grid = pt[inside], grid[inside]
        first = np.ones(len(pt), dtype=bool)
        first[1:] = pt[1:] != pt[:-1]
        return np.bincount(grid[first], minlength=len(self.grids))


def rows(demo: Demo, quick: bool) -> list[Row]:
    """Point-in-grid for one point, and aggregation of every grid event."""
    grids = demo.dataset["grids"]
    events = demo.dataset["grid_events"]
    locator = GridLocator(grids.geometry.to_numpy())
    queries = demo.homes(500, seed_offset=7)
    query_frames = [gpd.GeoDataFrame(geometry=[shapely.Point(x, y)], crs=grids.crs) for x, y in queries]
    grid_frame = grids[["id", "geometry"]]

    ours_one = cycling(queries.tolist(), locator.locate)
    sjoin_one = cycling(query_frames, lambda f: gpd.sjoin(f, grid_frame, predicate="within"), star=False)
    s_one, s_sj = interleaved([ours_one, sjoin_one], reps=200 if quick else 1000, budget_s=8)
    event_points = events.geometry.to_numpy()
    event_frame = events[["id", "geometry"]]

    def sjoin_counts() -> object:
        return gpd.sjoin(event_frame, grid_frame, predicate="within").groupby("id_right").size()

    s_agg, s_agg_sj = interleaved(
        [lambda: locator.counts(event_points), sjoin_counts], reps=10 if quick else 50, warmup=1
    )
    return [
        compare(
            f"point_in_grid_one_{demo.label}",
            s_one.median * 1e6,
            "µs",
            "gpd.sjoin (1 point)",
            s_sj.median * 1e6,
            p95=s_one.p95 * 1e6,
            p99=s_one.p99 * 1e6,
            note=f"{len(grids):,} grids; ours: STRtree bounding boxes + contains_xy on prepared polygons "
            "(bench reference: the app has no point-in-grid path yet)",
        ),
        compare(
            f"grid_events_per_grid_{demo.label}",
            s_agg.median * 1e3,
            "ms",
            "gpd.sjoin + groupby",
            s_agg_sj.median * 1e3,
            note=f"{len(events):,} incidents into {len(grids):,} grids; "
            "ours: bulk STRtree query + prepared contains_xy + bincount",
        ),
    ]
