"""Pieces every face's Dash app shares: construction and the language switch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
from dash import Dash, html

from dashboard.i18n import LANGS, pick_lang, t
from dashboard.settings import PROJECT_ROOT

ASSETS_FOLDER = str(PROJECT_ROOT / "assets")
"""Absolute, so the app works from any working directory (BRIEF §6)."""


def make_dash(
    server: flask.Flask,
    prefix: str,
    name: str,
    title: str,
    debug: bool,
) -> Dash:
    """A Dash app mounted at ``prefix`` of ``server``, serving every file itself."""
    app = Dash(
        name,
        server=server,
        url_base_pathname=prefix,
        assets_folder=ASSETS_FOLDER,
        serve_locally=True,
        title=title,
        update_title=None,
        compress=False,  # the server compresses once for every app (dashboard/__init__.py)
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1, viewport-fit=cover"}
        ],
    )
    app.config.suppress_callback_exceptions = False
    if debug:
        app.enable_dev_tools(debug=True, dev_tools_disable_version_check=True)
    return app


def localise_index(app: Dash, default_lang: str, title_key: str) -> None:
    """Serve a face's HTML shell in the request's language: ``<html lang>`` (screen
    readers pick their voice by it) and the ``<title>`` named by ``title_key`` in i18n."""
    interpolate = app.interpolate_index

    def localised(**parts: Any) -> str:
        lang = request_lang(default_lang)
        page = interpolate(**{**parts, "title": t(title_key, lang)})
        return page.replace("<html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">', 1)

    app.interpolate_index = localised  # type: ignore[method-assign]


LANG_COOKIE = "redmap_lang"


def request_lang(default: str) -> str:
    """Language of this request: ``?lang=``, else the cookie a page visit set, else default.

    Dash fetches ``/_dash-layout`` without the page's query string, so the choice
    made on the page URL travels in a cookie (set in ``remember_lang``).
    """
    if not flask.has_request_context():
        return default
    asked = flask.request.args.get("lang") or flask.request.cookies.get(LANG_COOKIE)
    return pick_lang(asked, default)


def remember_lang(response: flask.Response) -> flask.Response:
    """``after_request`` hook: keep a ``?lang=`` choice for the page's later requests."""
    asked = flask.request.args.get("lang")
    if asked in LANGS:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def lang_switch(lang: str, path: str, class_name: str = "rm-lang") -> html.A:
    other = "en" if lang == "zh" else "zh"
    return html.A(
        t("lang_switch", lang),
        href=f"{path}?lang={other}",
        className=class_name,
        lang=other,
        # The accessible name starts with the visible text (WCAG 2.5.3), then says what it does.
        **{"aria-label": t("lang_switch_name", lang)},
    )


def layout_for_request(build: Callable[[str], Any], default_lang: str) -> Callable[[], Any]:
    """A layout function Dash calls per page load, in the requested language."""

    def serve() -> Any:
        return build(request_lang(default_lang))

    return serve
