"""The benchmark's data: the demo district built once and cached, its finder, random points.

The demo GeoPackage takes ~10 s to generate, so it is kept under ``var/bench/`` with
the hash of the generator's source in its name: editing the generator (or the schema
it writes) gives a new file, anything else reuses the old one.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "bench"
GENERATOR_SOURCES = (
    "geodata/demo",
    "geodata/schema.py",
    "geodata/gpkg.py",
    "geodata/outline.py",
    "geodata/reference",
)
"""What the demo file depends on; their content hash keys the cached file."""
DEMO_PASSWORD = "bench-demo-pass-2026"
SECRET_KEY = "bench-secret-key-not-for-production"
SEED = 20260
"""Seed of every random choice the benchmark makes (points, queries)."""

log = logging.getLogger("bench")


def generator_hash() -> str:
    """Short SHA-256 of every source file the demo generator reads."""
    digest = hashlib.sha256()
    for rel in GENERATOR_SOURCES:
        path = ROOT / rel
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts:
                continue
            digest.update(str(f.relative_to(ROOT)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def cached_demo(scale: int = 1) -> tuple[Path, float]:
    """The demo district's GeoPackage (``scale`` copies side by side), built if not cached yet.

    Returns
    -------
    path, build_seconds
        ``build_seconds`` is 0 when the cached file was reused.
    """
    import time

    from geodata.demo import write_demo

    stem = "demo" if scale == 1 else f"demo-x{scale}"
    path = CACHE_DIR / f"{stem}-{generator_hash()}.gpkg"
    if path.exists():
        return path, 0.0
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for old in CACHE_DIR.glob(f"{stem}-*.gpkg"):  # an older generator's file is of no further use
        if old.stem.count("-") == stem.count("-") + 1:
            old.unlink(missing_ok=True)
    started = time.perf_counter()
    write_demo(path, scale=scale)
    return path, time.perf_counter() - started


def start_timeout_s(scale: int) -> float:
    """How long an app on ``scale`` copies of the demo may take to start (~5 s a copy here)."""
    return 120.0 + 8.0 * scale


def app_env(data: Path, users_db: Path) -> dict[str, str]:
    """``REDMAP_*`` variables for an app on ``data`` with its own user store."""
    return {
        "REDMAP_DATA": str(data),
        "REDMAP_SECRET_KEY": SECRET_KEY,
        "REDMAP_USERS_DB": str(users_db),
        "REDMAP_DEMO_PASSWORD": DEMO_PASSWORD,
    }


def random_points_in(polygon: shapely.Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (shape (n, 2)) inside a polygon, by rejection."""
    shapely.prepare(polygon)
    x0, y0, x1, y1 = polygon.bounds
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        cand = np.column_stack([rng.uniform(x0, x1, 2 * n), rng.uniform(y0, y1, 2 * n)])
        ok = cand[shapely.contains_xy(polygon, cand[:, 0], cand[:, 1])]
        out.append(ok)
        have += len(ok)
    return np.concatenate(out)[:n]


@dataclass
class Demo:
    """The demo district opened once, with lazily built indexes shared by all rows."""

    path: Path
    build_seconds: float = 0.0
    scale: int = 1

    @property
    def label(self) -> str:
        """Suffix of this data's row names: ``demo``, ``x10``, ``x100``."""
        return "demo" if self.scale == 1 else f"x{self.scale}"

    @cached_property
    def dataset(self):  # -> geodata.dataset.Dataset
        from geodata.dataset import open_dataset

        return open_dataset(self.path)

    @cached_property
    def finder(self):  # -> dashboard.finder.Finder
        from dashboard.finder import build_finder

        return build_finder(self.dataset)

    @cached_property
    def district(self) -> shapely.Polygon:
        """The district outline, EPSG:4326."""
        return self.dataset["district"].geometry.iloc[0]

    def points(self, n: int, seed_offset: int = 0) -> np.ndarray:
        """``n`` reproducible random lon/lat points inside the district."""
        rng = np.random.default_rng(SEED + seed_offset)
        return random_points_in(self.district, n, rng)

    def homes(self, n: int, seed_offset: int = 0) -> np.ndarray:
        """``n`` reproducible lon/lat points where people live: building groups, jittered ~30 m.

        Uniform points land mostly in fields far from any road; residents ask from home.
        """
        rng = np.random.default_rng(SEED + 1000 + seed_offset)
        xy = shapely.get_coordinates(self.dataset["building_groups"].geometry.to_numpy())
        pick = xy[rng.integers(0, len(xy), n)]
        return pick + rng.normal(0.0, 0.0003, size=pick.shape)


def load_demo(scale: int = 1) -> Demo:
    """Build or reuse the cached demo district (``scale`` copies of it)."""
    path, seconds = cached_demo(scale)
    return Demo(path=path, build_seconds=seconds, scale=scale)
