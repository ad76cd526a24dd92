"""The public finder's pieces: suggestion lists, result cards, and browser-input checks.

Pure functions; :mod:`dashboard.pages.public` lays them out and wires the callbacks.
"""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.context import AppContext
from dashboard.i18n import t
from layers.base import readable_hours

SUGGESTION = "pub-suggestion"
"""Pattern-matching id type of a suggestion button."""
RESULT = "pub-result"
"""Pattern-matching id type of a result card."""


def suggestion_list(ctx: AppContext, query: str | None, lang: str) -> list[Any]:
    """Suggestions for a query (options of the search box's list), or a clear
    "nothing found" with hints.

    Each option is clickable itself (``n_clicks``) and is never a Tab stop: the
    keyboard stays in the search box, which points at the highlighted option with
    ``aria-activedescendant`` (``assets/redmap.js``) and picks it with Enter.
    """
    if not query or not query.strip():
        return []
    matches = ctx.finder.search(query, 6)
    if not matches:
        hint = (
            "没有找到这个地点。可以试试：社区或道路名称、拼音（renminlu）、首字母（rml），或直接点地图。"
            if lang == "zh"
            else "No place found. Try a community or road name, pinyin (renminlu), initials (rml), "
            "or tap the map."
        )
        return [html.Li(hint, className="rm-sugg-empty", role="status")]
    return [
        html.Li(
            [
                html.Span(m.place.name, className="rm-sugg-name"),
                # The context already says what the place is: no kind in front of it.
                html.Span(m.place.describe(lang), className="rm-sugg-context"),
            ],
            id={"type": SUGGESTION, "place": m.place.id},
            className="rm-sugg",
            role="option",
            n_clicks=0,
            **{"aria-selected": "false"},
        )
        for m in matches
    ]


def fmt_m(metres: float, lang: str) -> str:
    if metres >= 1000:
        return f"{metres / 1000:.1f} 公里" if lang == "zh" else f"{metres / 1000:.1f} km"
    return f"{round(metres):,} 米" if lang == "zh" else f"{round(metres):,} m"


def result_card(rank: int, result: dict[str, Any], lang: str, selected: bool) -> html.Li:
    zh = lang == "zh"
    open_now = result.get("open_now")
    badge = (
        html.Span("营业中" if zh else "Open now", className="rm-open yes")
        if open_now
        else html.Span("已关闭" if zh else "Closed", className="rm-open no")
        if open_now is False
        else None
    )
    phone = result.get("phone")
    return html.Li(
        [
            html.Button(
                [
                    html.Div(
                        [
                            html.Span(str(rank), className="rm-rank", **{"aria-hidden": "true"}),
                            html.Span(result["name"] or "", className="rm-res-name"),
                            badge,
                        ],
                        className="rm-res-head",
                    ),
                    html.Div(
                        [
                            html.Strong(
                                f"步行 {result['walk_min']} 分钟" if zh else f"{result['walk_min']} min walk"
                            ),
                            html.Span(f" · {fmt_m(result['walk_m'], lang)}"),
                            html.Span(
                                f" · 直线 {fmt_m(result['distance_m'], lang)}"
                                if zh
                                else f" · {fmt_m(result['distance_m'], lang)} straight",
                                className="rm-muted",
                            ),
                        ],
                        className="rm-res-walk",
                    ),
                    html.Div(result.get("address") or "", className="rm-res-line"),
                    html.Div(
                        [
                            ("开放时间 " if zh else "Hours ")
                            + readable_hours(result.get("opening_hours"), lang)
                        ],
                        className="rm-res-line",
                    ),
                    html.Div(
                        ("、" if zh else ", ").join(result.get("service_labels") or []),
                        className="rm-res-services",
                    )
                    if result.get("service_labels")
                    else None,
                ],
                id={"type": RESULT, "id": result["id"]},
                className="rm-res-btn",
                type="button",
                **{"aria-pressed": "true" if selected else "false"},
            ),
            html.A(("电话 " if zh else "Call ") + phone, href=f"tel:{phone}", className="rm-res-phone")
            if phone
            else None,
        ],
        # The chosen card is marked by its button's aria-pressed (the stylesheet reads it).
        className="rm-result",
        **{"data-result-id": result["id"]},
    )


def count_text(n: int, lang: str) -> str:
    """The results heading, read out when it changes: how many places, in what order."""
    if n == 0:
        return t("pub_none", lang)
    return t("pub_count_one", lang) if n == 1 else t("pub_count", lang).format(n)


def where_text(where: dict[str, Any] | None, lang: str) -> str:
    if not where:
        return (
            "请先选择位置：搜索地点、点地图，或用我的位置。"
            if lang == "zh"
            else ("First choose where you are: search, tap the map, or use your location.")
        )
    return ("位置：" if lang == "zh" else "From: ") + where.get("label", "")


def as_list(value: Any) -> list[Any]:
    """A browser-sent list, or [] for anything else (callbacks never trust its shape)."""
    return value if isinstance(value, list) else []


def checked_where(where: Any) -> dict[str, Any] | None:
    """A position from the browser, accepted only if it is two finite numbers."""
    if not isinstance(where, dict):
        return None
    try:
        lon, lat = float(where["lon"]), float(where["lat"])
    except (TypeError, KeyError, ValueError):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return {"lon": lon, "lat": lat, "label": str(where.get("label", ""))[:80]}


def checked_latlng(latlng: Any) -> tuple[float, float] | None:
    """(lon, lat) from Leaflet's ``{lat, lng}`` (or ``[lat, lng]``), None if malformed."""
    try:
        lat, lon = (latlng["lat"], latlng["lng"]) if isinstance(latlng, dict) else (latlng[0], latlng[1])
        checked = checked_where({"lon": lon, "lat": lat})
    except (TypeError, KeyError, IndexError):
        return None
    return None if checked is None else (checked["lon"], checked["lat"])


def fit_bounds(points: list[tuple[float, float]]) -> list[list[float]]:
    """Leaflet bounds ``[[south, west], [north, east]]`` around (lon, lat) points."""
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
