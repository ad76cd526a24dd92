"""Place search for the public finder: Chinese, pinyin, initials and small typos.

A resident looking for 人民路街道 may type ``人民``, ``renminlu``, ``RenMin Lu``,
``rml`` or, on a phone, ``renminli``. :class:`Gazetteer` answers all of these
from an index built once at start-up from the public layers, so that a
keystroke typically costs well under a millisecond (a few at worst) and never
calls pypinyin on the places again.

How the index works (and why):

* Every searchable string of one kind (folded names, pinyin spellings, initials)
  is joined into one long text with a separator. ``str.find`` then scans all
  places in C; a small byte mask says which offsets start a syllable, so a
  pinyin hit must begin where a syllable begins (``jing`` finds 乐景 but
  ``inglu`` finds nothing).
* Polyphonic characters get extra spellings (秦都 is read ``qindou`` by
  pypinyin but everyone types ``qindu``; 堡 in a village name may be ``bao``,
  ``bu`` or ``pu``): one variant per alternative reading, capped per name.
* Typos (one wrong, extra, missing or swapped character) are only looked for
  when the exact tiers leave room in the answer, and only on candidates: with
  one edit, one half of the query occurs unchanged, so only offsets near an
  occurrence of a half are checked, by a few slice comparisons.

Only the layers in :data:`INDEXED_LAYERS` are read, and only their names,
references and geometry; personal layers (home services, mediation cases, grid
events) are never touched.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import pandas as pd
import shapely
import shapely.ops
from pypinyin import Style, pinyin
from shapely.geometry.base import BaseGeometry

from geodata.schema import MANAGED_BY, SCHEMA, STORAGE_CRS

PlaceKind = Literal[
    "street",
    "community",
    "road",
    "compound",
    "service_center",
    "daycare",
    "child_care",
    "facility",
    "landmark",
]
MatchKind = Literal["name", "pinyin", "initials", "fuzzy"]
_Offer = Callable[[int, float, MatchKind], None]

INDEXED_LAYERS: tuple[str, ...] = (
    "streets",
    "communities",
    "roads",
    "service_centers",
    "daycare_centers",
    "child_care",
    "facilities",
    "three_no_compounds",
    "water",
)
"""The only layers the gazetteer reads. None of them holds personal data
(``tests/unit/test_gazetteer.py`` checks this against the schema)."""

MAX_QUERY_CHARS = 64
"""Longer queries are cut: no place name is this long, and the cut bounds the work."""

_LAYER_KIND: dict[str, PlaceKind] = {
    "streets": "street",
    "communities": "community",
    "roads": "road",
    "service_centers": "service_center",
    "daycare_centers": "daycare",
    "child_care": "child_care",
    "facilities": "facility",
    "three_no_compounds": "compound",
    "water": "landmark",
}

KIND_LABELS: Mapping[PlaceKind, tuple[str, str]] = {
    "street": ("街道", "Street"),
    "community": ("社区", "Community"),
    "road": ("道路", "Road"),
    "service_center": ("党群服务中心", "Service centre"),
    "daycare": ("日间照料中心", "Day-care centre"),
    "child_care": ("关爱托育", "Child care"),
    "facility": ("区级平台", "District facility"),
    # Neutral wording: "三无小区" is an administrative label, not one for a public map.
    "compound": ("小区", "Residential compound"),
    "landmark": ("地标", "Landmark"),
}
"""Default (zh, en) label of every place kind; some layers refine it per feature."""

_DISTRICT_EN: Mapping[str, str] = {c.zh: c.en for c in MANAGED_BY}
"""English names of the districts a street can belong to (the district layer has none)."""

# Streets first: a resident who types a short prefix most often wants the area.
_KIND_RANK: dict[PlaceKind, int] = {"street": 0, "road": 1, "community": 2, "service_center": 3}
_OTHER_RANK = 4

# Scores on a 0–100 scale; every exact-text tier is above every fuzzy tier, which
# is what lets search() skip the fuzzy pass when the exact tiers fill the answer.
_NAME_EXACT, _NAME_PREFIX, _NAME_SUBSTRING = 100.0, 90.0, 80.0
_PINYIN_EXACT, _PINYIN_PREFIX, _PINYIN_SUBSTRING = 98.0, 88.0, 78.0
_ALIAS = 89.0  # 人民路 for a street stored as 人民路街道 (or the other way round)
_INITIALS_EXACT, _INITIALS_PREFIX, _INITIALS_SUBSTRING = 60.0, 55.0, 50.0
# A Chinese query whose pinyin matches: a homophone typo (人民炉 → 人民路).
_SOUND_EXACT, _SOUND_PREFIX, _SOUND_SUBSTRING = 45.0, 43.0, 41.0
_FUZZY_WHOLE, _FUZZY_PREFIX, _FUZZY_SUBSTRING = 30.0, 25.0, 20.0
# A whole name typed in full (initials stand for too many names to count).
_WHOLE_NAME = frozenset({_NAME_EXACT, _PINYIN_EXACT, _SOUND_EXACT, _FUZZY_WHOLE})

# Shortest queries worth a typo search, from a name's start and from inside it:
# below these, one edit away from something is nearly everything.
_MIN_TYPO_HAN, _MIN_TYPO_HAN_INSIDE = 3, 4
_MIN_TYPO_PINYIN, _MIN_TYPO_PINYIN_INSIDE = 4, 6

_MAX_SPELLINGS = 8  # pinyin variants per name (polyphones); bounds index size
_SEP = "\x1f"  # never survives _fold, so a query cannot match across two keys
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_STREET_SUFFIX = "街道"
_CONTEXT_SEP = " · "


@dataclass(frozen=True)
class Place:
    """One searchable place.

    Attributes
    ----------
    id : str
        ``"<layer>:<feature id>"``; roads, merged by name, use ``"roads:<name>"``.
    kind : PlaceKind
        What the place is, for icons and ranking.
    name : str
        The name as stored (Chinese).
    lon, lat : float
        A representative point in EPSG:4326 that lies on the feature: the point
        itself, a polygon's ``representative_point`` or the middle of a road.
    context : str
        Short Chinese text that tells same-sounding places apart, e.g.
        ``"人民路街道 · 社区"``: where it is, then what it is, each said once.
    kind_zh, kind_en : str
        Labels of the kind (refined per feature where the layer says more, e.g.
        行政村 for a village).
    layer : str
        The layer the place comes from.
    bounds : tuple of float, optional
        ``(west, south, east, north)`` for areas and roads, so the map can fit
        them; None for points.
    context_en : str
        The same in English: generic words and street names translated; names
        with no English form in the data (communities) stay as written.
    """

    id: str
    kind: PlaceKind
    name: str
    lon: float
    lat: float
    context: str
    kind_zh: str
    kind_en: str
    layer: str
    bounds: tuple[float, float, float, float] | None = None
    context_en: str = ""

    def describe(self, lang: str = "zh") -> str:
        """The context line in ``lang`` (Chinese when there is no English one)."""
        return self.context_en if lang == "en" and self.context_en else self.context


@dataclass(frozen=True)
class Match:
    """One search result.

    Attributes
    ----------
    place : Place
    score : float
        0–1, higher is better; comparable within one query only.
    matched_as : {"name", "pinyin", "initials", "fuzzy"}
        How the query met the place: Chinese text, full pinyin (or a homophone),
        pinyin initials, or a spelling with typos.
    """

    place: Place
    score: float
    matched_as: MatchKind


# --------------------------------------------------------------------------- text


def _fold(text: str) -> str:
    """Comparable form: NFKC (full-width → half-width), lower case, letters/digits/Han only.

    Spaces and punctuation (``·``, ``-``) carry no meaning in a place query and are
    typed inconsistently, so they go on both sides.
    """
    text = unicodedata.normalize("NFKC", text).lower().replace("ü", "v")
    return "".join(c for c in text if c.isalnum())


def normalise_query(query: str) -> str:
    """The folded, length-bounded form of a user's query ("" when nothing is left).

    Parameters
    ----------
    query : str
        Raw text from the search box.

    Returns
    -------
    str
        At most :data:`MAX_QUERY_CHARS` characters.
    """
    # Cut before folding too, so a pasted megabyte costs no more than a name.
    return _fold(query[: 4 * MAX_QUERY_CHARS])[:MAX_QUERY_CHARS]


def _initial(token: str) -> str:
    # A number in a name (12345) is typed whole, not by its first digit.
    return token if token.isdigit() else token[0]


def _spellings(name: str) -> list[list[str]]:
    """Pinyin spellings of a name, as syllable lists: the usual reading first.

    Each further spelling swaps in one alternative reading of one polyphonic
    character (and ``v`` → ``u`` for ü, which many people type as ``u``).
    Non-Chinese runs (digits, Latin) are kept as one folded token, which is why
    this does not use ``errors="ignore"``.
    """
    readings = [[_fold(r) for r in alts] for alts in pinyin(name, style=Style.NORMAL, heteronym=True)]
    readings = [[r for r in dict.fromkeys(alts) if r] for alts in readings]
    readings = [alts for alts in readings if alts]
    if not readings:
        return []
    base = [alts[0] for alts in readings]
    variants = [base]
    seen = {tuple(base)}
    for i, alts in enumerate(readings):
        extra = alts[1:] + ([alts[0].replace("v", "u")] if "v" in alts[0] else [])
        for alt in extra:
            variant = [*base[:i], alt, *base[i + 1 :]]
            if len(variants) < _MAX_SPELLINGS and tuple(variant) not in seen:
                seen.add(tuple(variant))
                variants.append(variant)
    return variants


def _query_pinyin(query: str) -> str:
    """Pinyin of a (folded) query that contains Chinese: the usual reading only."""
    return "".join(_fold(alts[0]) for alts in pinyin(query, style=Style.NORMAL) if alts)


def _one_edit(query: str, target: str) -> tuple[bool, bool]:
    """Whether ``query`` is within one edit of a prefix of ``target``, and of all of it.

    One edit is a wrong, extra or missing character, or two neighbours swapped
    (``rnemin``), as people type them. After the common prefix the first
    difference must be the edit, so four slice comparisons decide, in C.

    Returns
    -------
    (prefix, whole) : tuple of bool
    """
    n, m = len(query), len(target)
    p = 0
    limit = min(n, m)
    while p < limit and query[p] == target[p]:
        p += 1
    if p == n:
        return True, m - p <= 1
    rest = query[p + 1 :]
    # (rest of query, rest of target) after each kind of edit at p
    options = [(rest, target[p:])]  # an extra character typed
    if p < m:
        options += [(rest, target[p + 1 :]), (query[p:], target[p + 1 :])]  # wrong / missing character
        if p + 1 < n and p + 1 < m and query[p] == target[p + 1] and query[p + 1] == target[p]:
            options.append((query[p + 2 :], target[p + 2 :]))  # swapped neighbours
    prefix = any(t.startswith(q) for q, t in options)
    return prefix, prefix and any(t == q for q, t in options)


# ------------------------------------------------------------------------- corpus


class _Corpus:
    """Many short keys joined into one string, so that ``str.find`` scans them all in C.

    Parameters
    ----------
    keys : list of (owner, key, starts)
        ``owner`` is a place index; ``starts`` the offsets in ``key`` where a
        match may begin (syllable starts), or None for every offset.
    """

    __slots__ = ("_by_initial", "_can_start", "_ends", "_is_start", "_starts", "_whole", "owners", "text")

    def __init__(self, keys: list[tuple[int, str, tuple[int, ...] | None]]) -> None:
        parts: list[str] = []
        starts: list[int] = []
        owners: list[int] = []
        mask = bytearray()
        pos = 0
        for owner, key, offsets in keys:
            starts.append(pos)
            owners.append(owner)
            parts.append(key + _SEP)
            flags = bytearray(len(key) + 1)  # the separator's own flag stays 0
            for offset in range(len(key)) if offsets is None else offsets:
                flags[offset] = 1
            mask += flags
            pos += len(key) + 1
        self.text = "".join(parts)
        self._starts = tuple(starts)
        self._ends = tuple(s + len(k) for s, (_, k, _) in zip(starts, keys, strict=True))
        self.owners = tuple(owners)
        self._can_start = bytes(mask)
        is_start = bytearray(len(self.text) + 1)
        for start in starts:
            is_start[start] = 1
        self._is_start = bytes(is_start)
        # First keystrokes are the most frequent queries and a single letter occurs
        # thousands of times inside keys; they only ever match a key's start.
        by_initial: dict[str, list[int]] = {}
        for record, (_, key, _) in enumerate(keys):
            if key:
                by_initial.setdefault(key[0], []).append(record)
        self._by_initial = {c: tuple(records) for c, records in by_initial.items()}
        whole: dict[str, list[int]] = {}
        for record, (_, key, _) in enumerate(keys):
            whole.setdefault(key, []).append(record)
        self._whole = {key: tuple(records) for key, records in whole.items()}

    def __len__(self) -> int:
        return len(self._starts)

    def key(self, record: int) -> str:
        return self.text[self._starts[record] : self._ends[record]]

    def occurrences(
        self, query: str, prefix_only: bool = False, enough: int | None = None
    ) -> Iterator[tuple[int, int, bool]]:
        """Every match of ``query`` that begins at an allowed offset.

        Parameters
        ----------
        prefix_only : bool
            Only matches at the start of a key.
        enough : int, optional
            Stop once ``enough`` owners matched from a key's start, and yield the first
            ``enough`` owners whose whole key is the query wherever they are. The keys
            are in the owners' tie-break order (the caller's), so an owner left out
            ranks after those found: after them in the same tier, or in a lower one
            (inside a key) below all of them. At 100
            times the demo district "心" starts 14,100 names, and scanning them all took
            a keystroke 0.3 s.

        Yields
        ------
        (record, offset, whole)
            ``whole`` when the match is the entire key.
        """
        owners = self.owners
        found: set[int] = set()  # owners matched from a key's start

        def satisfied() -> bool:
            return enough is not None and len(found) >= enough

        if prefix_only and len(query) == 1:
            for record in self._by_initial.get(query, ()):
                yield record, 0, self._ends[record] - self._starts[record] == 1
                found.add(owners[record])
                if satisfied():
                    break
        else:
            find, can_start, starts, ends = self.text.find, self._can_start, self._starts, self._ends
            n = len(query)
            i = find(query)
            while i >= 0:
                if can_start[i] and not (prefix_only and not self._is_start[i]):
                    record = bisect.bisect_right(starts, i) - 1
                    yield record, i - starts[record], i + n == ends[record] and i == starts[record]
                    if i == starts[record]:
                        found.add(owners[record])
                    if satisfied():
                        break
                i = find(query, i + 1)
        if enough is not None:
            # Whole-key matches outrank the rest; among them too, the first owners win.
            whole: set[int] = set()
            for record in self._whole.get(query, ()):
                yield record, 0, True
                whole.add(owners[record])
                if len(whole) >= enough:
                    break

    def near(self, query: str, anywhere: bool, skip: set[int]) -> Iterator[tuple[int, int, bool]]:
        """Matches of ``query`` with one edit, found through exact pieces.

        With one edit, either half of the query is intact, or the edit swapped
        the two characters where the halves meet; so only offsets near an
        occurrence of a half (or of the first half with that swap undone) are
        checked, with :func:`_one_edit`.

        Parameters
        ----------
        anywhere : bool
            Also match from a syllable inside a key, not only from its start.
        skip : set of int
            Owners already matched exactly; a typo cannot rank them higher.

        Yields
        ------
        (record, offset, whole)
            ``whole`` when the query is one edit from the entire key.
        """
        n = len(query)
        half = n // 2
        pieces = [
            (0, query[:half]),
            (half, query[half:]),
            (0, query[: half - 1] + query[half]),  # the first half, were the border swapped
        ]
        # Cheap byte tests first: a frequent piece ("ang") occurs thousands of times.
        allowed = self._can_start if anywhere else self._is_start
        find, starts, ends, owners, text = self.text.find, self._starts, self._ends, self.owners, self.text
        tried: set[int] = set()
        verdicts: dict[str, tuple[bool, bool]] = {}
        for at, piece in pieces:
            i = find(piece)
            while i >= 0:
                for begin in (i - at - 1, i - at, i - at + 1):
                    if begin < 0 or not allowed[begin] or begin in tried:
                        continue
                    tried.add(begin)
                    record = bisect.bisect_right(starts, begin) - 1
                    if owners[record] in skip:
                        continue
                    # One edit reaches at most n + 1 characters into a key, so a
                    # window of n + 2 decides both answers; the many spellings
                    # (variants, 141 "xinxinqinjia…") share windows, checked once.
                    window = text[begin : min(begin + n + 2, ends[record])]
                    if window not in verdicts:
                        verdicts[window] = _one_edit(query, window)
                    prefix, whole = verdicts[window]
                    if prefix:
                        first = starts[record]
                        yield record, begin - first, whole and begin == first
                i = find(piece, i + 1)


# ---------------------------------------------------------------------- gazetteer


class Gazetteer:
    """An immutable search index over the district's public places.

    Build it once at start-up with :meth:`from_frames` and share it between
    requests and threads: a search only reads the index.

    Parameters
    ----------
    places : iterable of Place
        The places to index (:func:`places_from_frames` makes them from a dataset).
    """

    __slots__ = ("_aliases", "_by_id", "_initials", "_names", "_namesakes", "_order", "_pinyin", "places")

    def __init__(self, places: Iterable[Place]) -> None:
        self.places: tuple[Place, ...] = tuple(places)
        self._by_id = {p.id: p for p in self.places}
        names: list[tuple[int, str, tuple[int, ...] | None]] = []
        spellings: list[tuple[int, str, tuple[int, ...] | None]] = []
        initials: list[tuple[int, str, tuple[int, ...] | None]] = []
        aliases: dict[str, list[int]] = {}
        # Names repeat (a 人民路 in every district of a province): pinyin once per name.
        spelled: dict[str, list[list[str]]] = {}
        for idx, place in enumerate(self.places):
            folded = _fold(place.name)
            if not folded:
                continue
            names.append((idx, folded, None))
            seen_initials: set[str] = set()
            if place.name not in spelled:
                spelled[place.name] = _spellings(place.name)
            for syllables in spelled[place.name]:
                offsets = tuple(sum(len(s) for s in syllables[:i]) for i in range(len(syllables)))
                spellings.append((idx, "".join(syllables), offsets))
                short = "".join(_initial(s) for s in syllables)
                if short not in seen_initials:
                    seen_initials.add(short)
                    initials.append((idx, short, None))
            if place.kind == "street":
                # People drop (or add) the "街道" of a street's name.
                if folded.endswith(_STREET_SUFFIX) and folded != _STREET_SUFFIX:
                    alias = folded.removesuffix(_STREET_SUFFIX)
                else:
                    alias = folded + _STREET_SUFFIX
                aliases.setdefault(alias, []).append(idx)
        # Tie-break order computed once: shorter name, more important kind, name, id.
        order = sorted(
            range(len(self.places)),
            key=lambda i: (
                len(self.places[i].name),
                _KIND_RANK.get(self.places[i].kind, _OTHER_RANK),
                self.places[i].name,
                self.places[i].id,
            ),
        )
        rank = [0] * len(order)
        for position, idx in enumerate(order):
            rank[idx] = position
        self._order = tuple(rank)
        # Keys in that order, so that a scan meets the best-ranked owners first and can
        # stop early (see _Corpus.occurrences).
        for keys in (names, spellings, initials):
            keys.sort(key=lambda k: rank[k[0]])
        self._names = _Corpus(names)
        self._pinyin = _Corpus(spellings)
        self._initials = _Corpus(initials)
        self._aliases = {k: tuple(v) for k, v in aliases.items()}
        # A street named after a road (人民路街道, 人民路): whoever finds the road by
        # its name also means the street, the area with its offices and centres.
        roads = {_fold(p.name): i for i, p in enumerate(self.places) if p.kind == "road"}
        self._namesakes = {
            roads[alias]: street
            for alias, streets in self._aliases.items()
            if alias in roads
            for street in streets
            if _fold(self.places[street].name) == alias + _STREET_SUFFIX
        }

    @classmethod
    def from_frames(cls, frames: Mapping[str, gpd.GeoDataFrame | pd.DataFrame]) -> Gazetteer:
        """Build the index from a dataset's frames.

        Parameters
        ----------
        frames : Mapping
            Layer name to frame, as in :attr:`geodata.dataset.Dataset.frames`.
            Only :data:`INDEXED_LAYERS` are read; missing layers are skipped.

        Returns
        -------
        Gazetteer
        """
        return cls(places_from_frames(frames))

    def __len__(self) -> int:
        return len(self.places)

    def search(self, query: str, limit: int = 8) -> list[Match]:
        """The places that best match ``query``, best first.

        Parameters
        ----------
        query : str
            Chinese, pinyin (any case, with or without spaces), initials, or any
            of these with a small typo. Full-width characters are accepted.
        limit : int
            Most results to return.

        Returns
        -------
        list of Match
            Empty when the query is blank or nothing is close. Ranking: exact
            name, prefix, substring, initials, then typos; ties go to the shorter
            name, then streets, roads, communities, service centres, others. A
            street named after a road (人民路街道) comes just before that road,
            unless the query was the road's full name.
        """
        q = normalise_query(query)
        if not q or limit <= 0:
            return []
        best: dict[int, tuple[float, MatchKind]] = {}

        def offer(idx: int, score: float, how: MatchKind) -> None:
            if idx not in best or best[idx][0] < score:
                best[idx] = (score, how)

        names = self._names
        for record, offset, whole in names.occurrences(q, enough=limit):
            tier = _NAME_EXACT if whole else _NAME_PREFIX if offset == 0 else _NAME_SUBSTRING
            offer(names.owners[record], tier, "name")
        for idx in self._aliases.get(q, ()):
            offer(idx, _ALIAS, "name")

        has_han = _HAN.search(q) is not None
        # pypinyin runs on the query only, and only when it has Chinese in it.
        sound = _query_pinyin(q) if has_han else q
        tiers = (
            (_SOUND_EXACT, _SOUND_PREFIX, _SOUND_SUBSTRING)
            if has_han
            else (_PINYIN_EXACT, _PINYIN_PREFIX, _PINYIN_SUBSTRING)
        )
        if sound:
            self._exact_tiers(self._pinyin, sound, tiers, "pinyin", offer, limit)
        if not has_han:
            self._exact_tiers(
                self._initials,
                q,
                (_INITIALS_EXACT, _INITIALS_PREFIX, _INITIALS_SUBSTRING),
                "initials",
                offer,
                limit,
            )

        # Every typo score is below every exact score, so when the exact tiers
        # already fill the answer the typo pass cannot change it.
        if len(best) < limit:
            # Short queries only match from the start of a name: "renm" one edit
            # from "renj" inside 缝纫机 is noise, not a typo.
            skip = set(best)
            if has_han and len(q) >= _MIN_TYPO_HAN:
                self._typos(names, q, len(q) >= _MIN_TYPO_HAN_INSIDE, skip, offer)
            # A Chinese query's typos are wrong characters, found above; a typo in
            # its pinyin would be a near-homophone, too loose to be useful.
            if not has_han and len(sound) >= _MIN_TYPO_PINYIN:
                self._typos(self._pinyin, sound, len(sound) >= _MIN_TYPO_PINYIN_INSIDE, skip, offer)

        order: dict[int, float] = {}
        for road, street in self._namesakes.items():
            road_score, road_how = best.get(road, (0.0, "name"))
            street_score, street_how = best.get(street, (0.0, road_how))
            # Not when the road's own full name was typed (人民路, renminlu, 人民炉, renminli).
            if road in best and road_score not in _WHOLE_NAME and street_score <= road_score:
                best[street] = (road_score, street_how)
                order[street] = self._order[road] - 0.5  # just before its road
        ranked = sorted(
            best.items(), key=lambda item: (-item[1][0], order.get(item[0], self._order[item[0]]))
        )[:limit]
        return [Match(self.places[idx], score / 100.0, how) for idx, (score, how) in ranked]

    def suggest(self, query: str, limit: int = 8) -> list[Match]:
        """Search-as-you-type; the same as :meth:`search`, fast enough per keystroke."""
        return self.search(query, limit)

    def get(self, place_id: str) -> Place | None:
        """The place with this id, or None."""
        return self._by_id.get(place_id)

    @staticmethod
    def _exact_tiers(
        corpus: _Corpus, q: str, tiers: tuple[float, float, float], how: MatchKind, offer: _Offer, limit: int
    ) -> None:
        exact, prefix, substring = tiers
        # One letter inside a name ("l" in every 路) says nothing; only its start counts.
        for record, offset, whole in corpus.occurrences(q, prefix_only=len(q) < 2, enough=limit):
            offer(corpus.owners[record], exact if whole else prefix if offset == 0 else substring, how)

    @staticmethod
    def _typos(corpus: _Corpus, q: str, anywhere: bool, skip: set[int], offer: _Offer) -> None:
        for record, offset, whole in corpus.near(q, anywhere, skip):
            score = _FUZZY_WHOLE if whole else _FUZZY_PREFIX if offset == 0 else _FUZZY_SUBSTRING
            offer(corpus.owners[record], score, "fuzzy")


# ------------------------------------------------------------------------- places


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _in_storage_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and not frame.crs.equals(STORAGE_CRS):
        return frame.to_crs(STORAGE_CRS)
    return frame


def _bounds(geom: BaseGeometry) -> tuple[float, float, float, float] | None:
    if geom.geom_type in ("Point", "MultiPoint"):
        return None
    west, south, east, north = geom.bounds
    return (round(west, 6), round(south, 6), round(east, 6), round(north, 6))


def _choice(layer: str, fieldname: str, value: str) -> tuple[str, str]:
    f = SCHEMA[layer].field(fieldname)
    return f.choice_label(value, "zh"), f.choice_label(value, "en")


def _road_middle(lines: BaseGeometry) -> BaseGeometry:
    """A point on the road near the middle of all of it.

    A road is stored as many segments split at junctions; merged, it can still
    be several pieces (gaps where it crosses a square, forks). The middle of the
    longest piece can lie at one end of a long road, in another street; the
    point of the road nearest to the centre of all its length cannot.
    """
    return shapely.ops.nearest_points(lines, lines.centroid)[0]


def places_from_frames(frames: Mapping[str, gpd.GeoDataFrame | pd.DataFrame]) -> list[Place]:
    """Every searchable place in a dataset, in a stable order.

    Parameters
    ----------
    frames : Mapping
        Layer name to frame. Only :data:`INDEXED_LAYERS` are read (missing ones
        are skipped), and of them only names, ids, kinds, street/community
        references and geometry.

    Returns
    -------
    list of Place
        Features without a name or geometry are left out.
    """
    layers = {name: _in_storage_crs(frames[name]) for name in INDEXED_LAYERS if name in frames}
    street_names = _names_by_id(layers.get("streets"))
    street_names_en = {**street_names, **_names_by_id(layers.get("streets"), "name_en")}
    community_names = _names_by_id(layers.get("communities"))
    district = frames["district"].geometry.union_all() if "district" in frames else None
    district_name = _text(frames["district"]["name"].iloc[0]) if district is not None else ""
    district_name_en = _DISTRICT_EN.get(district_name, district_name)

    places: list[Place] = []
    for layer_name, frame in layers.items():
        kind = _LAYER_KIND[layer_name]
        if layer_name == "roads":
            places.extend(_road_places(frame))
            continue
        for row, geom in zip(frame.itertuples(index=False), frame.geometry, strict=True):
            name = _text(getattr(row, "name", ""))
            if not name or geom is None or geom.is_empty:
                continue
            kind_zh, kind_en = KIND_LABELS[kind]
            where: list[str] = []
            where_en: list[str] = []
            if layer_name == "streets":
                where = [district_name]
                where_en = [district_name_en]
            elif layer_name == "communities":
                if _text(getattr(row, "kind", "")) == "village":
                    kind_zh, kind_en = "行政村", "Village"
                street_id = _text(row.street_id)
                where = [street_names.get(street_id, "")]
                where_en = [street_names_en.get(street_id, "")]
            elif layer_name == "water" and district is not None:
                # The river runs beyond the district; point at the part residents see.
                inside = geom.intersection(district)
                geom = inside if not inside.is_empty else geom
                where = [district_name]
                where_en = [district_name_en]
            else:
                if layer_name in ("child_care", "facilities") and _text(getattr(row, "kind", "")):
                    kind_zh, kind_en = _choice(layer_name, "kind", _text(row.kind))
                street_id = _text(getattr(row, "street_id", ""))
                community = community_names.get(_text(getattr(row, "community_id", "")), "")
                where = [street_names.get(street_id, ""), community]
                where_en = [street_names_en.get(street_id, ""), community]
            point = geom.representative_point()
            places.append(
                Place(
                    id=f"{layer_name}:{_text(row.id)}",
                    kind=kind,
                    name=name,
                    lon=round(point.x, 6),
                    lat=round(point.y, 6),
                    context=_context(*where, kind_zh),
                    kind_zh=kind_zh,
                    kind_en=kind_en,
                    layer=layer_name,
                    bounds=_bounds(geom),
                    context_en=_context(*where_en, kind_en),
                )
            )
    return places


def _names_by_id(frame: gpd.GeoDataFrame | None, column: str = "name") -> dict[str, str]:
    """Feature id → its ``column`` (empty values left out, so a caller can fall back)."""
    if frame is None or column not in frame:
        return {}
    names = {_text(i): _text(n) for i, n in zip(frame["id"], frame[column], strict=True)}
    return {i: n for i, n in names.items() if n}


def _context(*parts: str) -> str:
    """Parts joined with " · ", blanks and repeats left out (a centre named after its
    community must not say the community twice)."""
    return _CONTEXT_SEP.join(dict.fromkeys(p for p in parts if p))


def _road_places(frame: gpd.GeoDataFrame) -> list[Place]:
    """One place per road name: a road is many segments that share it."""
    classes = frame["road_class"] if "road_class" in frame else [None] * len(frame)
    segments: dict[str, list[BaseGeometry]] = {}
    class_counts: dict[str, Counter[str]] = {}
    # Plain lists, not a pandas groupby: ~3,000 segments in ~140 groups group
    # ten times faster this way, and build time is start-up time.
    for raw_name, road_class, geom in zip(frame["name"], classes, frame.geometry, strict=True):
        name = _text(raw_name)
        if not name or geom is None or geom.is_empty:
            continue
        segments.setdefault(name, []).append(geom)
        if _text(road_class):
            class_counts.setdefault(name, Counter())[_text(road_class)] += 1
    kind_zh, kind_en = KIND_LABELS["road"]
    places = []
    for name in sorted(segments):
        lines = shapely.union_all(segments[name])
        middle = _road_middle(lines)
        # The most common class among its segments describes the road best.
        counts = class_counts.get(name)
        label_zh, label_en = ("", "")
        if counts:
            label_zh, label_en = _choice("roads", "road_class", counts.most_common(1)[0][0])
        places.append(
            Place(
                id=f"roads:{name}",
                kind="road",
                name=name,
                lon=round(middle.x, 6),
                lat=round(middle.y, 6),
                context=_context(kind_zh, label_zh),
                kind_zh=kind_zh,
                kind_en=kind_en,
                layer="roads",
                bounds=_bounds(lines),
                context_en=_context(kind_en, label_en),
            )
        )
    return places
