"""Building party groups (楼栋党小组) at their buildings."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="building_groups",
    kind="point",
    color="#a93226",
    radius=4,
    cluster=True,
    faces=frozenset({"staff"}),
    visible=frozenset(),
    popup_fields=("building", "members", "grid_id", "community_id", "street_id"),
    filter_fields=("street_id", "community_id", "grid_id"),
    description_zh="楼栋党小组",
    description_en="Building party groups",
)
