"""Access control, checked the way an attacker would probe it: over HTTP, on every endpoint.

The list of callbacks comes from each app's own ``/_dash-dependencies``, so a callback
added later is covered without touching this file.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from dashboard import create_app
from dashboard.auth import FACE_ROLES, demo_account_name
from dashboard.context import LAYER_ROUTE
from geodata.schema import SCHEMA
from layers import REGISTRY
from tests.conftest import DEMO_PASSWORD, client_login, csrf_headers, make_settings
from tests.factories import minimal_frames, write_minimal

CANARY = "CANARY7731"


def canary_frames() -> dict:
    """The small dataset with a unique canary in every personal field of every row."""
    frames = minimal_frames()
    for name, schema in SCHEMA.items():
        personal = [f.name for f in schema.personal_fields]
        if not personal:
            continue
        frame = frames[name].copy()
        for field in personal:
            frame[field] = [f"{CANARY}-{row['street_id']}-{field}-{i}" for i, row in frame.iterrows()]
        frames[name] = frame
    return frames


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = write_minimal(tmp_path_factory.mktemp("access") / "canary.gpkg", canary_frames())
    return create_app(make_settings(path))


@pytest.fixture(scope="module")
def streets() -> list[tuple[str, str]]:
    s = minimal_frames()["streets"].sort_values("id")
    return list(zip(s["id"], s["name"], strict=True))


@pytest.fixture(scope="module")
def principals(streets) -> dict[str, str | None]:
    """Who the matrix tries: anonymous, viewer, the staff of two streets, admin."""
    return {
        "anonymous": None,
        "viewer": "viewer",
        "street_a": demo_account_name(streets[0][1]),
        "street_b": demo_account_name(streets[1][1]),
        "admin": "admin",
    }


ROLE_OF = {
    "anonymous": "public",
    "viewer": "viewer",
    "street_a": "street_staff",
    "street_b": "street_staff",
    "admin": "admin",
}


def client_as(app, account: str | None):
    client = app.test_client()
    if account:
        assert client_login(client, account).status_code == 302
    else:
        client.get("/")  # picks up the anonymous CSRF cookie, as the page would
    return client


def split_outputs(output: str) -> list:
    """Dash's output string (``..a.b...c.d..`` for several) as [{id, property}].

    A wildcard (ALL) output is sent as the renderer sends it when no component
    matches: an empty list.
    """
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outs: list = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        parsed = json.loads(ident) if ident.startswith("{") else ident
        wildcard = isinstance(parsed, dict) and any(v == ["ALL"] for v in parsed.values())
        outs.append([] if wildcard else {"id": parsed, "property": prop})
    return outs


def callback_body(dep: dict, values: dict | None = None) -> dict:
    values = values or {}
    outputs = split_outputs(dep["output"])
    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [
            {**i, "value": values.get(i["id"] if isinstance(i["id"], str) else "")} for i in dep["inputs"]
        ],
        "state": [
            {**s, "value": values.get(s["id"] if isinstance(s["id"], str) else "")} for s in dep["state"]
        ],
        "changedPropIds": [],
    }


def dependencies(app, prefix: str) -> list[dict]:
    """The server-side callbacks an app lists (clientside ones never reach the server)."""
    admin = client_as(app, "admin")
    return [
        d for d in admin.get(f"{prefix}_dash-dependencies").get_json() if not d.get("clientside_function")
    ]


# The documented matrix (README, "Roles"), written out here rather than read from the
# code under test, so that a change to who may do what fails this test until the
# documentation changes with it.
MATRIX = {
    "public": {"anonymous": 200, "viewer": 200, "street_a": 200, "street_b": 200, "admin": 200},
    "staff": {"anonymous": 401, "viewer": 403, "street_a": 200, "street_b": 200, "admin": 200},
    "wall": {"anonymous": 401, "viewer": 200, "street_a": 200, "street_b": 200, "admin": 200},
}


def expected_status(face: str, who: str) -> int:
    return MATRIX[face][who]


def test_the_code_grants_what_the_matrix_documents():
    for face, row in MATRIX.items():
        allowed = {ROLE_OF[who] for who, status in row.items() if status == 200}
        assert allowed <= FACE_ROLES[face] and not ({ROLE_OF[w] for w in row} - allowed) & FACE_ROLES[face]


# ---- the authorisation matrix ----------------------------------------------------------

FACES = {"public": "/", "staff": "/staff/", "wall": "/wall/"}


@pytest.mark.parametrize("face", list(FACES))
def test_every_callback_answers_as_the_documented_matrix_says(app, principals, face):
    prefix = FACES[face]
    deps = dependencies(app, prefix)
    if face != "wall":
        assert deps, f"the {face} app lists no callbacks"
    for who, account in principals.items():
        client = client_as(app, account)
        for dep in deps:
            response = client.post(
                f"{prefix}_dash-update-component", json=callback_body(dep), headers=csrf_headers(client)
            )
            want = expected_status(face, who)
            assert response.status_code == want, (face, who, dep["output"], response.status_code)
            if want != 200:
                assert CANARY not in response.get_data(as_text=True)
        for route in ("_dash-layout", "_dash-dependencies"):
            got = client.get(f"{prefix}{route}").status_code
            assert got == expected_status(face, who), (face, who, route)


@pytest.mark.parametrize("face", list(LAYER_ROUTE))
def test_every_data_route_answers_as_the_documented_matrix_says(app, principals, face):
    for who, account in principals.items():
        client = client_as(app, account)
        for spec in REGISTRY.values():
            if face not in spec.faces:
                continue
            response = client.get(f"{LAYER_ROUTE[face]}{spec.id}.geojson")
            assert response.status_code == expected_status(face, who), (face, who, spec.id)


def test_pages_send_anonymous_visitors_to_the_login(app):
    client = app.test_client()
    for path in ("/staff/", "/wall/", "/staff/anything"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


# ---- forged requests and personal data ---------------------------------------------------


def records_payload(app, client, street: str | None, layer: str) -> str:
    dep = next(d for d in dependencies(app, "/staff/") if "staff-records.children" in d["output"])
    body = callback_body(dep, {"staff-record-layer": layer, "staff-street": street, "staff-lang": "zh"})
    response = client.post("/staff/_dash-update-component", json=body, headers=csrf_headers(client))
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("layer", ["mediation_cases", "grid_events", "home_services"])
def test_street_staff_asking_for_another_street_get_none_of_its_personal_data(
    app, principals, streets, layer
):
    street_a, street_b = streets[0][0], streets[1][0]
    staff_a = client_as(app, principals["street_a"])
    for street in (street_b, None):  # the other street by id, and "all streets"
        text = records_payload(app, staff_a, street, layer)
        assert f"{CANARY}-{street_b}" not in text
    # Their own street's caseworker data is there, unmasked: the masking is targeted.
    own = records_payload(app, staff_a, street_a, layer)
    rows_of_a = (minimal_frames()[layer]["street_id"] == street_a).sum()
    if rows_of_a:
        assert f"{CANARY}-{street_a}" in own


def test_admin_sees_personal_data_of_every_street(app, streets):
    admin = client_as(app, "admin")
    text = records_payload(app, admin, None, "mediation_cases")
    for street_id in {s for s in minimal_frames()["mediation_cases"]["street_id"]}:
        assert f"{CANARY}-{street_id}" in text


def test_public_face_and_wall_never_return_personal_data(app):
    texts = public_texts(app)
    viewer = client_as(app, "viewer")
    texts += [viewer.get(p).get_data(as_text=True) for p in ("/wall/", "/wall/_dash-layout")]
    for spec in REGISTRY.values():
        if "wall" in spec.faces:
            texts.append(viewer.get(f"/wall/data/layers/{spec.id}.geojson").get_data(as_text=True))
    leaked = [t[:120] for t in texts if CANARY in t]
    assert leaked == []


INTERNAL_CANARY = 887731554
"""Put in every field of a public layer that the schema does not mark public (a
community's households, population, party members): no public path may show it."""


def test_the_public_face_shows_only_fields_the_schema_marks_public(tmp_path):
    frames = minimal_frames()
    marked = []
    for name, schema in SCHEMA.items():
        internal = [f for f in schema.fields if schema.public and not f.public and f.type == "int"]
        if internal:
            frame = frames[name].copy()
            for f in internal:
                frame[f.name] = INTERNAL_CANARY
                marked.append((name, f.name))
            frames[name] = frame
    assert ("communities", "population") in marked and ("streets", "households") in marked
    app = create_app(make_settings(write_minimal(tmp_path / "internal.gpkg", frames)))
    shown_as = (str(INTERNAL_CANARY), f"{INTERNAL_CANARY:,}")  # raw, and as a popup prints it
    leaked = [t[:160] for t in public_texts(app) if any(form in t for form in shown_as)]
    assert leaked == []
    # Structurally too: a public layer file carries public fields only (and drawing keys).
    anonymous = client_as(app, None)
    for spec in REGISTRY.values():
        if "public" not in spec.faces:
            continue
        public = {f.name for f in SCHEMA[spec.schema.name].public_fields}
        layer = anonymous.get(f"/api/v1/layers/{spec.id}.geojson").get_json()
        keys = {k for feature in layer["features"] for k in feature["properties"] if not k.startswith("_")}
        assert keys - {"id"} <= public, (spec.id, keys - public)  # an id is a code the map selects by
    # And the same data seen by staff does hold the figures: the canary is really there.
    admin = client_as(app, "admin")
    staff_layer = admin.get("/staff/data/layers/communities.geojson").get_data(as_text=True)
    assert f"{INTERNAL_CANARY:,}" in staff_layer


def public_texts(app) -> list[str]:
    """Everything an anonymous visitor can fetch: pages, layer files, every public
    callback with every value its inputs can take, and the API."""
    anonymous = client_as(app, None)
    texts = [
        anonymous.get(p).get_data(as_text=True)
        for p in ("/", "/_dash-layout", "/_dash-dependencies", "/healthz", "/nowhere", "/api/v1/nowhere")
    ]
    for spec in REGISTRY.values():
        for lang in ("zh", "en"):
            texts.append(
                anonymous.get(f"/api/v1/layers/{spec.id}.geojson?lang={lang}").get_data(as_text=True)
            )
    # Every public callback, with every value its inputs can take.
    from geodata.schema import SERVICE_MENU

    for dep in dependencies(app, "/"):
        for service in [None, "all", *(c.value for c in SERVICE_MENU), "<script>"]:
            body = callback_body(dep, {"pub-service": service, "pub-lang": "zh"})
            response = anonymous.post("/_dash-update-component", json=body, headers=csrf_headers(anonymous))
            texts.append(response.get_data(as_text=True))
    # The public API: nearest from the middle of the district for every kind, and search
    # for the canary itself and for a surname.
    centre = minimal_frames()["district"].geometry.iloc[0].centroid
    for kind in app.extensions["redmap"]["context"].finder.kinds:
        texts.append(
            anonymous.get(f"/api/v1/nearest?lon={centre.x}&lat={centre.y}&k=8&service={kind}").get_data(
                as_text=True
            )
        )
    for q in (CANARY[:7], "canary", "张", "zhang", "13800"):  # not the whole canary: q is echoed
        texts.append(anonymous.get(f"/api/v1/search?q={q}").get_data(as_text=True))
    return texts


GARBAGE = [
    None,
    "x",
    -1,
    1e308,
    [],
    {},
    ["a"],
    {"lon": "nan", "lat": None},
    {"lat": 95, "lng": 200},
    {"properties": 5},
    {"features": "no"},
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("prefix,account", [("/", None), ("/staff/", "admin")])
def test_callbacks_never_fail_on_garbage_from_the_browser(app, prefix, account):
    anonymous = client_as(app, account)
    for dep in dependencies(app, prefix):
        for junk in GARBAGE:
            body = callback_body(dep)
            for part in ("inputs", "state"):
                for item in body[part]:
                    if isinstance(item, dict):
                        item["value"] = junk
            response = anonymous.post(
                f"{prefix}_dash-update-component", json=body, headers=csrf_headers(anonymous)
            )
            assert response.status_code in (200, 204), (dep["output"], junk, response.status_code)


# ---- CSRF, headers, cookies -------------------------------------------------------------------


def test_a_callback_without_the_csrf_token_is_refused(app):
    admin = client_as(app, "admin")
    dep = dependencies(app, "/staff/")[0]
    assert admin.post("/staff/_dash-update-component", json=callback_body(dep)).status_code == 403
    wrong = {"X-CSRFToken": "forged"}
    assert (
        admin.post("/staff/_dash-update-component", json=callback_body(dep), headers=wrong).status_code == 403
    )


def test_login_form_without_csrf_token_is_refused(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code == 403 and client.get_cookie("redmap_session") is None


def test_security_headers_and_cookie_flags(app):
    client = app.test_client()
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    response = client_login(client, "admin")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("redmap_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/staff/_dash-layout").headers["Cache-Control"] == "no-store"


def test_errors_never_show_a_traceback(app):
    admin = client_as(app, "admin")
    response = admin.post(
        "/staff/_dash-update-component",
        data="{not json",
        headers={**csrf_headers(admin), "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 500)
    assert "Traceback" not in response.get_data(as_text=True)
    assert "error" in response.get_json()


# ---- sessions ------------------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(app):
    client = client_as(app, "admin")
    session = client.get_cookie("redmap_session").value
    assert client.get("/staff/_dash-layout").status_code == 200
    assert client.post("/logout", headers=csrf_headers(client)).status_code == 302
    replay = app.test_client()
    replay.set_cookie("redmap_session", session)
    assert replay.get("/staff/_dash-layout").status_code == 401


def test_a_new_session_id_at_every_login(app):
    client = app.test_client()
    client.set_cookie("redmap_session", "planted-by-attacker")
    client_login(client, "admin")
    first = client.get_cookie("redmap_session").value
    assert first != "planted-by-attacker"
    client_login(client, "admin")
    assert client.get_cookie("redmap_session").value != first


def test_sessions_end_after_30_idle_minutes_and_12_hours_in_all(app):
    # The policy is written here as the README states it, not imported from the code
    # under test: changing the code's timeouts must fail this test.
    auth = app.extensions["redmap"]["auth"]
    now = [time.time()]
    auth.clock = lambda: now[0]
    try:
        client = client_as(app, "admin")
        now[0] += 28 * 60
        assert client.get("/staff/_dash-layout").status_code == 200
        now[0] += 29 * 60  # 29 minutes idle: still signed in
        assert client.get("/staff/_dash-layout").status_code == 200
        now[0] += 30 * 60 + 1
        assert client.get("/staff/_dash-layout").status_code == 401

        client = client_as(app, "admin")
        for _ in range(12 * 3):
            now[0] += 20 * 60  # active every 20 minutes: never idle
            assert client.get("/staff/_dash-layout").status_code == 200
        now[0] += 20 * 60  # 12 h 20 min after signing in
        assert client.get("/staff/_dash-layout").status_code == 401
    finally:
        auth.clock = time.time


# ---- throttling -----------------------------------------------------------------------------------


def test_the_eleventh_bad_password_is_refused_even_when_right_and_forged_ips_do_not_help(tmp_path):
    app = create_app(make_settings(write_minimal(tmp_path / "throttle.gpkg")))
    client = app.test_client()
    client.get("/login")
    token = client.get_cookie("_csrf_token").value
    for i in range(10):
        response = client.post(
            "/login",
            data={"username": "viewer", "password": "wrong", "csrf_token": token},
            headers={"X-Forwarded-For": f"10.0.0.{i}"},
        )
        assert response.status_code == 401
    right = client.post(
        "/login",
        data={"username": "viewer", "password": DEMO_PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "10.9.9.9"},
    )
    assert right.status_code == 429 and client.get_cookie("redmap_session") is None
    assert "15" in right.get_data(as_text=True)
    events = [e[1] for e in app.extensions["redmap"]["auth"].store.audit_events(50)]
    assert events.count("login_failed") == 10 and "login_throttled" in events


def test_kiosk_link_opens_only_the_wall_and_stops_when_revoked(app):
    auth = app.extensions["redmap"]["auth"]
    kiosk_id, token = auth.create_kiosk("command centre wall")
    client = app.test_client()
    entry = client.get(f"/wall/?kiosk={token}&tour=20")
    assert entry.status_code == 302 and "kiosk" not in entry.headers["Location"]
    assert entry.headers["Location"].endswith("/wall/?tour=20")
    assert client.get("/wall/_dash-layout").status_code == 200
    assert client.get("/staff/_dash-layout").status_code == 403
    auth.revoke_kiosk(kiosk_id)
    assert client.get("/wall/_dash-layout").status_code == 401
    assert app.test_client().get(f"/wall/?kiosk={token}").status_code == 403


def test_masking_keeps_the_shape_people_recognise():
    from geodata.privacy import mask_name, mask_phone

    assert mask_phone("13812340000") == "138****0000"
    assert mask_phone("029-33210001") == "029-****0001"
    assert mask_name("张伟") == "张**"
    assert mask_name("张某某 与 李某某") == "张** 与 李**"
    assert re.fullmatch(r"\*+", mask_phone("12"))


def test_displaced_points_move_at_least_100_m_and_the_same_way_every_time():
    import geopandas as gpd

    from geodata.privacy import displace_points

    homes = minimal_frames()["home_services"]
    moved = displace_points(homes)
    again = displace_points(homes)
    dist = homes.to_crs(4545).distance(moved.to_crs(4545))
    assert (dist >= 99.9).all() and (dist <= 200.1).all()
    assert gpd.GeoSeries(moved.geometry).equals(gpd.GeoSeries(again.geometry))


def test_counts_of_people_below_five_are_suppressed():
    import pandas as pd

    from geodata.privacy import count_by_area

    people = pd.DataFrame({"community_id": ["A"] * 7 + ["B"] * 4})
    counts = count_by_area(people, "community_id").set_index("community_id")
    assert counts.loc["A", "count"] == 7 and not counts.loc["A", "suppressed"]
    assert counts.loc["B", "count"] is None and counts.loc["B", "suppressed"]


def test_a_selected_row_popup_is_read_on_the_server_and_never_pinpoints_a_home(app):
    admin = client_as(app, "admin")
    dep = next(d for d in dependencies(app, "/staff/") if "staff-selection.children" in d["output"])
    frames = minimal_frames()
    for table, expect_popup in (("service_centers", True), ("home_services", False)):
        # The browser sends only the chosen row's id; anything else in it is ignored.
        forged = {
            "id": str(frames[table]["id"].iloc[0]),
            "from": "table",
            "name": "<b>forged</b>",
            "phone": "13912345678",
        }
        body = callback_body(dep, {"staff-record-layer": table, "staff-lang": "zh"})
        body["inputs"][0]["value"] = forged
        response = admin.post("/staff/_dash-update-component", json=body, headers=csrf_headers(admin))
        assert response.status_code in (200, 204)
        text = response.get_data(as_text=True)
        assert "forged" not in text and "13912345678" not in text
        assert ("staff-selected-popup" in text) == expect_popup, table
