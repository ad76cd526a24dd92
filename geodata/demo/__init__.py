"""The deterministic demo district: real outline and street names, everything else synthetic.

``python -m geodata demo --out PATH`` writes it. The same seed always gives the
same file; figures the source text prints (141 centres, 4,970 licences, …) are
hit exactly, and the redacted ones we chose are listed in the file's
provenance table (see :mod:`geodata.demo.figures`).

Modules, one job each:

=================  ===========================================================
``streets``        the 12 real streets and their power-diagram polygons
``river``          the Wei River band
``tessellation``   weighted Voronoi subdivision that tiles a parent polygon
``communities``    communities and grids, populations and party figures
``roads``          the walking network (urban grid, arterials, bridges, lanes)
``places``         point layers: centres, compounds, care sites, teams, …
``records``        ledgers, mediation cases, smart-grid incidents, home services
``people``         synthetic names and phone numbers
``frames``         rows → frames typed per the schema
``figures``        every reproduced and every chosen figure
``scale``          ``--scale N``: N copies of the district side by side
=================  ===========================================================
"""

from __future__ import annotations

import os
from pathlib import Path

from geodata.demo import figures
from geodata.demo.build import build_frames
from geodata.demo.frames import Frame
from geodata.demo.scale import MAX_SCALE, build_scaled, scale_meta
from geodata.gpkg import write_geopackage
from geodata.outline import OUTLINE_SOURCE
from geodata.schema import MEASURE_CRS, STORAGE_CRS

GENERATOR_VERSION = "1.0"
DEFAULT_SEED = 610402
"""The district's adcode: easy to remember, and any seed gives a valid district."""

DEMO_NOTICE = (
    "All features except the district outline and the names and statistics codes of the 12 streets "
    "are synthetic demo data (is_demo = True); they do not describe real places, people or cases. "
    "演示数据：除区界与12个街道名称、代码外，其余要素均为虚构。"
)


def build_demo(seed: int = DEFAULT_SEED, scale: int = 1, jobs: int | None = None) -> dict[str, Frame]:
    """Every layer of the demo district, in memory, one frame per schema layer.

    Parameters
    ----------
    seed : int
        Seed of the random generators; equal seeds give equal frames.
    scale : int
        Number of copies of the district laid side by side (see
        :mod:`geodata.demo.scale`); 1 is the demo district itself.
    jobs : int, optional
        Worker processes building the copies when ``scale > 1`` (default one per
        CPU); the frames do not depend on it.

    Returns
    -------
    dict of str to GeoDataFrame or DataFrame
        In :data:`geodata.schema.SCHEMA` order, columns and dtypes as the
        schema says, geometry in EPSG:4326.
    """
    if scale == 1:
        return build_frames(seed)
    return build_scaled(seed, scale, jobs=jobs)


def demo_meta(seed: int = DEFAULT_SEED, scale: int = 1) -> dict[str, str]:
    """Provenance for the ``redmap_meta`` table: generator, seed, sources, chosen figures."""
    meta = {
        "generator": f"geodata.demo {GENERATOR_VERSION}",
        # Marks the whole file as demo data: the app says so on every face and creates
        # the demo accounts; production refuses such a file.
        "demo": "true",
        "seed": str(seed),
        "outline_source": OUTLINE_SOURCE,
        "demo_notice": DEMO_NOTICE,
        "real_data": "district outline (schematic); names, codes, managing bodies and approximate "
        "office positions of the 12 streets; road names 人民路, 玉泉路, 渭阳西路, 西兰路, 世纪大道",
        "storage_crs": STORAGE_CRS,
        "measure_crs": MEASURE_CRS,
        "source_text": "“心心秦家”城市基层党建引领基层治理 (秦都区); figures marked 'source text' below",
        # The demo's records end here; its figures ("overdue", "this month") are
        # measured at this moment so that they do not drift with the calendar.
        "as_of": figures.EVENTS_UNTIL.isoformat(),
    }
    meta.update(figures.figures_meta())
    meta.update(scale_meta(scale))
    return meta


def write_demo(
    path: str | os.PathLike[str], seed: int = DEFAULT_SEED, scale: int = 1, jobs: int | None = None
) -> Path:
    """Build the demo district (``scale`` copies of it) and write it as a GeoPackage, atomically."""
    return write_geopackage(path, build_demo(seed, scale, jobs), demo_meta(seed, scale))


__all__ = ["DEFAULT_SEED", "DEMO_NOTICE", "MAX_SCALE", "build_demo", "demo_meta", "write_demo"]
