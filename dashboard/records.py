"""Record tables for the staff workspace, masked for the viewer who asks.

The viewer is the principal established on the server; which street's personal
data they may read comes from their account, never from the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.auth.roles import Principal
from geodata.dataset import Dataset
from geodata.privacy import mask_personal_fields
from geodata.schema import layer
from layers.base import display_value

RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "grid_events": (
        "id",
        "found_at",
        "category",
        "status",
        "street_id",
        "grid_id",
        "description",
        "reporter_phone",
    ),
    "mediation_cases": (
        "id",
        "received",
        "level",
        "round",
        "outcome",
        "case_type",
        "street_id",
        "community_id",
        "disputants",
        "disputant_phone",
    ),
    "home_services": (
        "id",
        "last_visit",
        "person_name",
        "phone",
        "category",
        "service",
        "street_id",
        "community_id",
        "visits",
    ),
}
"""The record layers staff can list, with the columns shown (newest first by the first date)."""

MAX_ROWS = 500


@dataclass(frozen=True)
class RecordView:
    """A page-ready table: column specs, rows of display strings, and counts."""

    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    total: int
    masked_rows: int


def record_view(
    dataset: Dataset,
    layer_name: str,
    street_id: str | None,
    viewer: Principal,
    lang: str = "zh",
    max_rows: int = MAX_ROWS,
) -> RecordView:
    """The newest records of ``layer_name`` (optionally one street), masked for ``viewer``.

    Personal fields are shown only in rows of the viewer's own street (all for admin);
    elsewhere they are masked (``138****0000``, ``张**``).
    """
    if layer_name not in RECORD_COLUMNS:
        raise KeyError(f"not a record layer: {layer_name!r}")
    schema = layer(layer_name)
    names = RECORD_COLUMNS[layer_name]
    frame = dataset[layer_name]
    if street_id:
        frame = frame[frame["street_id"] == street_id]
    total = len(frame)
    newest_first = frame.sort_values(names[1], ascending=False, na_position="last").head(max_rows)
    shown = mask_personal_fields(layer_name, newest_first[list(names)], viewer.sees_personal_data_of)
    masked = int((~newest_first["street_id"].map(viewer.sees_personal_data_of)).sum())
    if not schema.has_personal_data:
        masked = 0
    # Referenced streets, communities and grids read by name, not by code.
    lookups = {f"{ref}.id": dataset.names_by_id(ref) for ref in ("communities", "grids", "legal_teams")}
    lookups["streets.id"] = dataset.names_by_id("streets", "name" if lang == "zh" else "name_en")
    rows = []
    for record in shown.to_dict("records"):
        row = {}
        for name in names:
            f = schema.field(name)
            value = None if _missing(record[name]) else record[name]
            named = lookups.get(f.references or "", {}).get(str(value)) if value is not None else None
            row[name] = named if named is not None else display_value(f, value, lang)
        rows.append(row)
    columns = [{"name": schema.field(n).label(lang), "id": n} for n in names]
    return RecordView(columns=columns, rows=rows, total=total, masked_rows=masked)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
