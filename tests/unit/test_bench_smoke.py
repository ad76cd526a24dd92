"""Smoke run of the benchmark: ``python -m bench --quick --no-http`` writes every row.

No timing is asserted (CI machines are too noisy for that); only that each row the
benchmark promises is there with numbers in it, so that a refactor cannot silently
drop one. The gunicorn rows are left to ``make bench-quick``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MEASURED_ROWS = (
    "nearest_api_one_demo",
    "walk_nearest_one_demo_vs_dijkstra_full",
    "walk_nearest_one_demo_vs_dijkstra_1125m",
    "walk_bounded_search_1125m_demo",
    "walk_area_15min_one_demo",
    "search_keystroke_demo",
    "search_suggest_callback_demo",
)
ROW_KEYS = {"name", "value", "unit", "baseline_name", "baseline_value", "ratio", "better", "target", "status"}


def _number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def test_quick_benchmark_writes_every_row_with_numbers(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-http", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))

    assert result["mode"] == "quick"
    assert {"nproc", "python", "platform"} <= set(result["machine"])
    assert result["timestamp"]
    rows = {row["name"]: row for row in result["rows"]}
    missing = [name for name in MEASURED_ROWS if name not in rows]
    assert not missing, f"rows missing from the benchmark: {missing}"
    for name in MEASURED_ROWS:
        row = rows[name]
        assert set(row) >= ROW_KEYS, name
        assert _number(row["value"]) and _number(row["baseline_value"]) and _number(row["ratio"]), row
        assert row["better"] in ("lower", "higher"), row
        assert row["status"] in ("", "PASS", "MISS"), row
        assert not row["target"] or row["status"] in ("PASS", "MISS"), row
    assert rows["http_demo"]["status"] == "not measured"
    # The table names every row too.
    for name in MEASURED_ROWS:
        assert name in done.stdout


def test_memory_breakdown_names_every_part_with_its_size() -> None:
    command = [sys.executable, "-m", "bench.memory"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    rows = [(line[:28].strip(), line[28:].split()) for line in done.stdout.splitlines()[2:]]
    names = [name for name, _ in rows]
    assert names == [
        "interpreter and imports",
        "data (validated frames)",
        "layer files and tiles",
        "walking network",
        "service index",
        "gazetteer",
        "public place JSON",
    ]
    total = float(rows[0][1][1])
    assert total > 0
    for name, (kept, running, seconds) in rows[1:]:
        # Each part's share and the running total agree (to the rounding of whole MB).
        assert abs(total + float(kept) - float(running)) <= 1, name
        assert float(seconds) >= 0
        total = float(running)
