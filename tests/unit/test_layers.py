"""Layer specs and their GeoJSON: the right fields for each face, always escaped."""

import dataclasses

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geodata.schema import SCHEMA
from layers import REGISTRY, LayerSpec, build_geojson, for_face
from layers.base import display_value


def centres(**overrides) -> gpd.GeoDataFrame:
    row = {
        "id": "SC001",
        "name": "心心秦家·人民广场",
        "address": "人民路1号",
        "street_id": "610402001",
        "community_id": "610402001001",
        "site_type": "square",
        "services": "phone_charging;parcel_locker;legal_advice",
        "opening_hours": "Mo-Su 08:00-20:00",
        "phone": "029-33210001",
        "opened": None,
        "is_demo": True,
    }
    row.update(overrides)
    return gpd.GeoDataFrame([row], geometry=[Point(108.698, 34.334)], crs="EPSG:4326")


def test_every_registered_layer_matches_a_schema_layer_and_its_faces():
    for spec in REGISTRY.values():
        assert spec.id in SCHEMA
        if "public" in spec.faces:
            assert SCHEMA[spec.id].public
    public_ids = {s.id for s in for_face("public")}
    assert "grids" not in public_ids and "service_centers" in public_ids


def test_no_layer_with_personal_data_is_drawn_anywhere():
    drawn = {s.id for s in REGISTRY.values()}
    assert "home_services" not in drawn


def test_a_spec_that_would_show_a_personal_field_is_refused():
    with pytest.raises(ValueError, match="personal field 'reporter_phone'"):
        dataclasses.replace(REGISTRY["grid_events"], popup_fields=("category", "reporter_phone"))
    with pytest.raises(ValueError, match="not public"):
        LayerSpec(id="grids", kind="area", color="#000", faces=frozenset({"public"}))


def test_public_geojson_carries_only_public_fields():
    doc = build_geojson(REGISTRY["service_centers"], centres(), "public")
    props = doc["features"][0]["properties"]
    public = {f.name for f in SCHEMA["service_centers"].public_fields}
    assert set(props) - {"_label", "_popup"} <= public
    assert props["services"] == ["phone_charging", "parcel_locker", "legal_advice"]
    assert "法律咨询" in props["_popup"] and "人民路1号" in props["_popup"]


def test_a_face_that_may_not_draw_a_layer_gets_nothing():
    with pytest.raises(PermissionError):
        build_geojson(REGISTRY["grids"], centres(), "public")


def test_feature_text_is_escaped_in_popups_and_tooltips():
    payload = "<img src=x onerror=alert(1)>"
    doc = build_geojson(REGISTRY["service_centers"], centres(name=payload, address=payload), "staff")
    props = doc["features"][0]["properties"]
    assert "<img" not in props["_label"] and "<img" not in props["_popup"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in props["_popup"]


def test_values_read_as_people_read_them():
    services = SCHEMA["service_centers"].field("services")
    assert display_value(services, "phone_charging;legal_advice", "zh") == "手机充电、法律咨询"
    assert display_value(services, "phone_charging", "en") == "Phone charging"
    assert display_value(SCHEMA["communities"].field("tele_medicine"), True, "zh") == "是"
    assert display_value(SCHEMA["streets"].field("households"), 12345) == "12,345"
    assert display_value(SCHEMA["streets"].field("households"), None) == "—"


def test_street_labels_read_in_the_page_language(demo_dataset):
    from layers.base import build_geojson

    streets = demo_dataset["streets"]
    for face in ("public", "staff", "wall"):
        zh = build_geojson(REGISTRY["streets"], streets, face, "zh")
        en = build_geojson(REGISTRY["streets"], streets, face, "en")
        assert {f["properties"]["_label"] for f in zh["features"]} == set(streets["name"])
        assert {f["properties"]["_label"] for f in en["features"]} == set(streets["name_en"])


def test_street_names_stay_on_the_map_only_for_a_districts_dozen_streets(demo_dataset):
    from types import SimpleNamespace

    from dashboard.maps import MAX_PERMANENT_LABELS, geojson_layer

    def context(streets: int):
        return SimpleNamespace(
            dataset=demo_dataset,
            layer_count=lambda face, layer: streets,
            sent_by_area=lambda face, layer: False,
            view_url=lambda face, layer, lang, zoom: f"/{layer}.geojson",
        )

    district = geojson_layer(context(len(demo_dataset["streets"])), REGISTRY["streets"], "public", "zh")
    city = geojson_layer(context(MAX_PERMANENT_LABELS + 1), REGISTRY["streets"], "public", "zh")
    assert district.hideout["permanentLabels"] is True
    assert city.hideout["permanentLabels"] is False


@pytest.mark.parametrize(
    "hours,zh,en",
    [
        ("Mo-Fr 08:30-17:30; Sa,Su 09:00-17:00", "周一至周五 08:30–17:30；周六、周日 09:00–17:00",
         "Mon–Fri 08:30–17:30; Sat, Sun 09:00–17:00"),
        ("Mo-Su 08:00-20:00; Su off", "每天 08:00–20:00；周日 休息", "Every day 08:00–20:00; Sun closed"),
        ("24/7", "全天24小时", "24 hours, every day"),
    ],
)  # fmt: skip
def test_opening_hours_read_as_people_say_them(hours, zh, en):
    from layers.base import readable_hours

    assert readable_hours(hours, "zh") == zh and readable_hours(hours, "en") == en


def test_a_point_layer_without_its_own_fill_is_filled_with_its_colour():
    for spec in REGISTRY.values():
        if spec.kind == "point":
            style = spec.style()
            assert style["fillColor"] == (spec.fill or spec.color) and style["color"] == "#ffffff", spec.id


def test_a_moment_reads_to_the_minute():
    import pandas as pd

    from geodata.schema import layer

    found = layer("grid_events").field("found_at")
    assert display_value(found, pd.Timestamp("2026-11-27 09:05:33")) == "2026-11-27 09:05"


def test_empty_or_plain_hours_read_plainly():
    from layers.base import readable_hours

    assert readable_hours(None, "zh") == "—" and readable_hours("  ", "en") == "—"
    assert readable_hours("08:00-20:00", "zh") == "08:00–20:00"  # no days named: the times alone


def test_each_layer_describes_itself_in_the_language_asked_for():
    centres = REGISTRY["service_centers"]
    assert centres.description("zh").startswith("心心秦家") and centres.description("en").startswith("Xinxin")


def test_areas_with_a_fill_are_filled_and_lines_and_outlines_are_not():
    for spec in REGISTRY.values():
        style = spec.style()
        if spec.kind == "point":
            assert style["fill"] is True and style["fillOpacity"] == 0.85 and "radius" in style, spec.id
        elif spec.fill:
            assert style["fill"] is True and style["fillColor"] == spec.fill, spec.id
        else:
            assert style["fill"] is False and style["fillOpacity"] == 0 and "radius" not in style, spec.id


def test_features_without_a_place_are_left_out_and_the_rest_kept():
    import pandas as pd
    from shapely.geometry import Point as P

    three = pd.concat([centres(id="SC001"), centres(id="SC002"), centres(id="SC003")], ignore_index=True)
    three = gpd.GeoDataFrame(three, geometry=[P(108.69, 34.33), P(), P(108.70, 34.34)], crs="EPSG:4326")
    doc = build_geojson(REGISTRY["service_centers"], three, "staff")
    assert [f["id"] for f in doc["features"]] == ["SC001", "SC003"]  # the empty point only
    assert doc["features"][1]["geometry"] == {"type": "Point", "coordinates": (108.7, 34.34)}


def test_a_popup_without_a_name_is_titled_by_its_layer():
    doc = build_geojson(REGISTRY["service_centers"], centres(name=""), "staff")
    title = "<h4>" + REGISTRY["service_centers"].label("zh") + "</h4>"
    assert title in doc["features"][0]["properties"]["_popup"]
