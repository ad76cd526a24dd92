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

MAX_ROWS = 500


@dataclass(frozen=True)
class RecordView:
    """A page-ready table: column specs, rows of display strings, and counts."""

    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    total: int
    masked_rows: int

    @property
    def shown(self) -> int:
        return len(self.rows)


def table_rows(
    dataset: Dataset,
    layer_name: str,
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    viewer: Principal,
    lang: str = "zh",
    sort_by: str | None = None,
    max_rows: int = MAX_ROWS,
) -> RecordView:
    """Rows of ``frame`` (a slice of ``layer_name``) as display text, masked for ``viewer``.

    Personal fields are shown only in rows of the viewer's own street (all for admin);
    elsewhere they are masked (``138****0000``, ``张**``). Newest first by ``sort_by``.
    """
    schema = layer(layer_name)
    total = len(frame)
    if sort_by:
        frame = frame.sort_values(sort_by, ascending=False, na_position="last")
    head = frame.head(max_rows)
    shown = mask_personal_fields(layer_name, head[list(columns)], viewer.sees_personal_data_of)
    masked = 0
    if schema.has_personal_data and "street_id" in head.columns:
        masked = int((~head["street_id"].map(viewer.sees_personal_data_of)).sum())
    # Referenced streets, communities and grids read by name, not by code.
    lookups = {f"{ref}.id": dataset.names_by_id(ref) for ref in ("communities", "grids", "legal_teams")}
    lookups["streets.id"] = dataset.names_by_id("streets", "name" if lang == "zh" else "name_en")
    rows = []
    for record in shown.to_dict("records"):
        row = {}
        for name in columns:
            f = schema.field(name)
            value = None if _missing(record[name]) else record[name]
            named = lookups.get(f.references or "", {}).get(str(value)) if value is not None else None
            row[name] = named if named is not None else display_value(f, value, lang)
        rows.append(row)
    specs = [{"name": schema.field(n).label(lang), "id": n} for n in columns]
    return RecordView(columns=specs, rows=rows, total=total, masked_rows=masked)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
