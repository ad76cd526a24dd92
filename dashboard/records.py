"""Record tables for the staff workspace, masked for the viewer who asks.

The viewer is the principal established on the server; which street's personal
data they may read comes from their account, never from the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from dashboard.auth.roles import Principal
from geodata.dataset import Dataset
from geodata.privacy import mask_personal_fields
from geodata.schema import Field, layer
from layers.base import display_value

MAX_ROWS = 500


@dataclass(frozen=True)
class RecordView:
    """A page-ready table: column specs, rows of display strings, and counts."""

    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    total: int
    masked_rows: int

    @property
    def shown(self) -> int:
        return len(self.rows)


def table_rows(
    dataset: Dataset,
    layer_name: str,
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    viewer: Principal,
    lang: str = "zh",
    sort_by: str | None = None,
    max_rows: int = MAX_ROWS,
) -> RecordView:
    """Rows of ``frame`` (a slice of ``layer_name``) as display text, masked for ``viewer``.

    Personal fields are shown only in rows of the viewer's own street (all for admin);
    elsewhere they are masked (``138****0000``, ``张**``). Newest first by ``sort_by``.
    """
    schema = layer(layer_name)
    total = len(frame)
    if sort_by:
        frame = frame.sort_values(sort_by, ascending=False, na_position="last")
    head = frame.head(max_rows)
    shown = mask_personal_fields(layer_name, head[list(columns)], viewer.sees_personal_data_of)
    masked = (
        int((~head["street_id"].map(viewer.sees_personal_data_of).astype(bool)).sum())
        if schema.has_personal_data and "street_id" in head.columns
        else 0
    )
    fields = [schema.field(n) for n in columns]
    texts = {}  # column by column: a page is a few hundred cells, drawn per request
    for f in fields:
        ref = (f.references or "").removesuffix(".id")
        # Referenced streets, communities and grids read by name, not by code.
        names = (
            dataset.names_by_id(ref, "name_en" if ref == "streets" and lang == "en" else "name")
            if ref in _NAMED
            else {}
        )
        texts[f.name] = [_text(f, v, names, lang) for v in shown[f.name].tolist()]
    rows = [{f.name: texts[f.name][i] for f in fields} for i in range(len(shown))]
    specs = [{"name": f.label(lang), "id": f.name} for f in fields]
    return RecordView(columns=specs, rows=rows, total=total, masked_rows=masked)


_NAMED = frozenset({"streets", "communities", "grids", "legal_teams"})
"""Layers a record refers to by id whose names the table shows instead."""


def _text(f: Field, value: Any, names: Mapping[str, str], lang: str) -> str:
    """One cell as the table shows it: a referenced place by name, else the value's display."""
    value = None if _missing(value) else value
    named = names.get(str(value)) if value is not None else None
    return named if named is not None else display_value(f, value, lang)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


PAGE_SIZE = 50
"""Rows per page of the staff table: the page sends and draws one page, never the whole table."""


@dataclass(frozen=True)
class TableQuery:
    """How the staff table is arranged: sort column and direction, search text, page."""

    sort: str | None = None
    descending: bool = True
    search: str = ""
    page: int = 0

    @classmethod
    def from_browser(cls, value: Any, columns: tuple[str, ...]) -> TableQuery:
        """A query from the page's store; anything unknown falls back to the default."""
        if not isinstance(value, dict):
            return cls()
        sort = value.get("sort") if value.get("sort") in columns else None
        page = value.get("page")
        search = value.get("search")
        return cls(
            sort=sort,
            descending=value.get("desc") is not False,
            search=search.strip()[:100] if isinstance(search, str) else "",
            page=page if isinstance(page, int) and not isinstance(page, bool) and 0 <= page < 10**7 else 0,
        )

    def on_page(self, page: int) -> TableQuery:
        return replace(self, page=page)

    def to_browser(self) -> dict[str, Any]:
        return {"sort": self.sort, "desc": self.descending, "search": self.search, "page": self.page}


def display_key(dataset: Dataset, layer_name: str, name: str, values: pd.Series, lang: str) -> pd.Series:
    """What a column reads as, vectorised, for sorting and searching: names for
    referenced places, labels for choices, the values themselves otherwise."""
    f = layer(layer_name).field(name)
    if f.references in ("streets.id", "communities.id", "grids.id", "legal_teams.id"):
        ref = f.references.split(".")[0]
        column = "name_en" if ref == "streets" and lang == "en" else "name"
        return values.astype("string").map(dataset.names_by_id(ref, column))
    if f.choices and f.type != "codes":
        return values.astype("string").map({c.value: f.choice_label(c.value, lang) for c in f.choices})
    return values


def arrange(
    dataset: Dataset,
    layer_name: str,
    rows: np.ndarray,
    columns: tuple[str, ...],
    viewer: Principal,
    query: TableQuery,
    default_sort: str | None,
    lang: str = "zh",
) -> np.ndarray:
    """The rows (positions in the layer, e.g. :func:`dashboard.workspace.passing_rows`)
    that match the search, in the table's order.

    The search looks at what the table shows (names, labels, text); a personal field
    is searched only in rows whose personal data the viewer may read, so a search
    for a phone number cannot single out a masked row. Ties keep id order, so pages
    do not shuffle between requests.
    """
    frame = dataset[layer_name]
    rows = np.asarray(rows, dtype=np.int64)
    if query.search:
        rows = rows[_search_hits(dataset, layer_name, frame.iloc[rows], columns, viewer, query.search, lang)]
    sort = query.sort or default_sort
    if sort is None or sort not in frame.columns:
        sort = "id"
    descending = query.descending if query.sort else sort != "id"  # newest first by default
    # The whole layer in this order is made once; a request keeps the rows it has.
    order = dataset.derived(
        ("table_order", layer_name, sort, lang, descending),
        lambda: _layer_order(dataset, layer_name, sort, lang, descending),
    )
    wanted = np.zeros(len(frame), dtype=bool)
    wanted[rows] = True
    arranged = order[wanted[order]]
    if layer(layer_name).field(sort).personal:
        arranged = _masked_rows_last(dataset, layer_name, arranged, viewer)
    return arranged


def _masked_rows_last(
    dataset: Dataset, layer_name: str, arranged: np.ndarray, viewer: Principal
) -> np.ndarray:
    """Sorted by a personal field: only the rows the viewer may read are in that order;
    the masked ones follow in id order, so their place reveals nothing of the hidden
    values (sorted among the readable rows, a masked phone or name would be bounded by
    its visible neighbours)."""
    readable = _readable_rows(dataset, layer_name, arranged, viewer)
    if readable.all():
        return arranged
    hidden = arranged[~readable]
    ids, _ = dataset.codes(layer_name, "id")
    return np.concatenate([arranged[readable], hidden[np.argsort(ids[hidden], kind="stable")]])


def _readable_rows(dataset: Dataset, layer_name: str, rows: np.ndarray, viewer: Principal) -> np.ndarray:
    """Whether the viewer may read the personal fields of each of ``rows`` (positions)."""
    rows = np.asarray(rows, dtype=np.int64)
    if "street_id" not in dataset[layer_name].columns:
        return np.full(len(rows), viewer.sees_personal_data_of(None))
    codes, streets = dataset.codes(layer_name, "street_id")
    readable = np.array([viewer.sees_personal_data_of(str(s)) for s in streets], dtype=bool)
    readable = np.append(readable, viewer.sees_personal_data_of(None))  # code -1: no street
    return readable[codes[rows]]


def prepare_tables(dataset: Dataset, tables: Mapping[str, Any], langs: tuple[str, ...]) -> None:
    """Make each table's default order and filter codes at start-up (once, before gunicorn
    forks its workers), not in the first request: at 100 times the demo district that
    request took 6.6 s. ``tables`` are :data:`dashboard.workspace.TABLES`."""
    for spec in tables.values():
        frame = dataset[spec.layer]
        for column in ("street_id", "community_id", "grid_id", spec.chart_field, *spec.filters):
            if column in frame.columns:
                dataset.codes(spec.layer, column)
        for lang in langs:
            none = np.arange(0)
            arrange(dataset, spec.layer, none, spec.columns, _NOBODY, TableQuery(), spec.date_field, lang)


_NOBODY = Principal("", "public")


def _layer_order(dataset: Dataset, layer_name: str, sort: str, lang: str, descending: bool) -> np.ndarray:
    """Every row of a layer sorted by what ``sort`` reads as (missing last), ties by id."""
    codes, values = dataset.codes(layer_name, sort)
    key = display_key(dataset, layer_name, sort, pd.Series(values, dtype=object), lang)
    # Rank the distinct values by what they read as, then give each row its value's rank.
    key_rank, _ = pd.factorize(key, sort=True)
    last = np.iinfo(np.int64).max
    rank = np.where(key_rank < 0, last, -key_rank if descending else key_rank)
    row_rank = np.append(rank, last)[codes]  # code -1: a missing value
    ids, _ = dataset.codes(layer_name, "id")
    order = np.lexsort((ids, row_rank))
    order.setflags(write=False)
    return order


def _search_hits(
    dataset: Dataset,
    layer_name: str,
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    viewer: Principal,
    search: str,
    lang: str,
) -> np.ndarray:
    """Which rows of ``frame`` show ``search`` in a column the viewer may read."""
    schema = layer(layer_name)
    needle = search.casefold()
    may_read = (
        frame["street_id"].map(viewer.sees_personal_data_of).astype(bool)
        if "street_id" in frame.columns
        else pd.Series(viewer.role == "admin", index=frame.index)
    )
    hit = pd.Series(False, index=frame.index)
    for name in columns:
        text = display_key(dataset, layer_name, name, frame[name], lang).astype("string").str.casefold()
        found = text.str.contains(needle, regex=False).fillna(False).astype(bool)
        hit |= found & may_read if schema.field(name).personal else found
    return hit.to_numpy(dtype=bool)


def masked_rows(dataset: Dataset, layer_name: str, rows: np.ndarray, viewer: Principal) -> int:
    """How many of ``rows`` (positions in the layer) show personal fields masked to ``viewer``."""
    if not layer(layer_name).has_personal_data or "street_id" not in dataset[layer_name].columns:
        return 0
    return int((~_readable_rows(dataset, layer_name, rows, viewer)).sum())


def page_count(rows: int, size: int = PAGE_SIZE) -> int:
    """Pages needed for ``rows`` (at least one, an empty page saying so)."""
    return max(1, -(-rows // size))


def page_of_row(
    dataset: Dataset, layer_name: str, arranged: np.ndarray, row_id: str, size: int = PAGE_SIZE
) -> int | None:
    """The page holding ``row_id`` among the arranged rows, None when it is filtered out."""
    codes, ids = dataset.codes(layer_name, "id")
    at = int(np.searchsorted(ids, row_id))  # ids are text, sorted
    if at >= len(ids) or str(ids[at]) != row_id:
        return None
    where = np.flatnonzero(codes[arranged] == at)
    return int(where[0]) // size if len(where) else None
