"""Assemble every layer of the demo district from the builders, in schema order.

Two kinds of layer: those fixed by the :class:`World` (the district, streets,
communities, grids, roads, water; no random draws here) and those the point and
record builders draw from a random stream. :mod:`geodata.demo.scale` reuses both
halves to lay out many copies of the district from one world.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.demo import figures as F
from geodata.demo import places, records
from geodata.demo.communities import build_communities, build_grids
from geodata.demo.crs import lonlat_to_xy, to_metric
from geodata.demo.frames import Frame, make_frame
from geodata.demo.river import RIVER_NAME, river_polygon
from geodata.demo.roads import build_roads
from geodata.demo.streets import DISTRICT_GOV, STREETS, office_lonlat, office_xy, street_name, street_polygons
from geodata.demo.world import World
from geodata.outline import ADCODE, OUTLINE_SOURCE, load_outline
from geodata.schema import SCHEMA

LayerRows = tuple[list[dict], list[BaseGeometry] | None]
"""One layer before typing: its rows and, for a spatial layer, geometries in EPSG:4545."""


def build_world(seed: int) -> World:
    """Streets, communities, grids and roads in metres (no attributes of the point layers yet)."""
    rng = np.random.default_rng(seed)
    outline = to_metric(load_outline())
    river = river_polygon()
    offices = office_xy(outline)
    streets = street_polygons(outline, offices)
    centre = np.array(lonlat_to_xy(*DISTRICT_GOV)).ravel()
    communities = build_communities(streets, offices, centre, rng, river)
    grids = build_grids(communities, rng, river)
    urban = shapely.union_all([c.geom for c in communities if c.kind == "urban"])
    anchors = [
        (np.asarray(c.geom.difference(river.buffer(60)).representative_point().coords[0]), c.name)
        for c in communities
        if c.kind == "village"
    ]
    roads = build_roads(urban, outline.buffer(-15), river, centre, anchors, rng)
    return World(outline, river, streets, offices, centre, communities, grids, roads)


def world_rows(world: World) -> dict[str, LayerRows]:
    """The layers the world fixes: district, streets, communities, grids, roads, water.

    Parameters
    ----------
    world : World
        The district's geometry and subdivisions.

    Returns
    -------
    dict of str to (rows, geometries)
        Geometries in EPSG:4545; no random draws are made.
    """
    out: dict[str, LayerRows] = {}
    pop = {s.code: 0 for s in STREETS}
    hh = {s.code: 0 for s in STREETS}
    for c in world.communities:
        pop[c.street.code] += c.population
        hh[c.street.code] += c.households
    out["district"] = (
        [
            {
                "id": ADCODE,
                "name": "秦都区",
                "population": sum(pop.values()),
                "online_handling_rate": F.ONLINE_HANDLING_RATE,
                "time_limit_ratio": F.TIME_LIMIT_RATIO,
                "source": OUTLINE_SOURCE,
                "is_demo": False,
            }
        ],
        [world.outline],
    )

    moved = office_lonlat(world.offices)
    street_rows = []
    for i, info in enumerate(STREETS):
        lon, lat = info.office
        if not np.allclose(moved[i], info.office, atol=1e-6):
            lon, lat = round(float(moved[i][0]), 6), round(float(moved[i][1]), 6)
        street_rows.append(
            {
                "id": info.code,
                "name": street_name(info),
                "name_en": info.name_en,
                "managed_by": info.managed_by,
                "office_lon": lon,
                "office_lat": lat,
                "households": hh[info.code],
                "population": pop[info.code],
                "is_demo": True,
            }
        )
    out["streets"] = (street_rows, list(world.streets))

    out["communities"] = (
        [
            {
                "id": c.id,
                "name": c.name,
                "street_id": c.street.code,
                "kind": c.kind,
                "households": c.households,
                "population": c.population,
                "tele_medicine": c.tele_medicine,
                "party_members": c.party_members,
                "cadres_reappointed": c.cadres_reappointed,
                "is_demo": True,
            }
            for c in world.communities
        ],
        [c.geom for c in world.communities],
    )

    out["grids"] = (
        [
            {
                "id": g.id,
                "name": g.name,
                "community_id": g.community.id,
                "street_id": g.community.street.code,
                "households": g.households,
                "branch_name": f"{street_name(g.community.street)}{g.name}党支部",
                "branch_members": g.branch_members,
                "is_demo": True,
            }
            for g in world.grids
        ],
        [g.geom for g in world.grids],
    )

    out["roads"] = (
        [
            {
                "id": f"R{i + 1:05d}",
                "name": r.name,
                "road_class": r.road_class,
                "walkable": True,
                "is_demo": True,
            }
            for i, r in enumerate(world.roads)
        ],
        [r.geom for r in world.roads],
    )
    out["water"] = ([{"id": "W001", "name": RIVER_NAME, "is_demo": True}], [world.river])
    return out


def place_rows(world: World, rng: np.random.Generator) -> dict[str, LayerRows]:
    """The layers drawn from ``rng``: every point layer, the legal teams and the record tables.

    Parameters
    ----------
    world : World
        Where the points go.
    rng : numpy Generator
        The stream every draw comes from; the builders run in a fixed order, so
        one stream always gives the same layers.

    Returns
    -------
    dict of str to (rows, geometries)
        Geometries in EPSG:4545; None for the record tables.
    """
    out: dict[str, LayerRows] = {}
    out["building_groups"] = places.building_groups(world, rng)
    centre_rows, centre_geoms = places.service_centers(world, rng)
    out["service_centers"] = (centre_rows, centre_geoms)
    out["three_no_compounds"] = places.three_no_compounds(world, rng)
    daycare_rows, daycare_geoms = places.daycare_centers(world, rng)
    out["daycare_centers"] = (daycare_rows, daycare_geoms)
    out["child_care"] = places.child_care(world, rng)
    team_rows, team_geoms = places.legal_teams(world, rng)
    out["legal_teams"] = (team_rows, team_geoms)
    out["social_orgs"] = places.social_orgs(centre_rows, centre_geoms, rng)
    out["alliances"] = places.alliances(world, rng)
    out["facilities"] = places.facilities(world, rng)

    pull = np.array(
        [
            1.0 + 2.0 * np.exp(-np.hypot(*(np.asarray(g.coords[0]) - world.centre)) / 3000.0)
            for g in centre_geoms
        ]
    )
    out["service_records"] = (records.service_records(centre_rows, pull, rng), None)
    out["meal_deliveries"] = (records.meal_deliveries(daycare_rows, rng), None)
    team_of_street = {row["street_ids"]: row["id"] for row in team_rows[:-1]}
    out["mediation_cases"] = (
        records.mediation_cases(world, team_of_street, team_rows[-1]["id"], rng),
        None,
    )
    out["grid_events"] = records.grid_events(world, rng)
    out["home_services"] = records.home_services(world, rng)
    return out


def place_stream(seed: int) -> np.random.Generator:
    """The stream of the point and record builders: apart from the world's, so that
    changing one builder leaves the others alone."""
    return np.random.default_rng([seed, 1])


def build_frames(seed: int) -> dict[str, Frame]:
    """Every layer in :data:`SCHEMA` order, typed per the schema, geometry in EPSG:4326."""
    world = build_world(seed)
    rows = {**world_rows(world), **place_rows(world, place_stream(seed))}
    return {name: make_frame(name, *rows[name]) for name in SCHEMA}
