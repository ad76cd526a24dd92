"""Community day-care centres for the elderly, with their meal-delivery range."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="daycare_centers",
    kind="point",
    color="#1e8449",
    radius=6,
    faces=frozenset({"public", "staff", "wall"}),
    visible=frozenset({"public", "staff"}),
    popup_fields=("address", "meal_delivery_m", "capacity", "opening_hours", "phone", "street_id"),
    filter_fields=("street_id", "community_id"),
    description_zh="社区日间照料中心（上门配餐）",
    description_en="Day-care centres (meal delivery)",
)
