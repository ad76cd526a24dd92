"""The left-behind children care centre and the low-cost childcare classes."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="child_care",
    kind="point",
    color="#8e44ad",
    radius=6,
    faces=frozenset({"public", "staff"}),
    visible=frozenset({"public", "staff"}),
    popup_fields=("kind", "address", "capacity", "opening_hours", "phone", "street_id"),
    filter_fields=("kind", "street_id", "community_id"),
    description_zh="留守儿童关爱中心与低偿托育班",
    description_en="Left-behind children centre and childcare classes",
)
