"""The map layer registry: one module per layer, listed here in drawing order.

Pages build their layer panels and maps from :data:`REGISTRY`; adding a layer is
adding a module and one line below.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from layers import (
    alliances,
    building_groups,
    child_care,
    communities,
    daycare_centers,
    district,
    facilities,
    grid_events,
    grids,
    legal_teams,
    roads,
    service_centers,
    social_orgs,
    streets,
    three_no_compounds,
    water,
)
from layers.base import FACES, Face, LayerSpec, build_geojson

# Drawing order: basemap first, then areas, then points on top.
_ORDER = (
    district,
    water,
    roads,
    legal_teams,
    communities,
    grids,
    streets,
    three_no_compounds,
    building_groups,
    grid_events,
    alliances,
    social_orgs,
    child_care,
    daycare_centers,
    facilities,
    service_centers,
)

REGISTRY: Mapping[str, LayerSpec] = MappingProxyType({m.SPEC.id: m.SPEC for m in _ORDER})


def for_face(face: Face) -> tuple[LayerSpec, ...]:
    """The layers ``face`` may draw, in drawing order."""
    return tuple(spec for spec in REGISTRY.values() if face in spec.faces)


__all__ = ["FACES", "REGISTRY", "Face", "LayerSpec", "build_geojson", "for_face"]
