"""Nearest service points for the public finder, on foot.

:meth:`ServiceIndex.build` runs once per process (each web worker builds its own);
afterwards the index is read-only and queries take well under a millisecond: for
every junction of the walking network and every kind, the :data:`TABLE_K` nearest
candidates by walking distance are precomputed. A query is snapped onto a road
segment and combines the tables of the segment's two ends (plus any candidate on
that very segment): a snap (~40 µs) and a few array look-ups, no graph search per
query. Each answer also carries its straight-line (geodesic, WGS-84) distance.

There is no straight-line ranking: no page or API answers "nearest as the crow
flies" (a resident walks), and its per-kind cell tables cost start-up time and
memory for a benchmark row only.

Kinds of service
----------------
* each code of :data:`geodata.schema.SERVICE_MENU` offered by at least one service
  centre: the centres offering it;
* ``"any"``: every 心心秦家 service centre;
* ``"daycare_meals"``: the day-care centres for the elderly (日间照料中心, with meal
  delivery) from ``daycare_centers``;
* ``"childcare"``: the ``child_care`` layer (留守儿童关爱中心 and 低偿托育班)
  *together with* the centres offering the ``childcare`` service — a parent asking
  for childcare wants all of them;
* ``"legal_aid"``: the centres offering ``legal_advice`` (the party-member legal
  service teams are areas, not places one can walk to; they staff these centres);
* ``"tele_medicine"``: the centres offering ``tele_medicine``. The communities'
  ``tele_medicine`` flag is *not* used: it says a 云医院 terminal exists somewhere in
  the community, with no position to walk to, and pointing at the community's
  centroid would send an old person to a field.

Walking distance is off-network leg + network distance + the candidate's own
off-network leg, at :data:`geodata.network.WALK_SPEED_M_PER_MIN`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from scipy.spatial import cKDTree

from geodata.network import WALK_SPEED_M_PER_MIN, Snap, WalkingNetwork, walk_minutes
from geodata.schema import SCHEMA, SERVICE_MENU, STORAGE_CRS, split_codes

TABLE_K = 8
"""Candidates kept per junction and kind: the most :meth:`ServiceIndex.nearest` can return."""

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
"""Opening hours in the data are local time."""

CANDIDATE_LAYERS: tuple[str, ...] = ("service_centers", "daycare_centers", "child_care")
"""Point layers the finder can send a resident to."""

EXTRA_KINDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "any": ("心心秦家服务中心", "Any service centre"),
        "daycare_meals": ("日间照料·助餐", "Day care and meals"),
        "childcare": ("托育与留守儿童关爱", "Childcare"),
        "legal_aid": ("法律服务", "Legal aid"),
        "tele_medicine": ("云医院问诊", "Tele-medicine"),
    }
)
"""Kinds beyond the service menu codes, with their zh/en labels."""

KNOWN_KINDS: frozenset[str] = frozenset(EXTRA_KINDS) | frozenset(c.value for c in SERVICE_MENU)
"""Every kind a query may name (some may have no candidates in a given dataset)."""

_PUBLIC_ATTRS = ("name", "address", "services", "opening_hours", "phone")
_GEOD = Geod(ellps="WGS84")  # stateless: safe to share between threads
_SCALE_MARGIN = 1e-3
"""Bound on |projected / geodesic - 1| for distances in EPSG:4545 within its zone
(about 5e-5 at Qindu, 108.7°E; 3.4e-4 at the zone's 1.5° edge)."""
class Result(NamedTuple):
    """One place in a nearest-service answer: public fields and distances.

    A named tuple rather than a frozen dataclass: an answer creates several, and a
    frozen dataclass's ``__init__`` costs ~3 µs each (one ``object.__setattr__`` per
    field), a third of a straight-line query.

    Attributes
    ----------
    id, layer : str
        Feature id and the layer it comes from.
    name, address, phone, opening_hours : str or None
        Public fields (None when the layer has no such public field or it is empty).
    services : tuple of str
        Service codes offered (service centres; empty for other layers).
    lon, lat : float
        Position, EPSG:4326.
    distance_m : float
        Straight-line (geodesic) distance from the query.
    walk_m : float or None
        Walking distance along roads (None in straight-line answers); never less
        than ``distance_m``.
    walk_min : int or None
        ``walk_m`` in whole minutes at the walking speed, rounded up.
    """

    id: str
    layer: str
    name: str | None
    lon: float
    lat: float
    services: tuple[str, ...]
    opening_hours: str | None
    address: str | None
    phone: str | None
    distance_m: float
    walk_m: float | None = None
    walk_min: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (distances rounded to the metre)."""
        return {
            "id": self.id,
            "layer": self.layer,
            "name": self.name,
            "lon": round(self.lon, 6),
            "lat": round(self.lat, 6),
            "services": list(self.services),
            "opening_hours": self.opening_hours,
            "address": self.address,
            "phone": self.phone,
            "distance_m": round(self.distance_m),
            "walk_m": None if self.walk_m is None else round(self.walk_m),
            "walk_min": self.walk_min,
        }


@dataclass(frozen=True, slots=True)
class _Place:
    id: str
    layer: str
    name: str | None
    address: str | None
    services: tuple[str, ...]
    opening_hours: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class _Kind:
    members: np.ndarray  # place indices, ascending
    table_idx: np.ndarray  # (n_nodes, TABLE_K) place index, -1 where none
    table_d: np.ndarray  # (n_nodes, TABLE_K) metres from node to place, inf where none
    on_edge: Mapping[int, tuple[int, ...]]  # edge -> members snapped onto it


class ServiceIndex:
    """Nearest-service look-ups over one dataset and its walking network, read-only.

    Build with :meth:`build`.
    """

    def __init__(
        self,
        network: WalkingNetwork,
        places: tuple[_Place, ...],
        lonlat: np.ndarray,
        xy: np.ndarray,
        snaps: tuple[Snap, ...],
        kinds: Mapping[str, _Kind],
    ) -> None:
        self.network = network
        self._places = places
        self._index_of = MappingProxyType({p.id: i for i, p in enumerate(places)})
        self._lonlat = lonlat
        self._lonlat_list: list[list[float]] = lonlat.tolist()
        self._xy = xy
        self._snaps = snaps
        self._kinds = kinds
        self.kinds: tuple[str, ...] = tuple(k for k in kinds if len(kinds[k].members))
        """Kinds with at least one candidate, in a stable order (extras, then menu order)."""

    # --- building -----------------------------------------------------------------

    @classmethod
    def build(
        cls,
        frames: Mapping[str, gpd.GeoDataFrame] | Any,
        network: WalkingNetwork,
        limit_m: float = math.inf,
    ) -> ServiceIndex:
        """Collect the candidate places per kind and precompute the walking tables.

        Parameters
        ----------
        frames : mapping of layer name to GeoDataFrame, or a Dataset
            Needs ``service_centers``; ``daycare_centers`` and ``child_care`` are
            used when present.
        network : WalkingNetwork
            Built from the same dataset's roads.
        limit_m : float
            Walking distance beyond which a place is left out of a junction's table
            (infinite by default: exact everywhere). The cost grows about linearly
            with the data (:func:`_walking_tables`): ~1 s for the demo district.

        Returns
        -------
        ServiceIndex
        """
        frames = getattr(frames, "frames", frames)  # a Dataset or its frames
        places: list[_Place] = []
        lonlat: list[tuple[float, float]] = []
        for layer in CANDIDATE_LAYERS:
            if layer not in frames:
                continue
            for place, point in _read_places(layer, frames[layer]):
                places.append(place)
                lonlat.append(point)
        ll = np.array(lonlat, dtype=float).reshape(-1, 2)
        # The network's transformer is reused: creating a pyproj Transformer costs
        # ~0.2 s, more than everything else here on a small network.
        xy = np.column_stack(network.to_xy(ll[:, 0], ll[:, 1])) if len(ll) else np.zeros((0, 2))
        snaps = tuple(network.snap_many_xy(xy))

        members = _kind_members(places)
        tables = _walking_tables(network, snaps, members, limit_m)

        kinds: dict[str, _Kind] = {}
        for kind, m in members.items():
            table_i, table_d = tables[kind]
            on_edge: dict[int, list[int]] = {}
            for p in m.tolist():
                on_edge.setdefault(snaps[p].edge, []).append(p)
            kinds[kind] = _Kind(
                members=_frozen(m),
                table_idx=_frozen(table_i),
                table_d=_frozen(table_d),
                on_edge=MappingProxyType({e: tuple(ps) for e, ps in on_edge.items()}),
            )
        return cls(network, tuple(places), _frozen(ll), _frozen(xy), snaps, MappingProxyType(kinds))

    # --- facts --------------------------------------------------------------------

    def place_lonlat(self, place_id: str) -> tuple[float, float] | None:
        """Where a candidate place is (EPSG:4326), by id; None for an unknown id."""
        i = self._index_of.get(place_id)
        return None if i is None else (float(self._lonlat[i][0]), float(self._lonlat[i][1]))

    def count(self, kind: str) -> int:
        """Number of candidate places of a kind (0 for a known kind nobody offers)."""
        self._check(kind)
        return len(self._kinds[kind].members) if kind in self._kinds else 0

    @staticmethod
    def _check(kind: str) -> None:
        if kind not in KNOWN_KINDS:
            raise ValueError(f"unknown kind {kind!r}; known: {', '.join(sorted(KNOWN_KINDS))}")

    # --- queries ------------------------------------------------------------------

    def nearest(self, lon: float, lat: float, kind: str = "any", k: int = 5) -> list[Result]:
        """The ``k`` nearest places of a kind on foot.

        Parameters
        ----------
        lon, lat : float
            The query, EPSG:4326.
        kind : str
            A kind of :data:`KNOWN_KINDS`.
        k : int
            How many, at most :data:`TABLE_K`.

        Returns
        -------
        list of Result
            Sorted by ``walk_m``, then ``distance_m``, then id. Places that cannot
            be reached on foot (another network component) are left out, so fewer
            than ``k`` may come back.
        """
        if not 1 <= k <= TABLE_K:
            raise ValueError(f"k must be between 1 and {TABLE_K}")
        if kind not in self._kinds:
            self._check(kind)
            return []
        kd = self._kinds[kind]
        if len(kd.members) == 0:
            return []
        s = self.network.snap(lon, lat)
        walk: dict[int, float] = {}
        # Leave the query's edge by either end, then follow that end's table.
        for node, along in ((s.u, s.to_u_m), (s.v, s.to_v_m)):
            for p, d in zip(kd.table_idx[node].tolist(), kd.table_d[node].tolist(), strict=True):
                if p < 0:
                    break
                w = s.distance_m + along + d
                if w < walk.get(p, math.inf):
                    walk[p] = w
        # A place on the very same edge may be reached without passing either end.
        for p in kd.on_edge.get(s.edge, ()):
            c = self._snaps[p]
            w = s.distance_m + abs(s.along_m - c.along_m) + c.distance_m
            if w < walk.get(p, math.inf):
                walk[p] = w
        if not walk:
            return []
        raw = sorted(walk.items(), key=lambda pw: pw[1])
        # Clamping to the straight line only ever raises a walk, and by less than the
        # projection's scale error (< 0.1 %): only places within that margin of the
        # k-th can still move into the top k, so only they need a geodesic.
        margin = raw[min(k, len(raw)) - 1][1] * (1 + _SCALE_MARGIN) + 1e-6
        ranked = []
        for p, w in raw:
            if w > margin:
                break
            g = self._geodesic_one(lon, lat, p)
            ranked.append((max(w, g), g, self._places[p].id, p))
        ranked.sort()
        return [self._result(p, g, w) for w, g, _, p in ranked[:k]]

    def _geodesic_one(self, lon: float, lat: float, p: int) -> float:
        # Scalar Geod.inv is ~2 µs; its array form costs ~30 µs in conversions.
        return float(_GEOD.inv(lon, lat, self._lonlat_list[p][0], self._lonlat_list[p][1])[2])

    def _result(self, p: int, distance_m: float, walk_m: float | None = None) -> Result:
        pl = self._places[p]
        lon, lat = self._lonlat_list[p]
        walk_min = None if walk_m is None else walk_minutes(walk_m, WALK_SPEED_M_PER_MIN)
        return Result(
            pl.id, pl.layer, pl.name, lon, lat, pl.services, pl.opening_hours, pl.address, pl.phone,
            distance_m, walk_m, walk_min,
        )  # fmt: skip

    def places(self) -> list[Result]:
        """Every candidate place once, distances zero: for tables built at start-up."""
        return [self._result(p, 0.0) for p in range(len(self._places))]


def _read_places(layer: str, frame: gpd.GeoDataFrame) -> list[tuple[_Place, tuple[float, float]]]:
    """Public fields and lon/lat of a point layer's features (empty geometries skipped)."""
    if frame.crs is not None and frame.crs != STORAGE_CRS:
        frame = frame.to_crs(STORAGE_CRS)
    public = {f.name for f in SCHEMA[layer].public_fields} if layer in SCHEMA else set()
    out = []
    geoms = frame.geometry
    for i in range(len(frame)):
        g = geoms.iloc[i]
        if g is None or g.is_empty:
            continue
        if g.geom_type != "Point":  # a MultiPoint or stray polygon: its representative point
            g = g.representative_point()
        row = frame.iloc[i]
        values = {a: _text(row.get(a)) if a in public else None for a in _PUBLIC_ATTRS}
        services = tuple(split_codes(values.pop("services")))
        out.append(
            (
                _Place(id=str(row["id"]), layer=layer, services=services, **values),
                (float(g.x), float(g.y)),
            )
        )
    return out


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


DETOUR = 1.4
"""Walks are rarely more than this much longer than the straight line: the first
search radius of a kind is this times the straight-line distance to a junction's
:data:`TABLE_K`-th nearest member, for most junctions."""


def _walking_tables(
    network: WalkingNetwork, snaps: tuple[Snap, ...], members: Mapping[str, np.ndarray], limit_m: float
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per kind, every junction's :data:`TABLE_K` nearest members on foot.

    Exact (up to ``limit_m``) and close to linear in the size of the data. Per kind,
    one search from every member, bounded by a radius that covers most junctions'
    tables (:data:`DETOUR` times the straight-line distance to their
    :data:`TABLE_K`-th member, 98th percentile), fills most tables; junctions still
    short of entries (outskirts, link roads) are completed in rounds of doubling
    radius, searching from them or from the members that can reach them, whichever
    are fewer. A table with ``TABLE_K`` (or all the kind's) entries within a radius
    is exact: every place within that radius on foot was searched.

    Returns
    -------
    dict
        Kind → (place index, metres), each ``(n_nodes, TABLE_K)``, sorted by
        distance then place index; -1 / inf where there is no entry. Kinds with the
        same members share their arrays.
    """
    n = network.n_nodes
    place_xy = np.array([(s.x, s.y) for s in snaps], dtype=float).reshape(-1, 2)
    # Past this radius every reachable pair is found anyway: search without a limit.
    span = np.ptp(network.node_xy, axis=0) if n else np.zeros(2)
    unbounded_from = 4 * float(np.hypot(*span)) + 1.0
    by_members: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for kind, m in members.items():
        key = m.tobytes()
        if key not in by_members:
            by_members[key] = _kind_tables(network, snaps, place_xy, m, limit_m, unbounded_from)
        out[kind] = by_members[key]
    return out


def _kind_tables(
    network: WalkingNetwork,
    snaps: tuple[Snap, ...],
    place_xy: np.ndarray,
    m: np.ndarray,
    limit_m: float,
    unbounded_from: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One kind's junction tables (see :func:`_walking_tables`)."""
    n = network.n_nodes
    want = min(TABLE_K, len(m))
    if want == 0 or n == 0:
        return _frozen(np.full((n, TABLE_K), -1, dtype=np.int64)), _frozen(np.full((n, TABLE_K), np.inf))
    line, _ = cKDTree(place_xy[m]).query(network.node_xy, k=[want])
    radius = min(limit_m, max(100.0, DETOUR * float(np.quantile(line[:, 0], 0.98))))
    src, node, dist = network.reach_from_snaps([snaps[i] for i in m.tolist()], radius, TABLE_K)
    table_i, table_d = _top_k(*_sorted_pairs(m[src], node, dist), n)
    while radius < limit_m:
        short = np.flatnonzero(table_i[:, want - 1] < 0)
        if not len(short):
            break
        radius = min(limit_m, radius * 2 if radius * 2 < unbounded_from else math.inf)
        if math.isfinite(radius):
            gap, _ = cKDTree(network.node_xy[short]).query(place_xy[m], distance_upper_bound=radius)
            starts = m[np.isfinite(gap)]
        else:
            starts = m
        # Search from whichever side is smaller: the junctions still short of
        # entries or the members that can reach them.
        if len(short) < len(starts):
            more_i, more_d = _tables_from_nodes(network, short, snaps, starts, radius)
            table_i[short], table_d[short] = more_i, more_d
            continue
        s2, n2, d2 = network.reach_from_snaps([snaps[i] for i in starts.tolist()], radius, TABLE_K)
        wanted = np.zeros(n, dtype=bool)
        wanted[short] = True
        keep = wanted[n2]
        more_i, more_d = _top_k(*_sorted_pairs(starts[s2[keep]], n2[keep], d2[keep]), n)
        table_i[short], table_d[short] = more_i[short], more_d[short]
    return _frozen(table_i), _frozen(table_d)


def _tables_from_nodes(
    network: WalkingNetwork, nodes: np.ndarray, snaps: tuple[Snap, ...], members: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """The :data:`TABLE_K` nearest ``members`` within ``radius`` on foot of each of ``nodes``,
    by searching from the nodes: (place index, metres), each ``(len(nodes), TABLE_K)``.

    A member is reached through either end of its edge; a distance over the radius
    may have missed the shorter way round, so only those within it are kept.
    """
    mu = np.array([snaps[p].u for p in members.tolist()], dtype=np.int64)
    mv = np.array([snaps[p].v for p in members.tolist()], dtype=np.int64)
    wu = np.array([snaps[p].distance_m + snaps[p].to_u_m for p in members.tolist()])
    wv = np.array([snaps[p].distance_m + snaps[p].to_v_m for p in members.tolist()])
    table_i = np.full((len(nodes), TABLE_K), -1, dtype=np.int64)
    table_d = np.full((len(nodes), TABLE_K), np.inf)
    origin_xy = network.node_xy[nodes]
    for part, searched, d in network.searches(origin_xy, radius, origin_nodes=nodes):
        local = np.full(network.n_nodes, -1, dtype=np.int64)
        local[searched] = np.arange(len(searched))
        lu, lv = local[mu], local[mv]
        inside = (lu >= 0) | (lv >= 0)
        if not inside.any():
            continue
        # A column of inf stands for an end outside the searched area.
        pad = np.column_stack([d, np.full(len(part), np.inf)])
        walk = np.minimum(pad[:, lu[inside]] + wu[inside], pad[:, lv[inside]] + wv[inside])
        walk[walk > radius] = np.inf
        # Members are in ascending place order, so a stable sort ranks ties by place.
        order = np.argsort(walk, axis=1, kind="stable")[:, :TABLE_K]
        best = np.take_along_axis(walk, order, axis=1)
        k = best.shape[1]
        table_d[part, :k] = best
        table_i[part, :k] = np.where(np.isfinite(best), members[inside][order], -1)
    return table_i, table_d


def _sorted_pairs(src: np.ndarray, node: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pairs sorted by node, then distance, then place (equal distances rank stably)."""
    order = np.lexsort((src, dist, node))
    return src[order], node[order], dist[order]


def _top_k(
    src: np.ndarray, node: np.ndarray, dist: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first :data:`TABLE_K` pairs of each node, from pairs in :func:`_sorted_pairs` order."""
    table_i = np.full((n_nodes, TABLE_K), -1, dtype=np.int64)
    table_d = np.full((n_nodes, TABLE_K), np.inf)
    rank = np.arange(len(node)) - np.searchsorted(node, node, side="left")
    keep = rank < TABLE_K
    table_i[node[keep], rank[keep]] = src[keep]
    table_d[node[keep], rank[keep]] = dist[keep]
    return table_i, table_d


def _kind_members(places: list[_Place]) -> dict[str, np.ndarray]:
    """Kind → indices of its candidate places (kinds in a stable order)."""
    centre = [p.layer == "service_centers" for p in places]
    offers = lambda code: [c and code in p.services for c, p in zip(centre, places, strict=True)]  # noqa: E731
    rules: dict[str, list[bool]] = {
        "any": centre,
        "daycare_meals": [p.layer == "daycare_centers" for p in places],
        "childcare": [p.layer == "child_care" or o for p, o in zip(places, offers("childcare"), strict=True)],
        "legal_aid": offers("legal_advice"),
        "tele_medicine": offers("tele_medicine"),
    }
    for choice in SERVICE_MENU:
        rules.setdefault(choice.value, offers(choice.value))
    return {kind: np.flatnonzero(np.array(mask, dtype=bool)) for kind, mask in rules.items()}


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


# --- opening hours ----------------------------------------------------------------

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_ITEM = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?$")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Schedule = tuple[tuple[tuple[int, int], ...], ...]
"""Immutable, so parsed schedules are cached (a few distinct texts serve every answer).
Per weekday (Monday first), the open spans in minutes since that day's midnight;
an end past 1440 runs into the next day."""


@functools.lru_cache(maxsize=4096)
def parse_opening_hours(text: str | None) -> Schedule | None:
    """Parse the simple OpenStreetMap ``opening_hours`` forms used in the data.

    Understood: ``24/7``; rules ``[days] times`` joined by ``;`` where days are
    ``Mo``, ``Mo-Fr``, ``Sa,Su`` or ``Mo-Fr,Su`` (wrapping ranges like ``Fr-Mo``
    too), times are ``08:00-12:00,14:00-18:00`` or ``off``/``closed``; a rule
    without days applies to every day. As in OSM, a later rule replaces earlier
    ones for the days it names, and a span ending at or before its start (``22:00-
    06:00``) runs past midnight.

    Parameters
    ----------
    text : str or None

    Returns
    -------
    Schedule or None
        None when the text uses anything else (public holidays, months, …).
    """
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    week: list[tuple[tuple[int, int], ...]] = [() for _ in _DAYS]
    for rule in (r.strip() for r in text.split(";")):
        if not rule:
            continue
        if rule == "24/7":
            week = [((0, 1440),) for _ in _DAYS]
            continue
        head, _, rest = rule.partition(" ")
        days = _parse_days(head)
        if days is None:  # no day selector: times for every day
            days, rest = list(range(7)), rule
        rest = rest.strip()
        if rest in ("off", "closed"):
            spans: tuple[tuple[int, int], ...] | None = ()
        elif rest == "24/7":
            spans = ((0, 1440),)
        else:
            spans = _parse_spans(rest)
        if spans is None:
            return None
        for d in days:
            week[d] = spans
    return tuple(week)


def _parse_days(text: str) -> list[int] | None:
    days: list[int] = []
    for item in text.split(","):
        m = _DAY_ITEM.match(item.strip())
        if not m:
            return None
        a = _DAYS.index(m.group(1))
        b = _DAYS.index(m.group(2)) if m.group(2) else a
        days.extend((a + i) % 7 for i in range((b - a) % 7 + 1))
    return days


def _parse_spans(text: str) -> tuple[tuple[int, int], ...] | None:
    spans = []
    for item in text.split(","):
        m = _SPAN.match(item.strip())
        if not m:
            return None
        h0, m0, h1, m1 = (int(g) for g in m.groups())
        if h0 > 24 or h1 > 24 or m0 > 59 or m1 > 59:
            return None
        start, end = h0 * 60 + m0, h1 * 60 + m1
        if start >= 1440 or end > 1440:
            return None
        if end <= start:  # overnight (or round the clock for 00:00-00:00)
            end += 1440
        spans.append((start, end))
    return tuple(spans)


def week_minute(when: dt.datetime) -> tuple[int, float]:
    """Weekday (Monday 0) and minute of the day of a moment in Asia/Shanghai time.

    A naive datetime is taken as local time, an aware one is converted. Computed once
    per answer, then :func:`open_at` checks each place with it.
    """
    local = when.replace(tzinfo=LOCAL_TZ) if when.tzinfo is None else when.astimezone(LOCAL_TZ)
    return local.weekday(), local.hour * 60 + local.minute + local.second / 60


def open_at(opening_hours: str | None, day: int, minute: float) -> bool | None:
    """Whether a place is open on a weekday at a minute of the day (see :func:`is_open`)."""
    week = parse_opening_hours(opening_hours)
    if week is None:
        return None
    if any(a <= minute < b for a, b in week[day]):
        return True
    # Spans of the previous day that run past midnight.
    return any(a <= minute + 1440 < b for a, b in week[(day - 1) % 7])


def is_open(opening_hours: str | None, when: dt.datetime) -> bool | None:
    """Whether a place is open at a moment, from its ``opening_hours`` text.

    Parameters
    ----------
    opening_hours : str or None
        OpenStreetMap syntax as understood by :func:`parse_opening_hours`.
    when : datetime
        The moment; a naive datetime is taken as Asia/Shanghai local time, an
        aware one is converted to it.

    Returns
    -------
    bool or None
        True when open (opening minute included, closing minute excluded: a place
        open "08:00-20:00" is closed at 20:00), False when closed, None when the
        text cannot be parsed.
    """
    return open_at(opening_hours, *week_minute(when))


__all__ = [
    "CANDIDATE_LAYERS",
    "EXTRA_KINDS",
    "KNOWN_KINDS",
    "LOCAL_TZ",
    "TABLE_K",
    "Result",
    "Schedule",
    "ServiceIndex",
    "is_open",
    "open_at",
    "parse_opening_hours",
    "week_minute",
]
