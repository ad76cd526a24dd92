"""Place search: Chinese, pinyin, initials and typos find the place; personal data never does.

Two kinds of data: the tiny hand-built dataset of ``tests/factories.py`` (and
hand-made places) for exact cases, and the demo district (the session fixture
``demo_dataset``, written once to a temporary GeoPackage) for realistic ones.
No test here is timed; search speed is measured outside the test suite.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

import geopandas as gpd
import pytest
import shapely
from pypinyin import lazy_pinyin
from shapely.geometry import LineString

from geodata.gazetteer import (
    INDEXED_LAYERS,
    MAX_QUERY_CHARS,
    Gazetteer,
    Match,
    Place,
    normalise_query,
)
from geodata.schema import SCHEMA, STORAGE_CRS
from tests.factories import minimal_frames

CANARY = "甄秘密"  # a resident's name that must never become searchable
CANARY_PINYIN = "zhenmimi"
PERSONAL_LAYERS = [name for name, layer in SCHEMA.items() if layer.has_personal_data]


def names(matches: list[Match], top: int | None = None) -> list[str]:
    return [m.place.name for m in matches[:top]]


def place(name: str, kind: str = "community", **kwargs) -> Place:
    values = {
        "id": f"test:{name}",
        "kind": kind,
        "name": name,
        "lon": 108.7,
        "lat": 34.33,
        "context": "",
        "kind_zh": "",
        "kind_en": "",
        "layer": "test",
    }
    values.update(kwargs)
    return Place(**values)


@pytest.fixture(scope="module")
def tiny() -> Gazetteer:
    return Gazetteer.from_frames(minimal_frames())


@pytest.fixture(scope="module")
def demo(demo_dataset) -> Gazetteer:
    return Gazetteer.from_frames(demo_dataset.frames)


# ---------------------------------------------------------------- tiny dataset


def test_tiny_dataset_indexes_every_named_public_place(tiny):
    kinds = {p.id: p.kind for p in tiny.places}
    assert kinds["streets:610402001"] == "street"
    assert kinds["communities:C01"] == "community"
    assert kinds["service_centers:SC001"] == "service_center"
    assert kinds["roads:人民路"] == "road"
    assert kinds["water:WA001"] == "landmark"
    assert {"compound", "daycare", "child_care", "facility"} <= set(kinds.values())
    # The unnamed road segment is not a place; grids and party groups are not searchable.
    assert sum(k == "road" for k in kinds.values()) == 1
    assert not any(p.layer in ("grids", "building_groups", "alliances") for p in tiny.places)


def test_context_names_the_street_and_kind(tiny):
    community = tiny.get("communities:C01")
    assert community.context == "人民路街道 · 社区"
    village = tiny.get("communities:C03")
    assert (village.kind_zh, village.kind_en) == ("行政村", "Village")
    centre = tiny.get("service_centers:SC001")
    assert centre.context.startswith("人民路街道 · 玉泉社区")
    assert tiny.get("streets:610402001").context == "秦都区 · 街道"


def test_chinese_prefix_and_substring(tiny):
    assert names(tiny.search("玉泉"), 1) == ["玉泉社区"]
    assert "玉泉广场心心秦家" in names(tiny.search("玉泉"))
    assert names(tiny.search("广场心心"), 1) == ["玉泉广场心心秦家"]


def test_full_pinyin_in_any_case_and_spacing(tiny):
    for query in ("yuquanshequ", "YuQuanSheQu", "yu quan she qu", "  yuquan  "):
        assert names(tiny.search(query), 1) == ["玉泉社区"], query


def test_initials(tiny):
    assert names(tiny.search("yqsq"), 1) == ["玉泉社区"]
    assert "人民路街道" in names(tiny.search("rmljd"), 1)
    assert "人民路街道" in names(tiny.search("rml"), 3)


def test_one_typo_in_pinyin_or_one_wrong_character(tiny):
    for query in ("renminli", "renmnlu", "rnemin", "renminluu", "人民跑"):
        found = tiny.search(query)
        assert "人民路" in names(found, 3), query
        assert found[0].matched_as == "fuzzy"


def test_homophone_characters_match_by_sound(tiny):
    found = tiny.search("人民炉")
    assert names(found, 1) == ["人民路"]
    assert found[0].matched_as == "pinyin"


def test_full_width_and_street_suffix_queries(tiny):
    assert names(tiny.search("ＲＥＮＭＩＮＬＵ"), 1) == ["人民路"]
    assert names(tiny.search("人民路 街道"), 1) == ["人民路街道"]
    assert names(tiny.search("renminlu jiedao"), 1) == ["人民路街道"]


def test_a_street_stored_without_its_suffix_is_found_with_it():
    gazetteer = Gazetteer([place("古渡", kind="street")])
    assert names(gazetteer.search("古渡街道")) == ["古渡"]


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "·-·", "　"])
def test_blank_queries_find_nothing(tiny, query):
    assert tiny.search(query) == []


@pytest.mark.parametrize("query", ["zzzzqq", "火星基地", "q1w2e3r4", "xyz"])
def test_unrelated_queries_find_nothing(tiny, query):
    assert tiny.search(query) == []


def test_very_long_input_is_cut(tiny):
    assert len(normalise_query("人民路" * 10_000)) == MAX_QUERY_CHARS
    assert tiny.search("x" * 100_000) == []
    assert names(tiny.search("renminlu" + " " * 100_000), 1) == ["人民路"]


def test_limit(tiny):
    assert len(tiny.search("s", limit=2)) <= 2
    assert tiny.search("人民", limit=0) == []
    assert tiny.suggest("人民") == tiny.search("人民")


def test_matched_as_says_how(tiny):
    assert tiny.search("玉泉社区")[0].matched_as == "name"
    assert tiny.search("yuquan")[0].matched_as == "pinyin"
    assert tiny.search("yqsq")[0].matched_as == "initials"
    assert tiny.search("yuqvan")[0].matched_as == "fuzzy"


def test_missing_layers_give_an_empty_gazetteer():
    gazetteer = Gazetteer.from_frames({})
    assert len(gazetteer) == 0
    assert gazetteer.search("人民路") == []


def test_places_are_immutable(tiny):
    with pytest.raises(dataclasses.FrozenInstanceError):
        tiny.places[0].name = "改名"  # type: ignore[misc]


def test_other_crs_is_reprojected():
    frames = minimal_frames()
    frames["streets"] = frames["streets"].to_crs("EPSG:4545")
    street = Gazetteer.from_frames(frames).get("streets:610402001")
    expected = minimal_frames()["streets"].geometry.iloc[0].representative_point()
    assert street.lon == pytest.approx(expected.x, abs=1e-4)
    assert street.lat == pytest.approx(expected.y, abs=1e-4)


# --------------------------------------------------------------------- ranking


def test_exact_beats_prefix_beats_substring_beats_initials_beats_fuzzy():
    gazetteer = Gazetteer(
        [
            place("金冠社区"),
            place("金冠社区日间照料中心", kind="daycare"),
            place("心心秦家·金冠广场党群服务中心", kind="service_center"),
            place("金泉社区"),  # one letter from jinguan: a typo match
        ]
    )
    found = gazetteer.search("jinguanshequ")
    assert names(found) == ["金冠社区", "金冠社区日间照料中心", "金泉社区"]
    assert [m.matched_as for m in found] == ["pinyin", "pinyin", "fuzzy"]
    assert found[0].score > found[1].score > found[2].score
    assert names(gazetteer.search("金冠")) == [
        "金冠社区",
        "金冠社区日间照料中心",
        "心心秦家·金冠广场党群服务中心",
    ]
    # "anlw": the initials of 安宁绿屋, and one letter from the pinyin of 安路 (anlu).
    initials_vs_typo = Gazetteer([place("安路", kind="road"), place("安宁绿屋")])
    found = initials_vs_typo.search("anlw")
    assert names(found) == ["安宁绿屋", "安路"]
    assert [m.matched_as for m in found] == ["initials", "fuzzy"]


def test_exact_name_beats_a_typo_of_another_name():
    gazetteer = Gazetteer([place("新华路", kind="road"), place("新化村")])
    assert names(gazetteer.search("xinhualu"), 1) == ["新华路"]
    assert names(gazetteer.search("xinhuacun"), 1) == ["新化村"]


def test_ties_prefer_shorter_names_then_more_important_kinds_then_name():
    gazetteer = Gazetteer(
        [
            place("东风社区服务站", kind="facility"),
            place("东风社区"),
            place("东风路", kind="road"),
            place("东风街", kind="street"),
            place("东风村"),
        ]
    )
    assert names(gazetteer.search("东风")) == ["东风街", "东风路", "东风村", "东风社区", "东风社区服务站"]
    # Same input order or not, the answer is the same.
    again = Gazetteer(list(reversed(gazetteer.places)))
    assert names(again.search("东风")) == names(gazetteer.search("东风"))


def test_polyphones_are_found_by_their_other_readings():
    gazetteer = Gazetteer([place("秦都区", kind="landmark"), place("吴家堡街道", kind="street")])
    for query in ("qindouqu", "qinduqu", "qindu"):
        assert names(gazetteer.search(query), 1) == ["秦都区"], query
    for query in ("wujiabao", "wujiabu"):
        assert names(gazetteer.search(query), 1) == ["吴家堡街道"], query


# ----------------------------------------------------------------------- roads


def test_road_segments_merge_into_one_place_on_the_road():
    frames = minimal_frames()
    segments = [
        LineString([(108.671, 34.320), (108.680, 34.320)]),
        LineString([(108.680, 34.320), (108.690, 34.320)]),
        LineString([(108.690, 34.320), (108.709, 34.320)]),
    ]
    frames["roads"] = gpd.GeoDataFrame(
        {
            "id": ["R1", "R2", "R3", "R4"],
            "name": ["玉泉路", "玉泉路", "玉泉路", "北关街"],
            "road_class": ["secondary", "secondary", "local", "local"],
            "walkable": [True] * 4,
        },
        geometry=[*segments, LineString([(108.68, 34.34), (108.68, 34.345)])],
        crs=STORAGE_CRS,
    )
    roads = [p for p in Gazetteer.from_frames(frames).places if p.kind == "road"]
    assert sorted(p.name for p in roads) == ["北关街", "玉泉路"]
    road = next(p for p in roads if p.name == "玉泉路")
    assert road.id == "roads:玉泉路"
    assert (road.lon, road.lat) == pytest.approx((108.690, 34.320))
    assert road.bounds == pytest.approx((108.671, 34.320, 108.709, 34.320))
    assert road.context == "道路 · 次干道"  # the class of most of its segments


def test_a_roads_point_lies_near_the_middle_of_all_its_pieces():
    """A road broken into pieces is found at its middle, not in the middle of its longest piece."""
    frames = minimal_frames()
    pieces = [
        LineString([(108.670, 34.320), (108.682, 34.320)]),  # the longest piece, at the west end
        LineString([(108.686, 34.320), (108.696, 34.320)]),
        LineString([(108.700, 34.320), (108.710, 34.320)]),
    ]
    frames["roads"] = gpd.GeoDataFrame(
        {
            "id": ["R1", "R2", "R3"],
            "name": ["玉泉路"] * 3,
            "road_class": ["local"] * 3,
            "walkable": [True] * 3,
        },
        geometry=pieces,
        crs=STORAGE_CRS,
    )
    road = Gazetteer.from_frames(frames).get("roads:玉泉路")
    middle = shapely.MultiLineString(pieces).centroid
    assert abs(road.lon - middle.x) < 0.003 and road.lat == pytest.approx(34.320)
    assert shapely.MultiLineString(pieces).distance(shapely.Point(road.lon, road.lat)) < 1e-6


def test_a_street_ranks_above_the_road_it_is_named_after():
    gazetteer = Gazetteer(
        [
            place("人民路", kind="road"),
            place("人民路街道", kind="street"),
            place("人民路小学", kind="landmark"),
        ]
    )
    for query in ("rml", "renm", "人民"):
        assert names(gazetteer.search(query), 2) == ["人民路街道", "人民路"], query
    # Whoever types the road's full name means the road, and sees the street next.
    for query in ("renminlu", "人民路"):
        assert names(gazetteer.search(query), 2) == ["人民路", "人民路街道"], query
    # A road without a namesake street keeps its place.
    assert names(Gazetteer([place("东风路", kind="road"), place("东风路小学")]).search("dfl"), 1) == [
        "东风路"
    ]


def test_context_in_english_translates_every_generic_word(tiny):
    assert tiny.get("streets:610402001").context_en == "Qindu District · Street"
    assert tiny.get("communities:C01").context_en == "Renmin Road · Community"
    assert tiny.get("roads:人民路").context_en == "Road · Arterial"
    centre = tiny.get("service_centers:SC001")
    assert centre.context_en.startswith("Renmin Road · 玉泉社区") and centre.context_en.endswith(
        "Service centre"
    )
    for p in tiny.places:
        for text in (p.context, p.context_en):
            parts = text.split(" · ")
            assert len(parts) == len(set(parts)), text
        assert p.describe("zh") == p.context and p.describe("en") == p.context_en


# ---------------------------------------------------------------- personal data


def test_indexed_layers_hold_no_personal_data():
    for name in INDEXED_LAYERS:
        assert not SCHEMA[name].has_personal_data, name


class _Recording(Mapping):
    """A frames mapping that remembers which layers were read."""

    def __init__(self, frames: Mapping) -> None:
        self._frames = frames
        self.read: set[str] = set()

    def __getitem__(self, key: str):
        self.read.add(key)
        return self._frames[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)


def test_personal_layers_are_never_read():
    frames = _Recording(minimal_frames())
    Gazetteer.from_frames(frames)
    assert frames.read
    assert not frames.read & set(PERSONAL_LAYERS)
    assert frames.read <= {*INDEXED_LAYERS, "district"}


def _with_canary(frames: Mapping) -> dict:
    """The frames with a resident's name in every personal layer, even as a ``name``."""
    seeded = dict(frames)
    for name in PERSONAL_LAYERS:
        frame = seeded[name].copy()
        for field in SCHEMA[name].personal_fields:
            if field.type == "str":
                frame[field.name] = CANARY
        frame["name"] = CANARY
        seeded[name] = frame
    assert (seeded["home_services"]["person_name"] == CANARY).all()
    return seeded


def _assert_no_canary(gazetteer: Gazetteer) -> None:
    for p in gazetteer.places:
        assert CANARY not in p.name and CANARY not in p.context, p
    for query in (CANARY, CANARY[:2], CANARY_PINYIN, "zmm"):
        assert gazetteer.search(query) == [], query


def test_a_residents_name_is_never_searchable_in_the_tiny_dataset():
    _assert_no_canary(Gazetteer.from_frames(_with_canary(minimal_frames())))


def test_a_residents_name_is_never_searchable_in_the_demo(demo_dataset):
    _assert_no_canary(Gazetteer.from_frames(_with_canary(demo_dataset.frames)))


# ------------------------------------------------------------------ demo district


def test_demo_indexes_every_public_place(demo, demo_dataset):
    frames = demo_dataset.frames
    count = {kind: sum(p.kind == kind for p in demo.places) for kind in {p.kind for p in demo.places}}
    assert count["street"] == len(frames["streets"])
    assert count["community"] == len(frames["communities"])
    assert count["service_center"] == len(frames["service_centers"]) == 141
    assert count["compound"] == len(frames["three_no_compounds"])
    assert count["landmark"] == 1
    road_names = set(frames["roads"]["name"].dropna().str.strip()) - {""}
    assert count["road"] == len(road_names)
    assert len({p.id for p in demo.places}) == len(demo.places)


def test_demo_places_lie_inside_the_district(demo, demo_dataset):
    district = demo_dataset.frames["district"].geometry.union_all()
    west, south, east, north = district.bounds
    for p in demo.places:
        assert west <= p.lon <= east and south <= p.lat <= north, p
        assert district.covers(shapely.Point(p.lon, p.lat)), p


@pytest.mark.parametrize(
    "query",
    [
        "人民路",
        "人民路街道",
        "人民",
        "renminlu",
        "RenMinLu",
        "renmin lu",
        "rml",
        "rmljd",
        "renm",
        "renminli",
        "renmnlu",
        "人民街道",
    ],
)
def test_demo_finds_renmin_road_street(demo, query):
    assert "人民路街道" in names(demo.search(query), 3)


@pytest.mark.parametrize("query", ["rml", "renm", "人民"])
def test_demo_puts_the_street_first_and_its_roads_point_inside_it(demo, demo_dataset, query):
    found = demo.search(query, 3)
    assert found[0].place.name == "人民路街道", names(found)
    road = demo.get("roads:人民路")
    streets = demo_dataset.frames["streets"]
    street = streets.loc[streets["name"] == "人民路街道"].geometry.iloc[0]
    assert street.covers(shapely.Point(road.lon, road.lat)), (road.lon, road.lat)


def test_demo_finds_every_community_by_name_and_pinyin(demo, demo_dataset):
    for name in demo_dataset.frames["communities"]["name"]:
        assert name in names(demo.search(name), 3), name
        assert name in names(demo.search("".join(lazy_pinyin(name))), 3), name


def test_demo_finds_every_service_centre_by_part_of_its_name(demo, demo_dataset):
    for name in demo_dataset.frames["service_centers"]["name"]:
        part = name.split("·")[-1].removesuffix("党群服务中心")  # 心心秦家·乐景公园党群服务中心 → 乐景公园
        assert name in names(demo.search(part), 3), name


def test_demo_finds_streets_with_a_typo_in_their_pinyin(demo, demo_dataset):
    for name in demo_dataset.frames["streets"]["name"]:
        spelled = "".join(lazy_pinyin(name))
        typo = spelled[:-1] + ("a" if spelled[-1] != "a" else "e")
        assert name in names(demo.search(typo), 3), (name, typo)


def test_demo_finds_the_river(demo):
    assert names(demo.search("渭河"), 1) == ["渭河"]
    assert names(demo.search("weihe"), 1) == ["渭河"]


def test_demo_nothing_found(demo):
    assert demo.search("zzzzqq") == []
    assert demo.search("火星基地") == []


def test_a_search_that_stops_early_ranks_like_one_that_reads_every_match(demo):
    # Names repeat in a city (every district has its 心心秦家 centres and a 人民路): the
    # scan stops after `limit` owners per tier, which must not change the answer.
    import dataclasses

    from bench.rows_search import keystroke_queries

    copies = [dataclasses.replace(p, id=f"{p.id}#{c}") for c in range(4) for p in demo.places]
    city = Gazetteer(copies)
    queries = [*keystroke_queries([p.name for p in demo.places], n=300), "心", "xi", "x", "xxqj", "渭阳"]
    for q in queries:
        for limit in (1, 8):
            short = [(m.place.id, m.score) for m in city.search(q, limit)]
            everything = [(m.place.id, m.score) for m in city.search(q, 10**6)][:limit]
            assert short == everything, q
