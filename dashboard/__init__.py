"""Red Map web app: one Flask server carrying three Dash apps (public, staff, wall).

``create_app`` is the only way to build it, so that tests can start an app on their
own data file and settings.
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from flask_compress import Compress

from .settings import Settings, SettingsError

log = logging.getLogger("redmap")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Red Map WSGI app.

    Parameters
    ----------
    settings
        Deployment settings; read from the ``REDMAP_*`` environment when None.

    Returns
    -------
    Flask
        The server. ``server.extensions["redmap"]`` holds the shared
        :class:`~dashboard.context.AppContext` and the three Dash apps.

    Raises
    ------
    geodata.validate.DataError
        When the data file breaks the schema; the message lists every problem.
    """
    import geodata  # noqa: F401  (sets GDAL_SKIP before GDAL reads any file)
    from geodata.dataset import open_dataset

    from . import access_log, auth, export_routes, request_guard
    from .api import PublicApi
    from .context import AppContext
    from .finder import build_finder
    from .pages import common, public, staff_app, wall
    from .payloads import build_layer_payloads
    from .routes import register_routes

    started = time.perf_counter()
    settings = settings or Settings.from_env()
    if settings.uses_demo_data and not settings.data.exists():
        from geodata.demo import write_demo

        log.warning("no data file yet: building the demo district at %s", settings.data)
        write_demo(settings.data)
    dataset = open_dataset(settings.data)
    if settings.production and dataset.is_demo:
        raise SettingsError(f"{settings.data} holds demo data: production (REDMAP_PRODUCTION) refuses it")
    ctx = AppContext(
        settings=settings,
        dataset=dataset,
        layer_payloads=build_layer_payloads(dataset, settings.area_layers_above),
        finder=build_finder(dataset),
    )

    server = Flask("redmap")
    server.config.update(
        SECRET_KEY=settings.secret_key,
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_MIMETYPES=[
            "text/html",
            "text/css",
            "application/json",
            "application/javascript",
            "text/javascript",
            "image/svg+xml",
            # Exports of every filtered record: a city's incidents as CSV are megabytes of
            # repeated text (xlsx, gpkg and png are compressed or binary already).
            "text/csv",
            "application/geo+json",
        ],
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    server.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable
    server.json.sort_keys = False  # type: ignore[attr-defined]  # fields in the documented order
    Compress(server)
    access_log.install(server)
    request_guard.install(server)
    server.after_request(common.remember_lang)
    register_routes(server, ctx)
    export_routes.register(server, ctx)
    apps = {
        "public": public.create(server, ctx),
        "staff": staff_app.create(server, ctx),
        "wall": wall.create(server, ctx),
    }
    # In front of Flask, behind ProxyFix (which auth.install adds when proxies are trusted).
    public_layers = sorted({layer for face, layer, _ in ctx.layer_payloads if face == "public"})
    server.wsgi_app = PublicApi(  # type: ignore[method-assign]
        server.wsgi_app, ctx.finder, https=settings.https, layers=public_layers
    )
    streets = dataset["streets"].sort_values("id")
    access = auth.install(
        server,
        settings,
        apps.values(),
        demo_streets=zip(streets["id"].astype(str), streets["name"].astype(str), strict=True)
        if dataset.is_demo
        else None,
    )
    server.extensions["redmap"] = {"context": ctx, "apps": apps, "auth": access}
    log.info("Red Map ready on %s in %.2f s", dataset.path, time.perf_counter() - started)
    return server
