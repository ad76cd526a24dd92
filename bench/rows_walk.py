"""Walking rows: nearest on foot and the 15-minute walk area, against scipy's Dijkstra.

Ours snaps the query onto the road network and reads the precomputed per-junction
tables (:meth:`geodata.nearest.ServiceIndex.nearest`); the walk area runs a bounded
Dijkstra and buffers the reached road pieces (:meth:`geodata.network.WalkingNetwork.walk_area`).
The baseline is ``scipy.sparse.csgraph.dijkstra`` on the same CSR graph from the
query's snapped junction, which is given to it for free (no snap in its timing).
"""

from __future__ import annotations

from scipy.sparse.csgraph import dijkstra

from bench.data import Demo
from bench.report import Row, compare
from bench.timing import cycling, interleaved
from geodata.network import WALK_SPEED_M_PER_MIN

K = 5
WALK_MINUTES = 15
LIMIT_M = WALK_MINUTES * WALK_SPEED_M_PER_MIN


def rows(demo: Demo, quick: bool) -> list[Row]:
    """Walking nearest, bounded search and walk-area rows."""
    finder = demo.finder
    network = finder.network
    graph = network.graph
    queries = [(float(x), float(y)) for x, y in demo.homes(300, seed_offset=5)]
    nodes = [network.snap(lon, lat).u for lon, lat in queries]
    reps = 1000 if quick else 5000

    def ours_walk(lon: float, lat: float) -> object:
        return finder.services.nearest(lon, lat, "any", K)

    def full(node: int) -> object:
        return dijkstra(graph, directed=False, indices=node)

    def bounded(node: int) -> object:
        return dijkstra(graph, directed=False, indices=node, limit=LIMIT_M)

    calls = [
        cycling(queries, ours_walk),
        cycling(nodes, full, star=False),
        cycling(nodes, bounded, star=False),
    ]
    s_walk, s_full, s_bounded = interleaved(calls, reps=reps, warmup=20)
    size = f"{network.n_nodes:,} junctions, {network.n_edges:,} edges, queries near homes (building groups)"
    out = [
        compare(
            f"walk_nearest_one_{demo.label}_vs_dijkstra_full",
            s_walk.median * 1e6,
            "µs",
            "csgraph.dijkstra full",
            s_full.median * 1e6,
            p95=s_walk.p95 * 1e6,
            p99=s_walk.p99 * 1e6,
            note=f"{size}; ours: snap + table look-up + geodesic clamp, k=5 any centre; "
            "baseline: one-source Dijkstra from the snapped junction (snap not timed, no answer built)",
        ),
        compare(
            f"walk_nearest_one_{demo.label}_vs_dijkstra_1125m",
            s_walk.median * 1e6,
            "µs",
            f"csgraph.dijkstra limit={LIMIT_M:g}",
            s_bounded.median * 1e6,
            p95=s_walk.p95 * 1e6,
            p99=s_walk.p99 * 1e6,
            note="as above, scipy bounded to 15 min on foot (it still allocates the whole graph's arrays)",
        ),
    ]
    area_reps = 40 if quick else 500
    calls = [
        cycling(queries, lambda lon, lat: network.node_distances(lon, lat, LIMIT_M)),
        cycling(queries, lambda lon, lat: finder.walk_area(lon, lat, WALK_MINUTES)),
        cycling(nodes, bounded, star=False),
    ]
    s_nd, s_area, s_b2 = interleaved(calls, reps=area_reps, warmup=5)
    out += [
        compare(
            f"walk_bounded_search_1125m_{demo.label}",
            s_nd.median * 1e6,
            "µs",
            f"csgraph.dijkstra limit={LIMIT_M:g}",
            s_b2.median * 1e6,
            p95=s_nd.p95 * 1e6,
            p99=s_nd.p99 * 1e6,
            note="ours: snap + pure-Python bounded Dijkstra (WalkingNetwork.node_distances), the search "
            "inside the walk area",
        ),
        compare(
            f"walk_area_15min_one_{demo.label}",
            s_area.median * 1e3,
            "ms",
            f"csgraph.dijkstra limit={LIMIT_M:g}",
            s_b2.median * 1e3,
            p95=s_area.p95 * 1e3,
            p99=s_area.p99 * 1e3,
            note="ours: the whole 15-minute area polygon (snap, bounded search, edge clipping, buffer, to "
            "lon/lat); baseline: the graph search alone",
        ),
    ]
    return out
