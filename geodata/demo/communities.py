"""Communities (社区/行政村) tiling each street, and grids (网格) tiling each community.

Urban communities are small and packed around the urban core or a rural
street's town; villages share the rest of a rural street. Populations follow a
density that peaks at the district government, so the core has more people,
more grids and (later) more of everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from geodata.demo import figures as F
from geodata.demo.allocation import apportion
from geodata.demo.crs import to_storage
from geodata.demo.sampling import points_in
from geodata.demo.streets import STREETS, StreetInfo
from geodata.demo.tessellation import make_contiguous, tessellate

# Two-character stems for community names; combined they give hundreds of
# distinct, plausible-sounding names that are not meant to be real ones.
_STEM_A = tuple("文和兴平安康华新民乐建秀育丰福泰宏嘉瑞金锦润")
_STEM_B = tuple("苑园林华盛源泉阳景馨苑荷阁城府苑庭")
_VILLAGE_A = tuple("王李张刘杨赵周吴孙马郭何高田段贺")
_VILLAGE_B = ("家村", "家堡村", "家寨村", "家庄村", "家湾村", "家坡村")

URBAN_COMMUNITY_M2 = 0.45e6
"""Typical urban community size, used to size a rural street's town."""


@dataclass
class Community:
    id: str
    name: str
    street: StreetInfo
    kind: str
    geom: BaseGeometry
    population: int = 0
    households: int = 0
    tele_medicine: bool = False
    party_members: int = 0
    cadres_reappointed: int = 0
    grids: list[Grid] = field(default_factory=list)


@dataclass
class Grid:
    id: str
    name: str
    community: Community
    geom: BaseGeometry
    households: int = 0
    branch_members: int = 0


def _names(rng: np.random.Generator, n_urban: int, n_village: int, used: set[str]) -> tuple[list, list]:
    urban: list[str] = []
    while len(urban) < n_urban:
        name = f"{rng.choice(_STEM_A)}{rng.choice(_STEM_B)}社区"
        if name not in used:
            used.add(name)
            urban.append(name)
    villages: list[str] = []
    while len(villages) < n_village:
        name = f"{rng.choice(_VILLAGE_A)}{rng.choice(_VILLAGE_B)}"
        if name not in used:
            used.add(name)
            villages.append(name)
    return urban, villages


def _blob(centre: np.ndarray, radius: float, rng: np.random.Generator) -> Polygon:
    """A lumpy disc: a town's built-up area is never a circle."""
    theta = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    p1, p2 = rng.uniform(0, 2 * np.pi, 2)
    r = radius * (1 + 0.22 * np.sin(2 * theta + p1) + 0.12 * np.sin(3 * theta + p2))
    return Polygon(np.column_stack([centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)]))


def storable(cells: list[BaseGeometry]) -> bool:
    """Every cell is one Polygon that stays valid once unprojected to lon/lat.

    A ring that nearly touches itself (a village wrapped round a town) is valid
    in metres but can self-intersect after reprojection; such a layout is
    redrawn rather than repaired, because repairing would break the tiling.
    """
    if not all(isinstance(c, Polygon) for c in cells):
        return False
    return bool(np.all(shapely.is_valid(to_storage(cells))))


def _street_communities(
    info: StreetInfo, street: BaseGeometry, office: np.ndarray, rng: np.random.Generator, wet: BaseGeometry
) -> list[tuple[str, BaseGeometry, np.ndarray]]:
    """(kind, polygon, seed) for every community of one street, tiling it."""
    for _attempt in range(20):
        parts = _street_layout(info, street, office, rng, wet)
        if storable([p[1] for p in parts]):
            return parts
    raise RuntimeError(f"{info.short}: no community layout gives valid single polygons")


def _street_layout(
    info: StreetInfo, street: BaseGeometry, office: np.ndarray, rng: np.random.Generator, wet: BaseGeometry
) -> list[tuple[str, BaseGeometry, np.ndarray]]:
    n_urban = F.URBAN_COMMUNITIES[info.short]
    n_village = F.VILLAGES.get(info.short, 0)
    if n_village == 0:
        town, country = street, None
    else:
        radius = np.sqrt(n_urban * URBAN_COMMUNITY_M2 / np.pi)
        town = street.intersection(_blob(office, radius, rng))
        country = street.difference(town)
    seeds_u = points_in(town, n_urban, rng, inset=30, avoid=wet)
    cells_u, seeds_u = tessellate(town, seeds_u, relax=4, relax_area=town.difference(wet))
    parts = [("urban", c, s) for c, s in zip(cells_u, seeds_u, strict=True)]
    if country is not None:
        seeds_v = points_in(country, n_village, rng, inset=200, avoid=wet)
        cells_v, seeds_v = tessellate(country, seeds_v, relax=4, relax_area=country.difference(wet))
        parts += [("village", c, s) for c, s in zip(cells_v, seeds_v, strict=True)]
    seeds = np.array([p[2] for p in parts])
    cells = make_contiguous([p[1] for p in parts], seeds, street)
    return [(kind, cell, seed) for (kind, _, seed), cell in zip(parts, cells, strict=True)]


def build_communities(
    streets: list[BaseGeometry],
    offices: np.ndarray,
    centre: np.ndarray,
    rng: np.random.Generator,
    river: BaseGeometry,
) -> list[Community]:
    """Communities of every street with their populations and party figures.

    Parameters
    ----------
    streets : list of Polygon
        Street polygons (metres) in :data:`STREETS` order.
    offices : ndarray, shape (12, 2)
        Street office positions (metres).
    centre : ndarray, shape (2,)
        The district government, where density peaks.
    rng : numpy Generator
        The random source.
    river : Polygon
        The river; communities are spread over dry land.
    """
    used: set[str] = set()
    wet = river.buffer(40)
    communities: list[Community] = []
    for info, street, office in zip(STREETS, streets, offices, strict=True):
        parts = _street_communities(info, street, office, rng, wet)
        # Name urban communities from the office outwards so the numbering reads naturally.
        n_u = sum(1 for p in parts if p[0] == "urban")
        names_u, names_v = _names(rng, n_u, len(parts) - n_u, used)
        iu = iv = 0
        for k, (kind, cell, _seed) in enumerate(parts, start=1):
            if kind == "urban":
                name, iu = names_u[iu], iu + 1
            else:
                name, iv = names_v[iv], iv + 1
            communities.append(Community(f"{info.code}{k:03d}", name, info, kind, cell))
    _populate(communities, centre, rng)
    return communities


def _populate(communities: list[Community], centre: np.ndarray, rng: np.random.Generator) -> None:
    n = len(communities)
    dist = np.array([Point(centre).distance(c.geom.centroid) for c in communities])
    urban = np.array([c.kind == "urban" for c in communities])
    # Core communities are denser; villages hold fewer people each.
    weight = rng.uniform(0.75, 1.25, n) * np.where(urban, 1.0 + 1.2 * np.exp(-dist / 3000.0), 0.55)
    population = apportion(F.POPULATION, weight)
    members = apportion(F.PARTY_MEMBERS, population * rng.uniform(0.8, 1.2, n))
    cadres = np.bincount(rng.choice(n, size=F.CADRES_REAPPOINTED, replace=True), minlength=n)
    urban_idx = np.flatnonzero(urban)
    tele = set(rng.choice(urban_idx, size=F.TELE_MEDICINE_COMMUNITIES, replace=False).tolist())
    for i, c in enumerate(communities):
        c.population = int(population[i])
        c.households = round(c.population / rng.uniform(2.55, 3.05))
        c.party_members = int(members[i])
        c.cadres_reappointed = int(cadres[i])
        c.tele_medicine = i in tele


def build_grids(communities: list[Community], rng: np.random.Generator, river: BaseGeometry) -> list[Grid]:
    """Exactly :data:`figures.GRIDS` grids, apportioned by households, tiling each community.

    A grid lying (almost) wholly in the river could hold no building, so such a
    layout is redrawn.
    """
    households = np.array([c.households for c in communities], dtype=float)
    minimum = np.array([2 if c.kind == "urban" else 1 for c in communities])
    counts = apportion(F.GRIDS, households, minimum)
    wet = river.buffer(40)
    grids: list[Grid] = []
    for c, k in zip(communities, counts, strict=True):
        for _attempt in range(20):
            seeds = points_in(c.geom, int(k), rng, inset=20, avoid=wet)
            cells, _ = tessellate(c.geom, seeds, relax=4, relax_area=c.geom.difference(wet))
            if all(cell.difference(wet).area > 8_000 for cell in cells) and storable(cells):
                break
        else:
            raise RuntimeError(f"{c.name}: no grid layout keeps every grid on land")
        area = np.array([g.difference(wet).area for g in cells])
        hh = apportion(c.households, area * rng.uniform(0.7, 1.3, len(cells)))
        # Most of a community's members belong to grid branches; a branch needs at least 3.
        branch = apportion(max(int(c.party_members * 0.6), 3 * len(cells)), hh, 3)
        for j, cell in enumerate(cells, start=1):
            g = Grid(f"{c.id}{j:02d}", f"{c.name}第{j}网格", c, cell, int(hh[j - 1]), int(branch[j - 1]))
            c.grids.append(g)
            grids.append(g)
    return grids
