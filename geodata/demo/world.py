"""The demo district's geometry in metres, shared by the point and record builders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geodata.demo.communities import Community, Grid
from geodata.demo.roads import Road, components
from geodata.demo.streets import STREETS, StreetInfo


@dataclass
class World:
    """Everything placed so far, in EPSG:4545.

    Attributes
    ----------
    outline : geometry
        The real district outline.
    river : Polygon
        The Wei River.
    streets : list of geometry
        Street polygons, in :data:`STREETS` order.
    offices : ndarray, shape (12, 2)
        Street office positions.
    centre : ndarray, shape (2,)
        District government.
    communities, grids : list
        The subdivisions.
    roads : list of Road
        The walking network.
    """

    outline: BaseGeometry
    river: BaseGeometry
    streets: list[BaseGeometry]
    offices: np.ndarray
    centre: np.ndarray
    communities: list[Community]
    grids: list[Grid]
    roads: list[Road]

    def __post_init__(self) -> None:
        self._grid_tree = shapely.STRtree([g.geom for g in self.grids])
        named = [r for r in self.roads if r.name and r.road_class != "bridge"]
        self._named_roads = named
        self._road_tree = shapely.STRtree([r.geom for r in named])
        self._river_zone = self.river.buffer(30)
        shapely.prepare(self._river_zone)
        self._junctions: tuple[np.ndarray, list[list[str]]] | None = None

    def street_info(self, community: Community) -> StreetInfo:
        return community.street

    def street_index(self, info: StreetInfo) -> int:
        return STREETS.index(info)

    def grid_at(self, xy: np.ndarray | tuple[float, float], margin: float = 3.0) -> Grid | None:
        """The grid holding a point at least ``margin`` m inside it, else None."""
        p = Point(xy)
        for i in self._grid_tree.query(p, predicate="intersects"):
            g = self.grids[int(i)]
            if g.geom.contains(p) and g.geom.exterior.distance(p) >= margin:
                return g
        return None

    def on_land(self, xy: np.ndarray | tuple[float, float]) -> bool:
        """Not in (or right beside) the river."""
        return not self._river_zone.contains(Point(xy))

    def nearest_road_name(self, xy: np.ndarray | tuple[float, float]) -> str:
        i = self._road_tree.nearest(Point(xy))
        return str(self._named_roads[int(i)].name)

    def on_land_many(self, xy: np.ndarray) -> np.ndarray:
        """:meth:`on_land` for many points at once, shape (n, 2) → (n,) bool."""
        return ~shapely.contains_xy(self._river_zone, xy[:, 0], xy[:, 1])

    def junctions(self) -> tuple[np.ndarray, list[list[str]]]:
        """Road nodes where three or more segments meet, with the road names meeting there.

        Computed once per world: a scaled demo asks the same world for every copy.
        """
        if self._junctions is None:
            self._junctions = self._find_junctions()
        return self._junctions

    def _find_junctions(self) -> tuple[np.ndarray, list[list[str]]]:
        _labels, keys, ends = components(self.roads)
        deg = np.bincount(ends.ravel(), minlength=len(keys))
        names: list[set[str]] = [set() for _ in range(len(keys))]
        for r, (a, b) in zip(self.roads, ends, strict=True):
            if r.name and r.road_class != "bridge":
                names[a].add(r.name)
                names[b].add(r.name)
        idx = np.flatnonzero(deg >= 3)
        xy = keys[idx] / 100.0
        xy.flags.writeable = False  # shared by every caller
        return xy, [sorted(names[i]) for i in idx]
