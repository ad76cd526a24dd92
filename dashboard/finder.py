"""The public finder's engine: search, nearest on foot, routes and walking areas.

Built once per process at start-up from the dataset and shared read-only by the
public page and the public API.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

import shapely
import shapely.ops
from pyproj import Transformer
from shapely.geometry import Point, Polygon

from geodata.dataset import Dataset
from geodata.gazetteer import Gazetteer, Match
from geodata.nearest import EXTRA_KINDS, LOCAL_TZ, Result, ServiceIndex, is_open
from geodata.network import WALK_SPEED_M_PER_MIN, Route, WalkingNetwork
from geodata.schema import MEASURE_CRS, SERVICE_MENU, STORAGE_CRS

log = logging.getLogger("redmap.finder")

SERVICE_LABELS = {c.value: (c.zh, c.en) for c in SERVICE_MENU}
_TO_M = Transformer.from_crs(STORAGE_CRS, MEASURE_CRS, always_xy=True)
REACH_KM = 1.0
"""A point this far outside the outline still gets an answer (the outline is coarse)."""


@dataclass(frozen=True)
class Finder:
    """Everything the public finder needs, built once (see :func:`build_finder`)."""

    gazetteer: Gazetteer
    network: WalkingNetwork
    services: ServiceIndex
    district_m: Polygon
    """The outline in EPSG:4545, for "how far outside" answers."""
    district_name: str
    walk_speed: float = WALK_SPEED_M_PER_MIN

    @property
    def kinds(self) -> tuple[str, ...]:
        """Service kinds present in the data, "any" first."""
        return self.services.kinds

    def kind_label(self, kind: str, lang: str = "zh") -> str:
        zh, en = EXTRA_KINDS.get(kind) or SERVICE_LABELS.get(kind, (kind, kind))
        return zh if lang == "zh" else en

    def now(self) -> dt.datetime:
        """Local time for "open now": always the real clock, demo data included
        (opening hours repeat every week, so they cannot drift out of date)."""
        return dt.datetime.now(LOCAL_TZ)

    def km_outside(self, lon: float, lat: float) -> float:
        """How far (km) a point lies outside the district beyond the tolerance; 0 if within."""
        x, y = _TO_M.transform(lon, lat)
        return max(0.0, self.district_m.distance(Point(x, y)) / 1000 - REACH_KM)

    def search(self, query: str, limit: int = 8) -> list[Match]:
        return self.gazetteer.search(query, limit)

    def nearest(
        self, lon: float, lat: float, kind: str = "any", k: int = 5, open_now: bool = False
    ) -> list[Result]:
        """The ``k`` nearest places offering ``kind`` on foot, optionally only those open now."""
        if not open_now:
            return self.services.nearest(lon, lat, kind, k)
        when = self.now()
        # Ask for the most the tables hold and keep those open; fewer than k may remain.
        found = self.services.nearest(lon, lat, kind, max(k, 8))
        return [r for r in found if is_open(r.opening_hours, when)][:k]

    def route(self, start: tuple[float, float], end: tuple[float, float]) -> Route | None:
        return self.network.route(start, end)

    def walk_area(self, lon: float, lat: float, minutes: float = 15) -> Polygon:
        return self.network.walk_area(lon, lat, minutes)

    def match_json(self, match: Match, lang: str = "zh") -> dict[str, Any]:
        place = match.place
        return {
            "id": place.id,
            "name": place.name,
            "kind": place.kind,
            "kind_label": place.kind_zh if lang == "zh" else place.kind_en,
            "context": place.context,
            "lon": round(place.lon, 6),
            "lat": round(place.lat, 6),
            "matched_as": match.matched_as,
            "score": round(match.score, 3),
        }

    def open_now(self, result: Result) -> bool | None:
        return is_open(result.opening_hours, self.now())


def nearest_json(result: Result, lang: str = "zh", open_now: bool | None = None) -> dict[str, Any]:
    """A result as the public API returns it: public fields, distances, service labels."""
    out = result.to_dict()
    out["service_labels"] = [SERVICE_LABELS.get(s, (s, s))[0 if lang == "zh" else 1] for s in result.services]
    out["open_now"] = open_now
    return out


def build_finder(dataset: Dataset) -> Finder:
    """Index the dataset for the finder (gazetteer, walking network, nearest tables)."""
    started = time.perf_counter()
    network = WalkingNetwork.from_roads(dataset["roads"])
    district = dataset["district"]
    finder = Finder(
        gazetteer=Gazetteer.from_frames(dataset.frames),
        network=network,
        services=ServiceIndex.build(dataset.frames, network),
        district_m=shapely.ops.transform(_TO_M.transform, district.geometry.iloc[0]),
        district_name=str(district["name"].iloc[0]),
    )
    log.info(
        "finder ready in %.2f s: %d places, %d junctions, %d kinds",
        time.perf_counter() - started,
        len(finder.gazetteer),
        network.n_nodes,
        len(finder.kinds),
    )
    return finder
