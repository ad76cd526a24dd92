"""三无小区 and their seven-step property incubation."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="three_no_compounds",
    kind="point",
    color="#ca6f1e",
    radius=6,
    faces=frozenset({"staff"}),
    visible=frozenset({"staff"}),
    popup_fields=("stage", "households", "property_company", "date_1", "date_7", "community_id", "street_id"),
    filter_fields=("stage", "street_id", "community_id"),
    description_zh="三无小区物业孵化（征提审推签评聘）",
    description_en="Three-no compounds in property incubation",
)
