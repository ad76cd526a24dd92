"""The public finder's engine: search, nearest on foot, routes and walking areas.

Built once per process at start-up from the dataset and shared read-only by the
public page and the public API.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import orjson
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon

from geodata.cells import InsideGrid
from geodata.dataset import Dataset
from geodata.gazetteer import Gazetteer, Match
from geodata.nearest import EXTRA_KINDS, LOCAL_TZ, Result, ServiceIndex, is_open, open_at, week_minute
from geodata.network import WALK_SPEED_M_PER_MIN, Route, WalkingNetwork
from geodata.schema import MEASURE_CRS, SERVICE_MENU, STORAGE_CRS

log = logging.getLogger("redmap.finder")

SERVICE_LABELS = {c.value: (c.zh, c.en) for c in SERVICE_MENU}
_TO_M = Transformer.from_crs(STORAGE_CRS, MEASURE_CRS, always_xy=True)
INSIDE_CELL_M = 250.0
"""Cell size of the point-in-district grid (~5,000 cells for the demo district)."""
_JSON_BOOL = {True: b"true", False: b"false", None: b"null"}
NEAR_KM = 50.0
"""Within this distance of the district, "how far outside" is measured on the plane."""
REACH_KM = 1.0
"""A point this far outside the outline still gets an answer (the outline is coarse)."""


@dataclass(frozen=True)
class Finder:
    """Everything the public finder needs, built once (see :func:`build_finder`)."""

    gazetteer: Gazetteer
    network: WalkingNetwork
    services: ServiceIndex
    district_m: Polygon
    """The outline in EPSG:4545."""
    district_lonlat: Polygon
    """The outline in WGS-84, for "how far outside" answers (see :meth:`km_outside`)."""
    inside: InsideGrid
    """Point-in-district over ``district_m`` (most answers need no more)."""
    district_name: str
    public_json: Mapping[str, Mapping[str, dict[str, Any]]]
    """Language → place id → the place's public fields as the API returns them, built
    once: an answer only adds distances and "open now"."""
    public_head: Mapping[str, Mapping[str, bytes]]
    """The same encoded as JSON, without the closing brace."""
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
        """How far (km) a point lies outside the district; 0 inside.

        Within :data:`NEAR_KM` of the outline the Gauss-Krüger plane measures it (true
        to 1e-4 there, and cheap: a point just over the border is the common case).
        Farther away the answer is the geodesic distance to the outline: the outline
        is projected azimuthal-equidistant around the point, where distances from the
        centre are true (Gauss-Krüger is thousands of km wrong on the other side of
        the world).
        """
        x, y = _TO_M.transform(lon, lat)
        if math.isfinite(x) and math.isfinite(y):
            if self.inside.contains(x, y):
                return 0.0
            # Near the district the Gauss-Krüger plane is true to 1e-4 (5 m in 50 km),
            # and a point just over the border is the common case: no new projection.
            near_m = self.district_m.distance(Point(x, y))
            if near_m < NEAR_KM * 1000:
                return near_m / 1000
        around = Transformer.from_crs(
            STORAGE_CRS, f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m", always_xy=True
        )
        outline = shapely.transform(self.district_lonlat, around.transform, interleaved=False)
        return float(outline.distance(Point(0, 0))) / 1000

    def beyond_reach_km(self, lon: float, lat: float) -> float | None:
        """None when the finder answers for this point (inside the district, or at most
        :data:`REACH_KM` outside: the outline is coarse), else how far outside it lies
        (km; infinite for a position that is not one)."""
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return math.inf
        km = self.km_outside(lon, lat)
        return None if km <= REACH_KM else km

    def within_reach(self, lon: float, lat: float) -> bool:
        """Whether the finder answers for this point. The API and the page both ask."""
        return self.beyond_reach_km(lon, lat) is None

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
            "context": place.describe(lang),
            "lon": round(place.lon, 6),
            "lat": round(place.lat, 6),
            "matched_as": match.matched_as,
            "score": round(match.score, 3),
        }

    def open_now(self, result: Result) -> bool | None:
        return is_open(result.opening_hours, self.now())

    def results_json(
        self, results: list[Result], lang: str = "zh", when: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """Results as the public API returns them: public fields, service labels,
        distances and whether each is open at ``when`` (now by default)."""
        day, minute = week_minute(when or self.now())
        places = self.public_json["en" if lang == "en" else "zh"]
        out = []
        for r in results:
            item = dict(places[r.id])
            item["distance_m"] = round(r.distance_m)
            item["walk_m"] = None if r.walk_m is None else round(r.walk_m)
            item["walk_min"] = r.walk_min
            item["open_now"] = open_at(r.opening_hours, day, minute)
            out.append(item)
        return out

    def results_body(self, results: list[Result], lang: str = "zh", when: dt.datetime | None = None) -> bytes:
        """:meth:`results_json` as a JSON array, spliced from each place's encoded
        public fields (a third of the cost of building and encoding the dicts)."""
        day, minute = week_minute(when or self.now())
        heads = self.public_head["en" if lang == "en" else "zh"]
        items = [
            b'%s,"distance_m":%d,"walk_m":%s,"walk_min":%s,"open_now":%s}'
            % (
                heads[r.id],
                round(r.distance_m),
                b"null" if r.walk_m is None else b"%d" % round(r.walk_m),
                b"null" if r.walk_min is None else b"%d" % r.walk_min,
                _JSON_BOOL[open_at(r.opening_hours, day, minute)],
            )
            for r in results
        ]
        return b"[" + b",".join(items) + b"]"


def public_place_json(place: Result, lang: str) -> dict[str, Any]:
    """A place's public fields as the API returns them (distances left to each answer)."""
    out = place.to_dict()
    for distance in ("distance_m", "walk_m", "walk_min"):
        del out[distance]
    out["service_labels"] = [SERVICE_LABELS.get(s, (s, s))[0 if lang == "zh" else 1] for s in place.services]
    return out


def build_finder(dataset: Dataset) -> Finder:
    """Index the dataset for the finder (gazetteer, walking network, nearest tables)."""
    started = time.perf_counter()
    network = WalkingNetwork.from_roads(dataset["roads"])
    district = dataset["district"]
    services = ServiceIndex.build(dataset.frames, network)
    district_m = shapely.transform(district.geometry.iloc[0], _TO_M.transform, interleaved=False)
    places = services.places()
    public_json = {lang: {p.id: public_place_json(p, lang) for p in places} for lang in ("zh", "en")}
    finder = Finder(
        gazetteer=Gazetteer.from_frames(dataset.frames),
        network=network,
        services=services,
        district_m=district_m,
        district_lonlat=district.geometry.iloc[0],
        inside=InsideGrid.build(district_m, INSIDE_CELL_M),
        district_name=str(district["name"].iloc[0]),
        public_json=MappingProxyType({lang: MappingProxyType(m) for lang, m in public_json.items()}),
        public_head=MappingProxyType(
            {
                lang: MappingProxyType({i: orjson.dumps(d)[:-1] for i, d in m.items()})
                for lang, m in public_json.items()
            }
        ),
    )
    log.info(
        "finder ready in %.2f s: %d places, %d junctions, %d kinds",
        time.perf_counter() - started,
        len(finder.gazetteer),
        network.n_nodes,
        len(finder.kinds),
    )
    return finder
