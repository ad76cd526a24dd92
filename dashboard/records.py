"""Record tables for the staff workspace, masked for the viewer who asks.

The viewer is the principal established on the server; which street's personal
data they may read comes from their account, never from the request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from dashboard.auth.roles import Principal
from geodata.dataset import Dataset
from geodata.privacy import mask_personal_fields
from geodata.schema import layer
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
    masked = masked_rows(layer_name, head, viewer)
    # Referenced streets, communities and grids read by name, not by code.
    lookups = {f"{ref}.id": dataset.names_by_id(ref) for ref in ("communities", "grids", "legal_teams")}
    lookups["streets.id"] = dataset.names_by_id("streets", "name" if lang == "zh" else "name_en")
    rows = []
    for record in shown.to_dict("records"):
        row = {}
        for name in columns:
            f = schema.field(name)
            value = None if _missing(record[name]) else record[name]
            named = lookups.get(f.references or "", {}).get(str(value)) if value is not None else None
            row[name] = named if named is not None else display_value(f, value, lang)
        rows.append(row)
    specs = [{"name": schema.field(n).label(lang), "id": n} for n in columns]
    return RecordView(columns=specs, rows=rows, total=total, masked_rows=masked)


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
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    viewer: Principal,
    query: TableQuery,
    default_sort: str | None,
    lang: str = "zh",
) -> pd.DataFrame:
    """The rows of ``frame`` that match the search, in the table's order.

    The search looks at what the table shows (names, labels, text); a personal field
    is searched only in rows whose personal data the viewer may read, so a search
    for a phone number cannot single out a masked row. Ties keep id order, so pages
    do not shuffle between requests.
    """
    schema = layer(layer_name)
    if query.search:
        needle = query.search.casefold()
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
        frame = frame[hit]
    sort = query.sort or default_sort
    if sort is None or sort not in frame.columns:
        return frame.sort_values("id", kind="stable")
    descending = query.descending if query.sort else True  # newest first by default
    key = display_key(dataset, layer_name, sort, frame[sort], lang)
    order = pd.DataFrame({"k": key, "id": frame["id"].astype(str)}, index=frame.index).sort_values(
        ["k", "id"], ascending=[not descending, True], na_position="last", kind="stable"
    )
    return frame.loc[order.index]


def masked_rows(layer_name: str, frame: pd.DataFrame, viewer: Principal) -> int:
    """How many of ``frame``'s rows show their personal fields masked to ``viewer``."""
    if not layer(layer_name).has_personal_data or "street_id" not in frame.columns:
        return 0
    return int((~frame["street_id"].map(viewer.sees_personal_data_of).astype(bool)).sum())


def page_count(rows: int, size: int = PAGE_SIZE) -> int:
    """Pages needed for ``rows`` (at least one, an empty page saying so)."""
    return max(1, -(-rows // size))


def page_of_row(arranged: pd.DataFrame, row_id: str, size: int = PAGE_SIZE) -> int | None:
    """The page holding ``row_id`` in the arranged rows, None when it is filtered out."""
    where = (arranged["id"].astype(str) == row_id).to_numpy().nonzero()[0]
    return int(where[0]) // size if len(where) else None
