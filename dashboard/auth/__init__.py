"""Logins, roles, sessions and server-side access checks for the internal faces.

``install`` wires it all into the server; pages and callbacks ask
:func:`current_principal` who is calling, never the browser.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from dash import Dash
from flask import Flask
from pypinyin import lazy_pinyin
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.settings import Settings, local_secret

from .passwords import generate_password, hash_password, verify_password
from .roles import ANONYMOUS, FACE_ROLES, ROLES, Principal
from .service import AuthService
from .store import Store
from .web import AccessControl, area_of, current_principal

log = logging.getLogger("redmap.auth")

__all__ = [
    "ANONYMOUS",
    "FACE_ROLES",
    "ROLES",
    "AuthService",
    "Principal",
    "area_of",
    "current_principal",
    "demo_account_name",
    "install",
]


def demo_account_name(street_name: str, street_id: str = "") -> str:
    """``人民路街道`` → ``staff_renminlu`` (pinyin of the name without 街道).

    A name that gives no clean pinyin falls back to the street's code.
    """
    slug = re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(street_name.removesuffix("街道"))).lower())
    return "staff_" + (slug[:24] if slug else re.sub(r"[^A-Za-z0-9]", "", street_id))


def ensure_demo_accounts(
    auth: AuthService, settings: Settings, streets: Iterable[tuple[str, str]]
) -> list[str]:
    """Create the documented demo accounts (admin, viewer, one street_staff per street).

    Their shared password is ``REDMAP_DEMO_PASSWORD`` or one generated once, kept in
    ``var/demo_password`` and printed at every start so a new user can sign in.
    """
    password = settings.demo_password or local_secret("demo_password", generate_password())
    wanted = [("admin", "admin", None), ("viewer", "viewer", None)] + [
        (demo_account_name(street_name, street_id), "street_staff", street_id)
        for street_id, street_name in streets
    ]
    names = [name for name, _, _ in wanted]
    existing = {u.name: u for u in auth.store.list_users()}
    # Hashing is deliberately slow; when every account exists with this password
    # (checked on one of them), a restart keeps them as they are.
    current = all(n in existing and existing[n].demo and not existing[n].disabled for n in names) and (
        verify_password(password, existing["admin"].password_hash)
    )
    if not current:
        shared_hash = hash_password(password)  # one password, printed below: one hash
        for name, role, street_id in wanted:
            auth.add_user(name, role, password, street_id=street_id, demo=True, password_hash=shared_hash)
    if not settings.demo_password:
        print(f"Red Map demo accounts: {', '.join(names)} — password: {password}", flush=True)
    return names


def content_security_policy(apps: Iterable[Dash], tile_url: str) -> str:
    """A CSP with no inline script but Dash's own, allowed by hash."""
    hashes = sorted({h for app in apps for h in app.csp_hashes()})
    img = ["'self'", "data:", "blob:"]
    if tile_url:
        from urllib.parse import urlsplit

        parts = urlsplit(tile_url.replace("{s}", "a"))
        img.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' " + " ".join(hashes),  # csp_hashes() are quoted already
            # Leaflet, Plotly and Dash set inline styles at run time.
            "style-src 'self' 'unsafe-inline'",
            "img-src " + " ".join(img),
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def install(
    server: Flask,
    settings: Settings,
    apps: Iterable[Dash],
    demo_streets: Iterable[tuple[str, str]] | None = None,
) -> AuthService:
    """Attach access control to ``server`` and return the auth service.

    ``demo_streets`` (id, name) turns demo mode on: the demo accounts are created.
    """
    auth = AuthService(Store(settings.users_db))
    demo_accounts = ensure_demo_accounts(auth, settings, demo_streets) if demo_streets is not None else []
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    AccessControl(
        server,
        auth,
        https=settings.https,
        csp=content_security_policy(apps, settings.tile_url),
        demo_accounts=demo_accounts,
    )
    return auth
