"""Timing helpers: warm up, interleave ours and the baseline, report order statistics.

On a noisy machine two things measured one after the other see different noise;
alternating them call by call (or block by block for slow calls) shares it fairly.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

Call = Callable[[], object]


@dataclass(frozen=True)
class Stats:
    """Order statistics of repeated timings, in seconds."""

    median: float
    p95: float
    p99: float
    n: int

    @classmethod
    def of(cls, samples_ns: Sequence[int]) -> Stats:
        """Statistics of samples given in nanoseconds."""
        if not samples_ns:
            raise ValueError("no samples")
        s = sorted(samples_ns)
        return cls(
            median=statistics.median(s) / 1e9,
            p95=percentile(s, 95) / 1e9,
            p99=percentile(s, 99) / 1e9,
            n=len(s),
        )


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, min(len(sorted_values), round(pct / 100 * len(sorted_values) + 0.5)))
    return float(sorted_values[rank - 1])


def time_once(fn: Call) -> int:
    """One call's duration in nanoseconds."""
    t0 = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - t0


def interleaved(
    calls: Sequence[Call], reps: int, warmup: int = 3, budget_s: float | None = None
) -> list[Stats]:
    """Time several callables alternately, call by call, and return their statistics.

    Parameters
    ----------
    calls
        Ours first, then the baselines; each is called ``warmup + reps`` times.
    reps
        Timed repetitions of each.
    warmup
        Untimed calls of each first (caches, lazy imports, branch predictors).
    budget_s
        Stop early (after at least 5 rounds) once this much wall time has passed,
        so that a slow baseline cannot blow the run's time budget.

    Returns
    -------
    list of Stats
        In the order of ``calls``.
    """
    for _ in range(warmup):
        for fn in calls:
            fn()
    samples: list[list[int]] = [[] for _ in calls]
    started = time.perf_counter()
    for rnd in range(reps):
        # Alternate who goes first, so neither always runs right after the other.
        order = range(len(calls)) if rnd % 2 == 0 else reversed(range(len(calls)))
        for i in order:
            samples[i].append(time_once(calls[i]))
        if budget_s is not None and rnd >= 4 and time.perf_counter() - started > budget_s:
            break
    return [Stats.of(s) for s in samples]


def each_of(fn: Callable[[object], object], items: Sequence[object], rounds: int) -> Stats:
    """Time ``fn(item)`` for every item, ``rounds`` times over (one warm-up pass first)."""
    for item in items:
        fn(item)
    samples = [time_once(lambda item=item: fn(item)) for _ in range(rounds) for item in items]
    return Stats.of(samples)


def cycling(items: Iterable[object], fn: Callable[..., object], star: bool = True) -> Call:
    """A no-argument call that applies ``fn`` to the next item each time (wrapping round).

    With ``star`` the item is unpacked into arguments (``fn(*item)``).
    """
    it = itertools.cycle(list(items))
    if star:
        return lambda: fn(*next(it))
    return lambda: fn(next(it))
