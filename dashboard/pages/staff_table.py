"""The staff workspace's record table: one page of rows, drawn on the server.

The table sends and draws one page (:data:`dashboard.records.PAGE_SIZE` rows) of
the filtered, searched and sorted records, never the whole table: a grid library
(AG Grid) cost the page 0.6 MB of scripts and every filter change the full rows.
Sorting, searching and paging are server round trips of a few kilobytes; choosing
a row is handled in the browser (``redmap.js``) and reaches the server as the id
in the ``staff-selected`` store.
"""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.i18n import t
from dashboard.records import RecordView, TableQuery
from geodata.schema import layer as schema_layer

SORT = "staff-sort"
"""Pattern id of the column headers' sort buttons: ``{"type": SORT, "col": name}``."""
PAGE = "staff-page"
"""Pattern id of the pager's buttons: ``{"type": PAGE, "to": "first"|"prev"|"next"|"last"}``."""
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


def records_table(
    view: RecordView, layer: str, query: TableQuery, default_sort: str | None, selected: str | None, lang: str
) -> html.Table:
    """One page of records as an HTML table with sortable headers.

    Parameters
    ----------
    view : RecordView
        The page's rows, already masked for the viewer.
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
    """
    sort = query.sort or default_sort
    descending = query.descending if query.sort else True
    head = []
    for column in view.columns:
        name = column["id"]
        state = ("descending" if descending else "ascending") if name == sort else "none"
        mark = {"descending": " ▼", "ascending": " ▲", "none": ""}[state]
        head.append(
            html.Th(
                html.Button(
                    [column["name"], html.Span(mark, className="rm-sort-mark", **{"aria-hidden": "true"})],
                    id={"type": SORT, "col": name},
                    className="rm-sort",
                    title=t("sort_by", lang).format(column["name"]),
                ),
                scope="col",
                className=column_class(layer, name),
                **{"aria-sort": state, "data-col": name},
            )
        )
    names = [c["id"] for c in view.columns]
    body = [_row(row, names, str(row["id"]) == selected) for row in view.rows]
    if not body:
        body = [html.Tr(html.Td(t("no_rows", lang), colSpan=max(1, len(names)), className="rm-no-rows"))]
    return html.Table(
        [
            html.Caption(t("records", lang), className="rm-visually-hidden"),
            html.Thead(html.Tr(head)),
            html.Tbody(body),
        ],
        className="rm-table",
    )


def _row(row: dict[str, Any], names: list[str], selected: bool) -> html.Tr:
    # Focusable, so Enter chooses it from the keyboard (redmap.js listens on the table).
    return html.Tr(
        [html.Td(str(row[n])) for n in names],
        tabIndex=0,
        className="rm-row rm-row-selected" if selected else "rm-row",
        **{"data-row-id": str(row["id"]), "aria-selected": "true" if selected else "false"},
    )


def pager(page: int, pages: int, lang: str) -> html.Nav:
    """First / previous / next / last page buttons around "page x of y"."""
    labels = {"first": "«", "prev": "‹", "next": "›", "last": "»"}
    at_start, at_end = page <= 0, page >= pages - 1
    buttons = {
        step: html.Button(
            labels[step],
            id={"type": PAGE, "to": step},
            className="rm-page-step",
            disabled=at_start if step in ("first", "prev") else at_end,
            title=t(f"page_{step}", lang),
            **{"aria-label": t(f"page_{step}", lang)},
        )
        for step in PAGE_STEPS
    }
    return html.Nav(
        [
            buttons["first"],
            buttons["prev"],
            html.Span(t("page_of", lang).format(page + 1, pages), className="rm-page-at"),
            buttons["next"],
            buttons["last"],
        ],
        className="rm-pager",
        **{"aria-label": t("pages", lang)},
    )


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
