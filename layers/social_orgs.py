"""Incubated social organisations, at the centres that host them."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="social_orgs",
    kind="point",
    color="#16a085",
    radius=5,
    faces=frozenset({"public", "staff"}),
    visible=frozenset(),
    popup_fields=("brand", "field", "host_center_id", "founded"),
    filter_fields=("field",),
    description_zh="孵化社会组织及服务品牌",
    description_en="Incubated social organisations and brands",
)
