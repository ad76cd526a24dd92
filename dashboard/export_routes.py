"""``GET /staff/export/<fmt>``: the staff workspace's current view as a file.

The query string is the page's own permalink (:mod:`dashboard.permalink`), so a
download link is the page's address with ``/export/<fmt>`` in its path; the rows are
built exactly as the table builds them (:func:`dashboard.workspace.filtered`). Unlike
the page, which ignores what it cannot read, an export refuses it (HTTP 400 saying
what was wrong): a filter silently dropped would put more rows in the file than the
user chose.

Access: the path lies under ``/staff/``, so the one ``before_request`` guard of
:mod:`dashboard.auth.web` admits only admin and street staff before this runs. Whose
personal data may be in the file is decided by the signed-in principal
(:func:`dashboard.exports.personal_allowed`); every export is written to the audit
table.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from urllib.parse import parse_qsl, quote

import pandas as pd
from flask import Flask, Response, current_app, jsonify, request

from dashboard import exports, permalink
from dashboard.auth import current_principal
from dashboard.context import AppContext
from dashboard.pages.common import request_lang
from dashboard.workspace import TABLES, Filters, PlaceTree, TableSpec, filter_choices, filtered
from geodata.schema import layer as schema_layer

log = logging.getLogger("redmap.export")

EXPORT_PREFIX = "/staff/export/"


class BadExport(ValueError):
    """A query an export cannot honour exactly; the message says why."""


def export_filters(query: str, places: PlaceTree, default_street: str | None) -> tuple[TableSpec, Filters]:
    """The table and filters a permalink query asks for, checked strictly.

    Parameters
    ----------
    query
        The staff page's query string (``table=…&street=…&f.status=…&from=…``), plus
        ``bbox=west,south,east,north`` (degrees) when ``inview=1``: the link holds
        the map's centre and zoom, not its bounds.
    places
        The street → community → grid tree.
    default_street
        The street used when the query names none, as the page does: a street staff
        member's own street opens by default.

    Raises
    ------
    BadExport
        For a query longer than the page accepts, an unknown table, place, field,
        value or date, a place outside the wider one chosen, or ``inview=1`` without
        a valid ``bbox``.
    """
    if len(query) > permalink.MAX_QUERY:
        raise BadExport(f"query longer than {permalink.MAX_QUERY} characters")
    args = dict(parse_qsl(query.lstrip("?"), keep_blank_values=False))
    state = permalink.parse(query)
    if state.table is not None and state.table not in TABLES:
        raise BadExport(f"unknown table {state.table!r}; one of {', '.join(TABLES)}")
    spec = TABLES[state.table or "grid_events"]
    for name, values in state.fields.items():
        if name not in spec.filters:
            offered = ", ".join(f"f.{n}" for n in spec.filters)
            raise BadExport(f"table {spec.layer} has no filter f.{name}; it offers {offered}")
        allowed = {o["value"] for o in filter_choices(spec.layer, name)}
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise BadExport(f"f.{name}: unknown value {unknown[0]!r}; one of {', '.join(sorted(allowed))}")
    for name in ("from", "to"):
        value = args.get(name, "").strip()
        if value and not _is_date(value):
            raise BadExport(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
    bbox = None
    if state.in_view:
        bbox = _bbox(args.get("bbox", ""))
        if bbox is None:
            raise BadExport("inview=1 needs bbox=west,south,east,north (the map's bounds in degrees)")
    street = None if state.street == permalink.ALL_STREETS else (state.street or default_street)
    for name, value, known in (
        ("street", street, places.streets),
        ("community", state.community, places.community_street),
        ("grid", state.grid, places.grid_community),
    ):
        if value and value not in known:
            raise BadExport(f"unknown {name} {value!r}")
    f = Filters.from_browser(
        places,
        spec,
        street,
        state.community,
        state.grid,
        state.start,
        state.end,
        {k: list(v) for k, v in state.fields.items()},
        list(bbox) if bbox else None,
    )
    if state.community and f.community != state.community:
        raise BadExport(f"community {state.community!r} is not in street {street!r}")
    if state.grid and f.grid != state.grid:
        raise BadExport(f"grid {state.grid!r} is not in the community or street chosen")
    return spec, f


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _bbox(value: str) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees, west < east and south < north."""
    parts = value.split(",")
    if len(parts) != 4:
        return None
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return None
    return west, south, east, north


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the real one in RFC 5987 form."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def filenames(ctx: AppContext, spec: TableSpec, f: Filters, ext: str, lang: str, day: str) -> tuple[str, str]:
    """(``智慧网格事件_渭阳西路街道_20261128.csv``, ``redmap_grid_events_610402004_20261128.csv``)."""
    dataset = ctx.dataset
    place_id, place_name = None, exports.text("whole_district", lang)
    for layer, chosen, column in (
        ("grids", f.grid, "name"),
        ("communities", f.community, "name"),
        ("streets", f.street, "name" if lang == "zh" else "name_en"),
    ):
        if chosen:
            place_id, place_name = chosen, dataset.names_by_id(layer, column).get(chosen, chosen)
            break
    title = schema_layer(spec.layer).label(lang)
    name = "_".join(_safe(p) for p in (title, place_name, day)) + f".{ext}"
    parts = ("redmap", spec.layer.replace("_", "-"), place_id or "all", day)
    fallback = "_".join(re.sub(r"[^A-Za-z0-9-]", "", p) for p in parts)
    return name, f"{fallback}.{ext}"


def _safe(part: str) -> str:
    """A piece of a file name: no path separators, quotes or control characters."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "", part).strip(" .") or "-"


def register(server: Flask, ctx: AppContext) -> None:
    """Attach ``GET /staff/export/<fmt>`` to ``server``."""
    places = PlaceTree.of(ctx.dataset)

    @server.get(EXPORT_PREFIX + "<fmt>", endpoint="staff_export")
    def staff_export(fmt: str) -> Response:
        made = exports.FORMATS.get(fmt)
        if made is None:
            return _error(404, f"unknown export format {fmt!r}; one of {', '.join(exports.FORMATS)}")
        viewer = current_principal()
        lang = request_lang(ctx.settings.lang)
        try:
            spec, f = export_filters(
                request.query_string.decode("utf-8", "replace"), places, viewer.street_id
            )
        except BadExport as error:
            return _error(400, f"cannot export: {error}")
        frame = filtered(ctx.dataset, spec, f)
        now = pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None).to_pydatetime()
        body = exports.export(fmt, ctx.dataset, spec, frame, viewer, lang, filters=f, generated=now)
        name, fallback = filenames(ctx, spec, f, made.extension, lang, now.strftime("%Y%m%d"))
        personal = exports.personal_allowed(viewer, frame) and schema_layer(spec.layer).has_personal_data
        _audit(viewer.name, f"{fmt} {spec.layer} rows={len(frame)} personal={'yes' if personal else 'no'}")
        response = Response(body, content_type=made.mimetype)
        response.headers["Content-Disposition"] = content_disposition(name, fallback)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Export-Rows"] = str(len(frame))
        return response


def _error(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _audit(name: str, detail: str) -> None:
    """Exports leave the system: who took what is kept with the sign-ins."""
    log.info("export by %s: %s", name, detail)
    auth = current_app.extensions.get("redmap", {}).get("auth")
    if auth is not None:
        auth.store.audit(auth.clock(), "export", name, request.remote_addr or "", detail)
