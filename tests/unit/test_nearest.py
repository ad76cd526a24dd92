"""Nearest services on foot (with straight-line distances), and opening hours.

Hand-built grids give exact expected walks; on the demo district the answers are
checked against brute force: geodesic distances to every candidate, and an
independent network (roads cut at every snap point, each point joined by its own
straight road) searched with scipy's Dijkstra.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point
from shapely.ops import substring

from geodata.nearest import KNOWN_KINDS, TABLE_K, ServiceIndex, is_open, parse_opening_hours
from geodata.network import WALK_SPEED_M_PER_MIN, WalkingNetwork
from geodata.schema import MEASURE_CRS, STORAGE_CRS, split_codes

X0, Y0 = 560_000.0, 3_800_000.0
TO_LONLAT = Transformer.from_crs(MEASURE_CRS, STORAGE_CRS, always_xy=True)
TO_XY = Transformer.from_crs(STORAGE_CRS, MEASURE_CRS, always_xy=True)
GEOD = Geod(ellps="WGS84")
BASIC = (
    "phone_charging;parcel_locker;emergency_umbrella;drinking_water;rest_area;first_aid_kit;reading_corner"
)


def lonlat(x: float, y: float) -> tuple[float, float]:
    return TO_LONLAT.transform(X0 + x, Y0 + y)


def grid_roads(n: int, step: float = 100.0) -> gpd.GeoDataFrame:
    lines = []
    for i in range(n):
        for j in range(n - 1):
            lines.append(LineString([(X0 + j * step, Y0 + i * step), (X0 + (j + 1) * step, Y0 + i * step)]))
            lines.append(LineString([(X0 + i * step, Y0 + j * step), (X0 + i * step, Y0 + (j + 1) * step)]))
    frame = gpd.GeoDataFrame(
        {"id": [f"R{i}" for i in range(len(lines))], "walkable": True}, geometry=lines, crs=MEASURE_CRS
    )
    return frame.to_crs(STORAGE_CRS)


def points_layer(rows: list[dict], xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    geoms = [Point(X0 + x, Y0 + y) for x, y in xy]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=MEASURE_CRS).to_crs(STORAGE_CRS)


def centres(xy: list[tuple[float, float]], extra: list[str] | None = None) -> gpd.GeoDataFrame:
    extra = extra or [""] * len(xy)
    rows = [
        {
            "id": f"C{i:02d}",
            "name": f"中心{i}",
            "address": f"路{i}号",
            "services": BASIC + (";" + e if e else ""),
            "opening_hours": "Mo-Su 08:00-20:00",
            "phone": "029-0000000",
            "street_id": "secret-not-public-anyway",
        }
        for i, e in enumerate(extra)
    ]
    return points_layer(rows, xy)


@pytest.fixture(scope="module")
def grid_net() -> WalkingNetwork:
    return WalkingNetwork.from_roads(grid_roads(4))  # 0..300 m both ways


@pytest.fixture(scope="module")
def grid_index(grid_net: WalkingNetwork) -> ServiceIndex:
    frames = {
        "service_centers": centres(
            [(300, 300), (150, 0), (0, 210), (100, 100)],
            ["legal_advice", "", "childcare;legal_advice", "tele_medicine"],
        ),
        "daycare_centers": points_layer(
            [{"id": "D01", "name": "照料中心", "address": "a", "opening_hours": "24/7", "phone": None}],
            [(205, 150)],
        ),
        "child_care": points_layer(
            [
                {
                    "id": "K01",
                    "name": "托育班",
                    "address": "b",
                    "opening_hours": "Mo-Fr 08:00-18:00",
                    "phone": "",
                }
            ],
            [(30, 0)],
        ),
    }
    return ServiceIndex.build(frames, grid_net)


# --- hand-built grid: exact answers ---------------------------------------------------


def test_walking_order_and_exact_distances(grid_index: ServiceIndex) -> None:
    # The query stands on the road x = 100, 10 m north of the junction (100, 0).
    res = grid_index.nearest(*lonlat(100, 10), kind="any", k=4)
    assert [r.id for r in res] == ["C01", "C03", "C02", "C00"]
    assert [r.walk_m for r in res] == pytest.approx([10 + 50, 90, 190 + 100 + 10, 90 + 400], abs=1e-6)
    assert [r.walk_min for r in res] == [1, 2, 4, 7]
    assert res[0].distance_m == pytest.approx(np.hypot(50, 10), abs=0.01)


def test_place_on_the_same_edge_is_walked_to_directly(grid_index: ServiceIndex) -> None:
    # The query and K01 sit on the edge (0,0)-(100,0): 25 m apart along it, no detour via a junction.
    res = grid_index.nearest(*lonlat(55, -5), kind="childcare", k=2)
    assert res[0].id == "K01"
    assert res[0].walk_m == pytest.approx(5 + 25, abs=1e-6)
    assert res[0].layer == "child_care"
    assert res[1].id == "C02"
    assert res[1].walk_m == pytest.approx(5 + 55 + 210, abs=1e-6)


def test_off_network_leg_of_the_place_counts(grid_index: ServiceIndex) -> None:
    res = grid_index.nearest(*lonlat(200, 300), kind="daycare_meals", k=1)
    assert res[0].id == "D01"
    assert res[0].walk_m == pytest.approx(150 + 5, abs=1e-6)


def test_results_carry_public_fields_only(grid_index: ServiceIndex) -> None:
    r = grid_index.nearest(*lonlat(0, 0), kind="any", k=1)[0]
    d = r.to_dict()
    assert set(d) == {
        "id", "layer", "name", "lon", "lat", "services", "opening_hours", "address", "phone",
        "distance_m", "walk_m", "walk_min",
    }  # fmt: skip
    assert "street_id" not in d
    daycare = grid_index.nearest(*lonlat(0, 0), kind="daycare_meals", k=1)[0]
    assert daycare.phone is None and daycare.services == ()
    childcare = grid_index.nearest(*lonlat(30, 0), kind="childcare", k=1)[0]
    assert childcare.id == "K01" and childcare.phone is None  # empty text is None


def test_kinds_filter(grid_index: ServiceIndex) -> None:
    assert grid_index.count("any") == 4
    assert grid_index.count("legal_aid") == 2
    assert {r.id for r in grid_index.nearest(*lonlat(0, 0), "legal_aid", 8)} == {"C00", "C02"}
    assert {r.id for r in grid_index.nearest(*lonlat(0, 0), "childcare", 8)} == {"C02", "K01"}
    assert {r.id for r in grid_index.nearest(*lonlat(0, 0), "tele_medicine", 8)} == {"C03"}
    assert grid_index.nearest(*lonlat(0, 0), "employment") == []  # on the menu, nobody offers it
    assert "employment" not in grid_index.kinds
    with pytest.raises(ValueError, match="unknown kind"):
        grid_index.nearest(*lonlat(0, 0), "pizza")
    with pytest.raises(ValueError):
        grid_index.nearest(*lonlat(0, 0), "any", k=TABLE_K + 1)


def test_unreachable_places_are_left_out_on_foot() -> None:
    roads = pd_concat(grid_roads(2), island_road())
    net = WalkingNetwork.from_roads(roads)
    index = ServiceIndex.build({"service_centers": centres([(50, 0), (5050, 0)])}, net)
    assert [r.id for r in index.nearest(*lonlat(0, 0), k=5)] == ["C00"]  # C01 is on an island


def island_road() -> gpd.GeoDataFrame:
    line = LineString([(X0 + 5000, Y0), (X0 + 5100, Y0)])
    return gpd.GeoDataFrame({"id": ["I"], "walkable": [True]}, geometry=[line], crs=MEASURE_CRS).to_crs(
        STORAGE_CRS
    )


def pd_concat(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import pandas as pd

    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=STORAGE_CRS)


coord = st.floats(-50, 350, allow_nan=False)


@given(
    existing=st.lists(st.tuples(coord, coord), min_size=1, max_size=5),
    added=st.tuples(coord, coord),
    query=st.tuples(coord, coord),
)
@settings(max_examples=25, deadline=None)
def test_adding_a_centre_never_makes_the_nearest_farther(
    grid_net: WalkingNetwork,
    existing: list[tuple[float, float]],
    added: tuple[float, float],
    query: tuple[float, float],
) -> None:
    before = ServiceIndex.build({"service_centers": centres(existing)}, grid_net)
    after = ServiceIndex.build({"service_centers": centres([*existing, added])}, grid_net)
    q = lonlat(*query)
    b, a = before.nearest(*q, k=3), after.nearest(*q, k=3)
    assert len(a) >= len(b)
    for x, y in zip(a, b, strict=False):  # the i-th nearest can only come closer
        assert x.walk_m <= y.walk_m + 1e-6


# --- the demo district: brute force -------------------------------------------------


@pytest.fixture(scope="module")
def demo_frames(demo_dataset) -> Mapping[str, gpd.GeoDataFrame]:
    return demo_dataset.frames


@pytest.fixture(scope="module")
def demo_net(demo_frames) -> WalkingNetwork:
    return WalkingNetwork.from_roads(demo_frames["roads"])


@pytest.fixture(scope="module")
def demo_index(demo_frames, demo_net: WalkingNetwork) -> ServiceIndex:
    return ServiceIndex.build(demo_frames, demo_net)


@pytest.fixture(scope="module")
def district_points(demo_frames) -> np.ndarray:
    """200 random lon/lat points inside the district."""
    district = demo_frames["district"].geometry.union_all()
    rng = np.random.default_rng(20260501)
    x0, y0, x1, y1 = district.bounds
    pts = rng.uniform((x0, y0), (x1, y1), size=(2000, 2))
    inside = pts[shapely.contains_xy(district, pts[:, 0], pts[:, 1])]
    assert len(inside) >= 200
    return inside[:200]


def candidates(frames: Mapping[str, gpd.GeoDataFrame], kind: str) -> list[tuple[str, float, float]]:
    """(id, lon, lat) of a kind's places, straight from the layers (independent of ServiceIndex)."""
    sc = frames["service_centers"]
    offers = [split_codes(v) for v in sc["services"]]
    rows: list[tuple[str, float, float]] = []

    def add(frame: gpd.GeoDataFrame, mask: list[bool]) -> None:
        for keep, i, g in zip(mask, frame["id"], frame.geometry, strict=True):
            if keep:
                rows.append((str(i), g.x, g.y))

    code = {"legal_aid": "legal_advice"}.get(kind, kind)
    if kind == "any":
        add(sc, [True] * len(sc))
    elif kind == "daycare_meals":
        add(frames["daycare_centers"], [True] * len(frames["daycare_centers"]))
    else:
        add(sc, [code in o for o in offers])
        if kind == "childcare":
            add(frames["child_care"], [True] * len(frames["child_care"]))
    return rows


def geodesic(lon: float, lat: float, cands: list[tuple[str, float, float]]) -> np.ndarray:
    _, lons, lats = zip(*cands, strict=True)
    n = len(cands)
    return np.asarray(GEOD.inv(np.full(n, lon), np.full(n, lat), lons, lats)[2])


def brute_force_walks(
    net: WalkingNetwork, query: tuple[float, float], cands: list[tuple[str, float, float]]
) -> np.ndarray:
    """Walking metres from ``query`` to each candidate on an independently built network.

    Every road is cut where a point meets it (shapely's nearest line and
    ``project``), each point is joined to its cut by a straight road of its own,
    the result is rebuilt as a fresh network and scipy's Dijkstra runs from the
    query's node.
    """
    lon = np.array([query[0]] + [c[1] for c in cands])
    lat = np.array([query[1]] + [c[2] for c in cands])
    x, y = TO_XY.transform(lon, lat)
    lines = [LineString(net.edge_xy(e)) for e in range(net.n_edges)]
    tree = shapely.STRtree(lines)
    cuts: dict[int, list[float]] = defaultdict(list)
    extra = []
    for px, py in zip(x, y, strict=True):
        p = Point(px, py)
        e = int(tree.query_nearest(p)[0])
        along = lines[e].project(p)
        cuts[e].append(along)
        on = lines[e].interpolate(along)
        if p.distance(on) > 1e-9:
            extra.append(LineString([p, on]))
    pieces = []
    for e, line in enumerate(lines):
        marks = sorted({0.0, line.length, *cuts.get(e, [])})
        pieces += [substring(line, a, b) for a, b in itertools.pairwise(marks) if b - a > 1e-9]
    roads = gpd.GeoDataFrame(
        {"id": range(len(pieces) + len(extra)), "walkable": True}, geometry=pieces + extra, crs=MEASURE_CRS
    )
    split = WalkingNetwork.from_roads(roads)
    gap, nodes = cKDTree(split.node_xy).query(np.column_stack([x, y]))
    assert gap.max() < 0.5
    dist = dijkstra(split.graph, indices=int(nodes[0]))
    return dist[nodes[1:]]


@pytest.mark.parametrize("kind", ["any", "childcare", "legal_aid"])
def test_walking_matches_brute_force_dijkstra(
    demo_index: ServiceIndex, demo_net: WalkingNetwork, demo_frames, district_points: np.ndarray, kind: str
) -> None:
    cands = candidates(demo_frames, kind)
    for lon, lat in district_points[:8]:
        walk = brute_force_walks(demo_net, (lon, lat), cands)
        geo = geodesic(lon, lat, cands)
        walk = np.maximum(walk, geo)
        # The whole table depth: the 8th nearest must be right too.
        order = sorted(range(len(cands)), key=lambda i: (walk[i], geo[i], cands[i][0]))[:TABLE_K]
        res = demo_index.nearest(lon, lat, kind, TABLE_K)
        assert [r.id for r in res] == [cands[i][0] for i in order]
        assert [r.walk_m for r in res] == pytest.approx([walk[i] for i in order], abs=1.0)
        assert [r.distance_m for r in res] == pytest.approx([geo[i] for i in order], abs=1.0)


def test_walking_minutes_and_order_of_every_answer(
    demo_index: ServiceIndex, district_points: np.ndarray
) -> None:
    # (walk_m >= distance_m is not asserted here: nearest() clamps a walk to the straight
    # line, so such an assertion could never fail; the walks themselves are checked
    # against brute-force Dijkstra above, and the off-road legs on the hand-built grid.)
    for lon, lat in district_points:
        for kind in ("any", "daycare_meals", "childcare", "elderly_meals"):
            res = demo_index.nearest(lon, lat, kind, 5)
            assert len(res) == min(5, demo_index.count(kind))
            for r in res:
                assert r.walk_min == int(np.ceil(r.walk_m / WALK_SPEED_M_PER_MIN - 1e-9))
            keys = [(r.walk_m, r.distance_m, r.id) for r in res]
            assert keys == sorted(keys)


def test_routes_to_results_start_end_and_measure_right(
    demo_index: ServiceIndex, demo_net: WalkingNetwork, district_points: np.ndarray
) -> None:
    for lon, lat in district_points[:15]:
        best = demo_index.nearest(lon, lat, "any", 1)[0]
        route = demo_net.route((lon, lat), (best.lon, best.lat))
        assert route is not None
        assert route.coords[0] == pytest.approx((lon, lat), abs=1e-6)
        assert route.coords[-1] == pytest.approx((best.lon, best.lat), abs=1e-6)
        drawn = GEOD.line_length(*np.array(route.coords).T)
        assert drawn == pytest.approx(best.walk_m, rel=0.02)
        assert route.walk_m == pytest.approx(best.walk_m, abs=1.0)


def test_routes_within_15_minutes_lie_in_the_15_minute_area(
    demo_index: ServiceIndex, demo_net: WalkingNetwork, district_points: np.ndarray
) -> None:
    checked = 0
    for lon, lat in district_points[:12]:
        area = demo_net.walk_area(lon, lat, 15)
        assert area.contains(Point(lon, lat))
        for r in demo_index.nearest(lon, lat, "any", 5):
            if r.walk_min is None or r.walk_min > 15:
                continue
            route = demo_net.route((lon, lat), (r.lon, r.lat))
            assert route is not None
            line = LineString(route.coords)
            assert line.intersection(area).length >= 0.9 * line.length
            checked += 1
    assert checked > 0


@given(
    i=st.integers(0, 199),
    kind=st.sampled_from(sorted(KNOWN_KINDS)),
    k=st.integers(1, TABLE_K),
)
@settings(max_examples=25, deadline=None)
def test_filtering_by_kind_returns_only_places_offering_it(
    demo_index: ServiceIndex, demo_frames, district_points: np.ndarray, i: int, kind: str, k: int
) -> None:
    allowed = {c[0] for c in candidates(demo_frames, kind)}
    lon, lat = district_points[i]
    res = demo_index.nearest(lon, lat, kind, k)
    assert len(res) == min(k, len(allowed))
    assert {r.id for r in res} <= allowed


# --- opening hours ----------------------------------------------------------------------

MON = dt.date(2026, 5, 4)  # a Monday


def at(day: int, hh: int, mm: int = 0) -> dt.datetime:
    """Local (Asia/Shanghai, naive) time on weekday ``day`` (0 = Monday) of one test week."""
    return dt.datetime.combine(MON + dt.timedelta(days=day), dt.time(hh, mm))


@pytest.mark.parametrize(
    ("hours", "when", "expected"),
    [
        ("24/7", at(6, 3), True),
        ("Mo-Su 08:00-20:00", at(2, 8, 0), True),
        ("Mo-Su 08:00-20:00", at(2, 7, 59), False),
        ("Mo-Su 08:00-20:00", at(2, 19, 59), True),
        ("Mo-Su 08:00-20:00", at(2, 20, 0), False),  # closing minute is closed
        ("Mo-Fr 08:30-17:30; Sa-Su 09:00-17:00", at(4, 8, 30), True),
        ("Mo-Fr 08:30-17:30; Sa-Su 09:00-17:00", at(5, 8, 45), False),
        ("Mo-Fr 08:30-17:30; Sa-Su 09:00-17:00", at(6, 16, 59), True),
        ("Mo-Fr 08:30-17:30; Sa,Su 09:00-17:00", at(5, 9, 0), True),
        ("Mo-Fr 08:00-12:00,14:00-18:00", at(0, 13, 0), False),
        ("Mo-Fr 08:00-12:00,14:00-18:00", at(0, 14, 0), True),
        ("Mo-Fr 08:00-12:00,14:00-18:00", at(5, 10, 0), False),
        ("Mo-Fr 08:00-18:00; Sa 09:00-17:00", at(6, 10, 0), False),
        ("Mo-Su 22:00-06:00", at(1, 5, 59), True),  # overnight, from Monday's span
        ("Mo-Su 22:00-06:00", at(1, 6, 0), False),
        ("Mo-Su 22:00-06:00", at(1, 21, 59), False),
        ("Mo-Su 22:00-06:00", at(1, 23, 0), True),
        ("Fr 22:00-02:00", at(5, 1, 0), True),  # Friday night into Saturday
        ("Fr 22:00-02:00", at(6, 1, 0), False),
        ("Fr-Mo 10:00-11:00", at(0, 10, 30), True),  # wrapping day range
        ("Fr-Mo 10:00-11:00", at(2, 10, 30), False),
        ("Mo-Su 08:00-20:00; Su off", at(6, 12, 0), False),  # later rule wins for Sunday
        ("Mo-Su 08:00-20:00; Su off", at(5, 12, 0), True),
        ("00:00-24:00", at(3, 23, 59), True),
    ],
)
def test_is_open(hours: str, when: dt.datetime, expected: bool) -> None:
    assert is_open(hours, when) is expected


def test_is_open_converts_aware_times_to_shanghai() -> None:
    utc = dt.datetime(2026, 5, 4, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai, Monday
    assert is_open("Mo-Fr 08:30-17:30", utc) is True
    assert is_open("Mo-Fr 08:31-17:30", utc) is False
    assert is_open("Mo-Fr 08:30-17:30", dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC)) is False  # 17:30


@pytest.mark.parametrize(
    "hours", [None, "", "PH off", "sunrise-sunset", "Mo-Fr 25:00-26:00", "Mo-Fr 8h", "Jan-Mar 08:00-12:00"]
)
def test_is_open_unknown_formats(hours: str | None) -> None:
    assert parse_opening_hours(hours) is None
    assert is_open(hours, at(0, 10)) is None


def test_every_demo_opening_hours_parses(demo_frames) -> None:
    for layer in ("service_centers", "daycare_centers", "child_care", "facilities"):
        for text in demo_frames[layer]["opening_hours"]:
            assert parse_opening_hours(text) is not None, text


# --- the junction tables themselves -----------------------------------------------------


def brute_force_tables(index: ServiceIndex, net: WalkingNetwork) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every junction's TABLE_K nearest members per kind, from one unbounded scipy
    Dijkstra per place on a graph built here (ties by place index)."""
    from scipy.sparse import csr_matrix

    snaps = index._snaps
    n, c = net.n_nodes, len(snaps)
    rows, cols, weights = [], [], []
    for e in range(net.n_edges):
        u, v, w = int(net.edge_u[e]), int(net.edge_v[e]), float(net.edge_length[e])
        if u != v:
            rows += [u, v]
            cols += [v, u]
            weights += [w, w]
    for i, s in enumerate(snaps):  # each place a one-way source, as walking from it
        rows += [n + i, n + i]
        cols += [s.u, s.v]
        weights += [s.distance_m + s.to_u_m, s.distance_m + s.to_v_m]
    best: dict[tuple[int, int], float] = {}  # parallel roads: keep the shorter (csr would sum them)
    for r, cc, w in zip(rows, cols, weights, strict=True):
        best[(r, cc)] = min(best.get((r, cc), np.inf), w)
    keys = list(best)
    graph = csr_matrix(
        ([best[k] for k in keys], ([k[0] for k in keys], [k[1] for k in keys])), shape=(n + c, n + c)
    )
    dist = dijkstra(graph, directed=True, indices=n + np.arange(c))[:, :n] if c else np.zeros((0, n))
    out = {}
    for kind, kd in index._kinds.items():
        m = kd.members
        want = min(TABLE_K, len(m))
        sub = dist[m]
        order = np.lexsort((np.broadcast_to(m[:, None], sub.shape), sub), axis=0)[:want]
        ref_d = np.take_along_axis(sub, order, axis=0).T
        ref_i = np.where(np.isfinite(ref_d), m[order].T, -1)
        out[kind] = (ref_i, ref_d)
    return out


def assert_tables_match(index: ServiceIndex, net: WalkingNetwork) -> None:
    for kind, (ref_i, ref_d) in brute_force_tables(index, net).items():
        kd = index._kinds[kind]
        k = ref_i.shape[1]
        np.testing.assert_array_equal(kd.table_idx[:, :k], ref_i, err_msg=kind)
        np.testing.assert_allclose(kd.table_d[:, :k], ref_d, atol=1e-6, err_msg=kind)
        assert (kd.table_idx[:, k:] == -1).all(), kind


def test_demo_junction_tables_equal_brute_force(demo_index: ServiceIndex, demo_net: WalkingNetwork) -> None:
    # Every kind: dense ones are filled by the first bounded pass, rare ones (9 childcare
    # places) need the rounds of doubling radius, from junctions or from places.
    assert_tables_match(demo_index, demo_net)


@given(
    seed=st.integers(0, 2**32 - 1),
    n_places=st.integers(1, 30),
    limit=st.sampled_from([150.0, 400.0, np.inf]),
)
@settings(max_examples=25, deadline=None)
def test_junction_tables_equal_brute_force_on_random_grids(seed: int, n_places: int, limit: float) -> None:
    # Places on a 100 m street grid with an island road; many sit on junctions or
    # grid points at equal distances (ties); some kinds are rare, so the tables are
    # completed in later rounds. A finite limit leaves farther places out.
    rng = np.random.default_rng(seed)
    roads = pd_concat(grid_roads(6), island_road())
    net = WalkingNetwork.from_roads(roads)
    xy = [tuple(v) for v in rng.integers(0, 6, (n_places, 2)) * 100 + rng.choice([0, 50], (n_places, 2))]
    xy[0] = (5050.0, 0.0)  # one place on the island: unreachable from the grid
    extra = [str(rng.choice(["", "childcare", "legal_advice"])) for _ in xy]
    index = ServiceIndex.build({"service_centers": centres(xy, extra)}, net, limit_m=limit)
    if np.isinf(limit):
        assert_tables_match(index, net)
    else:
        for kind, (ref_i, ref_d) in brute_force_tables(index, net).items():
            kd = index._kinds[kind]
            within = ref_d <= limit
            k = ref_i.shape[1]
            got = np.where(within, kd.table_idx[:, :k], -1)
            np.testing.assert_array_equal(got, np.where(within, ref_i, -1), err_msg=kind)
            assert not np.isfinite(kd.table_d[:, :k][~within]).any(), kind


@pytest.mark.parametrize("radius", [120.0, 260.0, 1000.0])
def test_tables_searched_from_junctions_keep_only_walks_within_the_radius(radius: float) -> None:
    # The later rounds may search from the junctions still short of entries; a place
    # reached through one end of its road over the radius may have a shorter way
    # round through the other end, so such a walk must not enter the table.
    from geodata.nearest import _tables_from_nodes

    net = WalkingNetwork.from_roads(grid_roads(6))
    xy = [(50, 0), (250, 100), (300, 450), (500, 500), (0, 350), (120, 200)]
    index = ServiceIndex.build({"service_centers": centres(xy)}, net)
    ref_i, ref_d = brute_force_tables(index, net)["any"]
    nodes = np.arange(net.n_nodes)
    members = index._kinds["any"].members
    got_i, got_d = _tables_from_nodes(net, nodes, index._snaps, members, radius)
    within = ref_d <= radius
    k = ref_i.shape[1]
    np.testing.assert_array_equal(got_i[:, :k], np.where(within, ref_i, -1))
    np.testing.assert_allclose(got_d[:, :k][within], ref_d[within], atol=1e-6)
    assert not np.isfinite(got_d[:, :k][~within]).any()
