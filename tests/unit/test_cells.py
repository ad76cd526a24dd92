"""Look-up grids agree with shapely wherever the query falls."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


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
