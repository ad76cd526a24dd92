"""心心秦家 party–mass service centres: the points residents look for."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="service_centers",
    kind="point",
    color="#c8102e",
    radius=7,
    faces=frozenset({"public", "staff", "wall"}),
    visible=frozenset({"public", "staff", "wall"}),
    popup_fields=("address", "services", "opening_hours", "phone", "site_type", "street_id", "community_id"),
    filter_fields=("services", "street_id", "community_id", "site_type"),
    description_zh="心心秦家党群服务中心（7+N服务）",
    description_en="Xinxin Qinjia service centres (7+N services)",
)
