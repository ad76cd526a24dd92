"""The staff workspace's Dash app: the layout (:mod:`.staff`) and the callbacks
(:mod:`.staff_callbacks`) wired together here, so neither imports the other back."""

from __future__ import annotations

import flask
from dash import Dash

from dashboard.context import FACE_PREFIX, AppContext
from dashboard.pages import staff, staff_callbacks
from dashboard.pages.common import layout_for_request, localise_index, make_dash


def create(server: flask.Flask, ctx: AppContext) -> Dash:
    """The staff face's app on ``server``, at ``/staff/``."""
    app = make_dash(server, FACE_PREFIX[staff.FACE], "redmap_staff", "红色地图 · 工作台", ctx.settings.debug)
    app.layout = layout_for_request(lambda lang: staff.layout(ctx, lang), ctx.settings.lang)
    localise_index(app, ctx.settings.lang, "staff_title")
    staff_callbacks.register(app, ctx)
    return app
