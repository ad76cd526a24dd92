"""The corpus of bad files: each case breaks one thing in the minimal dataset.

Every case writes a real GeoPackage (so the GDAL round trip is part of the test)
and checks that the validator names the layer, the feature, the field and what
is wrong; a few also run the command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geodata.gpkg import Frame
from geodata.schema import SCHEMA
from geodata.validate import (
    DataError,
    Problem,
    format_problems,
    load_validated,
    validate_frames,
    validate_path,
)
from tests.factories import minimal_frames, write_minimal

REPO = Path(__file__).resolve().parents[2]

Frames = dict[str, Frame]


def _set(frames: Frames, layer: str, feature_id: str, field: str, value: object) -> None:
    """Set one cell, turning the column to plain objects so any value fits."""
    frame = frames[layer]
    frame[field] = frame[field].astype(object)
    mask = frame["id"] == feature_id
    assert mask.sum() == 1, f"{layer} has no feature {feature_id}"
    frame.loc[mask, field] = value


def _set_geometry(frames: Frames, layer: str, feature_id: str, geometry: object) -> None:
    frame = frames[layer]
    geoms = list(frame.geometry)
    geoms[int(np.flatnonzero(frame["id"] == feature_id)[0])] = geometry
    frames[layer] = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))


def _dates_as_text(frames: Frames, layer: str, field: str) -> None:
    frames[layer][field] = frames[layer][field].dt.strftime("%Y-%m-%d").astype(object)


@dataclass(frozen=True)
class Case:
    """Break the minimal dataset; expect one specific problem.

    ``mutate`` edits the frames in place and may return layers to write raw with
    pyogrio (bypassing ``write_geopackage``, which would reproject or refuse them).
    """

    mutate: Callable[[Frames], Frames | None]
    layer: str | None
    row: str | None
    field: str | None
    phrase: str
    severity: str = "error"


def _missing_layer(f: Frames) -> None:
    del f["water"]


def _missing_column(f: Frames) -> None:
    f["grids"] = f["grids"].drop(columns=["households"])


def _text_in_int(f: Frames) -> None:
    _set(f, "communities", "C02", "population", "many")


def _bad_date(f: Frames) -> None:
    _dates_as_text(f, "service_centers", "opened")
    _set(f, "service_centers", "SC002", "opened", "yesterday")


def _bad_datetime(f: Frames) -> None:
    f["grid_events"]["found_at"] = f["grid_events"]["found_at"].dt.strftime("%Y-%m-%d %H:%M").astype(object)
    _set(f, "grid_events", "GE002", "found_at", "2024-13-45 25:00")


def _bad_choice(f: Frames) -> None:
    _set(f, "communities", "C03", "kind", "town")


def _bad_service_code(f: Frames) -> None:
    _set(f, "service_centers", "SC001", "services", "phone_charging;wifi")


def _out_of_range(f: Frames) -> None:
    _set(f, "mediation_cases", "MC002", "round", 4)


def _below_minimum(f: Frames) -> None:
    _set(f, "grids", "G04", "households", -5)


def _not_whole(f: Frames) -> None:
    f["daycare_centers"]["capacity"] = f["daycare_centers"]["capacity"].astype(float)  # a real float column
    f["daycare_centers"].loc[f["daycare_centers"]["id"] == "DC001", "capacity"] = 30.5


def _empty_required_text(f: Frames) -> None:
    _set(f, "service_centers", "SC003", "name", "  ")


def _empty_required_null(f: Frames) -> None:
    _set(f, "mediation_cases", "MC001", "disputants", None)


def _bad_bool(f: Frames) -> None:
    _set(f, "roads", "RD001", "walkable", "maybe")


def _duplicate_id(f: Frames) -> None:
    _set(f, "alliances", "AL002", "id", "AL001")


def _dangling_reference(f: Frames) -> None:
    _set(f, "service_centers", "SC001", "street_id", "X")


def _dangling_record_reference(f: Frames) -> None:
    _set(f, "service_records", "SR003", "center_id", "SC999")


def _bowtie(f: Frames) -> None:
    bowtie = Polygon([(108.672, 34.312), (108.688, 34.328), (108.688, 34.312), (108.672, 34.328)])
    _set_geometry(f, "communities", "C01", bowtie)


def _empty_geometry(f: Frames) -> None:
    _set_geometry(f, "service_centers", "SC002", Point())


def _missing_geometry(f: Frames) -> None:
    _set_geometry(f, "daycare_centers", "DC002", None)


def _wrong_kind(f: Frames) -> None:
    _set_geometry(f, "service_centers", "SC003", LineString([(108.70, 34.32), (108.705, 34.325)]))


def _outside_district(f: Frames) -> None:
    _set_geometry(f, "service_centers", "SC001", Point(108.80, 34.33))


def _polygon_outside_district(f: Frames) -> None:
    _set_geometry(f, "three_no_compounds", "TN002", shapely.box(108.705, 34.315, 108.72, 34.317))


def _two_district_features(f: Frames) -> None:
    f["district"] = pd.concat([f["district"], f["district"]], ignore_index=True)


def _no_crs(f: Frames) -> Frames:
    layer = f.pop("building_groups")
    return {"building_groups": layer.set_crs(None, allow_override=True)}


def _engineering_crs(f: Frames) -> Frames:
    local = (
        'ENGCRS["site grid",EDATUM["site"],CS[Cartesian,2],'
        'AXIS["x",east],AXIS["y",north],LENGTHUNIT["metre",1]]'
    )
    layer = f.pop("alliances")
    return {"alliances": layer.set_crs(local, allow_override=True)}


def _projected_coordinates_labelled_4326(f: Frames) -> Frames:
    layer = f.pop("facilities")
    wrong = layer.to_crs("EPSG:3857").set_crs("EPSG:4326", allow_override=True)
    return {"facilities": wrong}


def _extra_column(f: Frames) -> None:
    f["roads"]["surface"] = "asphalt"


CASES: dict[str, Case] = {
    "missing-layer": Case(_missing_layer, "water", None, None, "layer is missing"),
    "missing-column": Case(_missing_column, "grids", None, "households", "missing column 'households'"),
    "text-in-int-column": Case(
        _text_in_int, "communities", "C02", "population", "'many' is not a whole number"
    ),
    "bad-date": Case(_bad_date, "service_centers", "SC002", "opened", "'yesterday' is not a date"),
    "bad-datetime": Case(_bad_datetime, "grid_events", "GE002", "found_at", "is not a date and time"),
    "value-outside-choices": Case(
        _bad_choice, "communities", "C03", "kind", "'town' is not an allowed value (allowed: urban"
    ),
    "unknown-service-code": Case(
        _bad_service_code, "service_centers", "SC001", "services", "unknown code 'wifi'"
    ),
    "above-maximum": Case(_out_of_range, "mediation_cases", "MC002", "round", "4 is above the maximum 3"),
    "below-minimum": Case(_below_minimum, "grids", "G04", "households", "-5 is below the minimum 0"),
    "not-a-whole-number": Case(
        _not_whole, "daycare_centers", "DC001", "capacity", "30.5 is not a whole number"
    ),
    "blank-required-text": Case(
        _empty_required_text, "service_centers", "SC003", "name", "required value is empty"
    ),
    "null-required-value": Case(
        _empty_required_null, "mediation_cases", "MC001", "disputants", "required value is empty"
    ),
    "bad-boolean": Case(_bad_bool, "roads", "RD001", "walkable", "'maybe' is not true or false"),
    "duplicate-id": Case(_duplicate_id, "alliances", "row 1", "id", "duplicate id 'AL001': rows 0 and 1"),
    "dangling-reference": Case(
        _dangling_reference,
        "service_centers",
        "SC001",
        "street_id",
        "'X' does not match any id in layer streets",
    ),
    "dangling-record-reference": Case(
        _dangling_record_reference, "service_records", "SR003", "center_id", "'SC999' does not match any id"
    ),
    "invalid-bowtie-polygon": Case(
        _bowtie, "communities", "C01", None, "geometry is invalid: Self-intersection"
    ),
    "empty-geometry": Case(_empty_geometry, "service_centers", "SC002", None, "geometry is empty"),
    "missing-geometry": Case(_missing_geometry, "daycare_centers", "DC002", None, "geometry is missing"),
    "linestring-in-point-layer": Case(
        _wrong_kind, "service_centers", "SC003", None, "geometry is a LineString; expected Point"
    ),
    "point-outside-district": Case(
        _outside_district, "service_centers", "SC001", None, "lies outside the district outline, 8.3 km"
    ),
    "polygon-partly-outside-district": Case(
        _polygon_outside_district, "three_no_compounds", "TN002", None, "extends outside the district outline"
    ),
    "two-district-features": Case(_two_district_features, "district", None, None, "exactly one feature"),
    "layer-without-crs": Case(
        _no_crs, "building_groups", None, None, "has no CRS, so it cannot be reprojected"
    ),
    "crs-not-convertible": Case(
        _engineering_crs, "alliances", None, None, "cannot be reprojected to EPSG:4326"
    ),
    "projected-coordinates-labelled-4326": Case(
        _projected_coordinates_labelled_4326, "facilities", None, None, "outside the longitude/latitude range"
    ),
    "extra-column": Case(_extra_column, "roads", None, "surface", "unexpected column 'surface'", "warning"),
}


@pytest.fixture(scope="module")
def base_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal dataset written once; cases copy it and rewrite only what they changed."""
    return write_minimal(tmp_path_factory.mktemp("base") / "minimal.gpkg")


def write_case(tmp_path: Path, mutate: Callable[[Frames], Frames | None], base: Path) -> Path:
    """Write the mutated minimal dataset as ``tmp_path/case.gpkg``.

    Layers the mutation changed are rewritten in a copy of ``base`` (writing all 20
    layers afresh is ~10× slower); ``raw`` layers go straight to pyogrio, with
    whatever CRS they carry.
    """
    pristine = minimal_frames()
    frames = minimal_frames()
    raw = mutate(frames) or {}
    path = tmp_path / "case.gpkg"
    if set(frames) | set(raw) != set(pristine):  # a layer was dropped: write the whole file
        write_minimal(path, frames)
        changed = {}
    else:
        shutil.copyfile(base, path)
        changed = {name: frame for name, frame in frames.items() if not _same(frame, pristine[name])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns about a missing CRS: that is the point
        for name, frame in {**changed, **raw}.items():
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return path


def _same(a: Frame, b: Frame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    if isinstance(a, gpd.GeoDataFrame) and not a.geometry.geom_equals_exact(b.geometry, 0).all():
        return False
    plain = [c for c in a.columns if c != "geometry"]
    return pd.DataFrame(a[plain]).equals(pd.DataFrame(b[plain])) and all(
        a[c].dtype == b[c].dtype for c in plain
    )


def _matches(problem: Problem, case: Case) -> bool:
    return (
        problem.layer == case.layer
        and problem.row == case.row
        and problem.field == case.field
        and problem.severity == case.severity
        and case.phrase in problem.message
    )


def run_cli(path: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geodata", "validate", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- the good file -----------------------------------------------------------------------


def test_minimal_dataset_is_valid_in_memory() -> None:
    problems = validate_frames(minimal_frames(), "minimal")
    assert problems == [], format_problems(problems)


def test_minimal_dataset_covers_every_layer_and_field() -> None:
    frames = minimal_frames()
    assert list(frames) == list(SCHEMA)
    for name, layer in SCHEMA.items():
        assert len(frames[name]) >= 1, name
        assert [f.name for f in layer.fields] == [c for c in frames[name].columns if c != "geometry"]


def test_minimal_file_is_valid(tmp_path: Path) -> None:
    path = write_minimal(tmp_path / "minimal.gpkg")
    assert validate_path(path) == []


def test_cli_accepts_the_minimal_file(tmp_path: Path) -> None:
    path = write_minimal(tmp_path / "minimal.gpkg")
    result = run_cli(path)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_load_validated_returns_every_layer_in_wgs84(tmp_path: Path) -> None:
    frames = load_validated(write_minimal(tmp_path / "minimal.gpkg"))
    assert list(frames) == list(SCHEMA)
    for name, layer in SCHEMA.items():
        if layer.has_geometry:
            assert isinstance(frames[name], gpd.GeoDataFrame)
            assert frames[name].crs == "EPSG:4326"
        else:
            assert not isinstance(frames[name], gpd.GeoDataFrame)
    assert frames["mediation_cases"]["round"].dtype == "int64"
    assert frames["service_centers"]["opened"].dtype.kind == "M"
    assert frames["roads"]["walkable"].dtype == bool


# --- the corpus --------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_file_is_reported(tmp_path: Path, case: Case, base_file: Path) -> None:
    problems = validate_path(write_case(tmp_path, case.mutate, base_file))
    assert any(_matches(p, case) for p in problems), format_problems(problems) or "no problems"
    if case.severity == "warning":
        assert not [p for p in problems if p.is_error], format_problems(problems)


@pytest.mark.parametrize(
    "name", ["text-in-int-column", "unknown-service-code", "invalid-bowtie-polygon", "layer-without-crs"]
)
def test_cli_rejects_bad_file(tmp_path: Path, name: str, base_file: Path) -> None:
    case = CASES[name]
    result = run_cli(write_case(tmp_path, case.mutate, base_file))
    assert result.returncode == 1
    assert case.phrase in result.stderr
    assert "error(s); the file is not usable" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path, base_file: Path) -> None:
    def several(f: Frames) -> None:
        for name in (
            "bad-date",
            "unknown-service-code",
            "dangling-record-reference",
            "point-outside-district",
        ):
            CASES[name].mutate(f)

    problems = validate_path(write_case(tmp_path, several, base_file))
    for name in ("bad-date", "unknown-service-code", "dangling-record-reference", "point-outside-district"):
        assert any(_matches(p, CASES[name]) for p in problems), name


def test_problem_reads_as_one_line() -> None:
    problem = Problem("demo.gpkg", "service_centers", "SC007", "services", "unknown code 'wifi'")
    assert (
        str(problem) == "demo.gpkg: layer service_centers, feature SC007, field services: unknown code 'wifi'"
    )
    record = Problem("demo.gpkg", "mediation_cases", "MC001", "round", "4 is above the maximum 3")
    assert "record MC001" in str(record)
    assert str(Problem("x.gpkg", "grids", "row 3", None, "m")) == "x.gpkg: layer grids, row 3: m"
    assert (
        str(Problem("x.gpkg", None, None, None, "the file does not exist"))
        == "x.gpkg: the file does not exist"
    )


def test_missing_district_skips_the_outline_check(tmp_path: Path, base_file: Path) -> None:
    def no_district(f: Frames) -> None:
        del f["district"]
        _outside_district(f)

    problems = validate_path(write_case(tmp_path, no_district, base_file))
    assert [(p.layer, p.message) for p in problems if p.is_error] == [
        ("district", "the layer is missing (expected Qindu District / 秦都区)")
    ]


def test_feature_just_outside_the_outline_is_tolerated() -> None:
    frames = minimal_frames()
    # ~20 m east of the district's east edge (108.71): inside the 50 m tolerance.
    _set_geometry(frames, "service_centers", "SC003", Point(108.71022, 34.32))
    assert validate_frames(frames, "m") == []


# --- CRS ---------------------------------------------------------------------------------


def test_layer_in_web_mercator_is_reprojected_with_a_warning(tmp_path: Path, base_file: Path) -> None:
    original = minimal_frames()["service_centers"]

    def to_mercator(f: Frames) -> Frames:
        return {"service_centers": f.pop("service_centers").to_crs("EPSG:3857")}

    path = write_case(tmp_path, to_mercator, base_file)
    problems = validate_path(path)
    assert [p for p in problems if p.is_error] == []
    assert any(
        p.layer == "service_centers"
        and p.severity == "warning"
        and "EPSG:3857" in p.message
        and "reprojected to EPSG:4326" in p.message
        for p in problems
    ), format_problems(problems)

    loaded = load_validated(path)["service_centers"]
    assert loaded.crs == "EPSG:4326"
    assert np.allclose(
        shapely.get_coordinates(loaded.geometry.array),
        shapely.get_coordinates(original.geometry.array),
        atol=1e-7,
    )


# --- files that are not GeoPackages ------------------------------------------------------

VRT_PASSWD = """<OGRVRTDataSource>
  <OGRVRTLayer name="passwd">
    <SrcDataSource>CSV:/etc/passwd</SrcDataSource>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""
GEOJSON_VRT = (
    '{"type": "FeatureCollection", "features": []}\n' + VRT_PASSWD  # claims GeoJSON, is a VRT
)


NOT_GEOPACKAGES = {
    "text-file": "just some text\n",
    "vrt-reading-etc-passwd": VRT_PASSWD,
    "geojson-vrt-hybrid": GEOJSON_VRT,
    "geojson": '{"type": "FeatureCollection", "features": []}',
    "empty-file": "",
}


@pytest.mark.parametrize("content", NOT_GEOPACKAGES.values(), ids=NOT_GEOPACKAGES.keys())
def test_file_that_is_not_a_geopackage(tmp_path: Path, content: str) -> None:
    path = tmp_path / "upload.gpkg"
    path.write_text(content, encoding="utf-8")
    (problem,) = validate_path(path)
    assert problem.layer is None and problem.is_error
    assert "not a GeoPackage" in problem.message


@pytest.mark.parametrize("name", ["text-file", "vrt-reading-etc-passwd"])
def test_cli_rejects_a_non_geopackage_without_leaking_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / "upload.gpkg"
    path.write_text(NOT_GEOPACKAGES[name], encoding="utf-8")
    result = run_cli(path)
    assert result.returncode == 1
    assert "not a GeoPackage" in result.stderr
    assert "root:" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_importing_the_validator_first_keeps_gdal_off_vrt() -> None:
    """Defence in depth: with geodata imported before GDAL loads, GDAL has no VRT driver.

    (This test process itself imported pyogrio first, so there the header check
    above is what refuses VRT files.)
    """
    code = "import geodata.validate, pyogrio; print('OGR_VRT' in pyogrio.list_drivers())"
    env = {k: v for k, v in os.environ.items() if k != "GDAL_SKIP"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_sqlite_database_that_is_not_a_geopackage(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "plain.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("create table t (x integer)")
    (problem,) = validate_path(path)
    assert "SQLite database but not a GeoPackage" in problem.message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.gpkg"
    assert [p.message for p in validate_path(path)] == ["the file does not exist"]
    result = run_cli(path)
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def test_directory_is_refused(tmp_path: Path) -> None:
    (problem,) = validate_path(tmp_path)
    assert "not a regular file" in problem.message


# --- DataError and load_validated ---------------------------------------------------------


def test_load_validated_raises_data_error_listing_every_problem(tmp_path: Path, base_file: Path) -> None:
    def two_errors(f: Frames) -> None:
        _bad_service_code(f)
        _out_of_range(f)
        _extra_column(f)

    path = write_case(tmp_path, two_errors, base_file)
    with pytest.raises(DataError) as caught:
        load_validated(path)
    error = caught.value
    assert isinstance(error, ValueError)
    assert len(error.errors) == 2
    text = str(error)
    assert "2 error(s) and 1 warning(s)" in text
    for problem in error.problems:
        assert str(problem) in text


def test_load_validated_refuses_a_non_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    path.write_text(VRT_PASSWD, encoding="utf-8")
    with pytest.raises(DataError, match="not a GeoPackage"):
        load_validated(path)


# --- speed -------------------------------------------------------------------------------


def test_ten_thousand_features_validate_quickly() -> None:
    frames = minimal_frames()
    base = frames["grid_events"]
    n = 10_000
    big = base.iloc[np.arange(n) % len(base)].reset_index(drop=True)
    big["id"] = [f"GE{i:05d}" for i in range(n)]
    xs = 108.671 + (np.arange(n) % 100) * 0.00038
    ys = 34.311 + (np.arange(n) // 100) * 0.00038
    big = big.set_geometry(gpd.GeoSeries(shapely.points(xs, ys), crs="EPSG:4326"))
    frames["grid_events"] = big
    started = time.perf_counter()
    problems = validate_frames(frames, "big")
    elapsed = time.perf_counter() - started
    assert problems == [], format_problems(problems[:5])
    assert elapsed < 3.0, f"validating 10k features took {elapsed:.1f} s"
