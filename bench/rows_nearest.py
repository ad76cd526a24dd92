"""Straight-line nearest rows: one query and batches, at the demo's 141 centres and at 10,000.

Ours is :meth:`geodata.nearest.ServiceIndex.nearest_straight` (project the query,
k-d tree in EPSG:4545, geodesic re-rank). The floor is a bare ``cKDTree.query`` on
the same projected points with the query already projected; "what a user writes
first" is ``geopandas.sjoin_nearest`` on frames already in EPSG:4545.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from bench.data import Demo
from bench.report import Row, compare
from bench.timing import cycling, interleaved
from geodata.schema import MEASURE_CRS

K = 5
SYNTHETIC_CENTRES = 10_000
BATCH = 10_000
ONE_QUERY_TARGET = 1.5


def synthetic_index(demo: Demo, n: int):  # -> geodata.nearest.ServiceIndex
    """A ServiceIndex over ``n`` random centres inside the district, built the public way.

    ``ServiceIndex.build`` with ``limit_m=1`` (the walking tables are not what is
    measured here, so their Dijkstra is cut short).
    """
    from geodata.nearest import ServiceIndex

    pts = demo.points(n, seed_offset=1)
    frame = gpd.GeoDataFrame(
        {"id": [f"SYN{i:05d}" for i in range(n)], "name": [f"synthetic {i}" for i in range(n)]},
        geometry=shapely.points(pts),
        crs="EPSG:4326",
    )
    return ServiceIndex.build({"service_centers": frame}, demo.finder.network, limit_m=1.0), pts


def _one_query_rows(label: str, index, centres_lonlat: np.ndarray, demo: Demo, reps: int) -> list[Row]:
    network = demo.finder.network
    queries = demo.points(1000, seed_offset=2)
    qx, qy = network.to_xy(queries[:, 0], queries[:, 1])
    qxy = np.column_stack([qx, qy])
    cx, cy = network.to_xy(centres_lonlat[:, 0], centres_lonlat[:, 1])
    tree = cKDTree(np.column_stack([cx, cy]))
    ours = cycling(queries.tolist(), lambda lon, lat: index.nearest_straight(lon, lat, "any", K))
    floor = cycling(qxy.tolist(), lambda x, y: tree.query((x, y), k=K))
    s_ours, s_floor = interleaved([ours, floor], reps=reps, warmup=50)
    rows = [
        compare(
            f"nearest_straight_one_{label}",
            s_ours.median * 1e6,
            "µs",
            "cKDTree.query k=5",
            s_floor.median * 1e6,
            max_ratio=ONE_QUERY_TARGET,
            p95=s_ours.p95 * 1e6,
            p99=s_ours.p99 * 1e6,
            note=f"{len(centres_lonlat):,} centres; ours: lon/lat in, project + k-d tree + geodesic re-rank "
            "+ Result objects; floor: query already projected, tree call only",
        )
    ]
    return rows


def _sjoin_one_row(demo: Demo, centres_lonlat: np.ndarray, reps: int) -> Row:
    index = demo.finder.services
    queries = demo.points(200, seed_offset=3)
    centres = gpd.GeoDataFrame(geometry=shapely.points(centres_lonlat), crs="EPSG:4326").to_crs(MEASURE_CRS)
    one_frames = [
        gpd.GeoDataFrame(geometry=[shapely.Point(x, y)], crs="EPSG:4326").to_crs(MEASURE_CRS)
        for x, y in queries
    ]
    ours = cycling(queries.tolist(), lambda lon, lat: index.nearest_straight(lon, lat, "any", K))
    base = cycling(one_frames, lambda frame: gpd.sjoin_nearest(frame, centres), star=False)
    s_ours, s_sj = interleaved([ours, base], reps=reps, warmup=5, budget_s=4)
    return compare(
        f"nearest_straight_one_{demo.label}_vs_sjoin_nearest",
        s_ours.median * 1e6,
        "µs",
        "gpd.sjoin_nearest (1 point)",
        s_sj.median * 1e6,
        p95=s_ours.p95 * 1e6,
        p99=s_ours.p99 * 1e6,
        note=f"one query point as a projected 1-row GeoDataFrame vs the {len(centres_lonlat):,} centres "
        "(k=1: sjoin_nearest has no k); ours returns 5",
    )


def _batch_rows(
    label: str, index, centres_lonlat: np.ndarray, demo: Demo, reps: int, warmup: int
) -> list[Row]:
    network = demo.finder.network
    queries = demo.points(BATCH, seed_offset=4)
    q_list = [(float(x), float(y)) for x, y in queries]
    qx, qy = network.to_xy(queries[:, 0], queries[:, 1])
    qxy = np.column_stack([qx, qy])
    cx, cy = network.to_xy(centres_lonlat[:, 0], centres_lonlat[:, 1])
    tree = cKDTree(np.column_stack([cx, cy]))
    q_frame = gpd.GeoDataFrame(geometry=shapely.points(qxy), crs=MEASURE_CRS)
    c_frame = gpd.GeoDataFrame(geometry=shapely.points(np.column_stack([cx, cy])), crs=MEASURE_CRS)

    def ours() -> None:
        for lon, lat in q_list:
            index.nearest_straight(lon, lat, "any", K)

    s_ours, s_tree, s_sj = interleaved(
        [ours, lambda: tree.query(qxy, k=K), lambda: gpd.sjoin_nearest(q_frame, c_frame)],
        reps=reps,
        warmup=warmup,
    )
    note = (
        f"{BATCH:,} queries, {len(centres_lonlat):,} centres; ours: a loop of nearest_straight (the API has "
        "no batch call)"
    )
    return [
        compare(
            f"nearest_straight_batch10k_{label}_vs_ckdtree",
            s_ours.median * 1e3,
            "ms",
            "cKDTree.query batch k=5",
            s_tree.median * 1e3,
            note=note + "; floor: one vectorised tree call on projected points",
        ),
        compare(
            f"nearest_straight_batch10k_{label}_vs_sjoin_nearest",
            s_ours.median * 1e3,
            "ms",
            "gpd.sjoin_nearest batch",
            s_sj.median * 1e3,
            note=note + "; sjoin_nearest on projected frames, k=1",
        ),
    ]


def rows(demo: Demo, quick: bool) -> list[Row]:
    """Every straight-line nearest row."""
    reps = 2000 if quick else 10_000
    index = demo.finder.services
    centres = demo.dataset["service_centers"]
    centres_lonlat = shapely.get_coordinates(centres.geometry.to_numpy())
    out = _one_query_rows(demo.label, index, centres_lonlat, demo, reps)
    if demo.scale == 1:  # the scaled worlds have their own thousands of centres
        syn_index, syn_lonlat = synthetic_index(demo, SYNTHETIC_CENTRES)
        out += _one_query_rows("10k_centres", syn_index, syn_lonlat, demo, reps)
    out.append(_sjoin_one_row(demo, centres_lonlat, reps=60 if quick else 300))
    # The one-query rows have warmed the index: quick mode skips the batch warm-up (~1 s).
    reps, warmup = (2, 0) if quick else (7, 1)
    out += _batch_rows(demo.label, index, centres_lonlat, demo, reps=reps, warmup=warmup)
    return out
