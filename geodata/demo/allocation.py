"""Integer apportionment: split an exact total in proportion to weights."""

from __future__ import annotations

import numpy as np


def apportion(total: int, weights: np.ndarray | list[float], minimum: int | np.ndarray = 0) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest-remainder method).

    Parameters
    ----------
    total : int
        The exact sum wanted.
    weights : array-like of float
        Non-negative shares; need not sum to one.
    minimum : int or ndarray of int
        Each share gets at least this much before the rest is apportioned.

    Returns
    -------
    ndarray of int64
        Shares summing exactly to ``total``. Ties in the remainders go to the
        earlier index, so the result is deterministic.
    """
    w = np.asarray(weights, dtype=float)
    n = len(w)
    floor = np.broadcast_to(np.asarray(minimum, dtype=np.int64), (n,))
    rest = total - int(floor.sum())
    if rest < 0:
        raise ValueError(f"cannot give {n} shares their minimum from {total}")
    if w.sum() <= 0:
        w = np.ones(n)
    exact = rest * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    short = rest - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:short]] += 1
    return base + floor
