"""Shared fixtures: data files, a live app on a free port, and a real headless Chromium."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from dashboard import create_app
from dashboard.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo district, built once per test session."""
    from geodata.demo import write_demo

    return write_demo(tmp_path_factory.mktemp("demo") / "demo.gpkg")


@pytest.fixture(scope="session")
def demo_dataset(demo_path: Path):
    from geodata.dataset import open_dataset

    return open_dataset(demo_path)


DEMO_PASSWORD = "demo-pass-2026"


def make_settings(data: Path, **overrides) -> Settings:
    """Settings for a test app: its own user store beside the data file, known demo password."""
    values = {
        "secret_key": "test-secret-key",
        "users_db": data.parent / f"{data.stem}.users.sqlite",
        "demo_password": DEMO_PASSWORD,
    }
    values.update(overrides)
    return Settings(data=data, **values).checked()


class LiveServer:
    """The real app served by werkzeug in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, settings: Settings) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns the output
        self.app = create_app(settings)
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()


@contextlib.contextmanager
def gunicorn_server(data: Path, workers: int = 2, threads: int = 8, **env: str) -> Iterator[str]:
    """``python app.py`` (the README's command, gunicorn inside) on ``data``; yields its URL.

    It runs in its own process group, which is killed whatever happens.
    """
    import http.client
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("REDMAP_")}
    environ.update(
        REDMAP_DATA=str(data),
        REDMAP_USERS_DB=str(data.parent / f"{data.stem}.users.sqlite"),
        REDMAP_DEMO_PASSWORD=DEMO_PASSWORD,
        REDMAP_SECRET_KEY="test-secret-key",
        REDMAP_PORT=str(port),
        REDMAP_WORKERS=str(workers),
        REDMAP_THREADS=str(threads),
        **env,
    )
    log = data.parent / f"{data.stem}.server.log"
    root = Path(__file__).resolve().parent.parent
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py"], cwd=root, env=environ, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"python app.py did not start:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def live_server(demo_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(make_settings(demo_path))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright; fails (never skips) under CI when missing."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@dataclass
class PageWatch:
    """What a page did that a user would notice: console errors, requests, failures."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def foreign_requests(self, own_url: str) -> list[str]:
        own = urlparse(own_url).netloc
        return [
            u
            for u in self.requests
            if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).netloc != own
        ]


@pytest.fixture
def open_page(browser):
    """Open a page at a viewport size, recording errors and every request it makes.

    Requests to any host but the app's own are aborted (the intranet has none) and
    recorded, so a test can assert there were none.
    """
    contexts = []

    def _open(url: str, width: int, height: int, own_url: str, login: str | None = None):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        contexts.append(context)
        own = urlparse(own_url).netloc
        watch = PageWatch()

        def route(r):
            watch.requests.append(r.request.url)
            if urlparse(r.request.url).netloc == own or r.request.url.startswith("data:"):
                r.continue_()
            else:
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
        page.on("pageerror", lambda e: watch.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: watch.failed.append(r.url))
        if login:
            sign_in(page, own_url, login)
        page.goto(url, wait_until="networkidle")
        return page, watch

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Where browser tests leave screenshots for people to look at (not committed)."""
    path = Path(__file__).resolve().parent.parent / "var" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


_MAP_STATE = """() => {
    const pane = document.querySelector('.leaflet-map-pane');
    const proxy = document.querySelector('.leaflet-proxy');
    const moving = document.querySelector('.leaflet-zoom-anim, .leaflet-pan-anim') !== null;
    return [pane && pane.style.transform, proxy && proxy.style.transform, moving].join('|');
}"""


def map_state(page) -> str:
    """The map's position as its panes' transforms show it (see :func:`wait_map_still`)."""
    return page.evaluate(f"({_MAP_STATE})")


def wait_map_still(page, timeout: float = 15_000, moved_from: str | None = None) -> None:
    """Wait until the map has stopped moving: no zoom or pan animation running, and its
    panes' transforms (which every pan, zoom and flight frame changes) the same for
    three checks in a row, 100 ms apart. A condition, not a guess of how long a
    flight takes on a busy machine.

    ``moved_from`` (a :func:`map_state` taken before the action): first wait until the
    map has left it, for a flight that starts only once the server has answered.
    """
    if moved_from is not None:
        page.wait_for_function(f"before => ({_MAP_STATE})() !== before", arg=moved_from, timeout=timeout)
    page.wait_for_function(
        f"""() => {{
            const state = ({_MAP_STATE})();
            const w = window.__rmStill || (window.__rmStill = {{last: null, same: 0}});
            if (state === w.last && !state.endsWith('true')) {{ w.same += 1; }}
            else {{ w.last = state; w.same = 0; }}
            return w.same >= 3;
        }}""",
        polling=100,
        timeout=timeout,
    )
    page.evaluate("() => { window.__rmStill = null; }")


def zoom_map(page, direction: str = "in", times: int = 1) -> None:
    """Click the map's zoom button ``times`` times, each time waiting until the zoom has
    happened (the zoom proxy's scale changed) and the map stands still."""
    for _ in range(times):
        before = map_state(page)
        page.locator(f".leaflet-control-zoom-{direction}").first.click()
        wait_map_still(page, moved_from=before)


def sign_in(page, base_url: str, name: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login form, as a person would."""
    page.goto(base_url + "/login", wait_until="domcontentloaded")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "/login" not in page.url, f"sign-in as {name} failed"


def client_login(client, name: str, password: str = DEMO_PASSWORD):
    """Sign a Flask test client in through /login; returns the login response."""
    client.get("/login")
    token = client.get_cookie("_csrf_token").value
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token})


def csrf_headers(client) -> dict[str, str]:
    """What Dash's renderer sends with every callback: the CSRF cookie as a header."""
    cookie = client.get_cookie("_csrf_token")
    return {"X-CSRFToken": cookie.value} if cookie else {}
