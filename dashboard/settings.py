"""Red Map settings, read once from ``REDMAP_*`` environment variables.

Every setting is documented on its field. An unknown ``REDMAP_*`` variable is an
error rather than silently ignored, so that a typo such as ``REDMAP_DTA`` cannot
leave a deployment running on the demo data.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
DEMO_DATA_PATH = VAR_DIR / "demo.gpkg"
"""Where the demo district is built on first run when ``REDMAP_DATA`` is not set."""

PREFIX = "REDMAP_"


class SettingsError(ValueError):
    """A setting is unknown or has a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    """Deployment settings.

    Attributes
    ----------
    data : Path
        ``REDMAP_DATA``: the deployment's GeoPackage. Unset: the demo district at
        ``var/demo.gpkg``, built on first start (offline, deterministic).
    host : str
        ``REDMAP_HOST``: address ``python app.py`` listens on (default 127.0.0.1).
    port : int
        ``REDMAP_PORT``: port ``python app.py`` listens on (default 8050).
    secret_key : str
        ``REDMAP_SECRET_KEY``: signs session cookies. Set it in production and
        share it between workers; unset, a random key is kept in
        ``var/secret_key`` so that restarts and workers on one machine agree.
    tile_url : str
        ``REDMAP_TILE_URL``: an intranet basemap tile URL template
        (``.../{z}/{x}/{y}.png``, WGS-84/CGCS2000 tiles such as a Tianditu mirror).
        Empty (default): the basemap is drawn from the district's own layers and
        no tile is requested from anywhere.
    tile_attribution : str
        ``REDMAP_TILE_ATTRIBUTION``: attribution text shown with those tiles.
    lang : str
        ``REDMAP_LANG``: default interface language, ``zh`` (default) or ``en``;
        each page also takes ``?lang=``.
    debug : bool
        ``REDMAP_DEBUG``: Dash dev tools for development (``1``/``0``); never in
        production. Off by default.
    users_db : Path
        ``REDMAP_USERS_DB``: the SQLite store of users, sessions and kiosk
        credentials (default ``var/users.sqlite``).
    production : bool
        ``REDMAP_PRODUCTION``: a real deployment. Refuses the demo data, demo
        accounts and debug mode.
    demo_password : str
        ``REDMAP_DEMO_PASSWORD``: password of the demo accounts (demo mode only).
        Unset, one is generated, kept in ``var/demo_password`` and printed at start.
    https : bool
        ``REDMAP_HTTPS``: the site is served over HTTPS (by a proxy in front):
        cookies get ``Secure`` and HSTS is sent.
    area_layers_above : int
        ``REDMAP_AREA_LAYERS_ABOVE``: a layer with more features than this (default
        10,000) is not sent whole but by map area, and drawn only once the map shows a
        district's worth or less (see dashboard/tiles.py). The demo district has no
        such layer; at 100 times its size, roads, incidents, grids, building groups,
        communities and service centres are (together 14 MB gzipped otherwise).
    workers : int
        ``REDMAP_WORKERS``: processes ``python app.py`` serves with (default 2, one
        per core). They are forked from one process that has built the data and
        indexes, so they share that memory.
    threads : int
        ``REDMAP_THREADS``: threads per worker (default 8). Threads are pooled: what a
        thread sets up on first use (pyproj's projection context, ~0.1 s) is paid
        once per thread, not once per request.
    trusted_proxies : int
        ``REDMAP_TRUSTED_PROXIES``: how many reverse proxies in front of the app set
        ``X-Forwarded-For``. 0 (default) ignores that header entirely, so a forged
        one cannot dodge login throttling.
    """

    data: Path = DEMO_DATA_PATH
    host: str = "127.0.0.1"
    port: int = 8050
    secret_key: str = ""
    tile_url: str = ""
    tile_attribution: str = ""
    lang: str = "zh"
    debug: bool = False
    users_db: Path = VAR_DIR / "users.sqlite"
    production: bool = False
    demo_password: str = ""
    https: bool = False
    workers: int = 2
    threads: int = 8
    trusted_proxies: int = 0
    area_layers_above: int = 10_000

    @property
    def uses_demo_data(self) -> bool:
        return self.data.resolve() == DEMO_DATA_PATH.resolve()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``REDMAP_*`` variables; raise SettingsError on any bad one."""
        env = os.environ if environ is None else environ
        known = {f"{PREFIX}{f.name.upper()}": f for f in fields(cls)}
        unknown = sorted(k for k in env if k.startswith(PREFIX) and k not in known)
        if unknown:
            raise SettingsError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values: dict[str, Any] = {}
        for key, f in known.items():
            if key in env and env[key] != "":
                values[f.name] = _parse(key, f.type, env[key])
        return cls(**values).checked()

    def checked(self) -> Settings:
        """Validate values and fill in the secret key; return the completed settings."""
        if not isinstance(self.data, Path) or not isinstance(self.users_db, Path):
            return replace(self, data=Path(self.data), users_db=Path(self.users_db)).checked()
        if self.production and self.uses_demo_data:
            raise SettingsError(
                "REDMAP_PRODUCTION is set but REDMAP_DATA is not: production refuses the demo data"
            )
        if self.production and self.debug:
            raise SettingsError("REDMAP_DEBUG cannot be on in production (REDMAP_PRODUCTION)")
        if self.area_layers_above < 0:
            raise SettingsError("REDMAP_AREA_LAYERS_ABOVE must be 0 or more")
        if self.trusted_proxies < 0:
            raise SettingsError("REDMAP_TRUSTED_PROXIES must be 0 or more")
        if not 1 <= self.workers <= 64 or not 1 <= self.threads <= 256:
            raise SettingsError("REDMAP_WORKERS must be 1–64 and REDMAP_THREADS 1–256")
        if self.lang not in ("zh", "en"):
            raise SettingsError(f"REDMAP_LANG must be 'zh' or 'en', not {self.lang!r}")
        if not 0 < self.port < 65536:
            raise SettingsError(f"REDMAP_PORT must be 1–65535, not {self.port}")
        if self.tile_url and not ("{z}" in self.tile_url and "{x}" in self.tile_url):
            raise SettingsError(f"REDMAP_TILE_URL needs {{z}}, {{x}} and {{y}}: {self.tile_url!r}")
        if not self.secret_key:
            return replace(self, secret_key=_local_secret_key())
        return self


def _parse(key: str, annotation: object, raw: str) -> Any:
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    try:
        if kind == "int":
            return int(raw)
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "Path":
            return Path(raw).expanduser()
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a valid {kind}") from None
    return raw


def _local_secret_key() -> str:
    """A random key persisted in var/ so that every worker on this machine shares it."""
    return local_secret("secret_key", secrets.token_hex(32))


def local_secret(name: str, fresh: str) -> str:
    """A value kept in ``var/NAME`` (mode 0600): created once with ``fresh``, then reused.

    Several workers starting together agree on one value: the first to link its
    file into place wins.
    """
    path = VAR_DIR / name
    try:
        return _keep(path, fresh)
    except OSError as error:
        raise SettingsError(
            f"cannot keep the {name.replace('_', ' ')} in {path}: {error.strerror or error}. "
            f"Make {VAR_DIR} writable for this user, or set {PREFIX}{name.upper()}"
        ) from None


def _keep(path: Path, fresh: str) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = fresh
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    try:
        os.link(tmp, path)  # first writer wins when two workers start together
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()
