"""Choropleths for the staff workspace: a metric per grid, community or street, classed.

Every value is computed from the records at request time (with the workspace's
place and date filters), classed with ``mapclassify`` and returned with its legend.
A rate or median drawn from fewer than :data:`geodata.metrics.SMALL_CELL` records
is suppressed: shown as "too few records", never as a colour, because a share of
two cases says nothing and can point at a person.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import mapclassify
import numpy as np
import pandas as pd

from geodata.dataset import Dataset
from geodata.metrics import SMALL_CELL

LEVELS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {"grids": ("grid_id", "网格", "grid"), "communities": ("community_id", "社区", "community"),
     "streets": ("street_id", "街道", "street")}
)  # fmt: skip
"""Area layer → (the records' column naming it, zh, en)."""

PALETTE = ("#fde4d4", "#f7b299", "#ec7a63", "#d23f3a", "#9c0f1f")
"""Sequential reds, light to dark: five classes at most."""
SUPPRESSED_COLOR = "#c9c4bc"
NO_DATA_COLOR = "#ffffff"
SCHEMES = ("quantiles", "natural_breaks")


@dataclass(frozen=True)
class AreaValues:
    """A metric per area: value (NaN where undefined) and the records it rests on."""

    value: pd.Series
    records: pd.Series


@dataclass(frozen=True)
class Metric:
    """One choropleth metric.

    Attributes
    ----------
    id : str
    zh, en : str
        Name and unit as the legend shows them.
    levels : tuple of str
        Area layers it can be drawn for.
    min_records : int
        Areas with fewer records are suppressed (0: never, for counts).
    digits : int
        Decimals shown in the legend.
    compute : callable
        ``(dataset, level, street, start, end) -> AreaValues`` over every area of the level.
    """

    id: str
    zh: str
    en: str
    levels: tuple[str, ...]
    min_records: int
    digits: int
    compute: Callable[[Dataset, str, str | None, dt.date | None, dt.date | None], AreaValues]

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _areas(dataset: Dataset, level: str, street: str | None) -> pd.DataFrame:
    areas = dataset[level]
    if street:
        areas = areas[(areas["id"] if level == "streets" else areas["street_id"]) == street]
    return areas


def _in_dates(frame: pd.DataFrame, column: str, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    if not (start or end):
        return frame
    day = pd.to_datetime(frame[column], errors="coerce").dt.date
    keep = pd.Series(True, index=frame.index)
    if start:
        keep &= (day >= start).fillna(False).astype(bool)
    if end:
        keep &= (day <= end).fillna(False).astype(bool)
    return frame[keep]


def _events(dataset: Dataset, street: str | None, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    events = dataset["grid_events"]
    if street:
        events = events[events["street_id"] == street]
    return _in_dates(events, "found_at", start, end)


def _per_area(areas: pd.DataFrame, keys: pd.Series, values: pd.Series | None = None) -> pd.Series:
    """Sum (or count, without ``values``) per area id, 0 for areas with none."""
    grouped = (
        (values if values is not None else pd.Series(1, index=keys.index)).groupby(keys.to_numpy()).sum()
    )
    return grouped.reindex(areas["id"].astype(str).to_numpy(), fill_value=0).astype(float)


def incidents_per_1000(dataset, level, street, start, end) -> AreaValues:
    areas = _areas(dataset, level, street)
    events = _events(dataset, street, start, end)
    count = _per_area(areas, events[LEVELS[level][0]].astype(str))
    households = pd.Series(areas["households"].to_numpy(dtype=float), index=count.index)
    value = (count / households.where(households > 0)) * 1000
    return AreaValues(value, count)


def median_days_to_close(dataset, level, street, start, end) -> AreaValues:
    areas = _areas(dataset, level, street)
    events = _events(dataset, street, start, end)
    closed = events[events["status"] == "replied"]
    days = (
        pd.to_datetime(closed["replied_at"]) - pd.to_datetime(closed["found_at"])
    ).dt.total_seconds() / 86400
    keys = closed[LEVELS[level][0]].astype(str).to_numpy()
    ids = areas["id"].astype(str).to_numpy()
    median = days.groupby(keys).median().reindex(ids)
    return AreaValues(median, _per_area(areas, closed[LEVELS[level][0]].astype(str)))


def share_closed(dataset, level, street, start, end) -> AreaValues:
    areas = _areas(dataset, level, street)
    events = _events(dataset, street, start, end)
    keys = events[LEVELS[level][0]].astype(str)
    total = _per_area(areas, keys)
    closed = _per_area(areas, keys, (events["status"] == "replied").astype(float))
    return AreaValues(100 * closed / total.where(total > 0), total)


def mediation_success(dataset, level, street, start, end) -> AreaValues:
    areas = _areas(dataset, level, street)
    cases = dataset["mediation_cases"]
    if street:
        cases = cases[cases["street_id"] == street]
    cases = _in_dates(cases, "received", start, end)
    closed = cases[cases["outcome"].isin(["success", "failed"])]
    keys = closed[LEVELS[level][0]].astype(str)
    total = _per_area(areas, keys)
    won = _per_area(areas, keys, (closed["outcome"] == "success").astype(float))
    return AreaValues(100 * won / total.where(total > 0), total)


def service_volume(dataset, level, street, start, end) -> AreaValues:
    areas = _areas(dataset, level, street)
    centres = dataset["service_centers"]
    if level == "grids":
        located = centres.sjoin(dataset["grids"][["id", "geometry"]], predicate="within", rsuffix="grid")
        area_of = dict(zip(located["id_left"].astype(str), located["id_grid"].astype(str), strict=True))
    else:
        column = LEVELS[level][0]
        area_of = dict(zip(centres["id"].astype(str), centres[column].astype(str), strict=True))
    records = _in_dates(dataset["service_records"], "month", start, end)
    keys = records["center_id"].astype(str).map(area_of)
    known = keys.notna()
    served = _per_area(areas, keys[known], records.loc[known, "people_served"].astype(float))
    months = _per_area(areas, keys[known])
    return AreaValues(served, months)


METRICS: Mapping[str, Metric] = MappingProxyType(
    {
        m.id: m
        for m in (
            Metric("incidents_per_1000", "事件数/千户", "Incidents per 1,000 households",
                   ("grids", "communities", "streets"), 0, 1, incidents_per_1000),
            Metric("median_days_to_close", "办结中位天数", "Median days to close",
                   ("grids", "communities", "streets"), SMALL_CELL, 1, median_days_to_close),
            Metric("share_closed", "办结率（%）", "Share closed (%)",
                   ("grids", "communities", "streets"), SMALL_CELL, 0, share_closed),
            Metric("mediation_success", "调解成功率（%）", "Mediation success rate (%)",
                   ("communities", "streets"), SMALL_CELL, 0, mediation_success),
            Metric("service_volume", "服务人次", "People served",
                   ("grids", "communities", "streets"), 0, 0, service_volume),
        )
    }
)  # fmt: skip
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


def legend_text(row: LegendRow, digits: int, lang: str) -> str:
    """``12.5 – 20.0（8）`` for a class, the reason for the others."""
    if row.kind == "suppressed":
        return (
            f"记录少于{SMALL_CELL}条，不显示（{row.count}）"
            if lang == "zh"
            else (f"fewer than {SMALL_CELL} records, not shown ({row.count})")
        )
    if row.kind == "no_data":
        return f"无数据（{row.count}）" if lang == "zh" else f"no data ({row.count})"
    return f"{row.lower:,.{digits}f} – {row.upper:,.{digits}f}" + (
        f"（{row.count}）" if lang == "zh" else f" ({row.count})"
    )
