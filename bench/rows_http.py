"""HTTP rows: the public API and a staff callback under gunicorn against a bare Flask app,
then the app's cold start and memory per worker.

Both servers run at once (2 sync workers each, 127.0.0.1 only) and are loaded in
turns, ours then bare then bare then ours …, so that they share the machine's noise.
The bare app returns byte-identical bodies captured from ours for the same requests.
The load generator sends no ``Accept-Encoding``, so neither side compresses.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench import servers
from bench.bare_app import READY_MARKER as BARE_READY
from bench.data import DEMO_PASSWORD, ROOT, Demo, app_env, start_timeout_s
from bench.http_load import LoadResult, Request, run_load
from bench.report import Row, compare, not_measured

APP_READY = "Red Map ready on"
STAFF_ACCOUNT = "admin"
API_TARGET = 0.8
RECORDS_OUTPUT = "staff-records.children"


@dataclass(frozen=True)
class Plan:
    """How much load: requests per server and endpoint, split into interleaved rounds."""

    total: int
    rounds: int
    concurrency: int = 4
    cap_s: float = 20.0
    """Hard cap per round and server, in seconds."""
    warmup: int = 20


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(servers.HOST, port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _fetch(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection(servers.HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()


def _cookies(set_cookie: list[str], jar: dict[str, str]) -> dict[str, str]:
    for header in set_cookie:
        parsed = SimpleCookie()
        parsed.load(header)
        for key, morsel in parsed.items():
            jar[key] = morsel.value
    return jar


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def api_paths(demo: Demo, n: int = 200) -> list[str]:
    """``/api/v1/nearest`` requests from ``n`` points near homes."""
    return [
        f"/api/v1/nearest?lon={lon:.6f}&lat={lat:.6f}&k=5&service=any"
        for lon, lat in demo.homes(n, seed_offset=11).tolist()
    ]


def capture_api(port: int, paths: list[str]) -> dict[str, str]:
    """The real API's body for each path, keyed by query string."""
    out = {}
    for path in paths:
        status, body, _ = _fetch(port, "GET", path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:200]!r}")
        out[path.split("?", 1)[1]] = body.decode("utf-8")
    return out


def staff_request(port: int) -> tuple[Request, bytes]:
    """Sign in as the demo admin; the records-table callback request and its response body."""
    jar: dict[str, str] = {}
    _, _, cookies = _fetch(port, "GET", "/login")
    _cookies(cookies, jar)
    form = urlencode({"username": STAFF_ACCOUNT, "password": DEMO_PASSWORD, "csrf_token": jar["_csrf_token"]})
    status, body, cookies = _fetch(
        port,
        "POST",
        "/login",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)},
    )
    if status != 302:
        raise RuntimeError(f"login as {STAFF_ACCOUNT} answered {status}: {body[:200]!r}")
    _cookies(cookies, jar)
    headers = {"Cookie": _cookie_header(jar)}
    status, body, _ = _fetch(port, "GET", "/staff/_dash-dependencies", headers=headers)
    if status != 200:
        raise RuntimeError(f"/staff/_dash-dependencies answered {status}")
    dep = next(d for d in json.loads(body) if RECORDS_OUTPUT in d["output"])
    values = {"staff-record-layer": "grid_events", "staff-street": None, "staff-lang": "zh"}
    payload = json.dumps(
        {
            "output": dep["output"],
            "outputs": _split_outputs(dep["output"]),
            "inputs": [{**i, "value": values.get(i["id"])} for i in dep["inputs"]],
            "state": [{**s, "value": values.get(s["id"])} for s in dep["state"]],
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"],
        }
    ).encode()
    headers.update({"Content-Type": "application/json", "X-CSRFToken": jar["_csrf_token"]})
    status, body, _ = _fetch(port, "POST", "/staff/_dash-update-component", payload, headers)
    if status != 200:
        raise RuntimeError(f"records callback answered {status}: {body[:200]!r}")
    return Request("POST", "/staff/_dash-update-component", tuple(headers.items()), payload), body


def _split_outputs(output: str) -> list[dict[str, str]] | dict[str, str]:
    """Dash's output string (``..a.b...c.d..`` for several) as [{id, property}]."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    return outs if len(outs) > 1 else outs[0]


def interleaved_load(
    ours_port: int, bare_port: int, ours_reqs: list[Request], bare_reqs: list[Request], plan: Plan
) -> tuple[LoadResult, LoadResult]:
    """Load ours and bare in alternating rounds (ABBA…); warm both up first."""
    for port, reqs in ((ours_port, ours_reqs), (bare_port, bare_reqs)):
        run_load(port, reqs, total=plan.warmup, concurrency=plan.concurrency, cap_s=plan.cap_s)
    ours, bare = LoadResult(), LoadResult()
    per_round = max(1, plan.total // plan.rounds)
    for rnd in range(plan.rounds):
        order = ((ours_port, ours_reqs, "o"), (bare_port, bare_reqs, "b"))
        for port, reqs, who in order if rnd % 2 == 0 else order[::-1]:
            got = run_load(port, reqs, total=per_round, concurrency=plan.concurrency, cap_s=plan.cap_s)
            if who == "o":
                ours = ours.merge(got)
            else:
                bare = bare.merge(got)
    return ours, bare


def _load_rows(
    prefix: str, what: str, ours: LoadResult, bare: LoadResult, plan: Plan, target: bool
) -> list[Row]:
    def health(r: LoadResult) -> str:
        bad = {k: v for k, v in r.statuses.items() if k != 200}
        extra = f", non-200 {bad}" if bad else ""
        extra += f", errors {dict(r.errors)}" if r.errors else ""
        return f"{r.ok}/{r.sent} ok{extra}{', stopped by the time cap' if r.capped else ''}"

    note = (
        f"{what}; up to {plan.total:,} requests per server in {plan.rounds} alternating rounds "
        f"(cap {plan.cap_s:g} s each), concurrency "
        f"{plan.concurrency}, gunicorn -w 2 sync; ours {health(ours)}; bare {health(bare)}"
    )
    return [
        compare(
            f"{prefix}_rps",
            ours.rps,
            "req/s",
            "bare Flask, same JSON",
            bare.rps,
            better="higher",
            min_ratio=API_TARGET if target else None,
            note=note,
        ),
        compare(
            f"{prefix}_latency",
            ours.p(50) * 1e3,
            "ms",
            "bare Flask p50",
            bare.p(50) * 1e3,
            p95=ours.p(95) * 1e3,
            p99=ours.p(99) * 1e3,
            note=f"p50 (p95/p99 beside it) per request, connect included; bare p99 {bare.p(99) * 1e3:.2f} ms",
        ),
    ]


_COLD_START = """
import json, sys, time
t0 = time.perf_counter()
if sys.argv[1] == "app":
    from dashboard import create_app
    create_app()
else:
    from bench.bare_app import create
    from pathlib import Path
    create(Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def cold_start(
    env: dict[str, str], which: str, bare_dir: Path, timeout_s: float = 120
) -> tuple[float, float]:
    """(seconds inside the process for imports + app creation, wall seconds of the whole process)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _COLD_START, which, str(bare_dir)],
        cwd=ROOT,
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=True,
    )
    wall = time.perf_counter() - started
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"]), wall


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("REDMAP_")}


def rows(demo: Demo, quick: bool) -> list[Row]:
    """API and staff-callback load rows, cold start and memory per worker."""
    # Quick mode must end within a minute even on a busy machine: the time caps bound it.
    plan = Plan(total=2000, rounds=2, cap_s=4.0) if quick else Plan(total=10_000, rounds=4, cap_s=60.0)
    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="redmap-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = app_env(demo.path, tmp / "users.sqlite")
        bare_dir = tmp / "bare"
        bare_dir.mkdir()
        specs = [
            servers.ServerSpec(
                "app",
                "app:server",
                {**_base_env(), **env},
                APP_READY,
                "/api/v1/openapi.json",
                preload=True,
                timeout_s=start_timeout_s(demo.scale),
            ),
            servers.ServerSpec(
                "make_run",
                "",
                {**_base_env(), **env},
                APP_READY,
                "/api/v1/openapi.json",
                preload=True,
                timeout_s=start_timeout_s(demo.scale),
                command=(sys.executable, "app.py"),
            ),
            servers.ServerSpec(
                "bare",
                "bench.bare_app:app",
                {**_base_env(), "BENCH_BARE_DIR": str(bare_dir)},
                BARE_READY,
                "/healthz",
            ),
            servers.ServerSpec(
                "raw",
                "bench.bare_app:raw",
                {**_base_env(), "BENCH_BARE_DIR": str(bare_dir)},
                BARE_READY,
                "/healthz",
            ),
        ]
        with servers.running(specs, tmp) as (app_srv, run_srv, bare_srv, raw_srv):
            paths = api_paths(demo)
            bodies = capture_api(app_srv.port, paths)
            callback_req, callback_body = staff_request(app_srv.port)
            (bare_dir / "nearest.json").write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
            (bare_dir / "callback.json").write_bytes(callback_body)
            api_reqs = [Request("GET", p) for p in paths]
            bare_cb = Request(
                "POST", callback_req.path, (("Content-Type", "application/json"),), callback_req.body
            )
            ours, bare = interleaved_load(app_srv.port, bare_srv.port, api_reqs, api_reqs, plan)
            out += _load_rows(
                f"http_api_nearest_{demo.label}",
                "GET /api/v1/nearest, 200 points near homes, k=5",
                ours,
                bare,
                plan,
                True,
            )
            ours_raw, raw = interleaved_load(app_srv.port, raw_srv.port, api_reqs, api_reqs, plan)
            out.append(
                compare(
                    f"http_api_nearest_{demo.label}_vs_raw_wsgi",
                    ours_raw.rps,
                    "req/s",
                    "plain WSGI function, same JSON",
                    raw.rps,
                    better="higher",
                    note="the floor under bare Flask: the same bodies from a WSGI function with no "
                    f"framework, gunicorn -w 2 sync; raw p50 {raw.p(50) * 1e3:.2f} ms",
                )
            )
            out.append(_make_run_row(run_srv.port, app_srv.port, api_reqs, quick, demo.label))
            cb_plan = (
                Plan(total=120, rounds=2, cap_s=3.0) if quick else Plan(total=1000, rounds=4, cap_s=30.0)
            )
            ours, bare = interleaved_load(app_srv.port, bare_srv.port, [callback_req], [bare_cb], cb_plan)
            out += _load_rows(
                f"http_staff_records_callback_{demo.label}",
                f"POST records-table callback as {STAFF_ACCOUNT} (grid_events, all streets, "
                f"{len(callback_body) / 1024:.0f} KB)",
                ours,
                bare,
                cb_plan,
                False,
            )
            app_mem = [servers.memory_mb(p) for p in app_srv.worker_pids()]
            bare_mem = [servers.memory_mb(p) for p in bare_srv.worker_pids()]
        out += _memory_rows(app_mem, bare_mem, demo.label)
        out.append(_boot_row(app_srv, bare_srv, demo.label))
        if not quick:  # a fresh process per measurement costs ~6 s each (minutes at scale): full mode only
            reps = 3 if demo.scale == 1 else 1
            out.append(_cold_start_row(env, bare_dir, reps, demo.label, start_timeout_s(demo.scale)))
    return out


MAKE_RUN_TARGET = 2.0
"""``make run`` answers within twice gunicorn's p50 (it was ~500 times slower under
Werkzeug's thread-per-request server, which set up pyproj again in every thread)."""


def _make_run_row(run_port: int, app_port: int, reqs: list[Request], quick: bool, label: str) -> Row:
    """``python app.py`` (the README's ``make run``) against the production gunicorn
    command, 8 connections at once, nearest requests, p50 per request."""
    plan = Plan(total=800, rounds=2, concurrency=8, cap_s=4.0) if quick else Plan(3000, 4, 8, 30.0)
    ours, prod = interleaved_load(run_port, app_port, reqs, reqs, plan)
    bad = {k: v for k, v in ours.statuses.items() if k != 200}
    failed = f", non-200 {bad}" if bad else ""
    return compare(
        f"http_make_run_nearest_{label}",
        ours.p(50) * 1e3,
        "ms",
        "gunicorn -w 2 sync --preload p50",
        prod.p(50) * 1e3,
        max_ratio=MAKE_RUN_TARGET,
        p95=ours.p(95) * 1e3,
        note=f"python app.py (gunicorn inside: 2 workers x 8 threads) under 8 connections; "
        f"{ours.ok}/{ours.sent} ok{failed}; gunicorn p95 {prod.p(95) * 1e3:.2f} ms",
    )


def _boot_row(app_srv: servers.Server, bare_srv: servers.Server, label: str) -> Row:
    if app_srv.ready_s is None or bare_srv.ready_s is None:
        return not_measured(f"app_cold_start_{label}", "ready time not seen in the gunicorn logs")
    return compare(
        f"app_cold_start_{label}",
        app_srv.ready_s,
        "s",
        "bare Flask under gunicorn",
        bare_srv.ready_s,
        note="gunicorn -w 2 --preload launched -> the master has built the app once, both workers "
        "are forked and it answers (the bare app: no --preload, each worker imports it)",
    )


def _memory_rows(
    app_mem: list[dict[str, float] | None], bare_mem: list[dict[str, float] | None], label: str
) -> list[Row]:
    ours = [m for m in app_mem if m is not None]
    bare = [m for m in bare_mem if m is not None]
    if not ours:
        return [not_measured(f"rss_per_worker_{label}", "no worker pids")]
    pss = max(m["pss"] for m in ours)
    each = ", ".join(f"RSS {m['rss']:.0f} / PSS {m['pss']:.0f} / USS {m['uss']:.0f}" for m in ours)
    return [
        compare(
            f"rss_per_worker_{label}",
            max(m["rss"] for m in ours),
            "MB",
            "bare Flask worker",
            max(m["rss"] for m in bare) if bare else None,
            note=f"resident memory after the load, largest of {len(ours)} workers ({each} MB); counts "
            "the pages a worker shares with the --preload master in full",
        ),
        compare(
            f"pss_per_worker_{label}",
            pss,
            "MB",
            "bare Flask worker",
            max(m["pss"] for m in bare) if bare else None,
            target="<= 500 MB (at 100x too)",
            status="PASS" if pss <= 500 else "MISS",
            note="proportional set size (shared pages split among the master and workers sharing "
            "them): what one more worker costs; largest of the workers",
        ),
    ]


def _cold_start_row(env: dict[str, str], bare_dir: Path, reps: int, label: str, timeout_s: float) -> Row:
    ours, ours_wall, bare = [], [], []
    for _ in range(reps):
        inside, wall = cold_start(env, "app", bare_dir, timeout_s)
        ours.append(inside)
        ours_wall.append(wall)
        bare.append(cold_start({}, "bare", bare_dir)[0])
    ours.sort()
    bare.sort()
    return compare(
        f"app_create_app_subprocess_{label}",
        ours[len(ours) // 2],
        "s",
        "bare Flask app",
        bare[len(bare) // 2],
        note=f"imports + create_app in a fresh process (existing users db), median of {reps}; whole "
        f"process incl. interpreter {sorted(ours_wall)[len(ours_wall) // 2]:.2f} s",
    )
