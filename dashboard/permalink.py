"""The staff workspace's state in its URL, so that a link reopens the same view.

``?layers=service_centers,grid_events&street=610402001&table=grid_events
&f.status=found,assigned&from=2026-11-01&to=2026-11-20&metric=share_closed
&level=grids&scheme=quantiles&gap=any&minutes=15&view=34.33,108.70,14&sel=SJ…``

Reading is forgiving: an unknown or malformed parameter is ignored (the page falls
back to its default for it), never an error, since links get truncated and edited.
Values are checked again by the callbacks like anything else a browser sends.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

MAX_QUERY = 4000

ALL_STREETS = "all"
"""``street=all``: the whole district, said explicitly, because a link without a
street opens on a street staff member's own street."""


@dataclass(frozen=True)
class StaffState:
    """Everything a staff link restores (unchecked strings; see the callbacks)."""

    layers: tuple[str, ...] | None = None
    street: str | None = None
    """A street code, :data:`ALL_STREETS`, or None (the viewer's default)."""
    community: str | None = None
    grid: str | None = None
    table: str | None = None
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    start: str | None = None
    end: str | None = None
    metric: str | None = None
    level: str | None = None
    scheme: str | None = None
    gap: str | None = None
    minutes: int | None = None
    in_view: bool = False
    view: tuple[float, float, float] | None = None
    """(lat, lon, zoom)."""
    selected: str | None = None


def parse(query: str | Mapping[str, str]) -> StaffState:
    """A state from a query string (``a=1&b=2``, with or without ``?``) or a mapping."""
    if isinstance(query, str):
        args = dict(parse_qsl(query.lstrip("?")[:MAX_QUERY], keep_blank_values=False))
    else:
        args = {str(k): str(v) for k, v in query.items()}

    def text(name: str) -> str | None:
        value = args.get(name, "").strip()
        return value[:80] if value else None

    def listed(name: str) -> tuple[str, ...] | None:
        value = args.get(name)
        if value is None:
            return None
        return tuple(v for v in value.split(",") if v)[:40]

    fields = {k[2:]: listed(k) or () for k in args if k.startswith("f.") and len(k) > 2}
    return StaffState(
        layers=listed("layers"),
        street=text("street"),
        community=text("community"),
        grid=text("grid"),
        table=text("table"),
        fields={k: v for k, v in fields.items() if v},
        start=text("from"),
        end=text("to"),
        metric=text("metric"),
        level=text("level"),
        scheme=text("scheme"),
        gap=text("gap"),
        minutes=_int(args.get("minutes")),
        in_view=args.get("inview") == "1",
        view=_view(args.get("view")),
        selected=text("sel"),
    )


def compose(state: StaffState) -> str:
    """The query string (with ``?``) for a state; empty parts left out."""
    args: dict[str, Any] = {}
    if state.layers is not None:
        args["layers"] = ",".join(state.layers)
    for name in ("street", "community", "grid", "table"):
        if getattr(state, name):
            args[name] = getattr(state, name)
    for name, values in sorted(state.fields.items()):
        if values:
            args[f"f.{name}"] = ",".join(values)
    if state.start:
        args["from"] = state.start
    if state.end:
        args["to"] = state.end
    for name in ("metric", "level", "scheme", "gap"):
        if getattr(state, name):
            args[name] = getattr(state, name)
    if state.minutes:
        args["minutes"] = str(state.minutes)
    if state.in_view:
        args["inview"] = "1"
    if state.view:
        lat, lon, zoom = state.view
        args["view"] = f"{lat:.5f},{lon:.5f},{zoom:g}"
    if state.selected:
        args["sel"] = state.selected
    return "?" + urlencode(args, safe=",") if args else ""


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _view(value: str | None) -> tuple[float, float, float] | None:
    if not value:
        return None
    parts = value.split(",")
    if len(parts) != 3:
        return None
    try:
        lat, lon, zoom = (float(p) for p in parts)
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (lat, lon, zoom)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon, min(max(zoom, 0.0), 20.0)
