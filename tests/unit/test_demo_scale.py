"""The scaled demo (``--scale N``): N copies of the district, consistent, connected, deterministic.

Built at ×3 (and ×2) only: every property checked here holds copy by copy, so
three copies (one east, one north of the original) exercise the layout, the ids,
the link roads and the worker processes; ×100 is measured by the benchmark.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pandas.testing import assert_frame_equal
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dashboard.auth import demo_account_name
from geodata.__main__ import MAX_SCALE as CLI_MAX_SCALE
from geodata.__main__ import main as cli
from geodata.demo import DEFAULT_SEED, MAX_SCALE, build_demo, demo_meta
from geodata.demo.build import build_world
from geodata.demo.scale import COPY_GAP_M, copy_frames, lattice, layout
from geodata.gpkg import read_meta, write_geopackage
from geodata.network import WalkingNetwork
from geodata.schema import MEASURE_CRS, SCHEMA, split_codes
from geodata.validate import load_validated, validate_path

SCALE = 3
_COPY = re.compile(r"^D(\d{3})-")


def copy_of(ids: pd.Series) -> np.ndarray:
    """Copy index of every id (0 for the original district's unprefixed ids)."""
    found = ids.astype(str).str.extract(_COPY, expand=False)
    return (found.astype(float).fillna(1).astype(int) - 1).to_numpy()


def links(roads: pd.DataFrame) -> np.ndarray:
    return roads["id"].str.startswith("RL").to_numpy()


@pytest.fixture(scope="module")
def scaled() -> dict[str, pd.DataFrame]:
    """×3 with two worker processes (the path ``make demo-x100`` takes)."""
    return build_demo(DEFAULT_SEED, scale=SCALE, jobs=2)


@pytest.fixture(scope="module")
def scaled_path(scaled: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scaled") / "demo-x3.gpkg"
    return write_geopackage(path, scaled, demo_meta(DEFAULT_SEED, SCALE))


@pytest.fixture(scope="module")
def metric(scaled: dict) -> dict[str, gpd.GeoDataFrame]:
    return {n: scaled[n].to_crs(MEASURE_CRS) for n in ("district", "streets", "communities", "grids")}


@pytest.fixture(scope="module")
def world():
    return build_world(DEFAULT_SEED)


# --- counts ------------------------------------------------------------------------------


def test_every_layer_holds_scale_times_the_demo(scaled: dict, demo_dataset) -> None:
    assert list(scaled) == list(SCHEMA)
    for name in SCHEMA:
        demo, big = demo_dataset[name], scaled[name]
        if name == "district":
            assert len(big) == 1
            assert big["population"].iloc[0] == SCALE * demo["population"].iloc[0]
        elif name == "roads":
            assert (~links(big)).sum() == SCALE * len(demo)
            assert links(big).sum() == len(layout(shapely.box(0, 0, 1, 1), SCALE).links)
        else:
            assert len(big) == SCALE * len(demo), name
        if name != "district":
            counts = np.bincount(copy_of(big.loc[~links(big), "id"] if name == "roads" else big["id"]))
            assert counts.tolist() == [len(demo)] * SCALE, f"{name}: copies differ in size"


def test_scaled_file_validates_and_records_its_scale(scaled_path: Path) -> None:
    problems = validate_path(scaled_path)
    assert not problems, "\n".join(map(str, problems))
    assert read_meta(scaled_path)["scale"] == str(SCALE)


# --- ids and references ----------------------------------------------------------------------


def test_ids_are_unique_and_references_stay_inside_their_copy(scaled: dict) -> None:
    for name, lyr in SCHEMA.items():
        frame = scaled[name]
        assert frame["id"].is_unique, f"{name}: duplicate ids"
        own = copy_of(frame["id"])
        for f in lyr.fields:
            if not f.references:
                continue
            target, _, column = f.references.partition(".")
            values = frame[f.name]
            present = values.notna().to_numpy()
            assert values[present].isin(set(scaled[target][column])).all(), f"{name}.{f.name} dangles"
            assert (copy_of(values[present]) == own[present]).all(), (
                f"{name}.{f.name} points into another copy"
            )
    teams = scaled["legal_teams"]
    streets = set(scaled["streets"]["id"])
    for team, copy in zip(teams.itertuples(), copy_of(teams["id"]), strict=True):
        served = split_codes(team.street_ids)
        assert set(served) <= streets
        assert (copy_of(pd.Series(served)) == copy).all(), team.id


def test_names_carry_the_copy_mark_and_demo_accounts_stay_apart(scaled: dict) -> None:
    streets = scaled["streets"]
    copy = copy_of(streets["id"])
    assert not streets.loc[copy == 0, "name"].str.contains("·").any(), "the original keeps its names"
    for c in range(1, SCALE):
        assert streets.loc[copy == c, "name"].str.endswith(f"街道·{c + 1}").all()
    for name in ("streets", "communities", "service_centers", "grids"):
        assert scaled[name]["name"].is_unique, f"{name}: two copies share a name"
    accounts = [demo_account_name(n, i) for i, n in zip(streets["id"], streets["name"], strict=True)]
    assert len(set(accounts)) == len(accounts), "two streets would share a demo account"
    centres = scaled["service_centers"]
    marked = centres.loc[copy_of(centres["id"]) == 1, "address"]
    assert marked.str.match(r"^\w+街道·2").all(), "an address does not name its copy's street"


# --- geometry ----------------------------------------------------------------------------------


def test_copies_are_disjoint_and_polygons_tile_within_each_copy(metric: dict) -> None:
    streets, communities, grids = metric["streets"], metric["communities"], metric["grids"]
    outlines = [shapely.union_all(streets.geometry.values[copy_of(streets["id"]) == c]) for c in range(SCALE)]
    for a in range(SCALE):
        for b in range(a + 1, SCALE):
            assert shapely.distance(outlines[a], outlines[b]) >= COPY_GAP_M - 1, f"copies {a} and {b} touch"
    for child, parent, key in ((communities, streets, "street_id"), (grids, communities, "community_id")):
        parents = parent.set_index("id").geometry
        container = parents.loc[child[key]].buffer(1.0).to_numpy()
        assert shapely.within(child.geometry.to_numpy(), container).all(), (
            f"a {key} part lies outside its parent"
        )
        total = child.geometry.area.sum()
        union = shapely.union_all(child.geometry.to_numpy()).area
        assert abs(total - union) < 1e-6 * total, "polygons overlap"
        assert abs(total - parent.geometry.area.sum()) < 1e-6 * total, "polygons leave gaps"
    district = metric["district"].geometry.iloc[0]
    assert district.geom_type == "Polygon", "the copies and their corridors form one district"
    assert shapely.within(streets.geometry.to_numpy(), district.buffer(1.0)).all()


def test_points_lie_in_the_grid_they_name(scaled: dict) -> None:
    grids = scaled["grids"].set_index("id").geometry
    for name in ("grid_events", "building_groups"):
        points = scaled[name]
        inside = shapely.contains(grids.loc[points["grid_id"]].to_numpy(), points.geometry.to_numpy())
        assert inside.all(), f"{name}: a point lies outside its grid"


def test_roads_form_one_connected_network_across_copies(scaled: dict) -> None:
    roads = scaled["roads"]
    network = WalkingNetwork.from_roads(roads)
    count, _ = connected_components(network.graph, directed=False)
    assert count == 1, f"the walking network falls apart into {count} pieces"
    joined = roads[links(roads)].to_crs(MEASURE_CRS)
    assert (joined.length > COPY_GAP_M).all()
    others = roads[~links(roads)].geometry.to_numpy()
    for line in roads[links(roads)].geometry:
        touching = others[shapely.intersects(others, line)]
        assert (shapely.get_type_id(shapely.intersection(touching, line)) == 0).all(), (
            "a link road crosses a road"
        )


# --- determinism and randomness -------------------------------------------------------------------


def _copies(frames: dict, keep: int) -> dict[str, pd.DataFrame]:
    out = {}
    for name, frame in frames.items():
        if name == "district":
            continue
        rows = frame[~links(frame)] if name == "roads" else frame
        out[name] = rows[copy_of(rows["id"]) < keep].reset_index(drop=True)
    return out


def _assert_same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for name in a:
        x, y = a[name], b[name]
        if isinstance(x, gpd.GeoDataFrame):
            assert shapely.equals_exact(x.geometry.to_numpy(), y.geometry.to_numpy(), tolerance=0).all(), name
            x, y = pd.DataFrame(x.drop(columns="geometry")), pd.DataFrame(y.drop(columns="geometry"))
        assert_frame_equal(x, y, check_exact=True, obj=name)


def test_same_seed_gives_the_same_copies_whatever_the_jobs_and_scale(scaled: dict) -> None:
    # The lattice grows outwards, so ×2 is the first two copies of ×3, built here in one process.
    _assert_same(_copies(build_demo(DEFAULT_SEED, scale=2, jobs=1), 2), _copies(scaled, 2))


def test_copy_zero_is_the_demo_district(scaled_path: Path, demo_dataset) -> None:
    loaded = load_validated(scaled_path)
    original = {name: demo_dataset[name] for name in SCHEMA if name != "district"}
    _assert_same(_copies(loaded, 1), {n: f.reset_index(drop=True) for n, f in original.items()})


def test_each_copy_and_each_seed_draws_its_own_points(scaled: dict, world) -> None:
    centres = scaled["service_centers"]
    offsets = layout(world.outline, SCALE).offsets
    xy = shapely.get_coordinates(centres.to_crs(MEASURE_CRS).geometry.to_numpy())
    copy = copy_of(centres["id"])
    first, second = xy[copy == 1] - offsets[1], xy[copy == 2] - offsets[2]
    assert np.median(np.hypot(*(first - second).T)) > 100, "copies 1 and 2 place their centres alike"
    same = copy_frames(world, DEFAULT_SEED, 1, offsets[1])
    other = copy_frames(world, DEFAULT_SEED + 1, 1, offsets[1])
    assert not same["grid_events"]["found_at"].equals(other["grid_events"]["found_at"])
    assert (
        same["grid_events"]["id"].tolist()
        == scaled["grid_events"]["id"][copy_of(scaled["grid_events"]["id"]) == 1].tolist()
    )


# --- layout and command line ----------------------------------------------------------------------


def test_lattice_grows_outwards_and_stays_connected() -> None:
    cells = lattice(100)
    assert cells[0].tolist() == [0, 0]
    assert (lattice(10) == cells[:10]).all(), "a smaller world is not the start of a larger one"
    assert len({tuple(c) for c in cells}) == 100
    plan = layout(shapely.box(0, 0, 20_000, 25_000), 100)
    n = len(cells)
    pairs = np.array([(a, b) for a, b, _axis in plan.links])
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    assert connected_components(graph, directed=False)[0] == 1
    assert np.allclose(plan.step, [20_000 + COPY_GAP_M, 25_000 + COPY_GAP_M])


def test_command_line_refuses_a_bad_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert CLI_MAX_SCALE == MAX_SCALE
    for bad in ("0", "1000", "two"):
        with pytest.raises(SystemExit) as stop:
            cli(["demo", "--out", str(tmp_path / "x.gpkg"), "--scale", bad])
        assert stop.value.code == 2
        assert "--scale" in capsys.readouterr().err
    with pytest.raises(ValueError, match="scale"):
        build_demo(DEFAULT_SEED, scale=0)
