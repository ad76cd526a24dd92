"""Party-member legal service teams and the areas they serve."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="legal_teams",
    kind="area",
    color="#2e4053",
    fill="#5d6d7e",
    fill_opacity=0.08,
    weight=1.0,
    faces=frozenset({"public", "staff"}),
    visible=frozenset(),
    popup_fields=("members", "street_ids", "phone"),
    description_zh="党员法律服务队服务范围",
    description_en="Areas served by party-member legal teams",
)
