"""What every page and route of one running app shares, read-only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from geodata.dataset import Dataset

from .detail import detail_url
from .finder import Finder
from .payloads import Payload, PayloadKey
from .settings import Settings
from .tiles import AreaPayload

FACE_PREFIX: Mapping[str, str] = {"public": "/", "staff": "/staff/", "wall": "/wall/"}
"""URL prefix of each face's Dash app. Internal faces live under their own prefix so
that nothing of theirs is reachable through the public app's endpoints."""

LAYER_ROUTE: Mapping[str, str] = {
    "public": "/api/v1/layers/",
    "staff": "/staff/data/layers/",
    "wall": "/wall/data/layers/",
}


@dataclass(frozen=True)
class AppContext:
    """Settings, data and prepared payloads of one app instance (never mutated)."""

    settings: Settings
    dataset: Dataset
    layer_payloads: Mapping[PayloadKey, Payload | AreaPayload]
    finder: Finder

    def layer_url(self, face: str, layer_id: str, lang: str) -> str:
        """URL of a layer's GeoJSON for ``face``; the data version busts caches on new data."""
        return f"{LAYER_ROUTE[face]}{layer_id}.geojson?lang={lang}&v={self.dataset.version}"

    def view_url(self, face: str, layer_id: str, lang: str, zoom: float | None) -> str:
        """:meth:`layer_url` at the level of detail of a view at ``zoom`` (dashboard.detail)."""
        return detail_url(self.layer_url(face, layer_id, lang), zoom, self.levels(face, layer_id))

    def levels(self, face: str, layer_id: str) -> tuple[int, ...]:
        """The zooms a layer sent whole also comes simplified for (none: always whole)."""
        payload = self.layer_payloads.get((face, layer_id, "zh"))  # type: ignore[arg-type]
        return tuple(sorted(payload.levels)) if isinstance(payload, Payload) else ()

    def sent_by_area(self, face: str, layer_id: str) -> bool:
        """Whether a layer is too big to send whole and goes by map area (dashboard.tiles)."""
        return isinstance(self.layer_payloads.get((face, layer_id, "zh")), AreaPayload)  # type: ignore[arg-type]

    def layer_count(self, face: str, layer_id: str) -> int:
        return self.layer_payloads[(face, layer_id, "zh")].count  # type: ignore[index]
