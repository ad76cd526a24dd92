"""The staff table's rows: search, sort and pages over the filtered records, masked per viewer."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from dashboard.auth.roles import Principal
from dashboard.pages.staff_table import PAGE, SORT, next_query, pager_data, table_data
from dashboard.records import (
    PAGE_SIZE,
    TableQuery,
    display_key,
    masked_rows,
    page_count,
    page_of_row,
    table_rows,
)
from dashboard.records import arrange as arrange_rows
from dashboard.workspace import TABLES

ADMIN = Principal("admin", "admin")


def arrange(dataset, layer_name, frame, *args, **kwargs) -> pd.DataFrame:
    """The arranged rows of ``frame`` (a slice of the dataset's layer) as a frame."""
    rows = dataset[layer_name].index.get_indexer(frame.index)
    return dataset[layer_name].iloc[arrange_rows(dataset, layer_name, rows, *args, **kwargs)]


def with_layer(dataset, layer_name: str, frame: pd.DataFrame):
    """The dataset with one layer replaced (its derived orders and codes made afresh)."""
    return dataclasses.replace(dataset, frames=MappingProxyType({**dataset.frames, layer_name: frame}))


def staff_of(street: str) -> Principal:
    return Principal("staff", "street_staff", street)


def test_default_order_is_newest_first_with_ties_in_id_order(demo_dataset):
    spec = TABLES["grid_events"]
    frame = demo_dataset[spec.layer]
    rows = arrange(demo_dataset, spec.layer, frame, spec.columns, ADMIN, TableQuery(), spec.date_field)
    assert len(rows) == len(frame)
    found = rows[spec.date_field].tolist()
    assert found == sorted(found, reverse=True)
    # Same moment: ids ascending, so a page never shuffles between two requests.
    same = rows[rows[spec.date_field] == rows[spec.date_field].iloc[0]]["id"].astype(str).tolist()
    assert same == sorted(same)


@pytest.mark.parametrize("table", ["grid_events", "mediation_cases", "three_no_compounds"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_column_sorts_like_a_plain_sort_of_what_it_reads_as(demo_dataset, table, lang):
    # The layer's order is made once and reused for every filter: check it against a
    # plain pandas sort (shown text, missing last, ties by id) on a filtered subset.
    spec = TABLES[table]
    frame = demo_dataset[spec.layer]
    subset = np.arange(0, len(frame), 3)
    for column in spec.columns:
        for descending in (False, True):
            query = TableQuery(sort=column, descending=descending)
            got = arrange_rows(demo_dataset, spec.layer, subset, spec.columns, ADMIN, query, None, lang)
            part = frame.iloc[subset]
            key = display_key(demo_dataset, spec.layer, column, part[column], lang)
            expected = pd.DataFrame(
                {"key": key.to_numpy(), "id": part["id"].astype(str).to_numpy(), "at": subset}
            ).sort_values(["key", "id"], ascending=[not descending, True], na_position="last")["at"]
            assert got.tolist() == expected.tolist(), (column, descending)


def test_sorting_a_referenced_place_goes_by_its_name_not_its_code(demo_dataset):
    spec = TABLES["grid_events"]
    frame = demo_dataset[spec.layer]
    query = TableQuery(sort="street_id", descending=False)
    rows = arrange(demo_dataset, spec.layer, frame, spec.columns, ADMIN, query, spec.date_field)
    names = demo_dataset.names_by_id("streets")
    shown = [names[s] for s in rows["street_id"].astype(str)]
    assert shown == sorted(shown)
    flipped = arrange(
        demo_dataset, spec.layer, frame, spec.columns, ADMIN, TableQuery("street_id", True), spec.date_field
    )
    assert [names[s] for s in flipped["street_id"].astype(str)] == sorted(shown, reverse=True)


def test_search_finds_rows_by_what_the_table_shows(demo_dataset):
    spec = TABLES["grid_events"]
    frame = demo_dataset[spec.layer]
    street = demo_dataset["streets"].sort_values("id").iloc[3]
    query = TableQuery(search=street["name"][:3])
    rows = arrange(demo_dataset, spec.layer, frame, spec.columns, ADMIN, query, spec.date_field)
    # Every row of that street, by its name (the data holds only its code).
    assert (rows["street_id"] == street["id"]).sum() == (frame["street_id"] == street["id"]).sum()
    assert 0 < len(rows) < len(frame)
    # Change the data: one more event described with the word, one more row found.
    word = "测试搜索词"
    assert arrange(demo_dataset, spec.layer, frame, spec.columns, ADMIN, TableQuery(search=word), None).empty
    changed = frame.copy()
    changed.loc[changed.index[7], "description"] = f"楼道{word}堆物"
    changed_dataset = with_layer(demo_dataset, spec.layer, changed)
    found = arrange(changed_dataset, spec.layer, changed, spec.columns, ADMIN, TableQuery(search=word), None)
    assert found["id"].tolist() == [changed["id"].iloc[7]]


def test_search_never_singles_out_a_masked_row_by_its_personal_data(demo_dataset):
    spec = TABLES["mediation_cases"]
    frame = demo_dataset[spec.layer]
    phone_field = next(c for c in spec.columns if c.endswith("phone"))
    row = frame[frame[phone_field].notna()].iloc[0]
    own, other = staff_of(str(row["street_id"])), staff_of("another-street")
    query = TableQuery(search=str(row[phone_field]))

    def found_by(viewer: Principal) -> bool:
        rows = arrange(demo_dataset, spec.layer, frame, spec.columns, viewer, query, None)
        return row["id"] in set(rows["id"])

    assert found_by(own) and found_by(ADMIN)
    assert not found_by(other)


@pytest.mark.parametrize("field", ["disputant_phone", "disputants"])
@pytest.mark.parametrize("descending", [False, True])
def test_sorting_by_a_personal_field_orders_only_the_rows_the_viewer_may_read(
    demo_dataset, field, descending
):
    spec = TABLES["mediation_cases"]
    frame = demo_dataset[spec.layer]
    own_street = str(frame["street_id"].iloc[0])
    viewer = staff_of(own_street)
    query = TableQuery(sort=field, descending=descending)
    rows = arrange(demo_dataset, spec.layer, frame, spec.columns, viewer, query, None)
    assert len(rows) == len(frame)
    own = (rows["street_id"] == own_street).to_numpy()
    # Their own street's rows come first, in the order of the real values ...
    assert own[: own.sum()].all() and not own[own.sum() :].any()
    readable = rows[own]
    expected = readable.sort_values(
        [field, "id"], ascending=[not descending, True], na_position="last"
    )["id"].tolist()
    assert readable["id"].tolist() == expected
    # ... and the masked rows follow in id order: their order says nothing of the hidden values.
    masked = rows[~own]
    assert masked["id"].tolist() == sorted(masked["id"].tolist())
    true_order = arrange(demo_dataset, spec.layer, frame, spec.columns, ADMIN, query, None)
    hidden_true = true_order[true_order["street_id"] != own_street]["id"].tolist()
    assert masked["id"].tolist() != hidden_true
    # Every street's other staff see no order at all among the rows hidden from them.
    stranger = arrange(demo_dataset, spec.layer, frame, spec.columns, staff_of("elsewhere"), query, None)
    assert stranger["id"].tolist() == sorted(frame["id"].tolist())


def test_pages_cover_every_row_once_and_find_a_chosen_row(demo_dataset):
    spec = TABLES["mediation_cases"]
    frame = demo_dataset[spec.layer]
    rows = arrange(demo_dataset, spec.layer, frame, spec.columns, ADMIN, TableQuery(), spec.date_field)
    pages = page_count(len(rows))
    assert pages == -(-len(frame) // PAGE_SIZE) and page_count(0) == 1
    seen = [i for p in range(pages) for i in rows["id"].iloc[p * PAGE_SIZE : (p + 1) * PAGE_SIZE]]
    assert sorted(seen) == sorted(frame["id"])
    positions = frame.index.get_indexer(rows.index)
    target = rows["id"].iloc[PAGE_SIZE * 2 + 3]
    assert page_of_row(demo_dataset, spec.layer, positions, str(target)) == 2
    assert page_of_row(demo_dataset, spec.layer, positions, "no-such-id") is None
    assert page_of_row(demo_dataset, spec.layer, positions[: PAGE_SIZE * 2], str(target)) is None


def test_masked_rows_count_the_other_streets_rows(demo_dataset):
    spec = TABLES["mediation_cases"]
    frame = demo_dataset[spec.layer]
    street = str(frame["street_id"].iloc[0])
    everything = np.arange(len(frame))
    assert masked_rows(demo_dataset, spec.layer, everything, ADMIN) == 0
    others = int((frame["street_id"] != street).sum())
    assert masked_rows(demo_dataset, spec.layer, everything, staff_of(street)) == others
    own_rows = np.flatnonzero((frame["street_id"] == street).to_numpy())
    assert masked_rows(demo_dataset, spec.layer, own_rows, staff_of(street)) == 0
    view = table_rows(demo_dataset, spec.layer, frame.head(PAGE_SIZE), spec.columns, staff_of(street))
    assert view.masked_rows == int((frame.head(PAGE_SIZE)["street_id"] != street).sum())


@pytest.mark.parametrize(
    ("query", "trigger", "search", "expected"),
    [
        (TableQuery(), {"type": SORT, "col": "name"}, "", TableQuery("name", False, "", 0)),
        (TableQuery("name", False, page=3), {"type": SORT, "col": "name"}, "", TableQuery("name", True)),
        (TableQuery("name", True, "", 3), {"type": PAGE, "to": "next"}, "", TableQuery("name", True, "", 4)),
        (TableQuery(page=0), {"type": PAGE, "to": "prev"}, "", TableQuery(page=0)),
        (TableQuery(page=5), {"type": PAGE, "to": "first"}, "", TableQuery(page=0)),
        (TableQuery(page=5), "staff-search", " 渭阳 ", TableQuery(search="渭阳", page=0)),
        (TableQuery(search="渭阳", page=5), "staff-search", "渭阳", TableQuery(search="渭阳", page=5)),
    ],
)
def test_table_actions(query, trigger, search, expected):
    assert next_query(query, trigger, search) == expected


def test_a_query_from_the_browser_is_checked():
    columns = ("id", "name")
    assert TableQuery.from_browser({"sort": "phone", "page": -1, "search": 5}, columns) == TableQuery()
    assert TableQuery.from_browser({"sort": "name", "desc": False, "page": 2}, columns) == TableQuery(
        "name", False, "", 2
    )
    assert TableQuery.from_browser("garbage", columns) == TableQuery()
    assert TableQuery.from_browser({"page": True}, columns).page == 0


# ---- what the browser is sent to draw (redmap.drawRecords) -------------------------------


def test_the_page_sent_to_the_browser_holds_other_streets_personal_data_masked(demo_dataset):
    spec = TABLES["mediation_cases"]
    frame = demo_dataset[spec.layer]
    own = str(frame["street_id"].iloc[0])
    page = frame.head(PAGE_SIZE)
    view = table_rows(demo_dataset, spec.layer, page, spec.columns, staff_of(own))
    data = table_data(view, spec.layer, TableQuery(), spec.date_field, None, "zh")
    phone = [c["id"] for c in data["columns"]].index("disputant_phone")
    raw = dict(zip(page["id"].astype(str), page["disputant_phone"], strict=True))
    streets = page["street_id"].astype(str)
    others = [
        (cells[phone], raw[row_id])
        for row_id, cells, street in zip(data["ids"], data["rows"], streets, strict=True)
        if street != own and isinstance(raw[row_id], str) and raw[row_id]
    ]
    assert others, "the demo's first page has phones from other streets"
    assert all("****" in shown and shown != phone_number for shown, phone_number in others)
    # Every page of rows is sent with every column, in the table's order.
    assert [c["id"] for c in data["columns"]] == list(spec.columns)
    assert all(len(cells) == len(spec.columns) for cells in data["rows"])


def test_the_sorted_column_and_the_chosen_row_are_marked(demo_dataset):
    spec = TABLES["grid_events"]
    view = table_rows(demo_dataset, spec.layer, demo_dataset[spec.layer].head(5), spec.columns, ADMIN)
    chosen = view.rows[2]["id"]
    default = table_data(view, spec.layer, TableQuery(), spec.date_field, chosen, "zh")
    marks = {c["id"]: c["sort"] for c in default["columns"]}
    assert marks[spec.date_field] == "descending"  # newest first until a header is clicked
    assert {v for k, v in marks.items() if k != spec.date_field} == {"none"}
    assert default["selected"] == chosen and chosen in default["ids"]
    by_street = table_data(view, spec.layer, TableQuery("street_id", False), spec.date_field, None, "en")
    marks = {c["id"]: c["sort"] for c in by_street["columns"]}
    assert marks["street_id"] == "ascending" and marks[spec.date_field] == "none"
    assert by_street["columns"][0]["title"].startswith("Sort by")


def test_the_pager_offers_only_the_steps_that_lead_somewhere():
    assert pager_data(0, 1, "zh") is None  # one page: no pager at all
    first = {s["to"]: s["disabled"] for s in pager_data(0, 5, "zh")["steps"]}
    assert first == {"first": True, "prev": True, "next": False, "last": False}
    last = pager_data(4, 5, "zh")
    assert {s["to"]: s["disabled"] for s in last["steps"]} == {
        "first": False, "prev": False, "next": True, "last": True,
    }  # fmt: skip
    assert last["at"] == "第 5 / 5 页"
