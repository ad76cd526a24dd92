"""Exports of the staff workspace: each file read back holds the table's rows, the schema's
labels, no personal field a viewer may not see, no pinpointed home and no live formula;
``/staff/export/<fmt>`` answers only staff, and refuses what it cannot honour exactly."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from urllib.parse import unquote

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from dashboard import create_app, exports, vendor
from dashboard.auth import demo_account_name
from dashboard.auth.roles import Principal
from dashboard.export_routes import BadExport, content_disposition, export_filters
from dashboard.workspace import TABLES, Filters, PlaceTree, filtered
from geodata.privacy import MIN_GROUP
from geodata.schema import layer as schema_layer
from tests.conftest import client_login, make_settings
from tests.factories import minimal_frames, write_minimal

ADMIN = Principal("admin", "admin")
VIEWER = Principal("viewer", "viewer")

# -- reading a file back ------------------------------------------------------------------------


def read_back(fmt: str, body: bytes, tmp_path) -> pd.DataFrame:
    """The rows of an export, read the way a colleague's GIS or spreadsheet would."""
    if fmt == "geojson":
        return gpd.read_file(io.BytesIO(body))
    if fmt == "gpkg":
        path = tmp_path / "export.gpkg"  # a real file name: GDAL checks the extension
        path.write_bytes(body)
        return gpd.read_file(path)
    if fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf"), "CSV without a BOM: Excel would garble the Chinese"
        return pd.read_csv(io.BytesIO(body), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    if fmt == "xlsx":
        return pd.read_excel(io.BytesIO(body), sheet_name=0, dtype=str)
    raise ValueError(fmt)


def data_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c != "geometry"]


def labels(layer: str, lang: str = "zh", personal: bool = True) -> list[str]:
    return [f.label(lang) for f in schema_layer(layer).fields if personal or not f.personal]


def staff_of(street_id: str) -> Principal:
    return Principal(f"staff-{street_id}", "street_staff", street_id)


@pytest.fixture(scope="module")
def places(demo_dataset) -> PlaceTree:
    return PlaceTree.of(demo_dataset)


@pytest.fixture(scope="module")
def busy_street(demo_dataset) -> str:
    """The street with the most incidents (so both filters below keep rows)."""
    return str(demo_dataset["grid_events"]["street_id"].value_counts().index[0])


# -- rows and columns ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "xlsx"])
def test_each_file_holds_the_tables_filtered_rows_under_the_schemas_labels(
    demo_dataset, places, busy_street, fmt, tmp_path
):
    spec = TABLES["grid_events"]
    other = staff_of(next(s for s in sorted(places.streets) if s != busy_street))
    by_street = Filters.from_browser(places, spec, busy_street)
    by_status = Filters.from_browser(places, spec, busy_street, fields={"status": ["found", "assigned"]})
    counts = []
    for f in (by_street, by_status):
        rows = filtered(demo_dataset, spec, f)
        got = read_back(fmt, exports.export(fmt, demo_dataset, spec, rows, other, filters=f), tmp_path)
        assert len(got) == len(rows) > 0
        assert set(got["编号"]) == set(rows["id"])
        # Every field of the schema but the personal ones (this viewer works in another street).
        assert data_columns(got)[: len(labels(spec.layer, personal=False))] == labels(
            spec.layer, personal=False
        )
        assert "报告人电话" not in got.columns
        # Values read as on screen: the street's name, the status's label.
        street_name = demo_dataset.names_by_id("streets")[busy_street]
        assert set(got["所属街道"]) == {street_name}
        counts.append(len(got))
    assert counts[1] < counts[0], "the field filter changed nothing"


def test_points_carry_their_position_in_every_format(demo_dataset, places, tmp_path):
    spec = TABLES["service_centers"]
    rows = filtered(demo_dataset, spec, Filters())
    gpkg = read_back("gpkg", exports.to_gpkg(demo_dataset, spec, rows, ADMIN), tmp_path)
    assert gpkg.crs.to_epsg() == 4326 and (gpkg.geom_type == "Point").all()
    info = pyogrio.read_info(tmp_path / "export.gpkg")
    assert info["layer_name"] == "service_centers" and info["features"] == len(rows)
    by_id = rows.set_index("id").geometry
    assert all(g.distance(by_id[i]) < 1e-5 for i, g in zip(gpkg["编号"], gpkg.geometry, strict=True))
    csv = read_back("csv", exports.to_csv(demo_dataset, spec, rows, ADMIN), tmp_path)
    assert {"经度", "纬度"} <= set(csv.columns)
    first = rows.set_index("id").loc[csv["编号"].iloc[0]].geometry
    assert (
        abs(float(csv["经度"].iloc[0]) - first.x) < 1e-6 and abs(float(csv["纬度"].iloc[0]) - first.y) < 1e-6
    )


def test_english_exports_use_the_schemas_english_labels(demo_dataset, tmp_path):
    spec = TABLES["mediation_cases"]
    rows = filtered(demo_dataset, spec, Filters(fields={"round": ("3",)}))
    got = read_back("xlsx", exports.to_xlsx(demo_dataset, spec, rows, ADMIN, "en"), tmp_path)
    assert data_columns(got) == labels(spec.layer, "en")
    assert len(got) == len(rows) > 0 and set(got["Round"]) == {"3"}


def test_the_excel_file_says_what_it_holds(demo_dataset, places, busy_street):
    spec = TABLES["grid_events"]
    f = Filters.from_browser(places, spec, busy_street, fields={"status": ["found"]})
    rows = filtered(demo_dataset, spec, f)
    book = load_workbook(io.BytesIO(exports.to_xlsx(demo_dataset, spec, rows, staff_of("x"), filters=f)))
    about = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True)}
    assert about["条数"] == f"{len(rows):,}"
    assert (
        demo_dataset.names_by_id("streets")[busy_street] in about["筛选条件"] and "发现" in about["筛选条件"]
    )
    assert "报告人电话" in about["个人信息"] and "示意，非法定界线" in about["边界说明"]
    sheet = book[book.sheetnames[0]]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref


# -- personal data -----------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["grid_events", "mediation_cases", "home_services"])
def test_personal_fields_only_for_those_who_may_see_every_row(demo_dataset, places, layer, tmp_path):
    spec = TABLES[layer]
    personal = [f.label("zh") for f in schema_layer(layer).personal_fields]
    frame = demo_dataset[layer]
    own, other = (str(s) for s in frame["street_id"].dropna().value_counts().index[:2])
    own_rows = filtered(demo_dataset, spec, Filters.from_browser(places, spec, own))
    other_rows = filtered(demo_dataset, spec, Filters.from_browser(places, spec, other))
    everything = filtered(demo_dataset, spec, Filters())

    def columns(rows, viewer) -> set[str]:
        return set(read_back("csv", exports.to_csv(demo_dataset, spec, rows, viewer), tmp_path).columns)

    staff = staff_of(own)
    assert set(personal) <= columns(own_rows, staff)  # their own street: the caseworker's data
    assert not set(personal) & columns(other_rows, staff)  # another street: left out
    assert not set(personal) & columns(everything, staff)  # all streets: some rows are not theirs
    assert set(personal) <= columns(everything, ADMIN)
    assert not set(personal) & columns(own_rows, VIEWER)
    # Where kept, the values are the real ones, not masked.
    name = personal[0]
    got = read_back("csv", exports.to_csv(demo_dataset, spec, own_rows, staff), tmp_path)
    field = schema_layer(layer).personal_fields[0].name
    expected = {str(v) for v in own_rows[field].dropna()}
    assert {v for v in got[name] if v} == expected and not any("*" in v for v in got[name])


def test_no_export_pinpoints_a_home(demo_dataset, tmp_path):
    spec = TABLES["home_services"]
    rows = filtered(demo_dataset, spec, Filters())
    geojson = json.loads(exports.to_geojson(demo_dataset, spec, rows, ADMIN))
    assert len(geojson["features"]) == len(rows) and all(f["geometry"] is None for f in geojson["features"])
    path = tmp_path / "homes.gpkg"
    path.write_bytes(exports.to_gpkg(demo_dataset, spec, rows, ADMIN))
    assert pyogrio.read_info(path)["geometry_type"] is None
    csv = read_back("csv", exports.to_csv(demo_dataset, spec, rows, ADMIN), tmp_path)
    assert not {"经度", "纬度"} & set(csv.columns)
    page = exports.to_map_html(demo_dataset, spec, rows, ADMIN).decode()
    for point in rows.geometry:
        for decimals in (4, 5, 6):
            assert f"{round(point.x, decimals)}, {round(point.y, decimals)}" not in page
    # Communities with fewer than MIN_GROUP recipients show no count.
    shown = [int(v.replace(",", "")) for v in re.findall(r'"v": \["([0-9,]+)"\]', page)]
    assert shown and min(shown) >= MIN_GROUP
    counts = rows["community_id"].value_counts()
    if (counts < MIN_GROUP).any():
        assert f"少于{MIN_GROUP}" in page


# -- the map page (rendering is checked in tests/browser/test_export_map.py) -------------------------


@pytest.mark.parametrize("table", list(TABLES))
def test_the_map_page_is_one_offline_file(demo_dataset, places, table):
    spec = TABLES[table]
    street = sorted(places.streets)[3]
    f = Filters.from_browser(places, spec, street)
    rows = filtered(demo_dataset, spec, f)
    page = exports.to_map_html(demo_dataset, spec, rows, staff_of(street), filters=f).decode()
    assert not re.search(r"https?://", page, re.IGNORECASE)
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "L.markerClusterGroup" in page or spec.map_layer is None
    assert schema_layer(table).label("zh") in page and "示意，非法定界线" in page
    for field in schema_layer(table).personal_fields:  # not even their labels
        assert field.label("zh") not in page


def test_map_text_is_data_never_markup(demo_dataset):
    spec = TABLES["service_centers"]
    rows = demo_dataset["service_centers"].head(3).copy()
    rows.iloc[0, rows.columns.get_loc("name")] = "</script><img src=x onerror=alert(1)>"
    rows.iloc[1, rows.columns.get_loc("address")] = "见 http://example.invalid/a"
    page = exports.to_map_html(demo_dataset, spec, rows, ADMIN).decode()
    assert "<img src=x" not in page and "</script><img" not in page
    assert not re.search(r"https?://", page)
    # Popups are built as DOM text; Folium's GeoJsonPopup (innerHTML of raw values) is not used.
    assert "head.textContent = p.t" in page and "foliumpopup" not in page


def test_vendored_libraries_are_pinned_and_free_of_addresses():
    readme = (vendor.VENDOR_DIR / "README.md").read_text(encoding="utf-8")
    assert "leaflet@1.9.4" in readme and "leaflet.markercluster@1.5.3" in readme and "jquery@3.7.1" in readme
    assert "Leaflet 1.9.4" in (vendor.VENDOR_DIR / "leaflet/leaflet.js").read_text(encoding="utf-8")[:200]
    for asset in vendor.ASSETS.values():
        assert (vendor.VENDOR_DIR / asset.path).exists(), asset.path
        assert not re.search(r"https?://|sourceMappingURL", vendor.asset_text(asset.name))
    with pytest.raises(vendor.NotSelfContained):
        vendor.inline('<html><head><script src="https://cdn.example/x.js"></script></head></html>')


# -- spreadsheets never run a formula ------------------------------------------------------------


def test_cells_starting_like_a_formula_are_escaped_in_csv_and_excel():
    assert exports.escape_formula('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    for text in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert exports.escape_formula(text) == "'" + text
    for value in ("普通文字", "a=b", -3, 2.5, None):
        assert exports.escape_formula(value) == value


# -- the route -------------------------------------------------------------------------------------

FORMULA = '=HYPERLINK("x")'


def seeded_frames() -> dict:
    """The small dataset with formula-like text in a name, an address and descriptions."""
    frames = minimal_frames()
    centres = frames["service_centers"].copy()
    centres.loc[centres["id"] == "SC001", "name"] = FORMULA
    centres.loc[centres["id"] == "SC002", "address"] = "+86 北关路2号"
    frames["service_centers"] = centres
    events = frames["grid_events"].copy()
    events.loc[events["id"] == "GE001", "description"] = "@SUM(A1)"
    events.loc[events["id"] == "GE002", "description"] = "-2+3"
    frames["grid_events"] = events
    return frames


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = write_minimal(tmp_path_factory.mktemp("exports") / "seeded.gpkg", seeded_frames())
    return create_app(make_settings(path))


@pytest.fixture(scope="module")
def accounts() -> dict[str, str]:
    streets = minimal_frames()["streets"].sort_values("id")
    names = [demo_account_name(n) for n in streets["name"]]
    return {"street_a": names[0], "street_b": names[1], "admin": "admin", "viewer": "viewer"}


def client_as(app, account: str | None):
    client = app.test_client()
    if account:
        assert client_login(client, account).status_code == 302
    return client


def test_only_staff_may_export(app, accounts):
    path = "/staff/export/csv?table=service_centers"
    anonymous = client_as(app, None).get(path)
    # A page-like GET: the guard sends a browser to sign in, and back here afterwards.
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    assert "/staff/export/csv" in unquote(anonymous.headers["Location"])
    assert FORMULA not in anonymous.get_data(as_text=True)
    viewer = client_as(app, accounts["viewer"]).get(path)
    assert viewer.status_code == 403 and FORMULA not in viewer.get_data(as_text=True)
    for who in ("street_a", "street_b", "admin"):
        response = client_as(app, accounts[who]).get(path)
        assert response.status_code == 200, who
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")


def test_route_exports_the_rows_the_table_lists_with_formulas_escaped(app, accounts):
    dataset = app.extensions["redmap"]["context"].dataset
    admin = client_as(app, accounts["admin"])
    response = admin.get("/staff/export/csv?table=service_centers")
    rows = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(rows) == len(dataset["service_centers"]) == int(response.headers["X-Export-Rows"])
    assert "'" + FORMULA in set(rows["名称"]) and "'+86 北关路2号" in set(rows["地址"])
    xlsx = admin.get("/staff/export/xlsx?table=grid_events")
    sheet = load_workbook(io.BytesIO(xlsx.data))["智慧网格事件"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell would run as a formula"
    descriptions = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'@SUM(A1)", "'-2+3"} <= descriptions
    xlsx = admin.get("/staff/export/xlsx?table=service_centers")
    names = {c.value for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows() for c in row}
    assert "'" + FORMULA in names and FORMULA not in names
    # GIS formats keep the text as it is: no spreadsheet reads them.
    geojson = admin.get("/staff/export/geojson?table=service_centers").get_json(force=True)
    assert FORMULA in {f["properties"]["名称"] for f in geojson["features"]}


def test_route_filters_like_the_page(app, accounts):
    dataset = app.extensions["redmap"]["context"].dataset
    streets = sorted(dataset["streets"]["id"])
    events = dataset["grid_events"]
    staff_a = client_as(app, accounts["street_a"])
    # No street in the link: a street staff member's own street, as the page opens.
    own = staff_a.get("/staff/export/geojson").get_json(force=True)["features"]
    assert len(own) == int((events["street_id"] == streets[0]).sum())
    # Another street by link: its rows, without their personal data.
    text = staff_a.get(f"/staff/export/csv?street={streets[1]}").get_data(as_text=True)
    assert (
        "报告人电话" not in text
        and len(text.strip().splitlines()) - 1 == (events["street_id"] == streets[1]).sum()
    )
    # A field filter.
    admin = client_as(app, accounts["admin"])
    found = admin.get("/staff/export/csv?f.status=found")
    assert int(found.headers["X-Export-Rows"]) == int((events["status"] == "found").sum())
    # "Features in view only" takes the map's bounds.
    centre = events.geometry.iloc[0]
    bbox = f"{centre.x - 0.0001},{centre.y - 0.0001},{centre.x + 0.0001},{centre.y + 0.0001}"
    in_view = admin.get(f"/staff/export/csv?inview=1&bbox={bbox}")
    assert in_view.status_code == 200 and in_view.headers["X-Export-Rows"] == "1"


@pytest.mark.parametrize(
    "query, message",
    [
        ("table=nope", "unknown table"),
        ("street=610402999", "unknown street"),
        ("street=610402001&community=C03", "is not in street"),
        ("f.nope=1", "has no filter f.nope"),
        ("f.status=<script>", "unknown value"),
        ("from=yesterday", "is not a date"),
        ("to=2026-02-30", "is not a date"),
        ("inview=1", "needs bbox"),
        ("inview=1&bbox=1,2,nan,4", "needs bbox"),
        ("x=" + "a" * 5000, "longer than"),
    ],
)
def test_a_query_the_export_cannot_honour_gets_400_saying_why(app, accounts, query, message):
    response = client_as(app, accounts["admin"]).get(f"/staff/export/xlsx?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert message in body["error"] and "Traceback" not in response.get_data(as_text=True)


def test_an_unknown_format_is_404(app, accounts):
    response = client_as(app, accounts["admin"]).get("/staff/export/pdf")
    assert response.status_code == 404 and "geojson, gpkg, csv, xlsx, html" in response.get_json()["error"]


def test_every_format_downloads_with_a_chinese_file_name(app, accounts):
    admin = client_as(app, accounts["admin"])
    for fmt, made in exports.FORMATS.items():
        response = admin.get(f"/staff/export/{fmt}?table=three_no_compounds&street=610402001")
        assert response.status_code == 200, fmt
        disposition = response.headers["Content-Disposition"]
        fallback = re.search(r'filename="([^"]+)"', disposition).group(1)
        assert fallback.isascii() and fallback.startswith("redmap_three-no-compounds_610402001_")
        real = unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))
        assert real.startswith("三无小区_人民路街道_") and real.endswith("." + made.extension)
        assert response.headers["Content-Type"].split(";")[0] == made.mimetype.split(";")[0]
    english = admin.get("/staff/export/csv?table=three_no_compounds&lang=en").headers["Content-Disposition"]
    real = unquote(re.search(r"filename\*=UTF-8''(\S+)", english).group(1))
    assert real.startswith(schema_layer("three_no_compounds").label("en") + "_whole district_")


def test_exports_are_audited(app, accounts):
    client_as(app, accounts["street_a"]).get("/staff/export/csv?table=home_services")
    events = app.extensions["redmap"]["auth"].store.audit_events(20)
    mine = [e for e in events if e[1] == "export" and e[2] == accounts["street_a"]]
    assert mine and "home_services" in mine[0][4] and "personal=yes" in mine[0][4]


# -- the pure parts of the route -------------------------------------------------------------------


def test_filters_from_a_permalink_are_the_tables(demo_dataset, places, busy_street):
    spec, f = export_filters(f"?table=grid_events&street={busy_street}&f.status=found,fixed", places, None)
    assert spec is TABLES["grid_events"]
    assert f == Filters.from_browser(places, spec, busy_street, fields={"status": ["found", "fixed"]})
    with pytest.raises(BadExport):
        export_filters("table=grid_events&f.stage=审", places, None)  # another table's field
    # The page's other parameters (layers, metric, view, selection) do not matter.
    spec, f = export_filters("layers=streets&metric=share_closed&view=34.3,108.7,13&sel=X", places, None)
    assert f == Filters()


def test_content_disposition_carries_the_chinese_name_in_rfc_5987_form():
    header = content_disposition("智慧网格事件_渭阳西路街道_20261128.csv", "redmap_grid-events_20261128.csv")
    assert header.startswith("attachment; filename=\"redmap_grid-events_20261128.csv\"; filename*=UTF-8''")
    assert unquote(header.split("''", 1)[1]) == "智慧网格事件_渭阳西路街道_20261128.csv"


def test_export_table_of_a_copy_with_changed_data(demo_dataset):
    """Exports read the frame they are given (a copy of the data with one row changed)."""
    spec = TABLES["three_no_compounds"]
    frame = demo_dataset[spec.layer].copy()
    frame.iloc[0, frame.columns.get_loc("name")] = "改过的名字"
    changed = dataclasses.replace(demo_dataset, frames={**demo_dataset.frames, spec.layer: frame})
    table = exports.export_table(changed, spec, filtered(changed, spec, Filters()), ADMIN)
    assert "改过的名字" in set(table.frame["名称"])


@pytest.mark.parametrize("fmt,kind", [("csv", "text/csv"), ("geojson", "application/geo+json")])
def test_text_exports_travel_gzipped_to_a_browser_that_takes_gzip(demo_path, fmt, kind):
    import gzip

    client = client_as(create_app(make_settings(demo_path)), "admin")
    path = f"/staff/export/{fmt}?table=grid_events&street=all"
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["Content-Type"].startswith(kind)
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3  # thousands of incidents: mostly repeated text
