"""三无小区 and their seven-step property incubation."""

from layers.base import LayerSpec

STAGE_COLORS = {
    "征": "#f3d9a4", "提": "#f0b86e", "审": "#e08a3c", "推": "#c8612a",
    "签": "#a8401f", "评": "#7d2a18", "聘": "#4f1a10",
}  # fmt: skip
"""Compounds by incubation step (征提审推签评聘): the further along, the darker. The
staff map, its legend and the exported chart all colour by it."""

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
