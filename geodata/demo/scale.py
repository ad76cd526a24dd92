"""Scaled demo worlds: ``N`` copies of the demo district side by side, for benchmarks.

``python -m geodata demo --out var/demo-x10.gpkg --scale 10`` writes a "city" of
10 districts, ``--scale 100`` a "province" of 100: every layer holds exactly
``N`` times the demo's rows (plus the roads that join the copies), so the app and
the benchmark meet the sizes a city or a province would bring.

Design
------
* **One world, many copies.** The world (outline, streets, communities, grids,
  roads, river; :func:`geodata.demo.build.build_world`) is built once from the
  seed and translated in metres (EPSG:4545) for each copy. Building a world
  takes seconds (power diagrams, road growth); translating one takes
  milliseconds, and a translation keeps every shared border shared exactly.
* **Own random stream per copy.** The point layers, legal teams and records of
  copy ``c`` are drawn by the ordinary builders from their own stream
  (``default_rng([seed, 1, c])``), so centres, compounds, incidents, ledgers…
  differ between copies while each copy still hits the source's figures (141
  centres, 1,949 mediated disputes at 80 %, …). Copy 0 uses the demo's own
  stream and keeps every id and name: it *is* the scale-1 demo district.
* **Layout.** Copies sit on a lattice of cells one district bounding box plus
  :data:`COPY_GAP_M` apart, copy 0 at the centre and the others spiralling out
  (the ``N`` cells nearest the centre), so the world stays compact and every
  copy has a neighbour to its west or south that came before it.
* **Ids and names.** Copy ``c > 0`` prefixes every id and every reference
  (including the ``;``-joined ``legal_teams.street_ids``) with ``D{c+1:03d}-``,
  so ids stay unique and every reference stays inside its copy; names
  (``name``, ``name_en``, ``branch_name``) and the street in an address carry
  ``·{c+1}`` (人民路街道 → 人民路街道·2), so the gazetteer and the demo accounts
  tell the copies apart.
* **Roads join.** Neighbouring copies are joined by one straight link road
  (``联络线N号``, arterial) between two of their junctions, chosen once so that
  it crosses no other road and no river; the walking network stays one
  connected graph.
* **One district row.** The validator wants exactly one district feature and
  every feature inside it, so the district is one polygon: the copies' outlines
  joined by corridors :data:`CORRIDOR_M` wide around the link roads. Its
  population is the sum of the copies'; it is flagged ``is_demo`` because this
  outline is not a real one.

Copies are generated in worker processes (``fork``) when ``jobs > 1``; the
result does not depend on ``jobs``.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from geodata.demo.build import build_world, place_rows, place_stream, world_rows
from geodata.demo.crs import xy_to_lonlat
from geodata.demo.frames import Frame, make_frame
from geodata.demo.roads import components
from geodata.demo.world import World
from geodata.outline import OUTLINE_SOURCE
from geodata.schema import SCHEMA, join_codes, split_codes

COPY_GAP_M = 3000.0
"""Gap between the bounding boxes of neighbouring copies: wider than the 1.7 km
the Wei River runs on past the district's eastern edge, so no copy's river
reaches into the next copy."""

CORRIDOR_M = 100.0
"""Half-width of the strip around a link road that joins the district outline,
so a link road lies inside the district like every other road."""

LINK_CANDIDATES = 24
"""Junctions tried at each side of a link (the outermost ones in its direction)."""

MAX_SCALE = 999
"""Copy prefixes have three digits (``D999-``)."""

LINK_ROAD_CLASS = "arterial"
_NAMED_COLUMNS = ("name", "name_en", "branch_name")
_ADDRESS_STREET = "街道"


@dataclass(frozen=True)
class Layout:
    """Where the copies go and which neighbours a link road joins.

    Attributes
    ----------
    cells : ndarray of int, shape (n, 2)
        Lattice cell (column, row) of every copy; copy 0 at (0, 0).
    step : ndarray, shape (2,)
        Size of one cell in metres (bounding box plus gap).
    links : list of (int, int, int)
        ``(a, b, axis)``: copy ``b`` is the next cell after ``a`` along ``axis``
        (0 east, 1 north).
    """

    cells: np.ndarray
    step: np.ndarray
    links: list[tuple[int, int, int]]

    @property
    def offsets(self) -> np.ndarray:
        """Translation of every copy in metres, shape (n, 2)."""
        return self.cells * self.step


def lattice(n: int) -> np.ndarray:
    """The ``n`` lattice cells nearest the origin, nearest first, the origin first.

    Ties in distance go counter-clockwise from east. Every cell but the origin
    has a 4-neighbour strictly nearer the origin (one step along its longer
    axis), which comes earlier: the cells are 4-connected, so link roads
    between 4-neighbours join all copies.
    """
    r = int(np.ceil(np.sqrt(n / np.pi))) + 2  # the square holds the whole disc the n cells fill
    i, j = np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1))
    cells = np.column_stack([i.ravel(), j.ravel()])
    d2 = (cells**2).sum(axis=1)
    angle = np.mod(np.arctan2(cells[:, 1], cells[:, 0]), 2 * np.pi)
    return cells[np.lexsort((angle, d2))[:n]]


def layout(outline: BaseGeometry, n: int, gap: float = COPY_GAP_M) -> Layout:
    """Lay ``n`` copies of ``outline`` (metres) on a lattice, ``gap`` metres apart."""
    minx, miny, maxx, maxy = outline.bounds
    cells = lattice(n)
    index = {(int(x), int(y)): k for k, (x, y) in enumerate(cells)}
    links = [
        (a, index[(x + dx, y + dy)], axis)
        for a, (x, y) in enumerate(cells)
        for axis, (dx, dy) in enumerate(((1, 0), (0, 1)))
        if (x + dx, y + dy) in index
    ]
    return Layout(cells, np.array([maxx - minx + gap, maxy - miny + gap]), links)


def copy_prefix(c: int) -> str:
    """Prefix of every id of copy ``c`` (none for copy 0, the demo district itself)."""
    return f"D{c + 1:03d}-" if c else ""


def copy_mark(c: int) -> str:
    """Suffix of every name of copy ``c`` (none for copy 0)."""
    return f"·{c + 1}" if c else ""


def copy_stream(seed: int, c: int) -> np.random.Generator:
    """The random stream of copy ``c``'s points and records; copy 0 uses the demo's own."""
    return place_stream(seed) if c == 0 else np.random.default_rng([seed, 1, c])


def translate(geoms: list[BaseGeometry] | np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Geometries moved by ``offset`` metres (the same shift for every vertex, so shared
    vertices stay shared)."""
    shift = np.asarray(offset, dtype=float)
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: xy + shift)


def copy_frames(world: World, seed: int, c: int, offset: np.ndarray) -> dict[str, Frame]:
    """Every layer but the district for copy ``c``, typed per the schema, in EPSG:4326.

    Parameters
    ----------
    world : World
        The district's geometry, shared by all copies (untranslated).
    seed : int
        The world's seed.
    c : int
        Copy index; copy 0 is exactly the demo district.
    offset : ndarray, shape (2,)
        Where the copy goes, in metres.

    Returns
    -------
    dict of str to GeoDataFrame or DataFrame
        In schema order, without ``district``.
    """
    rows = {**world_rows(world), **place_rows(world, copy_stream(seed, c))}
    del rows["district"]
    if c == 0:
        return {name: make_frame(name, *rows[name]) for name in rows}
    offices = world.offices + offset
    lon, lat = xy_to_lonlat(offices[:, 0], offices[:, 1])
    for row, x, y in zip(rows["streets"][0], lon, lat, strict=True):
        row["office_lon"], row["office_lat"] = round(float(x), 6), round(float(y), 6)
    frames = {}
    for name in SCHEMA:
        if name in rows:
            records, geoms = rows[name]
            frame = make_frame(name, records, None if geoms is None else translate(geoms, offset))
            frames[name] = relabel(name, frame, c)
    return frames


def relabel(name: str, frame: Frame, c: int) -> Frame:
    """Copy ``c``'s ids, references and names on one layer's frame (in place, returned).

    Every id and every field that references another layer gets the copy's
    prefix, so references keep pointing inside the copy; names and the street
    at the head of an address get the copy's mark.
    """
    layer = SCHEMA[name]
    prefix, mark = copy_prefix(c), copy_mark(c)
    for f in layer.fields:
        if f is layer.id_field or f.references:
            frame[f.name] = prefix + frame[f.name]
    if name == "legal_teams":
        # A list of street ids the schema cannot declare as a reference; same rule.
        streets = frame["street_ids"]
        frame["street_ids"] = streets.map(
            lambda v: join_codes([prefix + s for s in split_codes(v)]), na_action="ignore"
        ).astype(streets.dtype)
    for column in _NAMED_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column] + mark
    if "address" in frame.columns:
        # Addresses start with their street (人民路街道人民路12号): mark that street.
        street = _ADDRESS_STREET
        frame["address"] = frame["address"].str.replace(street, street + mark, n=1, regex=False)
    return frame


def _road_nodes(world: World) -> np.ndarray:
    """Junctions and dead ends of the world's roads (metres), as the roads' own end points."""
    _labels, keys, ends = components(world.roads)
    # Take each node's coordinates from a road end (not the cm key), so a link road
    # ends exactly where a road does and joins the network after reprojection.
    xy = np.empty((len(keys), 2))
    xy[ends[:, 1]] = [r.geom.coords[-1] for r in world.roads]
    xy[ends[:, 0]] = [r.geom.coords[0] for r in world.roads]
    return xy


def link_line(world: World, step: np.ndarray, axis: int) -> LineString:
    """The link road from a copy at the origin to its neighbour ``step[axis]`` along ``axis``.

    Among the :data:`LINK_CANDIDATES` outermost road ends on each side, the
    shortest straight line that meets the roads of either copy only at its own
    two ends and crosses neither river.

    Raises
    ------
    RuntimeError
        When no candidate pair qualifies (not the case for any seed tried).
    """
    nodes = _road_nodes(world)
    shift = np.zeros(2)
    shift[axis] = step[axis]
    k = min(LINK_CANDIDATES, len(nodes))
    near = nodes[np.argsort(-nodes[:, axis], kind="stable")[:k]]
    far = nodes[np.argsort(nodes[:, axis], kind="stable")[:k]] + shift
    pairs = [(a, b) for a in near for b in far]
    pairs.sort(key=lambda p: float(np.hypot(*(p[1] - p[0]))))
    roads = np.array([r.geom for r in world.roads], dtype=object)
    tree = shapely.STRtree(roads)
    wet = world.river.buffer(40)
    for a, b in pairs:
        line = LineString([a, b])
        back = LineString([a - shift, b - shift])  # the line seen from the far copy
        if line.intersects(wet) or back.intersects(wet):
            continue
        near_ok = _meets_only_at(line, roads, tree, Point(a))
        if near_ok and _meets_only_at(back, roads, tree, Point(b - shift)):
            return line
    raise RuntimeError("no straight link road between neighbouring copies avoids the roads and the river")


def _meets_only_at(line: LineString, roads: np.ndarray, tree: shapely.STRtree, end: Point) -> bool:
    hits = tree.query(line, predicate="intersects")
    if not len(hits):
        return True  # the end lies outside this copy (the other copy's end)
    meet = shapely.intersection(roads[hits], line)
    return bool(np.all(shapely.dwithin(meet, end, 1e-6)) and np.all(shapely.get_type_id(meet) == 0))


def link_roads(world: World, plan: Layout) -> tuple[list[dict], list[BaseGeometry]]:
    """Rows and geometries (metres) of the link roads joining neighbouring copies."""
    lines = {axis: link_line(world, plan.step, axis) for axis in {axis for _a, _b, axis in plan.links}}
    offsets = plan.offsets
    rows, geoms = [], []
    for k, (a, _b, axis) in enumerate(plan.links, start=1):
        rows.append(
            {
                "id": f"RL{k:04d}",
                "name": f"联络线{k}号",
                "road_class": LINK_ROAD_CLASS,
                "walkable": True,
                "is_demo": True,
            }
        )
        geoms.append(translate([lines[axis]], offsets[a])[0])
    return rows, geoms


def district_row(copies: list[dict[str, Frame]], n: int, base: dict) -> dict:
    """The one district row of a scaled world: the copies' people summed, same indicators."""
    row = dict(base)
    row.update(
        name=f"{base['name']}×{n}",
        population=int(sum(int(f["streets"]["population"].sum()) for f in copies)),
        source=f"{n} translated copies of the outline in {OUTLINE_SOURCE}",
        is_demo=True,
    )
    return row


# --- worker processes -------------------------------------------------------------------

_worker_world: World | None = None
"""The world inside a worker process, set once by :func:`_start_worker`."""


def _start_worker(world: World) -> None:
    # Reached through fork, not pickling: the builders compare streets by identity
    # with geodata.demo.streets.STREETS, which an unpickled copy would break.
    global _worker_world
    _worker_world = world


def _copy_task(task: tuple[int, int, tuple[float, float]]) -> dict[str, Frame]:
    seed, c, offset = task
    assert _worker_world is not None, "worker started without a world"
    return copy_frames(_worker_world, seed, c, np.asarray(offset))


def _all_copies(world: World, seed: int, offsets: np.ndarray, jobs: int) -> list[dict[str, Frame]]:
    n = len(offsets)
    tasks = [(seed, c, (float(offsets[c, 0]), float(offsets[c, 1]))) for c in range(n)]
    if jobs <= 1 or n == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [copy_frames(world, seed, c, np.asarray(off)) for _seed, c, off in tasks]
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(min(jobs, n), mp_context=context, initializer=_start_worker, initargs=(world,))
    with pool:
        return list(pool.map(_copy_task, tasks))


def default_jobs() -> int:
    """Worker processes used when none are asked for: one per CPU this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def build_scaled(seed: int, scale: int, jobs: int | None = None) -> dict[str, Frame]:
    """Every layer of a world of ``scale`` demo districts side by side (see the module docstring).

    Parameters
    ----------
    seed : int
        Seed of the world and of every copy's stream; equal seeds give equal frames.
    scale : int
        Number of copies, 1 to :data:`MAX_SCALE`. ``scale=1`` gives the demo
        district exactly (:func:`geodata.demo.build.build_frames`).
    jobs : int, optional
        Worker processes for the copies; default one per CPU. The result does
        not depend on it.

    Returns
    -------
    dict of str to GeoDataFrame or DataFrame
        In :data:`geodata.schema.SCHEMA` order, typed per the schema, EPSG:4326.
    """
    from geodata.demo.build import build_frames

    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {MAX_SCALE}, not {scale}")
    if scale == 1:
        return build_frames(seed)
    world = build_world(seed)
    plan = layout(world.outline, scale)
    offsets = plan.offsets
    copies = _all_copies(world, seed, offsets, default_jobs() if jobs is None else jobs)

    link_rows, link_geoms = link_roads(world, plan)
    # One outline per copy, each moved by its own offset.
    outlines = np.array([world.outline] * scale, dtype=object)
    coords, which = shapely.get_coordinates(outlines, return_index=True)
    outlines = shapely.set_coordinates(outlines, coords + offsets[which])
    corridors = shapely.buffer(np.asarray(link_geoms, dtype=object), CORRIDOR_M)
    outline = shapely.union_all(np.concatenate([outlines, corridors]))
    base = world_rows(world)["district"][0][0]

    district = make_frame("district", [district_row(copies, scale, base)], [outline])
    out: dict[str, Frame] = {"district": district}
    for name in SCHEMA:
        if name == "district":
            continue
        parts = [copy[name] for copy in copies]
        if name == "roads":
            parts.append(make_frame("roads", link_rows, link_geoms))
        out[name] = pd.concat(parts, ignore_index=True)
    return out


def scale_meta(scale: int) -> dict[str, str]:
    """Provenance entries describing a scaled world (none for scale 1)."""
    if scale == 1:
        return {}
    return {
        "scale": str(scale),
        "scale_layout": f"{scale} copies of the demo district on a lattice, {COPY_GAP_M:.0f} m apart, "
        f"joined by link roads; copy c > 0 prefixes ids with D{{c+1:03d}}- and marks names with ·{{c+1}}; "
        "the figures below hold for each copy",
    }


__all__ = [
    "COPY_GAP_M",
    "CORRIDOR_M",
    "MAX_SCALE",
    "Layout",
    "build_scaled",
    "copy_frames",
    "copy_mark",
    "copy_prefix",
    "copy_stream",
    "lattice",
    "layout",
    "link_roads",
    "relabel",
    "scale_meta",
]
