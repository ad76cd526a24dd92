"""What the staff workspace lists and filters: one table per layer, one set of filters.

Pure functions over a :class:`~geodata.dataset.Dataset`. The page's callbacks only
check what the browser sent (:meth:`Filters.from_browser`) and call these, so that
the map, the table and the chart always agree on which features pass.

Filters
-------
* place: street → community → grid (each narrower one must lie in the wider one);
* time: a date range on the table's own date field (发现时间, 受理日期, …);
* fields: the table's choice fields (状态, 类别, 孵化阶段, 调解层级, 轮次, …);
* view: "features in view only" keeps features inside the map's bounds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from geodata.dataset import Dataset
from geodata.schema import layer as schema_layer
from geodata.schema import split_codes


@dataclass(frozen=True)
class TableSpec:
    """How one layer is listed, filtered and charted in the workspace.

    Attributes
    ----------
    layer : str
        Schema layer name.
    columns : tuple of str
        Columns of the table, in order (the first is the id).
    date_field : str or None
        Field the date range applies to; the table is sorted newest first by it.
    filters : tuple of str
        Choice fields offered as filters.
    chart_field : str
        Field the chart counts by.
    map_layer : str or None
        Registry layer that draws these features (None: a table only; mediation
        cases have no position, home services must not be drawn).
    """

    layer: str
    columns: tuple[str, ...]
    date_field: str | None
    filters: tuple[str, ...]
    chart_field: str
    map_layer: str | None


TABLES: Mapping[str, TableSpec] = MappingProxyType(
    {
        spec.layer: spec
        for spec in (
            TableSpec(
                "grid_events",
                (
                    "id",
                    "found_at",
                    "category",
                    "status",
                    "street_id",
                    "grid_id",
                    "description",
                    "reporter_phone",
                ),
                "found_at",
                ("status", "category"),
                "status",
                "grid_events",
            ),
            TableSpec(
                "three_no_compounds",
                (
                    "id",
                    "name",
                    "stage",
                    "households",
                    "property_company",
                    "street_id",
                    "community_id",
                    "date_1",
                ),
                "date_1",
                ("stage",),
                "stage",
                "three_no_compounds",
            ),
            TableSpec(
                "mediation_cases",
                (
                    "id",
                    "received",
                    "level",
                    "round",
                    "outcome",
                    "case_type",
                    "street_id",
                    "community_id",
                    "disputants",
                    "disputant_phone",
                ),
                "received",
                ("level", "round", "outcome", "case_type"),
                "outcome",
                None,
            ),
            TableSpec(
                "home_services",
                (
                    "id",
                    "last_visit",
                    "person_name",
                    "phone",
                    "category",
                    "service",
                    "street_id",
                    "community_id",
                ),
                "last_visit",
                ("category", "service"),
                "category",
                None,
            ),
            TableSpec(
                "service_centers",
                (
                    "id",
                    "name",
                    "address",
                    "site_type",
                    "services",
                    "opening_hours",
                    "street_id",
                    "community_id",
                ),
                None,
                ("site_type", "services"),
                "site_type",
                "service_centers",
            ),
        )
    }
)
"""The layers staff can list, in the order the table selector offers them."""

ROUNDS = ("1", "2", "3")
"""Mediation rounds offered as a filter (the schema allows 1–3)."""


def filter_choices(layer: str, name: str, lang: str = "zh") -> list[dict[str, str]]:
    """Options of a field filter: the schema's choices, or the rounds for ``round``."""
    f = schema_layer(layer).field(name)
    if f.choices:
        return [{"label": c.zh if lang == "zh" else c.en, "value": c.value} for c in f.choices]
    if name == "round":
        word = "第{}轮" if lang == "zh" else "round {}"
        return [{"label": word.format(r), "value": r} for r in ROUNDS]
    raise KeyError(f"{layer}.{name} has no choices to filter by")


@dataclass(frozen=True)
class Filters:
    """What the user asked to see; every value already checked against the data."""

    street: str | None = None
    community: str | None = None
    grid: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bbox: tuple[float, float, float, float] | None = None
    """(west, south, east, north) in degrees, for "features in view only"."""

    @classmethod
    def from_browser(
        cls,
        places: PlaceTree,
        table: TableSpec | None,
        street: Any = None,
        community: Any = None,
        grid: Any = None,
        start: Any = None,
        end: Any = None,
        fields: Any = None,
        bbox: Any = None,
    ) -> Filters:
        """Filters from values a browser sent, dropping anything that does not exist.

        A community outside the chosen street, or a grid outside the chosen
        community, is dropped too: the narrower choice must lie in the wider one.
        """
        street = street if isinstance(street, str) and street in places.streets else None
        community = community if isinstance(community, str) and community in places.community_street else None
        if community and street and places.community_street[community] != street:
            community = None
        grid = grid if isinstance(grid, str) and grid in places.grid_community else None
        if grid and community and places.grid_community[grid] != community:
            grid = None
        if grid and street and places.grid_street[grid] != street:
            grid = None
        checked: dict[str, tuple[str, ...]] = {}
        if table is not None and isinstance(fields, Mapping):
            for name in table.filters:
                wanted = fields.get(name)
                if isinstance(wanted, str):
                    wanted = [wanted]
                elif isinstance(wanted, tuple):
                    wanted = list(wanted)
                if not isinstance(wanted, list) or not wanted:
                    continue
                allowed = {o["value"] for o in filter_choices(table.layer, name)}
                kept = tuple(v for v in wanted if isinstance(v, str) and v in allowed)
                if kept:
                    checked[name] = kept
        return cls(street, community, grid, _date(start), _date(end), MappingProxyType(checked), _bbox(bbox))

    def to_query(self) -> dict[str, str]:
        """The filters as URL parameters (see :mod:`dashboard.permalink`)."""
        out = {}
        for name in ("street", "community", "grid"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.start:
            out["from"] = self.start.isoformat()
        if self.end:
            out["to"] = self.end.isoformat()
        for name, values in self.fields.items():
            out[f"f.{name}"] = ",".join(values)
        return out


@dataclass(frozen=True)
class PlaceTree:
    """Which street each community lies in, and which community and street each grid."""

    streets: frozenset[str]
    community_street: Mapping[str, str]
    grid_community: Mapping[str, str]
    grid_street: Mapping[str, str]

    @classmethod
    def of(cls, dataset: Dataset) -> PlaceTree:
        communities, grids = dataset["communities"], dataset["grids"]

        def pairs(frame: pd.DataFrame, column: str) -> Mapping[str, str]:
            return MappingProxyType(
                dict(zip(frame["id"].astype(str), frame[column].astype(str), strict=True))
            )

        return cls(
            streets=frozenset(dataset["streets"]["id"].astype(str)),
            community_street=pairs(communities, "street_id"),
            grid_community=pairs(grids, "community_id"),
            grid_street=pairs(grids, "street_id"),
        )


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _bbox(value: Any) -> tuple[float, float, float, float] | None:
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    try:
        west, south, east, north = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (west, south, east, north)) or west >= east or south >= north:
        return None
    return west, south, east, north


def community_options(dataset: Dataset, street: str | None) -> list[dict[str, str]]:
    """Communities of a street (all when None), by name."""
    frame = dataset["communities"]
    if street:
        frame = frame[frame["street_id"] == street]
    frame = frame.sort_values("id")
    return [{"label": str(n), "value": str(i)} for i, n in zip(frame["id"], frame["name"], strict=True)]


def grid_options(dataset: Dataset, street: str | None, community: str | None) -> list[dict[str, str]]:
    """Grids of a community (or of a street), by name; none until one is chosen."""
    frame = dataset["grids"]
    if community:
        frame = frame[frame["community_id"] == community]
    elif street:
        frame = frame[frame["street_id"] == street]
    else:
        return []  # 424 grids in one list helps nobody
    frame = frame.sort_values("id")
    return [{"label": str(n), "value": str(i)} for i, n in zip(frame["id"], frame["name"], strict=True)]


def filtered(dataset: Dataset, table: TableSpec, filters: Filters) -> pd.DataFrame:
    """The rows of ``table``'s layer that pass ``filters``, in the layer's order."""
    return dataset[table.layer].iloc[passing_rows(dataset, table, filters)]


def passing_rows(dataset: Dataset, table: TableSpec, filters: Filters) -> np.ndarray:
    """Positions in ``table``'s layer of the rows that pass ``filters``, ascending.

    Compares the dataset's column codes (:meth:`Dataset.codes`), not the values: at 100
    times the demo district a table has 520,000 rows, and string comparisons, date
    parsing and copying the frame took ~0.5 s of every filter change.
    """
    frame = dataset[table.layer]
    keep = np.ones(len(frame), dtype=bool)
    for name, column in (("street", "street_id"), ("community", "community_id"), ("grid", "grid_id")):
        wanted = getattr(filters, name)
        if wanted and column in frame.columns:
            keep &= _rows_with(dataset, table.layer, column, lambda values, w=wanted: values == w)
    if filters.grid and "grid_id" not in frame.columns and _has_points(frame):
        grid = dataset["grids"]
        shape = grid.geometry[grid["id"] == filters.grid]
        if len(shape):
            keep &= frame.geometry.within(shape.iloc[0]).to_numpy()
    if table.date_field and (filters.start or filters.end):
        start, end = filters.start, filters.end

        def in_range(values: np.ndarray) -> np.ndarray:
            day = pd.Series(pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")).dt.date
            inside = pd.Series(True, index=day.index)
            if start:
                inside &= (day >= start).fillna(False).astype(bool)
            if end:
                inside &= (day <= end).fillna(False).astype(bool)
            return inside.to_numpy(dtype=bool)

        keep &= _rows_with(dataset, table.layer, table.date_field, in_range)
    schema = schema_layer(table.layer)
    for name, wanted in filters.fields.items():
        wanted_set = set(wanted)
        if schema.field(name).type == "codes":
            offered = frame[name].map(lambda v, w=wanted_set: bool(w & set(split_codes(v))))
            keep &= offered.to_numpy(dtype=bool)
        else:
            keep &= _rows_with(
                dataset, table.layer, name, lambda values, w=wanted_set: np.isin(values.astype(str), list(w))
            )
    if filters.bbox and _has_points(frame):
        west, south, east, north = filters.bbox
        x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
        keep &= (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return np.flatnonzero(keep)


def _rows_with(dataset: Dataset, layer: str, column: str, test) -> np.ndarray:
    """Which rows of ``layer`` pass ``test``, judged once per distinct value of
    ``column`` (``test`` maps an array of values to booleans); missing values fail."""
    codes, values = dataset.codes(layer, column)
    passes = np.append(np.asarray(test(values), dtype=bool), False)  # code -1: missing
    return passes[codes]


def _has_points(frame: pd.DataFrame) -> bool:
    return hasattr(frame, "geometry") and len(frame) > 0 and bool((frame.geometry.geom_type == "Point").all())


def map_hideout_filters(
    table: TableSpec | None, filters: Filters, layer: str, layer_fields: set[str]
) -> dict:
    """The ``hideout`` entries that make a map layer show what the table shows.

    ``layer_fields`` are the properties the layer's GeoJSON carries; a filter on a
    property the layer does not have is left out (so it cannot hide everything).
    """
    wanted: dict[str, Any] = {}
    for name, column in (("street", "street_id"), ("community", "community_id"), ("grid", "grid_id")):
        value = getattr(filters, name)
        if value and column in layer_fields:
            wanted[column] = value
    # An area layer shows the chosen area itself.
    own = {"streets": filters.street, "communities": filters.community, "grids": filters.grid}.get(layer)
    if own:
        wanted["id"] = own
    ranges: dict[str, list[str | None]] = {}
    if table is not None and table.map_layer == layer:
        for name, values in filters.fields.items():
            if name in layer_fields:
                wanted[name] = list(values)
        if table.date_field and table.date_field in layer_fields and (filters.start or filters.end):
            ranges[table.date_field] = [
                filters.start.isoformat() if filters.start else None,
                # ISO timestamps of the last day compare below its next day.
                (filters.end + dt.timedelta(days=1)).isoformat() if filters.end else None,
            ]
    return {"filters": wanted, "ranges": ranges}


def chart_counts(dataset: Dataset, table: TableSpec, rows: np.ndarray, lang: str = "zh") -> pd.Series:
    """``rows`` (positions in the table's layer) per value of the chart field, labelled,
    in the schema's order."""
    f = schema_layer(table.layer).field(table.chart_field)
    codes, values = dataset.codes(table.layer, table.chart_field)
    picked = codes[np.asarray(rows, dtype=np.int64)]
    per_value = np.bincount(picked[picked >= 0], minlength=len(values))
    if f.choices:
        counts = {str(v): int(n) for v, n in zip(values, per_value, strict=True)}
        labelled = {c.zh if lang == "zh" else c.en: counts.get(c.value, 0) for c in f.choices}
        return pd.Series(labelled, dtype="int64")
    return pd.Series({str(v): int(n) for v, n in zip(values, per_value, strict=True) if n}, dtype="int64")


def date_steps(span: tuple[dt.date, dt.date] | None) -> list[dt.date]:
    """The time slider's steps over ``span``: the first day of each month, or of each
    week (Mondays) when the span is under four months, from the step holding its first
    day to the one holding its last. Empty without a span."""
    if span is None:
        return []
    first, last = span
    if (last - first).days < 120:
        step = first - dt.timedelta(days=first.weekday())
        out = []
        while step <= last:
            out.append(step)
            step += dt.timedelta(days=7)
        return out
    out, step = [], first.replace(day=1)
    while step <= last:
        out.append(step)
        step = (step.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def steps_between(steps: list[dt.date], start: dt.date | None, end: dt.date | None) -> list[int]:
    """The slider's ``[first, last]`` step for a date range (the whole span when open)."""
    if not steps:
        return [0, 0]
    at = [i for i, s in enumerate(steps) if start is None or s <= start]
    until = [i for i, s in enumerate(steps) if end is None or s <= end]
    first = at[-1] if start is not None and at else 0
    return [first, max(first, until[-1] if until else 0)]


def date_span(dataset: Dataset, table: TableSpec) -> tuple[dt.date, dt.date] | None:
    """First and last day of the table's date field (for the date picker's and the time
    slider's limits). Made once per dataset: every staff page and table change asks, and
    parsing 520,000 dates at 100 times the demo district took ~0.3 s."""
    if not table.date_field:
        return None

    def make() -> tuple[dt.date, dt.date] | None:
        when = pd.to_datetime(dataset[table.layer][table.date_field], errors="coerce").dropna()
        return None if when.empty else (when.min().date(), when.max().date())

    return dataset.derived(("date_span", table.layer, table.date_field), make)
