"""Smart-grid incidents through the closed loop; never with the reporter's phone."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="grid_events",
    kind="point",
    color="#2874a6",
    radius=4,
    cluster=True,
    label_field="category",
    faces=frozenset({"staff"}),
    visible=frozenset(),
    popup_fields=("category", "status", "found_at", "replied_at", "description", "grid_id", "street_id"),
    filter_fields=("status", "category", "street_id", "community_id", "grid_id", "found_at"),
    description_zh="智慧网格事件（发现→上传→派单→整改→回复）",
    description_en="Smart-grid incidents (found → photo → assigned → fixed → replied)",
)
