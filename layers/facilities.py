"""District platforms: the 12345 call centre and the smart-grid governance centre."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="facilities",
    kind="point",
    color="#d4a017",
    radius=8,
    faces=frozenset({"public", "staff", "wall"}),
    visible=frozenset({"public", "staff", "wall"}),
    popup_fields=("kind", "address", "opening_hours", "phone", "street_id"),
    filter_fields=("kind",),
    description_zh="12345便民呼叫中心、社会治理服务中心",
    description_en="12345 call centre, social-governance centre",
)
