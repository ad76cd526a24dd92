"""A walking network: a jittered urban street grid, arterials, bridges and rural lanes.

The urban grid is laid in a slightly rotated frame with uneven block sizes
(about 150–300 m) and some missing links, so it reads like a town rather than a
lattice. Arterials carry the real road names of the source text. Only the
arterials listed with a bridge cross the Wei River. Rural lanes follow a coarse
jittered lattice and are added as shortest paths until every village and every
rural town joins the network, which is checked to be one connected graph.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from geodata.demo.crs import lonlat_to_xy

RANK = {"bridge": 0, "arterial": 1, "secondary": 2, "path": 3, "local": 4}
"""Which class wins where two source lines overlap."""

# (name, latitude at the district government's longitude)
EW_ARTERIALS = (
    ("世纪大道", 34.3080),
    ("渭阳西路", 34.3262),
    ("人民路", 34.3340),
    ("玉泉路", 34.3420),
    ("文林路", 34.3500),
)
# (name, longitude, bridge name or None)
NS_ARTERIALS = (
    ("渭滨路", 108.632, "渭滨渭河大桥"),
    ("团结路", 108.655, "彩虹渭河大桥"),
    ("咸户路", 108.672, None),
    ("西兰路", 108.687, "古渡渭河大桥"),
    ("秦皇路", 108.703, "秦都渭河大桥"),
    ("朝阳路", 108.727, None),
)
_ROAD_STEMS = (
    "丰乐",
    "宝泉",
    "育才",
    "建设",
    "友谊",
    "和平",
    "秦宫",
    "渭城",
    "毕塬",
    "安谷",
    "沣河",
    "星火",
    "胜利",
    "三义",
    "文汇",
    "光明",
    "民生",
    "北平",
    "东风",
    "幸福",
    "新兴",
    "金旭",
    "兴平",
    "红旗",
    "长兴",
    "秦都",
    "龙台",
    "乐育",
    "联盟",
    "风貌",
)
_DIRECTIONS = ("", "东", "西", "南", "北", "中")
_SUFFIX_EW = ("路", "街", "路", "大街")
_SUFFIX_NS = ("路", "街", "路", "巷")


@dataclass
class Road:
    geom: LineString
    name: str | None
    road_class: str


def _key(xy: np.ndarray) -> np.ndarray:
    """Node keys: coordinates rounded to 1 cm, so touching ends are one node."""
    return np.round(np.asarray(xy) * 100).astype(np.int64)


def _wiggly(p0: np.ndarray, p1: np.ndarray, rng: np.random.Generator, amp: float) -> np.ndarray:
    """A polyline from p0 to p1 with a gentle, smooth sideways drift (roads are not ruled lines)."""
    length = float(np.hypot(*(p1 - p0)))
    n = max(2, int(length / 120) + 1)
    t = np.linspace(0, 1, n)
    drift = np.clip(np.cumsum(rng.normal(0, amp / 3, n)), -amp, amp)
    d = (p1 - p0) / length
    normal = np.array([-d[1], d[0]])
    return p0 + np.outer(t, p1 - p0) + np.outer(drift, normal)


def _lines(geom: BaseGeometry) -> list[LineString]:
    return [
        g for g in shapely.get_parts(shapely.line_merge(geom)) if isinstance(g, LineString) and g.length > 1
    ]


class _Namer:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, suffixes: tuple[str, ...]) -> str:
        name = ""
        for _ in range(200):
            stem = _ROAD_STEMS[int(self.rng.integers(len(_ROAD_STEMS)))]
            name = f"{stem}{self.rng.choice(_DIRECTIONS)}{self.rng.choice(suffixes)}"
            if name not in self.used:
                self.used.add(name)
                return name
        return f"{name}{len(self.used)}"


def urban_grid(
    urban: BaseGeometry, land: BaseGeometry, river: BaseGeometry, centre: np.ndarray, rng: np.random.Generator
) -> list[Road]:
    """Streets of the built-up area plus arterials (extended into the countryside) and bridges."""
    theta = rng.uniform(-0.06, 0.06)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])

    def to_xy(uv: np.ndarray) -> np.ndarray:
        return np.asarray(uv) @ rot.T + centre

    def to_uv(xy: np.ndarray) -> np.ndarray:
        return (np.asarray(xy) - centre) @ rot

    minx, miny, maxx, maxy = urban.buffer(2500).bounds
    corners = to_uv(np.array([[minx, miny], [minx, maxy], [maxx, miny], [maxx, maxy]]))
    umin, vmin = corners.min(axis=0)
    umax, vmax = corners.max(axis=0)

    def positions(lo: float, hi: float) -> np.ndarray:
        # Blocks widen away from the centre: dense core, looser edges.
        out = [0.0]
        for sign in (1, -1):
            p = 0.0
            while lo < p < hi:
                p += sign * rng.uniform(120, 210) * (1 + abs(p) / 10000)
                out.append(p)
        return np.sort(np.array(out))

    v_lines = positions(vmin, vmax)  # east-west streets at these v
    u_lines = positions(umin, umax)  # north-south streets at these u
    namer = _Namer(rng)
    artery_ew = {}
    for name, lat in EW_ARTERIALS:
        v = to_uv(np.column_stack(lonlat_to_xy(108.694, lat)))[0, 1]
        artery_ew[int(np.argmin(np.abs(v_lines - v)))] = (name, None)
    artery_ns = {}
    for name, lon, bridge in NS_ARTERIALS:
        u = to_uv(np.column_stack(lonlat_to_xy(lon, 34.331)))[0, 0]
        artery_ns[int(np.argmin(np.abs(u_lines - u)))] = (name, bridge)

    built = urban.intersection(land).difference(river.buffer(25))
    reach = urban.buffer(1500).intersection(land)
    roads: list[Road] = []

    def add(uv0: np.ndarray, uv1: np.ndarray, idx: int, arteries: dict, suffixes: tuple[str, ...]) -> None:
        xy = to_xy(_wiggly(uv0, uv1, rng, amp=12))
        line = LineString(xy)
        if idx in arteries:
            name, bridge = arteries[idx]
            ext = line.intersection(reach)
            if bridge:
                crossing = ext.intersection(river.buffer(15))
                for g in _lines(crossing):
                    roads.append(Road(g, bridge, "bridge"))
                ext = ext.difference(river.buffer(15))
            else:
                ext = ext.difference(river.buffer(25))
            roads.extend(Road(g, name, "arterial") for g in _lines(ext))
            return
        klass = "secondary" if idx % 3 == 0 else "local"
        name = namer(suffixes) if klass == "secondary" or rng.random() < 0.7 else None
        roads.extend(Road(g, name, klass) for g in _lines(line.intersection(built)))

    for i, v in enumerate(v_lines):
        add(np.array([umin, v]), np.array([umax, v]), i, artery_ew, _SUFFIX_EW)
    for i, u in enumerate(u_lines):
        add(np.array([u, vmin]), np.array([u, vmax]), i, artery_ns, _SUFFIX_NS)
    # Alleys (巷) half-way between some streets, both ways: irregular, shorter links.
    for lines, along, prob in ((v_lines, (umin, umax), 0.85), (u_lines, (vmin, vmax), 0.7)):
        for a, b in itertools.pairwise(lines):
            for _ in range(2):
                if rng.random() >= prob:
                    continue
                length = rng.uniform(300, 900)
                s0 = rng.uniform(along[0], along[1] - length)
                mid = (a + b) / 2
                ends = [np.array([s0, mid]), np.array([s0 + length, mid])]
                if lines is u_lines:
                    ends = [e[::-1] for e in ends]
                xy = to_xy(_wiggly(ends[0], ends[1], rng, 6))
                name = namer(("巷",)) if rng.random() < 0.6 else None
                roads.extend(Road(g, name, "local") for g in _lines(LineString(xy).intersection(built)))
    # A riverside greenway along the north bank of the built-up area.
    bank = river.buffer(45).exterior.intersection(built.buffer(-5))
    roads.extend(Road(g, "渭河滨河步道", "path") for g in _lines(bank) if g.length > 300)
    return roads


def node(roads: list[Road]) -> list[Road]:
    """Split every line at every junction; overlapping lines keep the higher class."""
    geoms = np.array([r.geom for r in roads], dtype=object)
    pieces = shapely.get_parts(shapely.union_all(geoms))
    pieces = np.array([p for p in pieces if p.length > 0.5], dtype=object)
    mids = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    tree = shapely.STRtree(geoms)
    hit_piece, hit_src = tree.query(mids, predicate="dwithin", distance=0.05)
    best: dict[int, int] = {}
    for p, s in zip(hit_piece.tolist(), hit_src.tolist(), strict=True):
        if p not in best or RANK[roads[s].road_class] < RANK[roads[best[p]].road_class]:
            best[p] = s
    out = []
    for p, piece in enumerate(pieces):
        src = roads[best[p]] if p in best else Road(piece, None, "local")
        out.append(Road(piece, src.name, src.road_class))
    return out


def components(roads: list[Road]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected component of every road, plus node keys and the node of each end.

    Returns
    -------
    labels : ndarray
        Component label per road.
    nodes : ndarray, shape (m, 2)
        Node keys (cm-rounded coordinates).
    ends : ndarray, shape (n, 2)
        Node index of each road's start and end.
    """
    starts = np.array([r.geom.coords[0] for r in roads])
    stops = np.array([r.geom.coords[-1] for r in roads])
    keys = _key(np.vstack([starts, stops]))
    nodes, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    n = len(roads)
    ends = np.column_stack([inv[:n], inv[n:]])
    m = len(nodes)
    graph = coo_matrix((np.ones(n), (ends[:, 0], ends[:, 1])), shape=(m, m))
    _, node_label = connected_components(graph, directed=False)
    return node_label[ends[:, 0]], nodes, ends


def largest_component(roads: list[Road]) -> list[Road]:
    labels, _, _ = components(roads)
    main = np.bincount(labels).argmax()
    return [r for r, lab in zip(roads, labels, strict=True) if lab == main]


def thin_locals(roads: list[Road], rng: np.random.Generator, share: float = 0.1) -> list[Road]:
    """Drop some local links so blocks merge into irregular superblocks."""
    keep = [r for r in roads if r.road_class != "local" or rng.random() >= share]
    return keep


def rural_lanes(
    roads: list[Road],
    land: BaseGeometry,
    river: BaseGeometry,
    urban: BaseGeometry,
    anchors: list[tuple[np.ndarray, str]],
    rng: np.random.Generator,
    spacing: float = 650.0,
) -> list[Road]:
    """Lanes joining every anchor (village centre) and every separate road patch into one network.

    Shortest paths over a jittered lattice are added one terminal at a time,
    each from the network grown so far (a greedy Steiner tree), so lanes merge
    instead of running side by side. Village main streets cross at each anchor.
    """
    # Lattice nodes away from the river and outside the built-up area.
    minx, miny, maxx, maxy = land.bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, spacing), np.arange(miny, maxy, spacing))
    pts = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-0.2, 0.2, (gx.size, 2)) * spacing
    inner = land.buffer(-30).difference(river.buffer(60)).difference(urban.buffer(60))
    shapely.prepare(inner)
    pts = pts[shapely.contains_xy(inner, pts[:, 0], pts[:, 1])]

    labels, keys, ends = components(roads)
    net_xy = keys / 100.0
    node_comp = np.full(len(keys), -1)
    node_comp[ends[:, 0]] = labels
    node_comp[ends[:, 1]] = labels
    anchor_xy = np.array([a[0] for a in anchors])
    all_xy = np.vstack([net_xy, pts, anchor_xy])
    n_net, n_pts = len(net_xy), len(pts)
    corridor = land.buffer(-10).difference(river.buffer(20))
    shapely.prepare(corridor)

    # Candidate links: lattice neighbours, lattice to nearby network nodes, anchors to lattice.
    cand_i: list[int] = []
    cand_j: list[int] = []
    tree = shapely.STRtree(shapely.points(all_xy))
    radius = {"lattice": spacing * 1.5, "net": spacing * 0.8}
    lattice_idx = np.arange(n_net, n_net + n_pts)
    near_l, near_o = tree.query(shapely.points(pts), predicate="dwithin", distance=radius["lattice"])
    for a, b in zip(near_l.tolist(), near_o.tolist(), strict=True):
        i = int(lattice_idx[a])
        if b == i:
            continue
        if b < n_net:
            if np.hypot(*(all_xy[i] - all_xy[b])) <= radius["net"]:
                cand_i.append(i)
                cand_j.append(b)
        elif b > i:
            cand_i.append(i)
            cand_j.append(b)
    for k in range(len(anchor_xy)):
        i = n_net + n_pts + k
        d = np.hypot(*(all_xy[: n_net + n_pts] - all_xy[i]).T)
        for b in np.argsort(d)[:8]:
            cand_i.append(i)
            cand_j.append(int(b))
    ci, cj = np.array(cand_i), np.array(cand_j)
    segs = shapely.linestrings(np.stack([all_xy[ci], all_xy[cj]], axis=1))
    ok = shapely.contains(corridor, segs)
    # Lanes must not cut through the built-up grid; short hops to the network may.
    touches_net = (ci < n_net) | (cj < n_net)
    ok &= touches_net | ~shapely.intersects(urban, segs)
    ci, cj = ci[ok], cj[ok]
    w = np.hypot(*(all_xy[ci] - all_xy[cj]).T)
    size = len(all_xy)
    graph = coo_matrix((np.r_[w, w], (np.r_[ci, cj], np.r_[cj, ci])), shape=(size, size)).tocsr()

    main = np.bincount(labels).argmax()
    in_tree = np.zeros(size, dtype=bool)
    in_tree[:n_net][node_comp == main] = True
    terminals = {f"comp{c}": np.flatnonzero(node_comp == c) for c in np.unique(labels) if c != main}
    for k in range(len(anchor_xy)):
        terminals[f"anchor{k}"] = np.array([n_net + n_pts + k])
    chosen: set[tuple[int, int]] = set()
    while terminals:
        dist, pred, _src = dijkstra(
            graph, indices=np.flatnonzero(in_tree), min_only=True, return_predecessors=True
        )
        best_name, best_node, best_d = None, -1, np.inf
        for name, idx in terminals.items():
            j = idx[np.argmin(dist[idx])]
            if dist[j] < best_d:
                best_name, best_node, best_d = name, int(j), dist[j]
        if best_name is None:
            break  # unreachable leftovers; the final component filter drops them
        node_ = best_node
        while not in_tree[node_]:
            p = int(pred[node_])
            chosen.add((min(p, node_), max(p, node_)))
            in_tree[node_] = True
            node_ = p
        # Later paths start from anything already joined, so lanes merge rather than run side by side.
        in_tree[terminals.pop(best_name)] = True
    # A few extra farm lanes from the joined lattice give the countryside some loops.
    lattice_edge = (ci >= n_net) & (cj >= n_net) & (ci < n_net + n_pts) & (cj < n_net + n_pts)
    extra = lattice_edge & (in_tree[ci] | in_tree[cj]) & (rng.random(len(ci)) < 0.18)
    chosen.update((min(a, b), max(a, b)) for a, b in zip(ci[extra].tolist(), cj[extra].tolist(), strict=True))
    lanes = [Road(LineString([all_xy[a], all_xy[b]]), None, "local") for a, b in sorted(chosen)]
    # Village main streets crossing at the village centre.
    for xy, village in anchors:
        a0 = rng.uniform(0, np.pi)
        for ang in (a0, a0 + np.pi / 2):
            d = np.array([np.cos(ang), np.sin(ang)]) * rng.uniform(250, 450)
            street = LineString([xy - d, xy, xy + d]).intersection(corridor.difference(urban))
            for g in _lines(street):
                if g.distance(shapely.Point(xy)) < 0.01:
                    lanes.append(Road(g, f"{village.removesuffix('村')}村大街", "local"))
    return lanes


def build_roads(
    urban: BaseGeometry,
    land: BaseGeometry,
    river: BaseGeometry,
    centre: np.ndarray,
    anchors: list[tuple[np.ndarray, str]],
    rng: np.random.Generator,
) -> list[Road]:
    """The whole walking network, split at junctions, as one connected component.

    Parameters
    ----------
    urban : geometry
        Built-up area (union of urban communities), metres.
    land : geometry
        Where roads may run: the district outline, slightly inset.
    river : geometry
        The Wei River; only bridges cross it.
    centre : ndarray
        Grid origin (the district government).
    anchors : list of (xy, village name)
        Village centres that must be on the network.
    rng : numpy Generator
        The random source.
    """
    grid = node(urban_grid(urban, land, river, centre, rng))
    grid = thin_locals(grid, rng)
    grid = [r for r in grid if r.geom.length > 1]
    lanes = rural_lanes(grid, land, river, urban, anchors, rng)
    network = node(grid + lanes)
    # Snap to a 1 cm grid: ends that share a node key then share exact coordinates,
    # which survive reprojection bit for bit, so any reader rebuilds the same graph.
    snapped = shapely.set_precision(np.array([r.geom for r in network], dtype=object), 0.01)
    network = [
        Road(g, r.name, r.road_class)
        for r, g in zip(network, snapped, strict=True)
        if isinstance(g, LineString) and not g.is_empty and g.length > 0.5
    ]
    return largest_component(network)


def as_multiline(roads: list[Road]) -> MultiLineString:
    return MultiLineString([r.geom for r in roads])
