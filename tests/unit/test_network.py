"""The walking network: graph building, snapping, routes and walking areas.

Small hand-built grids (in EPSG:4545, so expected distances are exact) and the
demo district (routes checked against scipy's Dijkstra on the same graph).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point

from geodata.network import (
    AREA_BUFFER_M,
    WALK_SPEED_M_PER_MIN,
    WalkingNetwork,
    walk_minutes,
)
from geodata.schema import MEASURE_CRS, STORAGE_CRS

X0, Y0 = 560_000.0, 3_800_000.0  # a corner inside Qindu, EPSG:4545 metres
TO_LONLAT = Transformer.from_crs(MEASURE_CRS, STORAGE_CRS, always_xy=True)
TO_XY = Transformer.from_crs(STORAGE_CRS, MEASURE_CRS, always_xy=True)
GEOD = Geod(ellps="WGS84")
DRAWN_TOL_M = 0.1  # route coordinates are rounded to 1e-7° (~1 cm per vertex)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Grid-local metres (from X0, Y0) to lon/lat."""
    return TO_LONLAT.transform(X0 + x, Y0 + y)


def roads_frame(
    lines: list[list[tuple[float, float]]], walkable: list[bool] | None = None
) -> gpd.GeoDataFrame:
    """A roads layer from grid-local metre coordinates, stored in EPSG:4326 like the real one."""
    geoms = [LineString([(X0 + x, Y0 + y) for x, y in line]) for line in lines]
    frame = gpd.GeoDataFrame(
        {
            "id": [f"R{i:03d}" for i in range(len(lines))],
            "walkable": walkable if walkable is not None else [True] * len(lines),
        },
        geometry=geoms,
        crs=MEASURE_CRS,
    )
    return frame.to_crs(STORAGE_CRS)


def grid_lines(n: int, step: float = 100.0) -> list[list[tuple[float, float]]]:
    """An n × n junction grid, one segment per block side."""
    lines = []
    for i in range(n):
        for j in range(n - 1):
            lines.append([(j * step, i * step), ((j + 1) * step, i * step)])
            lines.append([(i * step, j * step), (i * step, (j + 1) * step)])
    return lines


@pytest.fixture(scope="module")
def grid() -> WalkingNetwork:
    return WalkingNetwork.from_roads(roads_frame(grid_lines(3)))


def area_xy(poly: shapely.Polygon) -> shapely.Polygon:
    return shapely.transform(poly, lambda xy: np.column_stack(TO_XY.transform(xy[:, 0], xy[:, 1])))


def route_length_xy(coords: tuple[tuple[float, float], ...]) -> float:
    lon, lat = np.array(coords).T
    x, y = TO_XY.transform(lon, lat)
    return float(np.hypot(np.diff(x), np.diff(y)).sum())


# --- building -----------------------------------------------------------------------


def test_grid_nodes_edges_and_lengths(grid: WalkingNetwork) -> None:
    assert grid.n_nodes == 9
    assert grid.n_edges == 12
    assert np.allclose(grid.edge_length, 100.0, atol=1e-6)
    assert grid.graph.nnz == 24  # symmetric
    assert np.allclose(grid.node_lonlat[:, 0], TO_LONLAT.transform(grid.node_xy[:, 0], grid.node_xy[:, 1])[0])


def test_network_is_read_only(grid: WalkingNetwork) -> None:
    for array in (grid.node_xy, grid.node_lonlat, grid.edge_u, grid.edge_v, grid.edge_length):
        with pytest.raises(ValueError):
            array[0] = 0


def test_touching_ends_share_a_node_but_gaps_do_not() -> None:
    net = WalkingNetwork.from_roads(roads_frame([[(0, 0), (100, 0)], [(100.3, 0.2), (200, 0)]]))
    assert net.n_nodes == 3
    net = WalkingNetwork.from_roads(roads_frame([[(0, 0), (100, 0)], [(102, 0), (200, 0)]]))
    assert net.n_nodes == 4


def test_unwalkable_roads_are_left_out() -> None:
    net = WalkingNetwork.from_roads(
        roads_frame([[(0, 0), (100, 0)], [(100, 0), (200, 0)]], walkable=[True, False])
    )
    assert net.n_edges == 1
    assert list(net.edge_road_id) == ["R000"]


def test_parallel_edges_keep_the_shortest_in_the_matrix() -> None:
    net = WalkingNetwork.from_roads(roads_frame([[(0, 0), (100, 0)], [(0, 0), (50, 50), (100, 0)]]))
    assert net.n_edges == 2
    assert net.graph.nnz == 2
    assert net.graph.data == pytest.approx([100.0, 100.0])


# --- snapping -------------------------------------------------------------------------


def test_snap_lands_on_the_nearest_edge_not_the_nearest_node(grid: WalkingNetwork) -> None:
    s = grid.snap(*lonlat(50, -12))
    assert s.distance_m == pytest.approx(12.0, abs=1e-6)
    assert s.along_m == pytest.approx(50.0, abs=1e-6)
    assert (s.snap_x - X0, s.snap_y - Y0) == pytest.approx((50.0, 0.0), abs=1e-6)
    assert s.to_u_m + s.to_v_m == pytest.approx(100.0)


def test_snap_far_from_every_road(grid: WalkingNetwork) -> None:
    s = grid.snap(*lonlat(-1500, 100))
    assert s.distance_m == pytest.approx(1500.0, abs=1e-6)


@given(x=st.floats(-300, 500), y=st.floats(-300, 500))
@settings(max_examples=25, deadline=None)
def test_snap_matches_shapely_nearest_distance(grid: WalkingNetwork, x: float, y: float) -> None:
    s = grid.snap_xy(X0 + x, Y0 + y)
    lines = shapely.linestrings([grid.edge_xy(e) for e in range(grid.n_edges)])
    expected = shapely.distance(lines, Point(X0 + x, Y0 + y)).min()
    assert s.distance_m == pytest.approx(expected, abs=1e-6)


# --- routes ---------------------------------------------------------------------------


def test_route_across_the_grid_has_the_exact_length(grid: WalkingNetwork) -> None:
    a, b = lonlat(50, -10), lonlat(210, 150)
    r = grid.route(a, b)
    assert r is not None
    assert r.walk_m == pytest.approx(10 + 50 + 200 + 50 + 10, abs=1e-6)
    assert r.off_network_m == pytest.approx(20.0, abs=1e-6)
    assert r.walk_min == math.ceil(320 / WALK_SPEED_M_PER_MIN)
    assert r.coords[0] == pytest.approx(a, abs=1e-6)
    assert r.coords[-1] == pytest.approx(b, abs=1e-6)
    assert route_length_xy(r.coords) == pytest.approx(r.walk_m, abs=DRAWN_TOL_M)


def test_route_along_one_edge(grid: WalkingNetwork) -> None:
    r = grid.route(lonlat(20, 5), lonlat(70, -5))
    assert r is not None
    assert r.walk_m == pytest.approx(5 + 50 + 5, abs=1e-6)
    assert route_length_xy(r.coords) == pytest.approx(60.0, abs=DRAWN_TOL_M)


def test_route_follows_road_bends() -> None:
    net = WalkingNetwork.from_roads(roads_frame([[(0, 0), (0, 100), (100, 100), (100, 0)]]))
    r = net.route(lonlat(0, 0), lonlat(100, 0))
    assert r is not None
    assert r.walk_m == pytest.approx(300.0, abs=1e-6)
    assert len(r.coords) == 4  # the two corners are drawn, not a straight jump
    assert route_length_xy(r.coords) == pytest.approx(300.0, abs=DRAWN_TOL_M)


def test_route_on_a_loop_road_sets_off_the_short_way() -> None:
    # A square loop digitised as one line starting and ending at (0, 0), with a stem west.
    loop = [(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)]
    net = WalkingNetwork.from_roads(roads_frame([loop, [(0, 0), (-100, 0)]]))
    assert net.n_nodes == 2
    for start in [(50, -5), (-5, 50)]:  # 50 m after the start, 50 m before the end
        r = net.route(lonlat(*start), lonlat(-50, 5))
        assert r is not None
        assert r.walk_m == pytest.approx(5 + 50 + 50 + 5, abs=1e-6)
        assert route_length_xy(r.coords) == pytest.approx(110.0, abs=DRAWN_TOL_M)


def test_no_route_between_separate_networks() -> None:
    net = WalkingNetwork.from_roads(roads_frame([[(0, 0), (100, 0)], [(0, 500), (100, 500)]]))
    assert net.route(lonlat(10, 0), lonlat(10, 500)) is None
    assert net.route(lonlat(10, 0), lonlat(90, 0)) is not None


@given(
    a=st.tuples(st.floats(-100, 300), st.floats(-100, 300)),
    b=st.tuples(st.floats(-100, 300), st.floats(-100, 300)),
)
@settings(max_examples=25, deadline=None)
def test_route_is_symmetric_and_never_shorter_than_the_line(
    grid: WalkingNetwork, a: tuple[float, float], b: tuple[float, float]
) -> None:
    ab, ba = grid.route(lonlat(*a), lonlat(*b)), grid.route(lonlat(*b), lonlat(*a))
    assert ab is not None and ba is not None
    assert ab.walk_m == pytest.approx(ba.walk_m, abs=1e-6)
    assert ab.walk_m >= math.dist(a, b) - 1e-6
    assert route_length_xy(ab.coords) == pytest.approx(ab.walk_m, abs=DRAWN_TOL_M)


# --- walking areas --------------------------------------------------------------------


def test_walk_area_counts_the_boundary_edge_in_part() -> None:
    net = WalkingNetwork.from_roads(roads_frame([[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]]))
    area = area_xy(net.walk_area(*lonlat(1000, 0), minutes=5))  # 375 m each way
    x0, _, x1, y1 = area.bounds
    assert x0 - X0 == pytest.approx(1000 - 375 - AREA_BUFFER_M, abs=3.0)
    assert x1 - X0 == pytest.approx(1000 + 375 + AREA_BUFFER_M, abs=3.0)
    assert y1 - Y0 == pytest.approx(AREA_BUFFER_M, abs=3.0)
    assert area.contains(Point(X0 + 1000, Y0))


def test_walk_area_subtracts_the_off_network_leg() -> None:
    net = WalkingNetwork.from_roads(roads_frame([[(0, 0), (1000, 0)]]))
    area = area_xy(net.walk_area(*lonlat(500, 75), minutes=2))  # 150 m, 75 of them to the road
    x0, _, x1, _ = area.bounds
    assert x1 - x0 == pytest.approx(2 * 75 + 2 * AREA_BUFFER_M, abs=3.0)
    assert area.contains(Point(X0 + 500, Y0 + 75))


def test_walk_area_grows_with_time_and_contains_its_start(grid: WalkingNetwork) -> None:
    start = lonlat(50, 40)
    small, large = grid.walk_area(*start, minutes=1), grid.walk_area(*start, minutes=4)
    assert small.geom_type == large.geom_type == "Polygon"
    assert small.contains(Point(start)) and large.contains(Point(start))
    assert large.area > small.area
    assert large.buffer(1e-9).contains(small)


def test_walk_area_far_from_roads_is_the_straight_disc(grid: WalkingNetwork) -> None:
    area = area_xy(grid.walk_area(*lonlat(-2000, 0), minutes=10))
    assert area.centroid.distance(Point(X0 - 2000, Y0)) < 1.0
    assert area.area == pytest.approx(math.pi * 750**2, rel=0.02)


def test_walk_minutes_round_up() -> None:
    assert walk_minutes(0) == 0
    assert walk_minutes(75) == 1
    assert walk_minutes(75.01) == 2
    assert walk_minutes(1125) == 15
    assert walk_minutes(15 * 75 * (1 + 1e-13)) == 15  # float noise is not a minute


# --- the demo district ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_net(demo_dataset) -> WalkingNetwork:
    return WalkingNetwork.from_roads(demo_dataset.frames["roads"])


@pytest.fixture(scope="module")
def demo_points(demo_dataset) -> np.ndarray:
    """60 random lon/lat points inside the district."""
    district = demo_dataset.frames["district"].geometry.union_all()
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = district.bounds
    pts = rng.uniform((x0, y0), (x1, y1), size=(600, 2))
    return pts[shapely.contains_xy(district, pts[:, 0], pts[:, 1])][:60]


def test_demo_network_is_one_connected_piece(demo_net: WalkingNetwork) -> None:
    from scipy.sparse.csgraph import connected_components

    assert demo_net.n_edges > 2000
    assert connected_components(demo_net.graph, directed=False)[0] == 1


def test_bounded_dijkstra_matches_scipy(demo_net: WalkingNetwork, demo_points: np.ndarray) -> None:
    for lon, lat in demo_points[:15]:
        s = demo_net.snap(lon, lat)
        full = dijkstra(demo_net.graph, indices=[s.u, s.v])
        expected = np.minimum(s.distance_m + s.to_u_m + full[0], s.distance_m + s.to_v_m + full[1])
        got = demo_net.node_distances(lon, lat, cutoff_m=1500.0)
        within = np.flatnonzero(expected <= 1500.0)
        assert set(got) == set(within.tolist())
        assert np.allclose([got[n] for n in within], expected[within], atol=1e-6)


def test_demo_routes_match_scipy_and_their_drawing(demo_net: WalkingNetwork, demo_points: np.ndarray) -> None:
    for (alon, alat), (blon, blat) in zip(demo_points[:20], demo_points[20:40], strict=True):
        a, b = demo_net.snap(alon, alat), demo_net.snap(blon, blat)
        full = dijkstra(demo_net.graph, indices=[a.u, a.v])
        best = min(
            da + full[i, node] + db
            for i, da in enumerate((a.to_u_m, a.to_v_m))
            for node, db in ((b.u, b.to_u_m), (b.v, b.to_v_m))
        )
        if a.edge == b.edge:
            best = min(best, abs(a.along_m - b.along_m))
        r = demo_net.route((alon, alat), (blon, blat))
        assert r is not None
        assert r.walk_m == pytest.approx(best + a.distance_m + b.distance_m, abs=1e-6)
        assert r.coords[0] == pytest.approx((alon, alat), abs=1e-6)
        assert r.coords[-1] == pytest.approx((blon, blat), abs=1e-6)
        drawn = GEOD.line_length(*np.array(r.coords).T)
        assert drawn == pytest.approx(r.walk_m, rel=0.01)


def test_demo_walk_area_contains_start_and_nearby_routes(
    demo_net: WalkingNetwork, demo_points: np.ndarray
) -> None:
    for lon, lat in demo_points[:8]:
        area = demo_net.walk_area(lon, lat, 15)
        assert area.geom_type == "Polygon"
        assert area.contains(Point(lon, lat))
        # Every node reached within 15 minutes lies inside the drawn area.
        reached = demo_net.node_distances(lon, lat, cutoff_m=15 * WALK_SPEED_M_PER_MIN)
        nodes = demo_net.node_lonlat[list(reached)]
        assert shapely.contains_xy(area.buffer(1e-6), nodes[:, 0], nodes[:, 1]).all()


def test_demo_snaps_match_shapely_near_and_far_from_roads(demo_net: WalkingNetwork, demo_dataset) -> None:
    # Far points gather many candidate pieces and take the vectorised scan; near ones
    # the plain loop. Both must find the exact nearest road.
    lines = np.array([LineString(demo_net.edge_xy(e)) for e in range(demo_net.n_edges)])
    tree = shapely.STRtree(lines)
    x0, y0, x1, y1 = demo_net.node_xy.min(axis=0).tolist() + demo_net.node_xy.max(axis=0).tolist()
    rng = np.random.default_rng(3)
    far = rng.uniform((x0 - 3000, y0 - 3000), (x0, y0), size=(20, 2))
    near = rng.uniform((x0, y0), (x1, y1), size=(200, 2))
    sizes = []
    for x, y in np.vstack([far, near]):
        s = demo_net.snap_xy(x, y)
        p = Point(x, y)
        expected = float(shapely.distance(lines[tree.query_nearest(p)[0]], p))
        assert s.distance_m == pytest.approx(expected, abs=1e-6)
        assert math.hypot(s.snap_x - x, s.snap_y - y) == pytest.approx(s.distance_m, abs=1e-6)
        sizes.append(len(demo_net._piece_tree.query_ball_point((x, y), s.distance_m + 30)))
    assert max(sizes) >= 24, "some snaps must have taken the vectorised scan"


def test_demo_snaps_from_cell_lists_equal_the_general_search(demo_net: WalkingNetwork) -> None:
    # Residents ask from near the roads, where the cell lists answer; points on cell
    # borders and corners are the hard cases for the proof.
    cells = demo_net._snap_cells
    assert cells is not None and cells.cells_with_lists > 1000
    rng = np.random.default_rng(8)
    mids = demo_net.node_xy[rng.integers(0, demo_net.n_nodes, 300)]
    jitter = rng.uniform(-150, 150, size=mids.shape)
    corners = np.floor((mids - (cells.x0, cells.y0)) / cells.size) * cells.size + (cells.x0, cells.y0)
    listed = 0
    for x, y in np.vstack([mids + jitter, corners, corners + np.array([cells.size / 2, 0.0])]):
        found = cells.candidates(x, y)
        if found is None:
            continue
        listed += 1
        best, dist = demo_net._nearest_piece_search(x, y)
        s = demo_net.snap_xy(x, y)
        assert s.distance_m == pytest.approx(dist, abs=1e-9)
        assert (s.snap_x, s.snap_y) == pytest.approx((best[3], best[4]), abs=1e-6)
    assert listed > 500
