"""The staff workspace's record table: one page of rows, arranged on the server.

The table sends and draws one page (:data:`dashboard.records.PAGE_SIZE` rows) of
the filtered, searched and sorted records, never the whole table: a grid library
(AG Grid) cost the page 0.6 MB of scripts and every filter change the full rows.
Sorting, searching and paging are server round trips of a few kilobytes. The page
of rows, the pager, the note and the chart travel as plain data and ``redmap.js``
draws them (``redmap.drawRecords``); headers, pager buttons and rows report a click
in a store (``staff-sort-by``, ``staff-page-to``, ``staff-selected``).
"""

from __future__ import annotations

from typing import Any

from dashboard.i18n import t
from dashboard.records import RecordView, TableQuery
from geodata.schema import layer as schema_layer

SORT = "staff-sort"
"""A sort request, as :func:`next_query` takes it: ``{"type": SORT, "col": name}``. The
headers' buttons are drawn in the browser and report a click in the ``staff-sort-by``
store (``{"col": name, "at": ms}``)."""
PAGE = "staff-page"
"""A paging request, as :func:`next_query` takes it: ``{"type": PAGE, "to": "first"|"prev"|"next"|"last"}``.
The pager's buttons are drawn in the browser and report a click in the ``staff-page-to``
store (``{"to": step, "at": ms}``)."""
PAGE_STEPS = ("first", "prev", "next", "last")

_WIDE = frozenset({"description", "address", "name", "property_company", "services", "opening_hours"})


def column_class(layer: str, name: str) -> str:
    """A CSS class sizing a column for what it holds (ids and dates in full, text wide)."""
    f = schema_layer(layer).field(name)
    if name == "id":
        return "rm-col-id"
    if f.type == "datetime":
        return "rm-col-datetime"
    if f.type == "date":
        return "rm-col-date"
    return "rm-col-wide" if name in _WIDE else "rm-col-text"


def table_data(
    view: RecordView, layer: str, query: TableQuery, default_sort: str | None, selected: str | None, lang: str
) -> dict[str, Any]:
    """One page of records as plain data for ``redmap.drawRecords`` (``assets/redmap.js``).

    The browser draws the table from this with text nodes only. A Dash component per
    cell made every later update of the page slower: the renderer checks each
    component's props on every store change, and 50 rows are over 450 of them.

    Parameters
    ----------
    view : RecordView
        The page's rows, already masked for the viewer: nothing here unmasks.
    layer : str
        The table's layer (column sizes come from its schema).
    query : TableQuery
        How the rows are arranged (for the headers' sort marks).
    default_sort : str or None
        The column sorted by (newest first) when the user has not chosen one.
    selected : str or None
        Id of the chosen row, highlighted.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    dict
        ``columns`` (``id``, ``name``, ``cls``, ``sort`` as in ``aria-sort``, ``title``),
        ``rows`` (each a list of display strings in column order), ``ids`` (each
        row's id), ``selected``, and the texts ``caption`` and ``empty``.
    """
    sort = query.sort or default_sort
    descending = query.descending if query.sort else True
    columns = []
    for column in view.columns:
        name = column["id"]
        state = ("descending" if descending else "ascending") if name == sort else "none"
        columns.append(
            {
                "id": name,
                "name": str(column["name"]),
                "cls": column_class(layer, name),
                "sort": state,
                "title": t("sort_by", lang).format(column["name"]),
            }
        )
    names = [c["id"] for c in view.columns]
    return {
        "columns": columns,
        "rows": [[str(row[n]) for n in names] for row in view.rows],
        "ids": [str(row["id"]) for row in view.rows],
        "selected": selected,
        "caption": t("records", lang),
        "empty": t("no_rows", lang),
    }


def pager_data(page: int, pages: int, lang: str) -> dict[str, Any] | None:
    """First / previous / next / last page buttons around "page x of y", as data for
    ``redmap.drawRecords``; None when one page holds every row."""
    if pages <= 1:
        return None
    labels = {"first": "«", "prev": "‹", "next": "›", "last": "»"}
    at_start, at_end = page <= 0, page >= pages - 1
    return {
        "label": t("pages", lang),
        "at": t("page_of", lang).format(page + 1, pages),
        "steps": [
            {
                "to": step,
                "text": labels[step],
                "title": t(f"page_{step}", lang),
                "disabled": at_start if step in ("first", "prev") else at_end,
            }
            for step in PAGE_STEPS
        ],
    }


def next_query(query: TableQuery, trigger: Any, search: Any, pages_hint: int | None = None) -> TableQuery:
    """The table's query after a header, pager or search action.

    A new sort column starts ascending, the same one flips; paging steps are
    clamped later, when the number of pages is known.
    """
    if isinstance(trigger, dict) and trigger.get("type") == SORT and isinstance(trigger.get("col"), str):
        column = trigger["col"]
        descending = not query.descending if column == query.sort else False
        return TableQuery(column, descending, query.search, 0)
    if isinstance(trigger, dict) and trigger.get("type") == PAGE:
        step = trigger.get("to")
        page = {
            "first": 0,
            "prev": query.page - 1,
            "next": query.page + 1,
            "last": (pages_hint or 10**6) - 1,
        }.get(step, query.page)
        return query.on_page(max(0, page))
    text = search.strip()[:100] if isinstance(search, str) else ""
    return TableQuery(query.sort, query.descending, text, 0 if text != query.search else query.page)
