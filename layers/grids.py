"""Governance grids (网格), each with its grid party branch."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="grids",
    kind="area",
    color="#e59866",
    weight=0.7,
    faces=frozenset({"staff"}),
    visible=frozenset(),
    popup_fields=("name", "community_id", "street_id", "households", "branch_name", "branch_members"),
    filter_fields=("street_id", "community_id"),
    description_zh="网格及网格党支部",
    description_en="Grids and their party branches",
)
