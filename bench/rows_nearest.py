"""Nearest on foot as the public API answers it (without HTTP), against what a careful
developer writes without precomputed tables.

Ours is :meth:`dashboard.api.PublicApi.nearest`: the request's parameters checked
(the point in the district), the 5 nearest centres on foot from the junction tables,
and the JSON body spliced from each place's encoded public fields. The baseline does
the same job the direct way: the same snap onto the same network, then scipy's
Dijkstra from both ends of the snapped road (bounded at 3 km: nobody is sent further
on foot), the 5 centres with the shortest walk, and their public fields as JSON.
The page's answer (``dashboard.pages.public.answer``) takes the same ``nearest``.
"""

from __future__ import annotations

import numpy as np
import orjson
from scipy.sparse.csgraph import dijkstra

from bench.data import Demo
from bench.report import Row, compare
from bench.timing import cycling, interleaved

K = 5
LIMIT_M = 3_000.0


def rows(demo: Demo, quick: bool) -> list[Row]:
    """The nearest-on-foot row at this scale."""
    from dashboard.api import PublicApi

    finder = demo.finder
    network = finder.network
    api = PublicApi(lambda environ, start: [], finder)
    queries = [(float(x), float(y)) for x, y in demo.homes(300, seed_offset=7)]
    args = [{"lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "k": str(K), "service": "any"} for lon, lat in queries]

    # The baseline's view of the centres: the junction each is snapped to, and its public fields.
    places = [p for p in finder.services.places() if p.layer == "service_centers"]
    place_nodes = np.array([network.snap(p.lon, p.lat).u for p in places])
    public = [finder.public_json["zh"][p.id] for p in places]

    def direct(lon: float, lat: float) -> bytes:
        snap = network.snap(lon, lat)
        dist = dijkstra(network.graph, directed=False, indices=[snap.u, snap.v], limit=LIMIT_M, min_only=True)
        walk = dist[place_nodes]
        best = np.argpartition(walk, K)[:K]
        best = best[np.argsort(walk[best])]
        return orjson.dumps(
            [{**public[i], "walk_m": round(float(walk[i])) if np.isfinite(walk[i]) else None} for i in best]
        )

    reps = 1000 if quick else 5000
    s_ours, s_direct = interleaved(
        [cycling(args, api.nearest, star=False), cycling(queries, direct)], reps=reps, warmup=20
    )
    return [
        compare(
            f"nearest_api_one_{demo.label}",
            s_ours.median * 1e6,
            "µs",
            "snap + scipy Dijkstra (3 km) + pick 5 + JSON",
            s_direct.median * 1e6,
            p95=s_ours.p95 * 1e6,
            p99=s_ours.p99 * 1e6,
            note=f"PublicApi.nearest (checks, in-district test, tables, spliced JSON) from 300 points near "
            f"homes, k={K}, any centre; {len(places):,} centres, {network.n_nodes:,} junctions",
        )
    ]
