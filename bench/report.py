"""Benchmark rows: the record, the printed table and the JSON file future runs compare with."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Better = Literal["lower", "higher"]

UNIT_SCALE = {"s": 1.0, "ms": 1e-3, "µs": 1e-6}


@dataclass
class Row:
    """One line of the benchmark table.

    Attributes
    ----------
    name
        Stable identifier; the JSON of later runs is matched on it.
    value
        Our figure (a median unless the name says otherwise); None when not measured.
    unit
        ``µs``, ``ms``, ``s``, ``req/s``, ``MB``, ``KB`` …
    baseline_name, baseline_value
        What ours is compared with, in the same unit, measured in the same run.
    ratio
        Always ours / baseline; ``better`` says which direction is good (a time
        ratio of 1.2 is 20 % slower, a throughput ratio of 0.8 is 20 % fewer req/s).
    better
        ``lower`` (times, bytes) or ``higher`` (throughput).
    target
        The ratio (or figure) to meet, as text such as ``<= 1.5x`` or ``< 20 ms``.
    status
        ``PASS``, ``MISS`` or ``""`` when there is no target; ``not measured`` with a reason.
    p95, p99
        Tail figures in ``unit`` where they mean something.
    note
        What exactly is compared.
    """

    name: str
    value: float | None
    unit: str
    baseline_name: str = ""
    baseline_value: float | None = None
    ratio: float | None = None
    better: Better = "lower"
    target: str = ""
    status: str = ""
    p95: float | None = None
    p99: float | None = None
    note: str = ""


def compare(
    name: str,
    value: float,
    unit: str,
    baseline_name: str = "",
    baseline_value: float | None = None,
    better: Better = "lower",
    max_ratio: float | None = None,
    min_ratio: float | None = None,
    target: str = "",
    status: str = "",
    **extra: object,
) -> Row:
    """A row with its ratio and, when a ratio target is given, PASS or MISS.

    The ratio is ours / baseline in both directions: for times lower is better
    (target ``max_ratio``), for throughput higher is better (target ``min_ratio``).
    A target on the figure itself is passed as ``target`` text with its ``status``.
    """
    ratio = None
    if baseline_value:
        ratio = value / baseline_value
    if max_ratio is not None and ratio is not None:
        target, status = f"<= {max_ratio:g}x", "PASS" if ratio <= max_ratio else "MISS"
    if min_ratio is not None and ratio is not None:
        target, status = f">= {min_ratio:g}x", "PASS" if ratio >= min_ratio else "MISS"
    if target and status not in ("PASS", "MISS") and (max_ratio is None and min_ratio is None):
        # A stated target is judged on every row that states it, or it is not a target.
        raise ValueError(f"row {name}: target {target!r} stated without PASS or MISS")
    return Row(
        name=name,
        value=value,
        unit=unit,
        baseline_name=baseline_name,
        baseline_value=baseline_value,
        ratio=ratio,
        better=better,
        target=target,
        status=status,
        **extra,  # type: ignore[arg-type]
    )


def not_measured(name: str, reason: str) -> Row:
    """A row kept in the table (and JSON) with no figure and the reason why."""
    return Row(name=name, value=None, unit="", status="not measured", note=reason)


def machine() -> dict[str, object]:
    """Where the run happened."""
    return {
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
    }


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def table(rows: list[Row]) -> str:
    """The rows as a plain-text table (with notes underneath)."""
    head = ("row", "ours", "p95/p99", "unit", "baseline", "base", "ratio", "better", "target", "status")
    lines = []
    for r in rows:
        tail = "/".join(_fmt(v) for v in (r.p95, r.p99)) if r.p95 is not None or r.p99 is not None else ""
        lines.append(
            (
                r.name,
                _fmt(r.value),
                tail,
                r.unit,
                r.baseline_name,
                _fmt(r.baseline_value),
                "" if r.ratio is None else f"{r.ratio:.2f}x",
                r.better if r.baseline_value is not None else "",
                r.target,
                r.status,
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    right = {1, 2, 5, 6}
    out = []
    for line in [head, tuple("-" * w for w in widths), *lines]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    by_note: dict[str, list[str]] = {}
    for r in rows:
        if r.note:
            by_note.setdefault(r.note, []).append(r.name)
    notes = [f"  {', '.join(names)}: {note}" for note, names in by_note.items()]
    if notes:
        out += ["", "notes (ratio = ours / baseline; 'better' is the good direction):", *notes]
    return "\n".join(out)


def _finite(record: dict[str, object]) -> dict[str, object]:
    """JSON has no inf/nan: such figures become null."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in record.items()}


def write_json(path: Path, rows: list[Row], mode: str, extra: dict[str, object] | None = None) -> None:
    """Write the run as JSON (atomically: a ``.tmp`` file renamed into place)."""
    payload = {
        "machine": machine(),
        "mode": mode,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **(extra or {}),
        "rows": [_finite(asdict(r)) for r in rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(
        json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    tmp.replace(path)
