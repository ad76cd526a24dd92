"""Party-building alliances (industry, business district, new sector), at their lead unit."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="alliances",
    kind="point",
    color="#7d3c98",
    radius=6,
    faces=frozenset({"staff"}),
    visible=frozenset(),
    popup_fields=("kind", "sector", "member_units", "party_members", "street_id"),
    filter_fields=("kind", "street_id"),
    description_zh="党建联盟：产业、商圈、新兴领域",
    description_en="Party alliances: industry, business district, new sector",
)
