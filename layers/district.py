"""The district outline: the frame of every map, with its schematic-boundary note."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="district",
    kind="basemap",
    color="#8c1c13",
    fill="#efe8da",
    fill_opacity=1.0,
    weight=2.5,
    faces=frozenset({"public", "staff", "wall"}),
    visible=frozenset({"public", "staff", "wall"}),
    label_field=None,
    description_zh="秦都区行政区域（示意，非法定界线）",
    description_en="Qindu District (schematic, not a legal boundary)",
)
