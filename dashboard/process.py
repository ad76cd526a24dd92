"""What a server process does once start-up is over, before it forks workers."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)


def _resident_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def settle() -> None:
    """Hand start-up's garbage back and keep what it built out of the collector's way.

    Building the layer files, indexes and gazetteer frees heap that glibc keeps
    mapped (~160 MB of 2.7 GB at 100 times the demo district); under
    ``gunicorn --preload`` every worker would inherit it. ``malloc_trim`` gives it
    back to the system before the fork. What start-up built (~440k objects at the
    demo scale) lives as long as the process: frozen, a full collection skips it
    (~0.4 s per collection otherwise, a stall for the request that triggered it).
    """
    before = _resident_mb()
    gc.collect()  # start-up's garbage first, or it would be frozen for good
    libc_name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(libc_name) if libc_name else None
        trim = getattr(libc, "malloc_trim", None)
    except OSError:  # not glibc (musl, macOS): nothing to trim
        trim = None
    if trim is not None:
        trim(0)
    gc.freeze()
    after = _resident_mb()
    if before is not None and after is not None:
        log.info("start-up memory settled: %.0f MB resident (was %.0f MB)", after, before)
