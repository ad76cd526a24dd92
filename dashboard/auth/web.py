"""Access control on the server: every request is checked before any data is read.

Dash callbacks are plain POST endpoints, so hiding a page protects nothing. Here one
``before_request`` hook establishes the principal from the server-side session and
refuses any request to an area (``/staff/``, ``/wall/``, ``/admin/``) the principal's
role may not enter: pages, layouts, dependencies, callbacks and data files alike.
Nothing sent by the browser (ids, State values, X-Forwarded-For) decides who a user is.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from dash.exceptions import DependencyException
from flask import Flask, Response, g, has_app_context, jsonify, redirect, render_template_string, request
from werkzeug.exceptions import HTTPException

from dashboard.i18n import pick_lang
from dashboard.pages.common import LANG_COOKIE

from .roles import ANONYMOUS, Principal
from .service import AuthError, AuthService, Session

log = logging.getLogger("redmap.auth")

SESSION_COOKIE = "redmap_session"
CSRF_COOKIE = "_csrf_token"
"""Dash's renderer copies this cookie into an ``X-CSRFToken`` header on every request."""
CSRF_HEADER = "X-CSRFToken"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

AREAS: tuple[tuple[str, str], ...] = (("/staff/", "staff"), ("/wall/", "wall"), ("/admin/", "admin"))
HOME_BY_ROLE = {"admin": "/staff/", "street_staff": "/staff/", "viewer": "/wall/", "kiosk": "/wall/"}


HSTS = ("Strict-Transport-Security", "max-age=31536000")


def security_headers(csp: str) -> tuple[tuple[str, str], ...]:
    """Headers every response carries (HSTS is added separately, over HTTPS only)."""
    return (
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
    )


def area_of(path: str) -> str:
    """The access area a URL path belongs to (``public`` for everything else)."""
    for prefix, area in AREAS:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return area
    return "public"


def current_principal() -> Principal:
    """The principal established for this request (anonymous outside a request)."""
    if not has_app_context():
        return ANONYMOUS  # Dash builds each layout once at start-up to check it
    return getattr(g, "principal", ANONYMOUS)


def _is_page_request() -> bool:
    path = request.path
    return (
        request.method == "GET"
        and "/_dash-" not in path
        and "/data/" not in path
        and not path.startswith("/api/")  # API errors are always JSON
    )


def _safe_next(target: str | None, principal: Principal) -> str:
    """Only same-site paths; anything else goes to the role's home page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and principal.may_enter(area_of(parts.path)):
            return target
    return HOME_BY_ROLE.get(principal.role, "/")


class AccessControl:
    """Installs authentication, authorisation, CSRF checks and security headers."""

    def __init__(
        self,
        server: Flask,
        auth: AuthService,
        https: bool,
        csp: str,
        demo_accounts: list[str] | None = None,
    ) -> None:
        self.auth = auth
        self.https = https
        self.headers = security_headers(csp)
        self.demo_accounts = demo_accounts or []
        server.before_request(self.authenticate)
        server.after_request(self.secure_headers)
        server.add_url_rule("/login", "login", self.login_page, methods=["GET", "POST"])
        server.add_url_rule("/logout", "logout", self.logout, methods=["POST"])
        server.register_error_handler(HTTPException, self.http_error)
        server.register_error_handler(Exception, self.unexpected_error)

    # -- every request ---------------------------------------------------------------
    def authenticate(self) -> Response | None:
        g.principal, g.csrf = ANONYMOUS, None
        resolved = self.auth.resolve(request.cookies.get(SESSION_COOKIE))
        if resolved:
            g.principal, g.csrf = resolved
        area = area_of(request.path)
        if area == "wall" and request.args.get("kiosk") and request.method == "GET":
            if g.principal.is_authenticated and g.principal.role != "kiosk":
                # A person already signed in keeps their own session (and rights): a
                # kiosk link followed by mistake must not turn it into a display's.
                return redirect(self._without_kiosk())
            return self._kiosk_entry()
        if not g.principal.may_enter(area):
            return self._deny(area)
        if request.method not in SAFE_METHODS and not self._csrf_ok():
            log.warning("CSRF check failed on %s for %r", request.path, g.principal.name)
            return json_error(403, "request refused: missing or wrong CSRF token; reload the page")
        return None

    def _deny(self, area: str) -> Response:
        principal = current_principal()
        if _is_page_request():
            if not principal.is_authenticated:
                return redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
            return Response(_NO_ACCESS_HTML, status=403, mimetype="text/html")
        if not principal.is_authenticated:
            return json_error(401, "login required")
        return json_error(403, f"the {principal.role} role may not use the {area} pages")

    def _csrf_ok(self) -> bool:
        expected = g.csrf if current_principal().is_authenticated else request.cookies.get(CSRF_COOKIE)
        provided = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token")
        return bool(expected and provided) and hmac.compare_digest(str(expected), str(provided))

    def _kiosk_entry(self) -> Response:
        try:
            session = self.auth.kiosk_login(request.args["kiosk"], request.remote_addr or "")
        except AuthError as error:
            return Response(
                _page("Red Map", f"<p>{_esc(error.reason)}</p>"), status=403, mimetype="text/html"
            )
        return self._start_session(redirect(self._without_kiosk()), session)

    @staticmethod
    def _without_kiosk() -> str:
        """This URL without its kiosk token (which must not stay in the address bar)."""
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "kiosk"]
        return request.path + ("?" + urlencode(args) if args else "")

    def _start_session(self, response: Response, session: Session) -> Response:
        # A fresh id at every login: a session id seen before login is never promoted.
        response.set_cookie(
            SESSION_COOKIE, session.session_id, httponly=True, samesite="Lax", secure=self._secure(), path="/"
        )
        response.set_cookie(CSRF_COOKIE, session.csrf, httponly=False, samesite="Lax", secure=self._secure())
        g.csrf_cookie_set = True  # one token per response: the session's
        return response

    def _secure(self) -> bool:
        return self.https or request.is_secure

    def secure_headers(self, response: Response) -> Response:
        headers = response.headers
        for name, value in self.headers:
            headers.setdefault(name, value)
        if area_of(request.path) != "public" and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"  # shared office computers keep no internal page
        if self._secure():
            headers.setdefault(*HSTS)
        if (
            not current_principal().is_authenticated
            and not g.get("csrf_cookie_set")
            and not request.cookies.get(CSRF_COOKIE)
            and response.mimetype == "text/html"
        ):
            # Anonymous pages get a double-submit token for their later requests (the
            # public finder's callbacks, the login form); API clients need none.
            token = g.get("login_csrf") or secrets.token_urlsafe(32)
            response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="Lax", secure=self._secure())
        return response

    # -- login and logout ----------------------------------------------------------------
    def login_page(self) -> Response:
        lang = pick_lang(request.args.get("lang") or request.cookies.get(LANG_COOKIE))
        principal = current_principal()
        next_path = request.values.get("next")
        if request.method == "GET" and principal.is_authenticated:
            return redirect(_safe_next(next_path, principal))
        error = None
        if request.method == "POST":
            try:
                session = self.auth.login(
                    request.form.get("username", "").strip(),
                    request.form.get("password", ""),
                    request.remote_addr or "",
                )
            except AuthError as refused:
                zh = refused.reason_zh or _ZH_ERRORS.get(refused.reason, refused.reason)
                error = refused.reason if lang == "en" else zh
                status = 429 if refused.throttled else 401
                page = self._login_html(lang, next_path, error)
                response = Response(page, status=status, mimetype="text/html")
                if refused.retry_after is not None:
                    response.headers["Retry-After"] = str(refused.retry_after)
                return response
            return self._start_session(redirect(_safe_next(next_path, session.principal)), session)
        return Response(self._login_html(lang, next_path, error), mimetype="text/html")

    def logout(self) -> Response:
        self.auth.logout(current_principal(), request.remote_addr or "")
        response = redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE)
        g.principal = ANONYMOUS
        return response

    def _login_html(self, lang: str, next_path: str | None, error: str | None) -> str:
        text = _LOGIN_TEXT[lang]
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        g.login_csrf = token
        return render_template_string(
            _LOGIN_TEMPLATE,
            t=text,
            lang=lang,
            other="en" if lang == "zh" else "zh",
            error=error,
            next_path=next_path or "",
            csrf=token,
            demo_accounts=self.demo_accounts,
        )

    # -- errors never show a traceback ----------------------------------------------------
    def http_error(self, error: HTTPException) -> Response:
        if _is_page_request() and error.code in (404, 405):
            return Response(_page("Red Map", f"<p>{error.code} — {_esc(error.name)}</p>"), error.code)
        return json_error(error.code or 500, error.description or error.name)

    def unexpected_error(self, error: Exception) -> Response:
        if isinstance(error, KeyError) and "Callback function not found" in str(error):
            return json_error(400, "unknown callback")  # Dash's answer to an output it never registered
        if isinstance(error, DependencyException):  # a script Dash does not serve
            return json_error(404, "no such component file")
        log.exception("unhandled error on %s", request.path)
        return json_error(500, "internal error; it has been logged")


def json_error(status: int, message: str) -> Response:
    """``{"error": message}`` with ``status``: how every refusal of ours reads."""
    response = jsonify(error=message)
    response.status_code = status
    return response


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{_esc(title)}</title>'
        '<link rel="stylesheet" href="/assets/redmap.css"></head>'
        f'<body class="rm-login-body"><main class="rm-login">{body}</main></body></html>'
    )


_NO_ACCESS_HTML = _page(
    "Red Map",
    '<h1>无权访问 · No access</h1><p>当前账号无权访问此页面。</p><p><a href="/">返回首页 · Home</a></p>',
)

_ZH_ERRORS = {
    "wrong user name or password": "用户名或密码错误",
    "too many failed attempts; try again in 15 minutes": "失败次数过多，请15分钟后再试",
}

_LOGIN_TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "红色地图 · 工作人员登录",
        "user": "用户名",
        "password": "密码",
        "submit": "登录",
        "switch": "English",
        "demo": "演示模式：可用账号如下，密码见启动时的输出（或 REDMAP_DEMO_PASSWORD）。",
        "public": "居民查询服务点请访问首页",
    },
    "en": {
        "title": "Red Map · staff sign-in",
        "user": "User name",
        "password": "Password",
        "submit": "Sign in",
        "switch": "中文",
        "demo": "Demo mode: these accounts exist; the password is printed at start-up "
        "(or REDMAP_DEMO_PASSWORD).",
        "public": "Residents: find service points on the home page",
    },
}

_LOGIN_TEMPLATE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }}</title><link rel="stylesheet" href="/assets/redmap.css"></head>
<body class="rm-login-body"><main class="rm-login">
<h1>{{ t.title }}</h1>
{% if error %}<p class="rm-login-error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/login?lang={{ lang }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ next_path }}">
<label for="username">{{ t.user }}</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{{ t.password }}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{{ t.submit }}</button>
</form>
{% if demo_accounts %}<p class="rm-login-demo">{{ t.demo }}<br>{{ demo_accounts|join(', ') }}</p>{% endif %}
<p><a href="/login?lang={{ other }}&next={{ next_path|urlencode }}">{{ t.switch }}</a> ·
<a href="/">{{ t.public }}</a></p>
</main></body></html>
"""
