"""Cell candidate tables hold every query's nearest points, wherever the query falls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.cells import CellCandidates


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 400),
    k=st.integers(1, 8),
    clustered=st.booleans(),
    points_per_cell=st.sampled_from([0.05, 0.1, 1.0, 5.0]),
)
def test_every_query_s_k_nearest_are_in_its_cell_list(seed, n, k, clustered, points_per_cell):
    rng = np.random.default_rng(seed)
    if clustered:  # a town and its villages: dense centre, sparse edges
        xy = rng.normal(0, 800, size=(n, 2)) + rng.choice([0, 6000], size=(n, 1))
    else:
        xy = rng.uniform(-5000, 5000, size=(n, 2))
    extent = (-9000.0, -9000.0, 12000.0, 9000.0)
    table = CellCandidates.build(xy, extent, k_max=k, points_per_cell=points_per_cell)
    queries = np.column_stack([rng.uniform(-9000, 12000, 300), rng.uniform(-9000, 9000, 300)])
    for x, y in queries:
        cell = table.cell_of(x, y)
        assert cell >= 0, "queries inside the extent always have a cell"
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        kth = np.sort(d)[min(k, n) - 1]
        must = set(np.flatnonzero(d <= kth).tolist())  # ties at the k-th included
        assert must <= set(table.candidates(cell))


def test_queries_outside_the_grid_have_no_cell():
    table = CellCandidates.build(np.array([[0.0, 0.0], [100.0, 100.0]]), (0, 0, 100, 100), k_max=1)
    assert table.cell_of(-1e6, 50) == -1 and table.cell_of(50, 1e9) == -1
    assert table.cell_of(50, 50) >= 0


def test_an_empty_set_of_points_is_refused():
    with pytest.raises(ValueError):
        CellCandidates.build(np.zeros((0, 2)), (0, 0, 1, 1), k_max=1)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.sampled_from([7.0, 50.0, 300.0]))
def test_inside_grid_agrees_with_shapely(seed, size):
    import shapely

    from geodata.cells import InsideGrid

    rng = np.random.default_rng(seed)
    # A jagged polygon with a hole: edges, notches and a courtyard.
    angles = np.sort(rng.uniform(0, 2 * np.pi, 40))
    radii = rng.uniform(400, 1000, 40)
    outer = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    polygon = shapely.Polygon(outer, [shapely.Point(0, 0).buffer(150).exterior.coords]).buffer(0)
    grid = InsideGrid.build(polygon, size)
    pts = rng.uniform(-1100, 1100, size=(2000, 2))
    expected = shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])
    got = np.array([grid.contains(x, y) for x, y in pts])
    assert (got == expected).all()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 300),
    size=st.sampled_from([5.0, 30.0, 120.0]),
    max_list=st.sampled_from([4, 32]),
)
def test_a_segment_cell_list_holds_the_nearest_segment_of_every_point_in_it(seed, n, size, max_list):
    from geodata.cells import SegmentCells, _segment_distance

    rng = np.random.default_rng(seed)
    start = rng.uniform(-2000, 2000, size=(n, 2))
    delta = rng.normal(0, 20, size=(n, 2)) * rng.integers(0, 2, size=(n, 1))  # some of length 0
    table = SegmentCells.build(start, delta, size=size, reach=300.0, max_list=max_list)
    listed = 0
    for x, y in rng.uniform(-2400, 2400, size=(400, 2)):
        found = table.candidates(x, y)
        if found is None:
            continue
        listed += 1
        assert found == sorted(found) and len(found) <= max_list
        d = _segment_distance(np.tile([x, y], (n, 1)), start, delta)
        nearest = set(np.flatnonzero(d <= d.min() + 1e-9).tolist())
        assert nearest & set(found), "the nearest segment is missing from the cell's list"
        assert min(d[found]) == pytest.approx(d.min(), abs=1e-9)
    if max_list == 32 and size == 5.0 and n >= 50:
        assert listed > 0, "dense segments and small cells must give some lists"


def test_segment_cells_leave_points_far_from_every_segment_to_the_caller():
    from geodata.cells import SegmentCells

    table = SegmentCells.build(np.array([[0.0, 0.0]]), np.array([[10.0, 0.0]]), size=10, reach=100)
    assert table.candidates(5, 3) == [0]
    assert table.candidates(5, 5000) is None and table.candidates(-1e7, 0) is None
