"""Sub-districts (街道): boundaries and names, the unit every face compares."""

from layers.base import LayerSpec

SPEC = LayerSpec(
    id="streets",
    kind="area",
    color="#b03a2e",
    weight=2.0,
    dash="6 4",
    faces=frozenset({"public", "staff", "wall"}),
    visible=frozenset({"public", "staff", "wall"}),
    popup_fields=("name", "id", "managed_by", "households", "population"),
    filter_fields=("managed_by",),
    description_zh="12个街道；上林、钓台、双照由西咸新区管理",
    description_en="12 streets; Shanglin, Diaotai, Shuangzhao are run by Xixian New Area",
)
