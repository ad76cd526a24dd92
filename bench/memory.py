"""Where a server's memory goes: ``python -m bench.memory [--scale N]``.

Builds what ``create_app`` builds, one part after another, in this process, and
prints the resident memory after each, with the freed heap handed back first
(``malloc_trim``), so that each line is what the part keeps rather than what it
happened to allocate on the way. The ``pss_per_worker`` rows of ``make bench`` say
how much; this says where, for whoever makes them smaller.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import time
from collections.abc import Callable

from bench.data import load_demo


def _resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def _trimmed_mb() -> float:
    gc.collect()
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    libc.malloc_trim(0)
    return _resident_mb()


def _place_json(services, as_json) -> dict[str, dict[str, object]]:
    """What the finder keeps per place and language for the public API's answers."""
    return {lang: {p.id: as_json(p, lang) for p in services.places()} for lang in ("zh", "en")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="copies of the demo district (default 1)")
    args = parser.parse_args(argv)

    from dashboard.finder import public_place_json
    from dashboard.payloads import build_layer_payloads
    from dashboard.settings import Settings
    from geodata.dataset import open_dataset
    from geodata.gazetteer import Gazetteer
    from geodata.nearest import ServiceIndex
    from geodata.network import WalkingNetwork

    demo = load_demo(args.scale)
    kept: dict[str, object] = {}
    stages: list[tuple[str, Callable[[], object]]] = [
        ("data (validated frames)", lambda: open_dataset(demo.path)),
        ("layer files and tiles", lambda: build_layer_payloads(kept["data"], Settings.area_layers_above)),
        ("walking network", lambda: WalkingNetwork.from_roads(kept["data"]["roads"])),
        ("service index", lambda: ServiceIndex.build(kept["data"].frames, kept["network"])),
        ("gazetteer", lambda: Gazetteer.from_frames(kept["data"].frames)),
        ("public place JSON", lambda: _place_json(kept["service"], public_place_json)),
    ]
    keys = ("data", "payloads", "network", "service", "gazetteer", "places")
    before = _trimmed_mb()
    print(f"{demo.label}: {demo.path.name}")
    print(f"{'part':28s} {'kept MB':>8s} {'total MB':>9s} {'build s':>8s}")
    print(f"{'interpreter and imports':28s} {before:8.0f} {before:9.0f}")
    for (name, build), key in zip(stages, keys, strict=True):
        started = time.perf_counter()
        kept[key] = build()
        seconds = time.perf_counter() - started
        now = _trimmed_mb()
        print(f"{name:28s} {now - before:8.0f} {now:9.0f} {seconds:8.1f}")
        before = now
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
