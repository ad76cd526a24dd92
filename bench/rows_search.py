"""Search-as-you-type: what one keystroke costs in the gazetteer.

The 200 queries are what people type while looking for a place of the demo
district: growing prefixes of Chinese names, of their full pinyin and of their
initials, plus a few one-letter typos. The baseline is what a user writes first, a
substring scan over the names (it finds Chinese text only).
"""

from __future__ import annotations

import random

from pypinyin import lazy_pinyin

from bench.data import SEED, Demo
from bench.report import Row, compare
from bench.timing import Stats, time_once

N_QUERIES = 200
TARGET_MS = 20.0


def keystroke_queries(names: list[str], n: int = N_QUERIES, seed: int = SEED) -> list[str]:
    """``n`` realistic keystroke queries (deterministic for a seed).

    Parameters
    ----------
    names
        Place names to type (Chinese).
    """
    rnd = random.Random(seed)
    out: list[str] = []
    pool = sorted(set(names))
    while len(out) < n:
        name = rnd.choice(pool)
        syllables = [s.lower() for s in lazy_pinyin(name) if s.isascii() and s.isalpha()]
        pinyin = "".join(syllables)
        initials = "".join(s[0] for s in syllables)
        style = rnd.random()
        if style < 0.35:  # typing the Chinese name, one character at a time
            typed = [name[:i] for i in range(1, min(len(name), 5) + 1)]
        elif style < 0.7 and pinyin:  # full pinyin, keystroke by keystroke
            typed = [pinyin[:i] for i in range(2, min(len(pinyin), 10) + 1)]
        elif initials:  # initials, as in "rml"
            typed = [initials[:i] for i in range(1, min(len(initials), 4) + 1)]
        else:
            continue
        if pinyin and len(pinyin) >= 6 and rnd.random() < 0.15:  # a one-letter typo
            i = rnd.randrange(1, len(pinyin) - 1)
            typed.append(pinyin[:i] + rnd.choice("aeiounmgh") + pinyin[i + 1 :])
        out.extend(typed)
    return out[:n]


def _suggest_callback(demo: Demo):  # -> Callable[[str], bytes]
    """What the page's ``suggest`` callback does for one keystroke, before HTTP: the
    gazetteer's search, the list of options as Dash components, and their JSON (Dash's
    own encoder), as :func:`dashboard.pages.public_parts.suggestion_list` runs it."""
    from dash._utils import to_json

    from dashboard.context import AppContext
    from dashboard.pages.public_parts import suggestion_list
    from dashboard.settings import Settings

    ctx = AppContext(Settings(data=demo.path, secret_key="bench"), demo.dataset, {}, demo.finder)
    return lambda q: to_json(suggestion_list(ctx, q[:64], "zh"))


def rows(demo: Demo, quick: bool) -> list[Row]:
    """The keystroke rows: the search alone and the page's callback around it."""
    gazetteer = demo.finder.gazetteer
    places = gazetteer.places
    queries = keystroke_queries([p.name for p in places])
    names = [p.name for p in places]

    def naive(q: str) -> list[str]:
        return [name for name in names if q in name][:8]

    suggest = _suggest_callback(demo)
    rounds = 5 if quick else 25
    for q in queries:  # warm up (pypinyin's dictionaries load lazily)
        gazetteer.search(q)
        naive(q)
        suggest(q)
    ours: list[int] = []
    base: list[int] = []
    page: list[int] = []
    for _ in range(rounds):
        for q in queries:
            ours.append(time_once(lambda q=q: gazetteer.search(q)))
            base.append(time_once(lambda q=q: naive(q)))
            page.append(time_once(lambda q=q: suggest(q)))
    s_ours, s_base, s_page = Stats.of(ours), Stats.of(base), Stats.of(page)
    p99_ms = s_ours.p99 * 1e3
    page_p99_ms = s_page.p99 * 1e3
    return [
        compare(
            f"search_suggest_callback_{demo.label}",
            s_page.median * 1e3,
            "ms",
            "Gazetteer.search alone",
            s_ours.median * 1e3,
            p95=s_page.p95 * 1e3,
            p99=page_p99_ms,
            target=f"p99 < {TARGET_MS:g} ms",
            status="PASS" if page_p99_ms < TARGET_MS else "MISS",
            note="what a keystroke costs the page before HTTP: search (6 places), the options as Dash "
            "components and Dash's JSON of them; the ratio is the callback's cost over the search",
        ),
        compare(
            f"search_keystroke_{demo.label}",
            s_ours.median * 1e3,
            "ms",
            "substring scan of names",
            s_base.median * 1e3,
            p95=s_ours.p95 * 1e3,
            p99=p99_ms,
            target=f"p99 < {TARGET_MS:g} ms",
            status="PASS" if p99_ms < TARGET_MS else "MISS",
            note=f"{len(queries)} keystrokes x {rounds} rounds over {len(places):,} places (Chinese, pinyin, "
            "initials, typos); Gazetteer.search limit 8; the scan finds Chinese substrings only",
        )
    ]
