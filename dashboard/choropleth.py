"""Choropleths for the staff workspace: a metric per grid, community or street, classed.

The metrics are :data:`geodata.area_metrics.AREA_METRICS` (the wall reads the same);
here their values, computed with the workspace's place and date filters, are classed
with ``mapclassify`` and returned with a legend.
A rate or median drawn from fewer than :data:`geodata.metrics.SMALL_CELL` records
is suppressed: shown as "too few records", never as a colour, because a share of
two cases says nothing and can point at a person.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import mapclassify
import numpy as np
import pandas as pd

from geodata.area_metrics import AREA_LEVELS, AREA_METRICS, SMALL_CELL, AreaValues

LEVELS = AREA_LEVELS
"""Area layer → (the records' column naming it, zh, en)."""

PALETTE = ("#fde4d4", "#f7b299", "#ec7a63", "#d23f3a", "#9c0f1f")
"""Sequential reds, light to dark: five classes at most."""
SUPPRESSED_COLOR = "#c9c4bc"
NO_DATA_COLOR = "#ffffff"
SCHEMES = ("quantiles", "natural_breaks")
METRICS = AREA_METRICS
"""The metrics offered, in the selector's order (walking coverage comes from :mod:`dashboard.gaps`)."""


@dataclass(frozen=True)
class LegendRow:
    color: str
    lower: float | None
    upper: float | None
    count: int
    kind: str  # "class", "suppressed" or "no_data"


@dataclass(frozen=True)
class Choropleth:
    """Colours per area id and the legend that explains them."""

    colors: Mapping[str, str]
    legend: tuple[LegendRow, ...]
    values: Mapping[str, float]
    suppressed: frozenset[str]


def classify(values: AreaValues, min_records: int, scheme: str = "quantiles", k: int = 5) -> Choropleth:
    """Class the values with mapclassify and colour every area.

    Parameters
    ----------
    values : AreaValues
    min_records : int
        Areas resting on fewer records are suppressed.
    scheme : {"quantiles", "natural_breaks"}
    k : int
        Classes wanted (fewer when there are fewer distinct values).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification {scheme!r}; known: {', '.join(SCHEMES)}")
    value, records = values.value, values.records
    suppressed = (
        (records < min_records) & value.notna() if min_records else pd.Series(False, index=value.index)
    )
    shown = value[value.notna() & ~suppressed]
    colors: dict[str, str] = {}
    legend: list[LegendRow] = []
    distinct = int(shown.nunique())
    if distinct:
        k = max(1, min(k, distinct))
        data = shown.to_numpy(dtype=float)
        if k == 1:
            bins = np.array([data.max()])
        else:
            with warnings.catch_warnings():
                # Many equal values (a share of 100 %) leave fewer classes: expected here.
                warnings.simplefilter("ignore", UserWarning)
                if scheme == "quantiles":
                    bins = mapclassify.Quantiles(data, k=k).bins
                else:
                    bins = mapclassify.NaturalBreaks(data, k=k).bins
        bins = np.unique(bins)
        palette = _palette(len(bins))
        # The class of each value: the first upper bound it does not exceed.
        cls = np.searchsorted(bins, data, side="left")
        for area, c in zip(shown.index, cls, strict=True):
            colors[str(area)] = palette[int(c)]
        lower = float(data.min())
        for i, upper in enumerate(bins):
            legend.append(LegendRow(palette[i], lower, float(upper), int((cls == i).sum()), "class"))
            lower = float(upper)
    for area in value.index[suppressed]:
        colors[str(area)] = SUPPRESSED_COLOR
    if suppressed.any():
        legend.append(LegendRow(SUPPRESSED_COLOR, None, None, int(suppressed.sum()), "suppressed"))
    missing = value.isna()
    if missing.any():
        legend.append(LegendRow(NO_DATA_COLOR, None, None, int(missing.sum()), "no_data"))
    return Choropleth(
        colors=MappingProxyType(colors),
        legend=tuple(legend),
        values=MappingProxyType({str(a): float(v) for a, v in shown.items()}),
        suppressed=frozenset(str(a) for a in value.index[suppressed]),
    )


def _palette(n: int) -> tuple[str, ...]:
    """``n`` colours spread over the palette, light to dark."""
    if n >= len(PALETTE):
        return PALETTE
    picks = np.round(np.linspace(0, len(PALETTE) - 1, n)).astype(int)
    return tuple(PALETTE[i] for i in picks)


def legend_text(row: LegendRow, fmt: Callable[[float], str], lang: str) -> str:
    """``12.5 – 20.0（8）`` (each bound as ``fmt`` writes it) for a class, the reason for the others."""
    if row.kind == "suppressed":
        return (
            f"记录少于{SMALL_CELL}条，不显示（{row.count}）"
            if lang == "zh"
            else (f"fewer than {SMALL_CELL} records, not shown ({row.count})")
        )
    if row.kind == "no_data":
        return f"无数据（{row.count}）" if lang == "zh" else f"no data ({row.count})"
    bounds = f"{fmt(row.lower or 0.0)} – {fmt(row.upper or 0.0)}"
    return bounds + (f"（{row.count}）" if lang == "zh" else f" ({row.count})")
