"""Communities and villages (社区), with their tele-medicine flag."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="communities",
    kind="area",
    color="#d35400",
    weight=1.0,
    faces=frozenset({"public", "staff"}),
    visible=frozenset(),
    popup_fields=("name", "street_id", "kind", "households", "population", "tele_medicine", "party_members"),
    filter_fields=("street_id", "kind", "tele_medicine"),
    description_zh="城市社区与行政村，含云医院覆盖",
    description_en="Communities and villages, with tele-medicine",
)
