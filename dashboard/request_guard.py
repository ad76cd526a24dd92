"""Requests that are malformed get a 400 (or a JSON 404) before any handler sees them.

Dash's callback endpoint trusts its body's shape: a body without ``inputs`` raised a
KeyError, a value nested 50,000 levels deep a RecursionError in the JSON parser, and
both reached the log as tracebacks with a 500. Paths under ``/api/`` that no API route
serves fell through to the public page's catch-all and answered an HTML page with 200.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed

from dashboard.auth.web import json_error

CALLBACK_SUFFIX = "_dash-update-component"
API_PREFIX = "/api/"


def callback_body_problem(raw: bytes) -> str | None:
    """What is wrong with a callback request's body, or None if Dash can take it.

    orjson refuses nesting deeper than 1,024 levels (a callback's values nest a few
    levels), where the standard parser would recurse until the stack ran out.
    """
    try:
        body: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return f"the body is not JSON Dash can read ({str(error).split(':')[0]})"
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("output"), str) or "outputs" not in body:
        return "'output' (text) and 'outputs' are required"
    for key in ("inputs", "state"):
        items = body.get(key, [] if key == "state" else None)
        if not isinstance(items, list) or not all(_is_dependency(i) for i in items):
            return f"'{key}' must be a list of objects with an 'id' (or lists of them, for ALL)"
    if not isinstance(body.get("changedPropIds", []), list):
        return "'changedPropIds' must be a list"
    return None


def _is_dependency(item: Any) -> bool:
    """One input or state: ``{"id": …, …}``, or for a pattern-matching ALL a list of them."""
    if isinstance(item, list):
        return all(isinstance(i, dict) and "id" in i for i in item)
    return isinstance(item, dict) and "id" in item


def check_request() -> Response | None:
    """Flask ``before_request``: refuse what no handler can serve, with a reason."""
    path = request.path
    if path.startswith(API_PREFIX):
        wrong_method = request.routing_exception
        if isinstance(wrong_method, MethodNotAllowed):  # before the CSRF check would answer 403
            response = json_error(405, f"{request.method} is not allowed here; use GET")
            response.headers["Allow"] = ", ".join(sorted(wrong_method.valid_methods or ("GET", "HEAD")))
            return response
        rule = request.url_rule
        if rule is None or not rule.rule.startswith(API_PREFIX):
            return json_error(404, f"no API at {path[:80]}; see /api/v1/openapi.json")
    if request.method == "POST" and path.endswith(CALLBACK_SUFFIX):
        problem = callback_body_problem(request.get_data(cache=True))
        if problem:
            return json_error(400, f"malformed callback request: {problem}")
    return None


def install(server: Flask) -> None:
    server.before_request(check_request)
