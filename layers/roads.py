"""The walking network, drawn as the basemap's streets (styled by class in the browser)."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="roads",
    kind="basemap",
    color="#c9c2b8",
    weight=1.2,
    faces=frozenset({"public", "staff", "wall"}),
    visible=frozenset({"public", "staff"}),
    filter_fields=("road_class",),
    description_zh="步行路网（主干道、次干道、支路、桥梁）",
    description_en="Walking network (arterials, secondary, local, bridges)",
)
