"""Rivers for the basemap: the Wei River orients every resident."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="water",
    kind="basemap",
    color="#7fb3d5",
    fill="#a9cce3",
    fill_opacity=1.0,
    weight=0.5,
    faces=frozenset({"public", "staff", "wall"}),
    visible=frozenset({"public", "staff", "wall"}),
    description_zh="渭河等水系",
    description_en="The Wei River and other water",
)
