"""The schema's own rules, and the generated field reference that must match it."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

import pytest

from geodata.docs import glossary_rows, schema_markdown
from geodata.schema import LAYERS, META_TABLE, SCHEMA, iter_fields

README = Path(__file__).resolve().parents[2] / "geodata" / "README.md"
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
# Column names GDAL/GeoPackage reserve or that clash with how layers are read back.
RESERVED = {"fid", "geom", "geometry", "ogc_fid", "rowid", "oid", "_rowid_"}
NUMERIC = {"int", "float"}


def test_committed_readme_matches_the_schema() -> None:
    assert README.read_text(encoding="utf-8").rstrip("\n") == schema_markdown(), (
        "geodata/README.md is out of date: run `python -m geodata docs > geodata/README.md`"
    )


def test_reference_lists_every_layer_and_field() -> None:
    text = schema_markdown()
    for lyr, f in iter_fields():
        assert f"### `{lyr.name}`" in text
        assert f"| `{f.name}` |" in text


def test_glossary_is_parsed_into_terms_and_meanings() -> None:
    rows = dict(glossary_rows())
    assert rows["社区 / 行政村"] == "urban community / administrative village"
    assert rows["三无小区"].endswith("no owners' committee, no maintenance")
    assert all(term and meaning for term, meaning in rows.items())


@pytest.mark.parametrize("lyr", LAYERS, ids=lambda lyr: lyr.name)
def test_layer_with_personal_fields_is_not_public(lyr) -> None:
    if lyr.has_personal_data:
        assert not lyr.public, f"{lyr.name} holds personal data but is public"
        assert not lyr.public_fields


def test_names_are_safe_identifiers() -> None:
    for lyr in LAYERS:
        assert SNAKE_CASE.match(lyr.name) and not keyword.iskeyword(lyr.name), lyr.name
        assert lyr.name != META_TABLE
        assert not lyr.name.startswith(("gpkg_", "rtree_", "sqlite_")), f"{lyr.name}: GeoPackage reserves it"
        for f in lyr.fields:
            assert SNAKE_CASE.match(f.name), f"{lyr.name}.{f.name}"
            assert not keyword.iskeyword(f.name), f"{lyr.name}.{f.name}"
            assert f.name not in RESERVED, f"{lyr.name}.{f.name} is reserved by GDAL/GeoPackage"


def test_first_field_is_a_required_text_id() -> None:
    for lyr in LAYERS:
        assert lyr.id_field.name == "id", lyr.name
        assert lyr.id_field.type == "str" and lyr.id_field.required, lyr.name


def test_references_point_at_the_target_id_with_the_same_type() -> None:
    for lyr, f in iter_fields():
        if f.references:
            target_layer, _, target_field = f.references.partition(".")
            target = SCHEMA[target_layer]
            assert target_field == target.id_field.name, f"{lyr.name}.{f.name} → {f.references}"
            assert target.field(target_field).type == f.type, f"{lyr.name}.{f.name}"


def test_choices_are_unique_and_labelled() -> None:
    for lyr, f in iter_fields():
        if f.choices:
            values = [c.value for c in f.choices]
            assert len(values) == len(set(values)), f"{lyr.name}.{f.name} repeats a choice"
            assert f.type in ("str", "codes"), f"{lyr.name}.{f.name}: choices on a {f.type} field"
            assert all(c.value.strip() == c.value and c.value for c in f.choices)
            assert all(";" not in c.value for c in f.choices), "';' separates codes"
            assert all(c.zh and c.en for c in f.choices), f"{lyr.name}.{f.name}"


def test_ranges_only_on_numbers_and_ordered() -> None:
    for lyr, f in iter_fields():
        if f.minimum is not None or f.maximum is not None:
            assert f.type in NUMERIC, f"{lyr.name}.{f.name}: range on a {f.type} field"
        if f.minimum is not None and f.maximum is not None:
            assert f.minimum <= f.maximum, f"{lyr.name}.{f.name}"


def test_labels_are_present_and_unique_within_a_layer() -> None:
    """Exports use the labels as column headers: two equal labels would collide."""
    for lyr in LAYERS:
        assert lyr.zh and lyr.en
        for lang in ("zh", "en"):
            labels = [f.label(lang) for f in lyr.fields]
            assert all(labels), f"{lyr.name} has an empty {lang} label"
            duplicates = {x for x in labels if labels.count(x) > 1}
            assert not duplicates, f"{lyr.name}: {lang} labels {duplicates} repeat"


def test_every_layer_flags_demo_data() -> None:
    for lyr in LAYERS:
        assert "is_demo" in lyr, lyr.name
        assert lyr.field("is_demo").type == "bool"


def test_public_layers_show_something_and_spatial_layers_declare_kinds() -> None:
    for lyr in LAYERS:
        if lyr.public:
            assert lyr.public_fields, f"{lyr.name} is public but has no public field"
        if lyr.geometry is not None:
            assert lyr.geometry and set(lyr.geometry) <= {"Point", "LineString", "Polygon"}
