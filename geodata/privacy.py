"""Personal data, masked or aggregated in one place, driven by the schema's flags.

Every view that is not the caseworker's own sees a phone as ``138****0000``, a name
as ``张**``, and the home of a vulnerable person only as a count of at least
:data:`MIN_GROUP` per area or a point moved at least :data:`MIN_DISPLACEMENT_M`.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.schema import MEASURE_CRS, STORAGE_CRS, layer

MIN_GROUP = 5
"""An aggregate of fewer people than this is suppressed."""
MIN_DISPLACEMENT_M = 100.0
"""A displaced point of a vulnerable person moves at least this far."""
MASK = "*"

_DIGITS = re.compile(r"\d")


def mask_phone(value: object) -> object:
    """``13812340000`` → ``138****0000``; landlines keep area code and last 4 digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    text = str(value)
    digits = _DIGITS.findall(text)
    if len(digits) < 7:
        return MASK * 4
    keep_head, keep_tail = 3, 4
    seen = 0
    out = []
    for ch in text:
        if ch.isdigit():
            out.append(ch if seen < keep_head or seen >= len(digits) - keep_tail else MASK)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_name(value: object) -> object:
    """``张伟`` → ``张**``; ``张某某 与 李某某`` → ``张** 与 李**`` (first character of each name)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    parts = re.split(r"(\s*(?:与|、|,|，|;|；|and)\s*)", str(value))
    masked = []
    for part in parts:
        stripped = part.strip()
        if not stripped or re.fullmatch(r"(与|、|,|，|;|；|and)", stripped):
            masked.append(part)
        else:
            masked.append(stripped[0] + MASK * 2)
    return "".join(masked)


def masker_for(field_name: str) -> Callable[[object], object]:
    """How a personal field is masked: phones keep their shape, names their surname."""
    return mask_phone if "phone" in field_name else mask_name


def mask_personal_fields(
    layer_name: str,
    frame: pd.DataFrame,
    may_see: Callable[[str | None], bool],
) -> pd.DataFrame:
    """A copy of ``frame`` whose personal fields are masked in rows the viewer may not see.

    Parameters
    ----------
    layer_name
        Schema layer of ``frame``; its ``personal`` flags decide which fields.
    frame
        Rows with a ``street_id`` column when rows can be in the viewer's scope.
    may_see
        ``street_id → bool``: whether the viewer may see that street's personal data
        (e.g. :meth:`Principal.sees_personal_data_of`).
    """
    schema = layer(layer_name)
    personal = [f.name for f in schema.personal_fields if f.name in frame.columns]
    if not personal:
        return frame.copy()
    out = frame.copy()
    streets = out["street_id"] if "street_id" in out.columns else pd.Series(None, index=out.index)
    hidden = ~streets.map(lambda s: bool(may_see(None if pd.isna(s) else str(s)))).astype(bool)
    for name in personal:
        out[name] = out[name].astype(object)
        out.loc[hidden, name] = out.loc[hidden, name].map(masker_for(name))
    return out


def count_by_area(frame: pd.DataFrame, area_field: str, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """People per area, with counts below ``min_group`` suppressed (None).

    Returns a frame with ``area_field``, ``count`` (None when suppressed) and
    ``suppressed``.
    """
    counts = frame.groupby(area_field).size().rename("count").reset_index()
    counts["suppressed"] = counts["count"] < min_group
    counts["count"] = counts["count"].astype(object).where(~counts["suppressed"], None)
    return counts


def displace_points(
    frame: gpd.GeoDataFrame,
    id_field: str = "id",
    min_m: float = MIN_DISPLACEMENT_M,
    max_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Move every point at least ``min_m`` metres in a direction fixed by its id.

    The offset is derived from a hash of the id, not drawn afresh, so that showing a
    point many times never lets its average reveal the true position.
    """
    max_m = max_m if max_m is not None else 2 * min_m
    projected = frame.to_crs(MEASURE_CRS)
    digests = [hashlib.sha256(str(i).encode()).digest() for i in frame[id_field]]
    u = np.array([int.from_bytes(d[:4], "big") / 2**32 for d in digests])
    v = np.array([int.from_bytes(d[4:8], "big") / 2**32 for d in digests])
    angle = 2 * np.pi * u
    dist = min_m + (max_m - min_m) * v
    moved = gpd.points_from_xy(
        projected.geometry.x + dist * np.cos(angle),
        projected.geometry.y + dist * np.sin(angle),
        crs=MEASURE_CRS,
    )
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(moved, index=frame.index).to_crs(STORAGE_CRS)
    return out
