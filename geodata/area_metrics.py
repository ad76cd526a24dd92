"""Metrics per area — grid, community or street — defined once for every face.

The staff choropleth, the wall's street colours and tour, exports and the field
reference all read :data:`AREA_METRICS`: one id means one thing everywhere. Each
metric says what it counts, its scale (a share is 0–1 and reads as a percentage) and
how few records make its value unsafe to show.

Every compute function takes the layers (a mapping of layer name to frame, such as a
:class:`geodata.dataset.Dataset`) and a :class:`Scope`, and returns the value of every
area of the scope's level with the number of records it rests on.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

SMALL_CELL = 5
"""Aggregates of fewer records (or people) than this are suppressed on shared screens:
a share of two cases says nothing and can point at a person."""

OVERDUE_DAYS = 7
"""A smart-grid incident still open this many days after it was found is overdue (the
district's rule for hard cases, BRIEF §8). The wall's count, the staff map's marks and
every per-area figure use this one rule."""

AREA_LEVELS: Mapping[str, tuple[str, str, str]] = MappingProxyType(
    {"grids": ("grid_id", "网格", "grid"), "communities": ("community_id", "社区", "community"),
     "streets": ("street_id", "街道", "street")}
)  # fmt: skip
"""Area layer → (the records' column naming it, zh, en)."""

Scale = Literal["count", "per_1000", "share", "days"]
Layers = Any
"""A mapping of layer name to frame (``frames["grid_events"]``), e.g. a Dataset."""


@dataclass(frozen=True)
class Scope:
    """Which areas and records a metric is computed over.

    Attributes
    ----------
    level : str
        ``grids``, ``communities`` or ``streets``: one value per area of it.
    street : str or None
        Only this street's areas and records.
    start, end : date or None
        Only records dated within (each metric says which date it uses).
    now : Timestamp or None
        The moment "open" and "overdue" are judged at (the data's own clock).
    """

    level: str
    street: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    now: pd.Timestamp | None = None


@dataclass(frozen=True)
class AreaValues:
    """A metric per area id: ``value`` (NaN where undefined) and the ``records`` it rests on."""

    value: pd.Series
    records: pd.Series


@dataclass(frozen=True)
class AreaMetric:
    """One metric over areas.

    Attributes
    ----------
    id : str
    zh, en : str
        Its name.
    counts_zh, counts_en : str
        What it counts, in a sentence (the field reference shows it).
    scale : {"count", "per_1000", "share", "days"}
        A share is 0–1 and reads as a percentage.
    levels : tuple of str
        Area levels it can be computed for (mediation cases know no grid).
    min_records : int
        Areas resting on fewer records are suppressed (0: never).
    compute : callable
        ``(layers, scope) -> AreaValues`` over every area of the scope.
    """

    id: str
    zh: str
    en: str
    counts_zh: str
    counts_en: str
    scale: Scale
    levels: tuple[str, ...]
    min_records: int
    compute: Callable[[Layers, Scope], AreaValues]

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def counts(self, lang: str = "zh") -> str:
        return self.counts_zh if lang == "zh" else self.counts_en

    def format(self, value: float | None) -> str:
        """How a value reads on every screen ("—" where undefined or suppressed)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return format_scaled(float(value), self.scale)


def format_scaled(value: float, scale: Scale) -> str:
    """A value on ``scale`` as text: ``1,234``, ``12.5``, ``80%``, ``3.5``."""
    if scale == "share":
        return f"{value:.0%}"
    if scale == "count":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


# ---- shared rules ------------------------------------------------------------------------


def is_open(events: pd.DataFrame) -> pd.Series:
    """Incidents not yet closed: closing is the reply to the reporter (回复)."""
    return events["status"] != "replied"


def is_overdue(events: pd.DataFrame, now: pd.Timestamp) -> pd.Series:
    """Incidents still open :data:`OVERDUE_DAYS` after they were found."""
    return is_open(events) & (now - pd.to_datetime(events["found_at"]) > pd.Timedelta(days=OVERDUE_DAYS))


def overdue_cutoff(now: pd.Timestamp) -> pd.Timestamp:
    """Open incidents found before this moment are overdue (for filters in the browser)."""
    return now - pd.Timedelta(days=OVERDUE_DAYS)


def concluded_cases(cases: pd.DataFrame) -> pd.DataFrame:
    """Mediation cases that have ended, settled or not; ongoing ones are not yet mediated."""
    return cases[cases["outcome"].isin(["success", "failed"])]


# ---- helpers -----------------------------------------------------------------------------


def _areas(layers: Layers, scope: Scope) -> pd.DataFrame:
    areas = layers[scope.level]
    if scope.street:
        areas = areas[(areas["id"] if scope.level == "streets" else areas["street_id"]) == scope.street]
    return areas


def in_dates(frame: pd.DataFrame, column: str, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    """Rows of ``frame`` whose ``column`` falls on ``start`` … ``end`` (either may be open)."""
    if not (start or end):
        return frame
    day = pd.to_datetime(frame[column], errors="coerce").dt.date
    keep = pd.Series(True, index=frame.index)
    if start:
        keep &= (day >= start).fillna(False).astype(bool)
    if end:
        keep &= (day <= end).fillna(False).astype(bool)
    return frame[keep]


def _records(layers: Layers, name: str, date_field: str, scope: Scope) -> pd.DataFrame:
    frame = layers[name]
    if scope.street:
        frame = frame[frame["street_id"] == scope.street]
    return in_dates(frame, date_field, scope.start, scope.end)


def _per_area(areas: pd.DataFrame, keys: pd.Series, values: pd.Series | None = None) -> pd.Series:
    """Sum (or count, without ``values``) per area id, 0 for areas with none."""
    weights = values if values is not None else pd.Series(1, index=keys.index)
    grouped = weights.groupby(keys.to_numpy()).sum()
    return grouped.reindex(areas["id"].astype(str).to_numpy(), fill_value=0).astype(float)


def _key(frame: pd.DataFrame, scope: Scope) -> pd.Series:
    return frame[AREA_LEVELS[scope.level][0]].astype(str)


def _households(areas: pd.DataFrame, index: pd.Index) -> pd.Series:
    households = pd.Series(areas["households"].to_numpy(dtype=float), index=index)
    return households.where(households > 0)


def _now(layers: Layers, scope: Scope) -> pd.Timestamp:
    if scope.now is not None:
        return pd.Timestamp(scope.now)
    as_of = getattr(layers, "as_of", None)
    return as_of() if callable(as_of) else pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None)


# ---- the metrics -------------------------------------------------------------------------


def service_volume(layers: Layers, scope: Scope) -> AreaValues:
    areas = _areas(layers, scope)
    centres = layers["service_centers"]
    if scope.level == "grids":  # centres record their street and community, not their grid
        located = centres.sjoin(layers["grids"][["id", "geometry"]], predicate="within", rsuffix="grid")
        area_of = dict(zip(located["id_left"].astype(str), located["id_grid"].astype(str), strict=True))
    else:
        column = AREA_LEVELS[scope.level][0]
        area_of = dict(zip(centres["id"].astype(str), centres[column].astype(str), strict=True))
    records = in_dates(layers["service_records"], "month", scope.start, scope.end)
    keys = records["center_id"].astype(str).map(area_of)
    known = keys.notna()
    served = _per_area(areas, keys[known], records.loc[known, "people_served"].astype(float))
    return AreaValues(served, served)  # a count of people: fewer than five is suppressed


def incidents_per_1000(layers: Layers, scope: Scope) -> AreaValues:
    areas = _areas(layers, scope)
    events = _records(layers, "grid_events", "found_at", scope)
    count = _per_area(areas, _key(events, scope))
    return AreaValues(count / _households(areas, count.index) * 1000, count)


def open_incidents_per_1000(layers: Layers, scope: Scope) -> AreaValues:
    areas = _areas(layers, scope)
    events = _records(layers, "grid_events", "found_at", scope)
    now = _now(layers, scope)
    events = events[is_open(events) & (pd.to_datetime(events["found_at"]) <= now)]
    count = _per_area(areas, _key(events, scope))
    return AreaValues(count / _households(areas, count.index) * 1000, count)


def overdue_incidents(layers: Layers, scope: Scope) -> AreaValues:
    areas = _areas(layers, scope)
    events = _records(layers, "grid_events", "found_at", scope)
    count = _per_area(areas, _key(events[is_overdue(events, _now(layers, scope))], scope))
    return AreaValues(count, count)


def share_closed(layers: Layers, scope: Scope) -> AreaValues:
    areas = _areas(layers, scope)
    events = _records(layers, "grid_events", "found_at", scope)
    keys = _key(events, scope)
    total = _per_area(areas, keys)
    closed = _per_area(areas, keys, (~is_open(events)).astype(float))
    return AreaValues(closed / total.where(total > 0), total)


def median_days_to_close(layers: Layers, scope: Scope) -> AreaValues:
    areas = _areas(layers, scope)
    events = _records(layers, "grid_events", "found_at", scope)
    closed = events[~is_open(events)]
    days = (pd.to_datetime(closed["replied_at"]) - pd.to_datetime(closed["found_at"])).dt.total_seconds()
    keys = _key(closed, scope)
    median = (days / 86400).groupby(keys.to_numpy()).median().reindex(areas["id"].astype(str).to_numpy())
    return AreaValues(median, _per_area(areas, keys))


def mediation_success(layers: Layers, scope: Scope) -> AreaValues:
    areas = _areas(layers, scope)
    closed = concluded_cases(_records(layers, "mediation_cases", "received", scope))
    keys = _key(closed, scope)
    total = _per_area(areas, keys)
    won = _per_area(areas, keys, (closed["outcome"] == "success").astype(float))
    return AreaValues(won / total.where(total > 0), total)


ALL_LEVELS = ("grids", "communities", "streets")

AREA_METRICS: Mapping[str, AreaMetric] = MappingProxyType(
    {
        m.id: m
        for m in (
            AreaMetric(
                "service_volume", "服务人次", "People served",
                "服务中心记录的服务人次之和（按记录月份）",
                "people served, summed over the centres' monthly records",
                "count", ALL_LEVELS, SMALL_CELL, service_volume,
            ),
            AreaMetric(
                "incidents_per_1000", "事件数/千户", "Incidents per 1,000 households",
                "期间发现的网格事件（无论是否办结）每千户",
                "smart-grid incidents found in the period, open or closed, per 1,000 households",
                "per_1000", ALL_LEVELS, 0, incidents_per_1000,
            ),
            AreaMetric(
                "open_incidents_per_1000", "每千户在办事件", "Open incidents per 1,000 households",
                "尚未回复办结的网格事件每千户",
                "smart-grid incidents not yet replied to (closed), per 1,000 households",
                "per_1000", ALL_LEVELS, 0, open_incidents_per_1000,
            ),
            AreaMetric(
                "overdue_incidents", "超期事件", "Overdue incidents",
                f"发现{OVERDUE_DAYS}天后仍未办结的网格事件",
                f"smart-grid incidents still open {OVERDUE_DAYS} days after they were found",
                "count", ALL_LEVELS, 0, overdue_incidents,
            ),
            AreaMetric(
                "share_closed", "办结率", "Share closed",
                "期间发现的网格事件中已回复办结的比例",
                "share of the incidents found in the period that have been replied to (closed)",
                "share", ALL_LEVELS, SMALL_CELL, share_closed,
            ),
            AreaMetric(
                "median_days_to_close", "办结中位天数", "Median days to close",
                "已办结事件从发现到回复的天数中位数",
                "median days from found to reply of the closed incidents",
                "days", ALL_LEVELS, SMALL_CELL, median_days_to_close,
            ),
            AreaMetric(
                "mediation_success", "调解成功率", "Mediation success rate",
                "已结束的调解案件（成功或未成功，不含在办）中调解成功的比例",
                "share settled among concluded mediation cases (settled or not; ongoing ones excluded)",
                "share", ("communities", "streets"), SMALL_CELL, mediation_success,
            ),
        )
    }
)  # fmt: skip
"""Every per-area metric, in the order the staff selector offers them."""


def area_metric(metric_id: str) -> AreaMetric:
    """The metric of this id; ValueError naming the known ones otherwise."""
    try:
        return AREA_METRICS[metric_id]
    except KeyError:
        raise ValueError(f"unknown metric {metric_id!r}; choose one of {', '.join(AREA_METRICS)}") from None


def suppressed(values: AreaValues, metric: AreaMetric) -> pd.Series:
    """The values with every area resting on too few records set to NaN."""
    if not metric.min_records:
        return values.value.astype(float)
    return values.value.where(values.records >= metric.min_records).astype(float)
