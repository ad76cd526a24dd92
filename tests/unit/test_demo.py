"""The demo district: exact source figures, tiling, placement, network, determinism, file round trip."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pandas.testing import assert_frame_equal
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geodata.demo import DEFAULT_SEED, build_demo, demo_meta, write_demo
from geodata.outline import OUTLINE_SOURCE
from geodata.schema import BASIC_SERVICES, MEASURE_CRS, SCHEMA, SERVICE_MENU, split_codes

POINT_LAYERS = [name for name, lyr in SCHEMA.items() if lyr.geometry and "Point" in lyr.geometry]
STREET_CODES = [f"610402{i:03d}" for i in range(1, 13)]
STREET_NAMES = [
    "人民路",
    "西兰路",
    "吴家堡",
    "渭阳西路",
    "陈杨寨",
    "古渡",
    "上林",
    "钓台",
    "马泉",
    "渭滨",
    "双照",
    "马庄",
]


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return build_demo(DEFAULT_SEED)


@pytest.fixture(scope="module")
def metric(demo: dict) -> dict[str, gpd.GeoDataFrame]:
    """Spatial layers in EPSG:4545 (metres), indexed by id."""
    return {
        n: f.to_crs(MEASURE_CRS).set_index("id", drop=False) for n, f in demo.items() if SCHEMA[n].geometry
    }


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("demo") / "demo.gpkg")


def _river(metric: dict) -> shapely.Geometry:
    return shapely.union_all(metric["water"].geometry.values)


# --- structure -------------------------------------------------------------------------


def test_every_schema_layer_is_built_with_exactly_its_columns(demo: dict) -> None:
    assert list(demo) == list(SCHEMA)
    for name, lyr in SCHEMA.items():
        expected = [f.name for f in lyr.fields] + (["geometry"] if lyr.geometry else [])
        assert list(demo[name].columns) == expected, f"{name} columns differ from the schema"
        if lyr.geometry:
            assert isinstance(demo[name], gpd.GeoDataFrame) and demo[name].crs == "EPSG:4326", name


def test_column_types_follow_the_schema(demo: dict) -> None:
    for name, lyr in SCHEMA.items():
        frame = demo[name]
        for f in lyr.fields:
            col = frame[f.name]
            where = f"{name}.{f.name}"
            if f.type == "int":
                assert col.dtype == "int64", where
            elif f.type == "float":
                assert col.dtype == "float64", where
            elif f.type == "bool":
                assert col.dtype == bool, where
            elif f.type == "datetime":
                assert col.dtype == "datetime64[ns]", where
            elif f.type == "date":
                assert all(v is None or type(v) is dt.date for v in col), where
            else:
                assert all(
                    v is None or isinstance(v, str) for v in col.astype(object).where(col.notna(), None)
                ), where
            if f.required:
                assert col.notna().all(), f"{where} is required but has empty values"


def test_allowed_values_and_bounds_hold(demo: dict) -> None:
    for name, lyr in SCHEMA.items():
        for f in lyr.fields:
            col = demo[name][f.name].dropna()
            if f.choices and f.type == "str":
                assert set(col) <= f.allowed_values, f"{name}.{f.name} has a value outside its choices"
            if f.type == "codes":
                assert all(set(split_codes(v)) <= f.allowed_values for v in col), f"{name}.{f.name}"
            if f.minimum is not None:
                assert (col >= f.minimum).all(), f"{name}.{f.name} below its minimum"
            if f.maximum is not None:
                assert (col <= f.maximum).all(), f"{name}.{f.name} above its maximum"


def test_ids_are_unique_in_every_layer(demo: dict) -> None:
    for name, frame in demo.items():
        assert frame["id"].is_unique, f"{name} repeats an id"


def test_every_reference_points_at_an_existing_feature(demo: dict) -> None:
    for name, lyr in SCHEMA.items():
        for f in lyr.fields:
            if f.references:
                target, _, field = f.references.partition(".")
                values = demo[name][f.name].dropna()
                missing = set(values) - set(demo[target][field])
                assert not missing, f"{name}.{f.name} points at missing {target}: {sorted(missing)[:3]}"


def test_synthetic_layers_are_flagged_demo_and_the_real_outline_is_not(demo: dict) -> None:
    assert not demo["district"]["is_demo"].any()
    for name, frame in demo.items():
        if name != "district":
            assert frame["is_demo"].all(), f"{name} has features not flagged as demo data"


def test_the_validator_finds_no_error(demo: dict) -> None:
    validate = pytest.importorskip("geodata.validate")
    errors = [p for p in validate.validate_frames(demo) if p.severity == "error"]
    assert not errors, errors[:5]


def test_provenance_names_seed_outline_and_chosen_figures() -> None:
    meta = demo_meta(DEFAULT_SEED)
    assert meta["seed"] == str(DEFAULT_SEED)
    assert meta["outline_source"] == OUTLINE_SOURCE
    assert "synthetic" in meta["demo_notice"]
    assert "our choice" in meta["figure.urban_communities"]
    assert "our choice" in meta["figure.villages"]
    assert "seven steps" in meta["figure.three_no_compounds_completed"]


# --- figures from the source ----------------------------------------------------------


def test_district_carries_the_source_indicators(demo: dict) -> None:
    d = demo["district"].iloc[0]
    assert d["id"] == "610402" and d["name"] == "秦都区"
    assert d["online_handling_rate"] == 0.908 and d["time_limit_ratio"] == 0.506
    assert 340_000 <= d["population"] <= 360_000
    assert demo["streets"]["population"].sum() == d["population"] == demo["communities"]["population"].sum()


def test_the_twelve_real_streets(demo: dict) -> None:
    s = demo["streets"]
    assert list(s["id"]) == STREET_CODES
    assert list(s["name"]) == [f"{n}街道" for n in STREET_NAMES]
    xixian = set(s.loc[s["managed_by"] == "xixian", "name"])
    assert xixian == {"上林街道", "钓台街道", "双照街道"}


def test_source_counts_are_exact(demo: dict) -> None:
    assert len(demo["service_centers"]) == 141
    assert len(demo["daycare_centers"]) == 21
    assert len(demo["legal_teams"]) == 13
    assert len(demo["social_orgs"]) == 12
    assert len(demo["grids"]) == 424
    assert len(demo["building_groups"]) == 715
    assert demo["communities"]["tele_medicine"].sum() == 93
    assert demo["communities"]["party_members"].sum() == 45_991
    assert demo["communities"]["cadres_reappointed"].sum() == 32
    kinds = demo["facilities"]["kind"].value_counts()
    assert kinds["call_center_12345"] == 1 and kinds["governance_center"] == 1
    gov = demo["facilities"].set_index("kind").loc["governance_center"]
    assert gov["name"] == "渭阳西路街道社会治理服务中心" and gov["street_id"] == "610402004"
    child = demo["child_care"]["kind"].value_counts()
    assert child["care_center"] == 1 and child["childcare_class"] >= 3


def test_fifty_eight_compounds_went_through_all_seven_steps(demo: dict) -> None:
    t = demo["three_no_compounds"]
    dates = [f"date_{i}" for i in range(1, 8)]
    complete = t[dates].notna().all(axis=1)
    assert complete.sum() == 58
    assert (t.loc[complete, "stage"] == "聘").all()
    assert t.loc[complete, "property_company"].notna().all()
    assert t.loc[~complete, "property_company"].isna().all()
    steps = "征提审推签评聘"
    for _, row in t.iterrows():
        filled = [row[d] for d in dates if row[d] is not None]
        assert filled == sorted(filled) and len(set(filled)) == len(filled), (
            f"{row['id']}: steps out of order"
        )
        assert all(row[d] is None for d in dates[len(filled) :]), f"{row['id']}: a gap in the steps"
        assert steps[len(filled) - 1] == row["stage"], f"{row['id']}: stage does not match its dates"


def test_social_orgs_include_the_named_organisation_and_brands(demo: dict) -> None:
    orgs = demo["social_orgs"]
    assert "爱尚秦社会工作发展中心" in set(orgs["name"])
    assert {"小滨工坊", "小薇书吧", "小味当家"} <= set(orgs["brand"].dropna())


def test_alliances_cover_the_named_sectors(demo: dict) -> None:
    a = demo["alliances"]
    assert (a["kind"] == "industry").sum() == 4 and (a["kind"] == "business_district").sum() == 4
    sectors = set(a["sector"])
    assert {"医药", "电子", "人民路商圈", "玉泉路商圈", "律师协会", "人力资源"} <= sectors


def test_service_ledgers_add_up_to_the_source_figures(demo: dict) -> None:
    r = demo["service_records"]
    assert r["business_licences"].sum() == 4970
    assert r["catering_permits"].sum() == 2019
    assert r["workshop_permits"].sum() == 292
    assert 60_000 <= r["people_served"].sum() <= 69_999
    assert 18_000 <= r["problems_solved"].sum() <= 18_999
    assert all(m.day == 1 for m in r["month"])
    assert max(r["month"]) == dt.date(2026, 10, 1)
    opened = demo["service_centers"].set_index("id")["opened"]
    assert all(m >= opened[c].replace(day=1) for c, m in zip(r["center_id"], r["month"], strict=True)), (
        "a centre has records before it opened"
    )


def test_meal_deliveries_are_monthly_per_daycare_centre(demo: dict) -> None:
    m = demo["meal_deliveries"]
    assert m.groupby("daycare_id").size().eq(36).all()
    assert set(m["daycare_id"]) == set(demo["daycare_centers"]["id"])


def test_mediation_1949_closed_cases_at_80_percent(demo: dict) -> None:
    c = demo["mediation_cases"]
    closed = c[c["outcome"] != "ongoing"]
    assert len(closed) == 1949
    assert round((closed["outcome"] == "success").mean(), 3) == 0.800
    assert closed["closed"].notna().all() and c.loc[c["outcome"] == "ongoing", "closed"].isna().all()
    assert all(b >= a for a, b in zip(closed["received"], closed["closed"], strict=True))
    assert c["round"].value_counts().idxmax() == 1 and (c["round"] == 3).mean() < 0.15
    comm_street = demo["communities"].set_index("id")["street_id"]
    assert (c["community_id"].map(comm_street) == c["street_id"]).all(), (
        "a case's community is not in its street"
    )
    teams = demo["legal_teams"].set_index("id")["street_ids"]
    with_team = c.dropna(subset=["team_id"])
    assert all(
        s in split_codes(teams[t]) for s, t in zip(with_team["street_id"], with_team["team_id"], strict=True)
    ), "a case is handled by a team that does not serve its street"
    assert c["disputants"].str.contains("某某").all(), "disputants must be anonymised"


def test_grid_events_follow_the_closed_loop(demo: dict) -> None:
    e = demo["grid_events"]
    assert 4000 <= len(e) <= 6000
    steps = ["found_at", "photo_at", "assigned_at", "fixed_at", "replied_at"]
    order = {"found": 1, "photo": 2, "assigned": 3, "fixed": 4, "replied": 5}
    filled = e[steps].notna()
    reached = e["status"].map(order)
    for k, col in enumerate(steps, start=1):
        assert (filled[col] == (reached >= k)).all(), f"{col} filled/empty does not match the status"
    times = e[steps].to_numpy()
    for a, b in itertools.pairwise(steps):
        both = e[a].notna() & e[b].notna()
        assert (e.loc[both, b] > e.loc[both, a]).all(), f"{b} is not after {a}"
    assert e["found_at"].max() <= pd.Timestamp("2026-11-20 23:59")
    assert times.size
    old = e["found_at"] < pd.Timestamp("2026-09-01")
    assert (e.loc[old, "status"] == "replied").mean() > 0.85, "older incidents should mostly be closed"
    assert (e.loc[old, "status"] != "replied").sum() > 0, "some incidents should be overdue"
    per_grid = e.groupby("street_id").size() / demo["grids"].groupby("street_id").size()
    assert per_grid.idxmax() == "610402004", "the 渭阳西路 pilot should have the most incidents per grid"


def test_service_centres_offer_seven_plus_n(demo: dict) -> None:
    order = [c.value for c in SERVICE_MENU]
    for services in demo["service_centers"]["services"]:
        codes = split_codes(services)
        assert set(codes) >= BASIC_SERVICES, "a centre lacks one of the 7 basic services"
        assert 1 <= len(codes) - 7 <= 5
        assert codes == sorted(codes, key=order.index)
    assert demo["service_centers"]["name"].str.startswith("心心秦家").all()
    assert set(demo["service_centers"]["street_id"]) == set(STREET_CODES), "a street has no centre"


# --- geometry ------------------------------------------------------------------------


def _assert_tiles(children: gpd.GeoDataFrame, parent: shapely.Geometry, what: str) -> None:
    area_sum = children.area.sum()
    union = shapely.union_all(children.geometry.values)
    tol = 1.0 + 1e-8 * parent.area
    assert abs(area_sum - parent.area) < tol, (
        f"{what}: pieces overlap or leave gaps ({area_sum - parent.area:.1f} m²)"
    )
    assert union.symmetric_difference(parent).area < tol, f"{what}: pieces do not cover their parent"


def test_streets_tile_the_district(metric: dict) -> None:
    _assert_tiles(metric["streets"], metric["district"].geometry.iloc[0], "streets in the district")


def test_communities_tile_their_street(metric: dict) -> None:
    streets = metric["streets"].geometry
    for sid, group in metric["communities"].groupby("street_id"):
        _assert_tiles(group, streets[sid], f"communities of {sid}")


def test_grids_tile_their_community(metric: dict) -> None:
    comms = metric["communities"].geometry
    for cid, group in metric["grids"].groupby("community_id"):
        _assert_tiles(group, comms[cid], f"grids of {cid}")
    grids = metric["grids"]
    assert (grids["street_id"] == grids["community_id"].map(metric["communities"]["street_id"])).all()


def test_polygons_are_valid_single_and_not_slivers(metric: dict) -> None:
    for name in ("streets", "communities", "grids"):
        g = metric[name].geometry
        assert g.is_valid.all(), f"{name} has invalid polygons"
        assert (g.geom_type == "Polygon").all(), f"{name} has multipart polygons"
        assert g.area.min() > 10_000, f"{name} has a sliver smaller than 0.01 km²"


def test_each_street_holds_its_office(demo: dict) -> None:
    s = demo["streets"]
    pts = shapely.points(s["office_lon"], s["office_lat"])
    assert shapely.contains(s.geometry.values, pts).all(), "a street office lies outside its own street"


def _contained(polys: gpd.GeoSeries, ids: pd.Series, points: gpd.GeoSeries) -> np.ndarray:
    return shapely.contains(polys.loc[ids.to_numpy()].values, points.values)


@pytest.mark.parametrize("layer", POINT_LAYERS)
def test_points_lie_in_the_street_community_and_grid_they_claim(metric: dict, layer: str) -> None:
    pts = metric[layer]
    inside = shapely.contains(metric["district"].geometry.iloc[0], pts.geometry.values)
    assert inside.all(), f"a {layer} point lies outside the district"
    for field, target in (("street_id", "streets"), ("community_id", "communities"), ("grid_id", "grids")):
        if field in pts:
            ok = _contained(metric[target].geometry, pts[field], pts.geometry)
            assert ok.all(), (
                f"a {layer} point lies outside the {target[:-1]} it claims: {list(pts.index[~ok][:3])}"
            )


@pytest.mark.parametrize("layer", POINT_LAYERS)
def test_no_point_is_in_the_river(metric: dict, layer: str) -> None:
    wet = shapely.intersects(_river(metric), metric[layer].geometry.values)
    assert not wet.any(), f"a {layer} point lies in the Wei River: {list(metric[layer].index[wet][:3])}"


def test_the_river_crosses_the_district(metric: dict) -> None:
    river = _river(metric)
    district = metric["district"].geometry.iloc[0]
    minx, _, maxx, _ = district.bounds
    rminx, _, rmaxx, _ = river.bounds
    assert rminx <= minx + 3000 and rmaxx >= maxx - 3000
    assert metric["water"]["name"].iloc[0] == "渭河"


def test_social_orgs_sit_at_their_host_centre(metric: dict) -> None:
    orgs = metric["social_orgs"]
    hosts = metric["service_centers"].geometry.loc[orgs["host_center_id"].to_numpy()]
    assert (shapely.distance(orgs.geometry.values, hosts.values) < 0.01).all()


def test_legal_teams_serve_their_streets(metric: dict) -> None:
    teams = metric["legal_teams"]
    streets = metric["streets"].geometry
    for _, t in teams.iterrows():
        area = shapely.union_all(streets.loc[split_codes(t["street_ids"])].values)
        assert t.geometry.symmetric_difference(area).area < 1.0 + 1e-8 * area.area, t["name"]


def test_centres_are_within_a_15_minute_walk_of_most_of_the_core(metric: dict) -> None:
    urban = metric["communities"]
    core = shapely.union_all(urban[urban["kind"] == "urban"].geometry.values).difference(_river(metric))
    reach = shapely.union_all(shapely.buffer(metric["service_centers"].geometry.values, 1200))
    assert core.intersection(reach).area / core.area > 0.9


def test_roads_form_one_connected_network_inside_the_district(demo: dict, metric: dict) -> None:
    roads = demo["roads"]
    assert 2000 <= len(roads) <= 8000
    coords = shapely.get_coordinates(roads.geometry.values, return_index=False)
    assert len(coords)
    ends = np.vstack(
        [
            shapely.get_coordinates(shapely.get_point(roads.geometry.values, 0)),
            shapely.get_coordinates(shapely.get_point(roads.geometry.values, -1)),
        ]
    )
    keys, inv = np.unique(np.round(ends, 7), axis=0, return_inverse=True)
    n = len(roads)
    graph = coo_matrix((np.ones(n), (inv.ravel()[:n], inv.ravel()[n:])), shape=(len(keys), len(keys)))
    count, _ = connected_components(graph, directed=False)
    assert count == 1, f"the walking network falls apart into {count} pieces"
    district = demo["district"].geometry.iloc[0]
    assert shapely.within(roads.geometry.values, district).all(), "a road leaves the district"
    assert roads["walkable"].all()


def test_only_bridges_cross_the_river(metric: dict) -> None:
    roads = metric["roads"]
    river = _river(metric)
    crossing = shapely.intersects(river, roads.geometry.values)
    assert set(roads.loc[crossing, "road_class"]) <= {"bridge", "path"}, "a road runs through the river"
    bridges = roads[roads["road_class"] == "bridge"]
    assert 3 <= len(bridges) <= 10
    north = shapely.intersects(river.buffer(40), bridges.geometry.values)
    assert north.all()


def test_named_arterials_carry_the_real_road_names(demo: dict) -> None:
    names = set(demo["roads"].loc[demo["roads"]["road_class"] == "arterial", "name"])
    assert {"人民路", "玉泉路", "渭阳西路", "西兰路", "世纪大道"} <= names


# --- determinism and the file -----------------------------------------------------------


def test_same_seed_gives_identical_frames(demo: dict) -> None:
    again = build_demo(DEFAULT_SEED)
    for name in SCHEMA:
        a, b = demo[name], again[name]
        if isinstance(a, gpd.GeoDataFrame):
            assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all(), f"{name} geometry differs"
            a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
        assert_frame_equal(a, b, obj=name)


def test_another_seed_gives_another_district(demo: dict) -> None:
    other = build_demo(DEFAULT_SEED + 1)
    assert len(other["grids"]) == 424 and len(other["service_centers"]) == 141
    a, b = demo["grids"].geometry.iloc[0], other["grids"].geometry.iloc[0]
    assert not a.equals(b)
    # The streets stand for real places and do not move with the seed.
    assert demo["streets"].geometry.geom_equals_exact(other["streets"].geometry, tolerance=0).all()


def test_the_file_round_trips_with_its_types(demo: dict, gpkg: Path) -> None:
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(SCHEMA) <= set(layers) and "redmap_meta" in layers
    assert (
        layers["communities"] == "Polygon"
        and layers["grids"] == "Polygon"
        and layers["roads"] == "LineString"
    )
    for name, lyr in SCHEMA.items():
        back = pyogrio.read_dataframe(gpkg, layer=name)
        assert len(back) == len(demo[name]), name
        for f in lyr.fields:
            col = back[f.name]
            if f.type == "int":
                assert col.dtype == "int64", f"{name}.{f.name}"
            elif f.type == "bool":
                assert col.dtype == bool, f"{name}.{f.name}"
            elif f.type == "datetime":
                assert pd.api.types.is_datetime64_any_dtype(col), f"{name}.{f.name}"
                assert (
                    col.astype("datetime64[ns]").fillna(pd.Timestamp(0))
                    == demo[name][f.name].fillna(pd.Timestamp(0))
                ).all(), f"{name}.{f.name} changed"
            elif f.type == "date":
                got = pd.to_datetime(col).dt.date.astype(object).where(col.notna(), None)
                assert list(got) == list(demo[name][f.name]), f"{name}.{f.name} changed on the way"
    meta = pyogrio.read_dataframe(gpkg, layer="redmap_meta")
    assert dict(zip(meta["key"], meta["value"], strict=True))["seed"] == str(DEFAULT_SEED)


@pytest.mark.xfail(
    strict=True,  # once fixed, this must be noticed and the mark removed
    reason="geodata.gpkg.write_geopackage writes date fields as TEXT: pyogrio's DataFrame "
    "writer makes an OGR Date field only from datetime64[D] arrays (pyogrio.raw.write) "
    "or Arrow date32 (needs pyarrow)"
)
def test_date_fields_are_stored_as_geopackage_dates(gpkg: Path) -> None:
    import sqlite3

    with sqlite3.connect(gpkg) as con:
        sql = con.execute("select sql from sqlite_master where name = 'service_centers'").fetchone()[0]
    assert '"opened" DATE' in sql
