"""The wall's panels as plain HTML built from :mod:`geodata.metrics` results.

Why HTML and not Plotly: Plotly's bundle alone is 4.8 MB (1.47 MB gzipped), over the
wall's whole 1 MB budget, and its fonts are pixels that a 4K wall would have to
re-lay out in JavaScript. These bars are ``div`` boxes sized in percent and rem, so
they cost a few kilobytes, draw at once and scale with the viewport like the rest of
the wall. Every function here is pure: data in, components out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from dash import html

from geodata.metrics import MEDIATION_ROUNDS
from geodata.schema import INCUBATION_STEPS, MEDIATION_LEVELS, MEDIATION_OUTCOMES

from .i18n import t

DASH = "—"


def _label(choices: Sequence[Any], value: str, lang: str) -> str:
    for c in choices:
        if c.value == value:
            return c.zh if lang == "zh" else c.en
    return value


def fmt_int(value: float | None) -> str:
    """Thousands-separated integer, or "—" for a suppressed or missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{round(value):,}"


def fmt_rate(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value * 100:.1f}%"


def month_label(month: pd.Timestamp, lang: str) -> str:
    return f"{month.month}月" if lang == "zh" else month.strftime("%b")


def panel(title: str, body: Any, class_name: str, headline: Any = None, **attrs: Any) -> html.Section:
    head = [html.H2(title)]
    if headline is not None:
        head.append(html.Span(headline, className="rm-panel-headline"))
    return html.Section(
        [html.Div(head, className="rm-panel-head"), body], className=f"rm-wall-panel {class_name}", **attrs
    )


# ---- mediation funnel -------------------------------------------------------------------


FUNNEL_TRACK_REM = 9.1
"""Width of a funnel row's track in rem (measured at 1920 x 1080 and 3840 x 2160: the
wall's type and columns scale together)."""
BARE_SEGMENT_REM = 0.3
"""Width a round too small for its number keeps, so that its colour still shows."""


def label_rem(text: str) -> float:
    """Room a segment's number needs at the panel's 0.85 rem bold digits, padding included."""
    return 0.43 * sum(c.isdigit() for c in text) + 0.22 * text.count(",") + 0.5


def segment_labels(counts: Sequence[int], bar_rem: float) -> list[bool]:
    """Which rounds of a bar show their number: the largest first, while every labelled
    round can be as wide as its number and the others keep a sliver. A number that does
    not fit is left out rather than cut (a cut "1" read as one case, not 156)."""
    shown = [False] * len(counts)
    for i in sorted(range(len(counts)), key=lambda i: -counts[i]):
        trial = shown.copy()
        trial[i] = True
        need = sum(
            label_rem(f"{c:,}") if on else BARE_SEGMENT_REM for c, on in zip(counts, trial, strict=True)
        )
        if need <= bar_rem:
            shown = trial
    return shown


def mediation_panel(funnel: pd.DataFrame, outcomes: Mapping[str, int], lang: str) -> html.Section:
    """Cases per level as funnel rows (widest first), each split into its rounds."""
    totals = funnel.sum(axis=1)
    top = max(int(totals.max()), 1) if len(totals) else 1
    rows = []
    for level, counts in funnel.iterrows():
        total = int(totals[level])
        width = 30 + 70 * total / top  # per cent of the track: the funnel's shape
        rounds = [(r, int(counts[r])) for r in MEDIATION_ROUNDS if counts[r] > 0]
        labelled = segment_labels([n for _, n in rounds], FUNNEL_TRACK_REM * width / 100)
        segments = [
            html.Span(
                f"{n:,}" if on else "",
                className=f"rm-seg r{r}",
                # Widths in proportion to the cases, never below what the number needs.
                style={
                    "flex": f"{n} 1 0",
                    "minWidth": f"{label_rem(f'{n:,}') if on else BARE_SEGMENT_REM:.2f}rem",
                },
                title=f"{n:,}",
                **{"data-funnel": f"{level}-{r}"},
            )
            for (r, n), on in zip(rounds, labelled, strict=True)
        ]
        rows.append(
            html.Div(
                [
                    html.Span(_label(MEDIATION_LEVELS, str(level), lang), className="rm-funnel-name"),
                    html.Span(
                        html.Span(
                            segments,
                            className="rm-funnel-bar",
                            style={"width": f"{width:.1f}%"},
                        ),
                        className="rm-funnel-track",
                    ),
                    html.Span(f"{total:,}", className="rm-funnel-total", **{"data-funnel": str(level)}),
                ],
                className="rm-funnel-row",
            )
        )
    legend = html.Div(
        [
            html.Span([html.I(className=f"rm-key r{r}"), t("wall_round", lang).format(n=r)])
            for r in MEDIATION_ROUNDS
        ],
        className="rm-panel-keys",
    )
    outcome = html.Div(
        [
            html.Span(
                [_label(MEDIATION_OUTCOMES, k, lang), " ", html.B(f"{v:,}", **{"data-outcome": k})],
                className=f"rm-outcome {k}",
            )
            for k, v in outcomes.items()
        ],
        className="rm-outcomes",
    )
    return panel(
        t("wall_mediation", lang), html.Div([*rows, legend, outcome], className="rm-funnel"), "rm-p-mediation"
    )


# ---- monthly column charts --------------------------------------------------------------


def incidents_panel(months: pd.DataFrame, lang: str) -> html.Section:
    """Found and closed incidents as paired columns; the median days to close beneath each month."""
    top = max(int(months[["found", "closed"]].max().max()), 1) if len(months) else 1
    cols = []
    for month, row in months.iterrows():
        median = row["median_days"]
        cols.append(
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(
                                className="rm-col found", style={"height": f"{100 * row['found'] / top:.1f}%"}
                            ),
                            html.Span(
                                className="rm-col closed",
                                style={"height": f"{100 * row['closed'] / top:.1f}%"},
                            ),
                        ],
                        className="rm-col-bars",
                        title=f"{row['found']} / {row['closed']}",
                    ),
                    html.Span(month_label(month, lang), className="rm-col-x"),
                    html.Span(
                        DASH if pd.isna(median) else f"{median:.1f}",
                        className="rm-col-median",
                        **{"data-month": month.strftime("%Y-%m")},
                    ),
                ],
                className="rm-col-group",
            )
        )
    keys = html.Div(
        [
            html.Span([html.I(className="rm-key found"), t("wall_found", lang)]),
            html.Span([html.I(className="rm-key closed"), t("wall_closed", lang)]),
            html.Span(
                [
                    html.I(className="rm-key median"),
                    t("wall_median_days", lang),
                    f"（{t('wall_days', lang)}）" if lang == "zh" else f" ({t('wall_days', lang)})",
                ]
            ),
        ],
        className="rm-panel-keys",
    )
    return panel(
        t("wall_incidents", lang),
        html.Div([html.Div(cols, className="rm-cols"), keys], className="rm-chart"),
        "rm-p-incidents",
    )


def meals_panel(meals: pd.Series, lang: str) -> html.Section:
    """Meals delivered per month, as columns with the last month's figure."""
    top = max(int(meals.max()), 1) if len(meals) else 1
    cols = [
        html.Div(
            [
                html.Div(
                    html.Span(className="rm-col meals", style={"height": f"{100 * value / top:.1f}%"}),
                    className="rm-col-bars",
                    title=f"{value:,}",
                ),
                html.Span(month_label(month, lang), className="rm-col-x"),
            ],
            className="rm-col-group",
            **{"data-meals": month.strftime("%Y-%m")},
        )
        for month, value in meals.items()
    ]
    headline = [t("wall_last_12", lang), " ", html.B(f"{int(meals.sum()):,}", **{"data-meals-total": ""})]
    return panel(
        t("wall_meals", lang),
        html.Div(html.Div(cols, className="rm-cols"), className="rm-chart"),
        "rm-p-meals",
        headline,
    )


# ---- incubation pipeline ----------------------------------------------------------------


def incubation_panel(steps: pd.Series, lang: str) -> html.Section:
    """The seven steps as a chevron row with the compounds now at each step."""
    total = int(steps.sum())
    boxes = [
        html.Div(
            [
                html.Span(step.zh, className="rm-step-name", title=step.en),
                html.Span(
                    f"{int(steps.get(step.value, 0)):,}",
                    className="rm-step-count",
                    **{"data-step": step.value},
                ),
            ],
            className="rm-step"
            + (" done" if i == len(INCUBATION_STEPS) - 1 else "")
            + ("" if steps.get(step.value, 0) else " empty"),
        )
        for i, step in enumerate(INCUBATION_STEPS)
    ]
    done = int(steps.iloc[-1]) if len(steps) else 0
    share = html.Div(
        html.Span(className="rm-pipe-fill", style={"width": f"{100 * done / max(total, 1):.1f}%"}),
        className="rm-pipe-track",
    )
    headline = [html.B(f"{done:,}"), f" / {total:,} ", t("wall_compounds", lang)]
    return panel(
        t("wall_incubation", lang),
        html.Div([html.Div(boxes, className="rm-steps"), share], className="rm-pipeline"),
        "rm-p-incubation",
        headline,
    )


# ---- service volume by street -----------------------------------------------------------


STREET_BARS = 12
"""Bars the street panel has room for on a 1920×1080 wall: every street of a district
(the demo has 12); a city's or province's others share the last bar."""


def street_bars(volume: pd.Series, names: pd.Series, lang: str, room: int = STREET_BARS) -> list[Any]:
    """Service volume by street as bars, largest first (children of the bars panel).

    With more streets than ``room``, the largest ``room - 1`` have a bar each and the
    rest are summed in one row: a thousand bars can be neither read nor drawn quickly
    (6,000 components took the wall seconds to open at 100 times the demo district).
    """
    volume = volume.sort_values(ascending=False)
    top = max(int(volume.max()), 1) if len(volume) else 1
    cut = len(volume) if len(volume) <= room else room - 1
    shown, rest = volume.iloc[:cut], volume.iloc[cut:]
    rows = [_bar(names[street_id], value / top, value, street_id) for street_id, value in shown.items()]
    if len(rest):
        label = t("other_streets", lang).format(n=f"{len(rest):,}")
        rows.append(_bar(label, None, rest.sum(), None))
    return [html.H2(t("street_panel", lang)), html.Div(rows, className="rm-bars")]


def _bar(name: str, share: float | None, value: float, street_id: str | None) -> html.Div:
    """One row of the street panel; ``share`` of the longest bar (None: a sum, no bar)."""
    value_text = f"{int(value):,}"
    if share is None:  # the name takes the bar's room too: "其余 1,189 个街道" is long
        return html.Div(
            [html.Span(name, className="rm-bar-name"), html.Span(value_text, className="rm-bar-value")],
            className="rm-bar rm-bar-rest",
        )
    return html.Div(
        [
            html.Span(name, className="rm-bar-name", title=name),
            html.Span(
                html.Span(style={"width": f"{100 * share:.1f}%"}, className="rm-bar-fill"),
                className="rm-bar-track",
            ),
            html.Span(value_text, className="rm-bar-value", **{"data-street": street_id}),
        ],
        className="rm-bar",
    )


# ---- the tour's street cards ------------------------------------------------------------


def tour_card(street_id: str, row: pd.Series, lang: str, xixian: bool = False) -> dict[str, Any]:
    """One street's own figures, shown over the map while the tour is on that street.

    As data, drawn by ``redmap.wallTour`` for the street on show: a city has a thousand
    streets, and a card per street as Dash components (45,000 of them) took the wall
    half a minute to open.
    """
    figures = [
        ("centers", t("wall_t_centers", lang), fmt_int(row["centers"])),
        ("people_served", t("wall_t_people", lang), fmt_int(row["people_served"])),
        ("problems_solved", t("wall_t_problems", lang), fmt_int(row["problems_solved"])),
        (
            "open_incidents",
            t("wall_t_open", lang),
            f"{fmt_int(row['open_incidents'])} / {fmt_int(row['overdue_incidents'])}",
        ),
        (
            "mediation",
            t("wall_t_mediation", lang),
            f"{fmt_int(row['mediation_cases'])} · {fmt_rate(row['mediation_success'])}",
        ),
        (
            "compounds",
            t("wall_t_compounds", lang),
            f"{fmt_int(row['compounds'])}（{fmt_int(row['compounds_done'])}）"
            if lang == "zh"
            else f"{fmt_int(row['compounds'])} ({fmt_int(row['compounds_done'])})",
        ),
        ("grids", t("wall_t_grids", lang), fmt_int(row["grids"])),
        ("daycare_centers", t("wall_t_daycare", lang), fmt_int(row["daycare_centers"])),
        ("households", t("wall_t_households", lang), fmt_int(row["households"])),
    ]
    return {
        "id": street_id,
        "kicker": t("wall_tour_label", lang),
        "name": str(row["name"] if lang == "zh" else row["name_en"]),
        "flag": t("wall_xixian", lang) if xixian else None,
        "figures": [list(f) for f in figures],
    }
