"""Red Map's geodata: the schema, loading and validation, metrics and the demo district."""

import os

# GDAL would open a file that merely claims to be GeoJSON but is a VRT and read
# arbitrary local files through it (BRIEF §6); it must be set before GDAL loads.
os.environ.setdefault("GDAL_SKIP", "OGR_VRT VRT")
