"""``python -m bench [--quick] [--scale N ...] [--no-http] [--no-browser] [--only GROUP] [--out PATH]``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import rows_nearest, rows_search, rows_walk
from bench.data import ROOT, Demo, load_demo
from bench.report import Row, not_measured, table, write_json

NO_SCALE = "not measured in this run (python -m bench --scale {})"
SCALES = (10, 100)
SCALED_ROWS = (
    "nearest_api_one",
    "walk_nearest_one",
    "walk_area_15min_one",
    "search_keystroke",
    "search_suggest_callback",
    "http_api_nearest_rps",
    "browser_first_load",
    "rss_per_worker",
)
"""Rows the issue asks for at ×10 and ×100 as well (kept in the table as not measured)."""


def _http_rows(demo: Demo, quick: bool) -> list[Row]:
    from bench import rows_http

    return rows_http.rows(demo, quick)


def _browser_rows(demo: Demo, quick: bool) -> list[Row]:
    from bench import rows_browser

    return rows_browser.rows(demo, quick)


def sections(args: argparse.Namespace) -> list[tuple[str, Callable[[Demo, bool], list[Row]]]]:
    """The row groups this run measures, in order."""
    out: list[tuple[str, Callable[[Demo, bool], list[Row]]]] = [
        ("nearest", rows_nearest.rows),
        ("walk", rows_walk.rows),
        ("search", rows_search.rows),
    ]
    if not args.no_http:
        out.append(("http", _http_rows))
    if not args.quick and not args.no_browser:
        out.append(("browser", _browser_rows))
    if args.only:
        out = [(name, run) for name, run in out if name in args.only]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="demo district only, under a minute")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn rows (smoke tests)")
    parser.add_argument("--no-browser", action="store_true", help="skip the headless Chromium rows")
    parser.add_argument(
        "--only",
        action="append",
        choices=("nearest", "walk", "search", "http", "browser"),
        help="measure only this group (repeatable); for checking one change, not for the baseline",
    )
    parser.add_argument(
        "--scale",
        type=int,
        action="append",
        help="copies of the demo district to measure on (repeatable; default 1; make bench: 1, 10, 100)",
    )
    parser.add_argument("--out", type=Path, help="JSON file to write (default bench/results/<mode>.json)")
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the servers' finally blocks still kill gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    mode = "quick" if args.quick else "full"
    out_path = args.out or ROOT / "bench" / "results" / f"{mode}.json"

    started = time.perf_counter()
    log = sys.stderr
    scales = sorted(set(args.scale or [1]))
    if args.quick and scales != [1]:
        parser.error("--quick measures the demo district only")
    rows: list[Row] = []
    timings: dict[str, float] = {}
    files = []
    for scale in scales:
        demo = load_demo(scale)
        built = f"built in {demo.build_seconds:.1f} s" if demo.build_seconds else "cached"
        print(f"{demo.label} data: {demo.path.name} ({built})", file=log)
        timings[f"{demo.label}_build_s"] = round(demo.build_seconds, 2)
        files.append(demo.path.name)
        t = time.perf_counter()
        _ = demo.finder
        print(f"  opened and indexed in {time.perf_counter() - t:.1f} s", file=log)
        for name, run in sections(args):
            t = time.perf_counter()
            try:
                rows += run(demo, args.quick)
            except Exception as error:
                # One group failing must not lose the others' rows of a 45-minute run;
                # quick mode is CI's smoke run, where a failure must fail.
                if args.quick:
                    raise
                print(f"  {name} FAILED: {error}", file=log)
                first_line = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
                rows.append(not_measured(f"{name}_{demo.label}", f"failed: {first_line}"))
            timings[f"{demo.label}_{name}_s"] = round(time.perf_counter() - t, 2)
            print(f"  {name}: {timings[f'{demo.label}_{name}_s']:.1f} s", file=log)
        if args.no_http:
            rows.append(not_measured(f"http_{demo.label}", "--no-http"))
        del demo  # a province-sized world is not kept while the next one loads
    if not args.quick and not args.only:
        rows += [
            not_measured(f"{row}_x{scale}", NO_SCALE.format(scale))
            for scale in SCALES
            if scale not in scales
            for row in SCALED_ROWS
        ]
    timings["total_s"] = round(time.perf_counter() - started, 2)
    write_json(out_path, rows, mode, {"data_files": files, "section_seconds": timings})
    print(table(rows))
    print(f"\n{mode} run: {timings['total_s']:.1f} s; JSON: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
