"""A minimal, hand-built, fully valid Red Map dataset for fast tests.

Every layer of :data:`geodata.schema.SCHEMA` gets a few rows, built with shapely
directly (no randomness, no files read), so a test can copy it, break one thing
and check that exactly that thing is reported. The layout, in EPSG:4326::

    lat 34.35 +-----------+-----------+
              |  C02      |  C04      |      district "610402": the whole square
              | G03 | G04 | G07 | G08 |      (108.67–108.71 E, 34.31–34.35 N,
    lat 34.33 +-----------+-----------+       about 3.7 km × 4.4 km)
              |  C01      |  C03      |
              | G01 | G02 | G05 | G06 |      street 610402001 人民路 = west half
    lat 34.31 +-----------+-----------+      street 610402002 西兰路 = east half
          108.67       108.69      108.71

* streets: the two halves; communities: their south (C01, C03) and north (C02,
  C04) halves; grids: the west and east halves of each community.
* points sit at the centre of a named grid (``_grid_point``), so their
  ``street_id``/``community_id``/``grid_id`` are right by construction.
* water (the Wei River) is a strip just south of the district: water may lie
  outside the district (``within_district=False``).
* record tables (service_records, meal_deliveries, mediation_cases) have 2–3 rows
  whose references point at the features above.

Dates are ``datetime64`` columns (empty optional dates are NaT), every
``is_demo`` is True. ``tests/unit/test_validate.py`` checks that the dataset
validates without errors, both in memory and written to a GeoPackage.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, Polygon, box

from geodata.gpkg import Frame, write_geopackage
from geodata.schema import SCHEMA, STORAGE_CRS

WEST, MID_X, EAST = 108.67, 108.69, 108.71
SOUTH, MID_Y, NORTH = 34.31, 34.33, 34.35

DISTRICT_ID = "610402"
STREETS = {  # id: (name, English name, office lon, lat, bounds)
    "610402001": ("人民路街道", "Renmin Road", 108.68, 34.33, (WEST, SOUTH, MID_X, NORTH)),
    "610402002": ("西兰路街道", "Xilan Road", 108.70, 34.33, (MID_X, SOUTH, EAST, NORTH)),
}
COMMUNITIES = {  # id: (name, street id, kind, bounds)
    "C01": ("玉泉社区", "610402001", "urban", (WEST, SOUTH, MID_X, MID_Y)),
    "C02": ("北关社区", "610402001", "urban", (WEST, MID_Y, MID_X, NORTH)),
    "C03": ("渭滨村", "610402002", "village", (MID_X, SOUTH, EAST, MID_Y)),
    "C04": ("西兰社区", "610402002", "urban", (MID_X, MID_Y, EAST, NORTH)),
}


def _grids() -> dict[str, tuple[str, str, tuple[float, float, float, float]]]:
    """Grid id → (community id, street id, bounds): each community split west/east."""
    grids = {}
    for k, (community_id, (_, street_id, _, (x0, y0, x1, y1))) in enumerate(COMMUNITIES.items()):
        mid = (x0 + x1) / 2
        grids[f"G{2 * k + 1:02d}"] = (community_id, street_id, (x0, y0, mid, y1))
        grids[f"G{2 * k + 2:02d}"] = (community_id, street_id, (mid, y0, x1, y1))
    return grids


GRIDS = _grids()


def _grid_point(grid_id: str, dx: float = 0.0, dy: float = 0.0) -> Point:
    """A point at the centre of a grid, optionally nudged (dx, dy in degrees, < 0.002)."""
    x0, y0, x1, y1 = GRIDS[grid_id][2]
    return Point(round((x0 + x1) / 2 + dx, 6), round((y0 + y1) / 2 + dy, 6))


def _where(grid_id: str) -> dict[str, str]:
    community_id, street_id, _ = GRIDS[grid_id]
    return {"community_id": community_id, "street_id": street_id}


def _dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ms]")


def _gdf(rows: list[dict[str, object]], geometry: list[object], layer: str) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    frame["is_demo"] = True
    return gpd.GeoDataFrame(frame[_present(frame, layer)], geometry=geometry, crs=STORAGE_CRS)


def _table(rows: list[dict[str, object]], layer: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["is_demo"] = True
    return frame[_present(frame, layer)]


def _present(frame: pd.DataFrame, layer: str) -> list[str]:
    """The schema columns already in ``frame``, in schema order (dates are added later)."""
    return [f.name for f in SCHEMA[layer].fields if f.name in frame.columns]


def minimal_frames() -> dict[str, Frame]:
    """A small, fully valid dataset: one frame for every layer of the schema.

    Returns
    -------
    dict
        Layer name to GeoDataFrame (EPSG:4326) or DataFrame, in schema order;
        columns in schema order. A fresh copy on every call, safe to mutate.
    """
    frames: dict[str, Frame] = {}
    frames["district"] = _gdf(
        [
            {
                "id": DISTRICT_ID,
                "name": "秦都区",
                "population": 350_000,
                "online_handling_rate": 0.908,
                "time_limit_ratio": 0.506,
                "source": "tests/factories.py: hand-drawn square (test fixture, not the real outline)",
            }
        ],
        [box(WEST, SOUTH, EAST, NORTH)],
        "district",
    )
    frames["streets"] = _gdf(
        [
            {
                "id": sid,
                "name": name,
                "name_en": name_en,
                "managed_by": "qindu",
                "office_lon": lon,
                "office_lat": lat,
                "households": 12_000,
                "population": 36_000,
            }
            for sid, (name, name_en, lon, lat, _) in STREETS.items()
        ],
        [box(*b) for *_, b in STREETS.values()],
        "streets",
    )
    frames["communities"] = _gdf(
        [
            {
                "id": cid,
                "name": name,
                "street_id": sid,
                "kind": kind,
                "households": 3_000,
                "population": 9_000,
                "tele_medicine": i % 2 == 0,
                "party_members": 400,
                "cadres_reappointed": i,
            }
            for i, (cid, (name, sid, kind, _)) in enumerate(COMMUNITIES.items())
        ],
        [box(*b) for *_, b in COMMUNITIES.values()],
        "communities",
    )
    frames["grids"] = _gdf(
        [
            {
                "id": gid,
                "name": f"第{i + 1}网格",
                "community_id": cid,
                "street_id": sid,
                "households": 1_500,
                "branch_name": f"第{i + 1}网格党支部",
                "branch_members": 12,
            }
            for i, (gid, (cid, sid, _)) in enumerate(GRIDS.items())
        ],
        [box(*b) for *_, b in GRIDS.values()],
        "grids",
    )
    frames["building_groups"] = _gdf(
        [
            {
                "id": "BG001",
                "name": "1号楼党小组",
                "grid_id": "G01",
                **_where("G01"),
                "building": "1号楼",
                "members": 5,
            },
            {
                "id": "BG002",
                "name": "3号楼党小组",
                "grid_id": "G05",
                **_where("G05"),
                "building": "3号楼",
                "members": 7,
            },
        ],
        [_grid_point("G01", 0.002), _grid_point("G05", -0.001, 0.001)],
        "building_groups",
    )
    frames["service_centers"] = _gdf(
        [
            {
                "id": "SC001",
                "name": "玉泉广场心心秦家",
                "address": "人民路1号",
                **_where("G01"),
                "site_type": "square",
                "services": "phone_charging;parcel_locker;emergency_umbrella;drinking_water;rest_area;"
                "first_aid_kit;reading_corner;business_licence",
                "opening_hours": "Mo-Su 08:00-20:00",
                "phone": "029-33000001",
            },
            {
                "id": "SC002",
                "name": "北关公园心心秦家",
                "address": "北关路2号",
                **_where("G03"),
                "site_type": "park",
                "services": "phone_charging;parcel_locker;emergency_umbrella;drinking_water;rest_area;"
                "first_aid_kit;reading_corner;legal_advice;mediation",
                "opening_hours": "Mo-Fr 09:00-18:00",
                "phone": None,
            },
            {
                "id": "SC003",
                "name": "渭滨十字心心秦家",
                "address": "渭滨路3号",
                **_where("G06"),
                "site_type": "crossroads",
                "services": "phone_charging;parcel_locker;emergency_umbrella;drinking_water;rest_area;"
                "first_aid_kit;reading_corner",
                "opening_hours": "Mo-Su 07:00-21:00",
                "phone": "029-33000003",
            },
        ],
        [_grid_point("G01"), _grid_point("G03"), _grid_point("G06")],
        "service_centers",
    )
    frames["service_centers"]["opened"] = _dates("2021-05-01", "2022-07-01", "2023-03-15")

    steps = [f"date_{i}" for i in range(1, 8)]
    tn = _gdf(
        [
            {
                "id": "TN001",
                "name": "北关家属院",
                **_where("G04"),
                "households": 120,
                "stage": "审",
                "property_company": None,
            },
            {
                "id": "TN002",
                "name": "渭滨小区",
                **_where("G05"),
                "households": 86,
                "stage": "聘",
                "property_company": "秦都红色物业有限公司",
            },
        ],
        [_grid_point("G04"), box(108.695, 34.315, 108.697, 34.317)],
        "three_no_compounds",
    )
    reached = {"TN001": 3, "TN002": 7}
    for i, col in enumerate(steps, start=1):
        tn[col] = _dates(*(f"2023-{i:02d}-10" if reached[t] >= i else None for t in tn["id"]))
    frames["three_no_compounds"] = tn

    frames["daycare_centers"] = _gdf(
        [
            {
                "id": "DC001",
                "name": "玉泉社区日间照料中心",
                "address": "玉泉路5号",
                **_where("G02"),
                "meal_delivery_m": 1500,
                "capacity": 30,
                "opening_hours": "Mo-Su 07:30-18:30",
                "phone": "029-33000011",
            },
            {
                "id": "DC002",
                "name": "西兰社区日间照料中心",
                "address": "西兰路6号",
                **_where("G08"),
                "meal_delivery_m": 2000,
                "capacity": 40,
                "opening_hours": "Mo-Fr 08:00-18:00",
                "phone": None,
            },
        ],
        [_grid_point("G02", 0.001), _grid_point("G08")],
        "daycare_centers",
    )
    frames["child_care"] = _gdf(
        [
            {
                "id": "CC001",
                "name": "秦都区留守儿童关爱中心",
                "kind": "care_center",
                "address": "北关路8号",
                **_where("G03"),
                "capacity": 50,
                "opening_hours": "Mo-Fr 08:00-17:30",
                "phone": "029-33000021",
            },
            {
                "id": "CC002",
                "name": "渭滨低偿托育班",
                "kind": "childcare_class",
                "address": "渭滨路9号",
                **_where("G06"),
                "capacity": 20,
                "opening_hours": "Mo-Fr 07:30-17:30",
                "phone": None,
            },
        ],
        [_grid_point("G03", 0.001, 0.001), _grid_point("G06", 0.001)],
        "child_care",
    )
    frames["legal_teams"] = _gdf(
        [
            {
                "id": "LT001",
                "name": "人民路党员法律服务队",
                "members": 8,
                "street_ids": "610402001",
                "phone": "029-33000031",
            },
            {
                "id": "LT002",
                "name": "西兰路党员法律服务队",
                "members": 6,
                "street_ids": "610402002",
                "phone": None,
            },
        ],
        [box(*STREETS["610402001"][4]), box(*STREETS["610402002"][4])],
        "legal_teams",
    )
    frames["social_orgs"] = _gdf(
        [
            {
                "id": "SO001",
                "name": "爱尚秦社会工作发展中心",
                "brand": "小滨工坊",
                "host_center_id": "SC001",
                "field": "social_work",
            },
            {
                "id": "SO002",
                "name": "北关读书会",
                "brand": None,
                "host_center_id": "SC002",
                "field": "culture",
            },
        ],
        [_grid_point("G01"), _grid_point("G03")],
        "social_orgs",
    )
    frames["social_orgs"]["founded"] = _dates("2022-01-10", "2023-06-01")
    frames["alliances"] = _gdf(
        [
            {
                "id": "AL001",
                "name": "医药产业党建联盟",
                "kind": "industry",
                "sector": "医药",
                "member_units": 9,
                "party_members": 120,
                "street_id": "610402001",
            },
            {
                "id": "AL002",
                "name": "人民路商圈党建联盟",
                "kind": "business_district",
                "sector": "人民路商圈",
                "member_units": 15,
                "party_members": 80,
                "street_id": "610402002",
            },
        ],
        [_grid_point("G02", -0.001), _grid_point("G07", 0.001)],
        "alliances",
    )
    frames["facilities"] = _gdf(
        [
            {
                "id": "FA001",
                "name": "秦都区12345便民呼叫中心",
                "kind": "call_center_12345",
                "address": "人民路10号",
                "street_id": "610402001",
                "opening_hours": "Mo-Su 00:00-24:00",
                "phone": "12345",
            },
            {
                "id": "FA002",
                "name": "社会治理服务中心",
                "kind": "governance_center",
                "address": "西兰路11号",
                "street_id": "610402002",
                "opening_hours": "Mo-Fr 08:30-17:30",
                "phone": "029-33000041",
            },
        ],
        [_grid_point("G04", 0.001), _grid_point("G07")],
        "facilities",
    )
    frames["roads"] = _gdf(
        [
            {"id": "RD001", "name": "人民路", "road_class": "arterial", "walkable": True},
            {"id": "RD002", "name": None, "road_class": "path", "walkable": True},
        ],
        [
            LineString([(108.672, MID_Y), (MID_X, MID_Y), (108.708, MID_Y)]),
            LineString([(MID_X, 34.312), (MID_X, MID_Y), (MID_X, 34.348)]),
        ],
        "roads",
    )
    frames["water"] = _gdf(
        [{"id": "WA001", "name": "渭河"}],
        [Polygon([(108.66, 34.300), (108.72, 34.300), (108.72, 34.305), (108.66, 34.305)])],
        "water",
    )
    records = _table(
        [
            {
                "id": "SR001",
                "center_id": "SC001",
                "people_served": 320,
                "business_licences": 12,
                "catering_permits": 4,
                "workshop_permits": 1,
                "problems_solved": 30,
            },
            {
                "id": "SR002",
                "center_id": "SC001",
                "people_served": 290,
                "business_licences": 9,
                "catering_permits": 3,
                "workshop_permits": 0,
                "problems_solved": 25,
            },
            {
                "id": "SR003",
                "center_id": "SC002",
                "people_served": 150,
                "business_licences": 5,
                "catering_permits": 2,
                "workshop_permits": 1,
                "problems_solved": 11,
            },
        ],
        "service_records",
    )
    records["month"] = _dates("2024-01-01", "2024-02-01", "2024-01-01")
    frames["service_records"] = records
    meals = _table(
        [
            {"id": "MD001", "daycare_id": "DC001", "meals": 900, "elderly_served": 45},
            {"id": "MD002", "daycare_id": "DC002", "meals": 1200, "elderly_served": 60},
        ],
        "meal_deliveries",
    )
    meals["month"] = _dates("2024-01-01", "2024-01-01")
    frames["meal_deliveries"] = meals
    cases = _table(
        [
            {
                "id": "MC001",
                "level": "community",
                "round": 1,
                "outcome": "success",
                "case_type": "neighbour",
                **_where("G01"),
                "team_id": None,
                "disputants": "张某; 李某",
                "disputant_phone": None,
            },
            {
                "id": "MC002",
                "level": "street",
                "round": 2,
                "outcome": "failed",
                "case_type": "property_mgmt",
                **_where("G05"),
                "team_id": "LT002",
                "disputants": "王某; 某物业公司",
                "disputant_phone": "13800000000",
            },
            {
                "id": "MC003",
                "level": "district",
                "round": 3,
                "outcome": "ongoing",
                "case_type": "labour",
                **_where("G03"),
                "team_id": "LT001",
                "disputants": "赵某; 某公司",
                "disputant_phone": None,
            },
        ],
        "mediation_cases",
    )
    cases["received"] = _dates("2024-03-01", "2024-03-05", "2024-04-02")
    cases["closed"] = _dates("2024-03-03", "2024-03-20", None)
    frames["mediation_cases"] = cases
    events = _gdf(
        [
            {
                "id": "GE001",
                "grid_id": "G02",
                **_where("G02"),
                "category": "sanitation",
                "status": "replied",
                "description": "垃圾堆放",
                "reporter_phone": "13900000000",
            },
            {
                "id": "GE002",
                "grid_id": "G07",
                **_where("G07"),
                "category": "facility",
                "status": "found",
                "description": None,
                "reporter_phone": None,
            },
        ],
        [_grid_point("G02", 0.0005), _grid_point("G07", -0.0005)],
        "grid_events",
    )
    events["found_at"] = _dates("2024-05-01 09:00", "2024-05-03 14:30")
    events["photo_at"] = _dates("2024-05-01 09:05", None)
    events["assigned_at"] = _dates("2024-05-01 10:00", None)
    events["fixed_at"] = _dates("2024-05-02 16:00", None)
    events["replied_at"] = _dates("2024-05-02 17:00", None)
    frames["grid_events"] = events
    frames["home_services"] = _gdf(
        [
            {
                "id": "HS001",
                "person_name": "测试甲",
                "phone": None,
                "category": "aged",
                "service": "meal",
                **_where("G01"),
                "visits": 12,
            },
            {
                "id": "HS002",
                "person_name": "测试乙",
                "phone": "13700000000",
                "category": "left_behind_child",
                "service": "tracking",
                **_where("G08"),
                "visits": 3,
            },
        ],
        [_grid_point("G01", -0.001, -0.001), _grid_point("G08", 0.001, -0.001)],
        "home_services",
    )
    frames["home_services"]["last_visit"] = _dates("2024-05-20", None)

    # Columns assigned after construction (dates) are moved back into schema order.
    ordered: dict[str, Frame] = {}
    for name, layer in SCHEMA.items():
        frame = frames[name]
        columns = [f.name for f in layer.fields]
        if isinstance(frame, gpd.GeoDataFrame):
            ordered[name] = frame[[*columns, frame.geometry.name]]
        else:
            ordered[name] = frame[columns]
    return ordered


MINIMAL_META = {
    "demo": "true",
    "generator": "tests/factories.py minimal_frames()",
    "note": "hand-built test fixture; every feature is synthetic (is_demo = True)",
}


def write_minimal(path: str | os.PathLike[str], frames: dict[str, Frame] | None = None) -> Path:
    """Write :func:`minimal_frames` (or ``frames``) as a GeoPackage at ``path``.

    Parameters
    ----------
    path
        Target file (replaced atomically).
    frames
        Frames to write instead of a fresh :func:`minimal_frames`, e.g. a mutated
        copy.

    Returns
    -------
    Path
        The written file.
    """
    return write_geopackage(path, minimal_frames() if frames is None else frames, MINIMAL_META)
