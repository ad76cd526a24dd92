"""Sessions and sign-in under attack: rights that change, guesses that race, kiosks.

Each test here is written the way the hole it guards was found: from outside, over
HTTP (or the admin's shell), watching what a user or an attacker would get back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from dashboard import create_app
from dashboard.auth import demo_account_name
from tests.conftest import DEMO_PASSWORD, client_login, csrf_headers, make_settings
from tests.factories import minimal_frames, write_minimal
from tests.unit.test_access import CANARY, canary_frames

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(tmp_path):
    """A fresh app per test: these tests change users and count failures."""
    path = write_minimal(tmp_path / "canary.gpkg", canary_frames())
    return create_app(make_settings(path))


def streets() -> list[tuple[str, str]]:
    s = minimal_frames()["streets"].sort_values("id")
    return list(zip(s["id"], s["name"], strict=True))


def admin_cli(app, *args: str, password: str = "Changed-pass-2026") -> subprocess.CompletedProcess:
    """``python -m dashboard …`` on the app's own user store, as an administrator runs it."""
    settings = app.extensions["redmap"]["context"].settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDMAP_")}
    env.update(
        REDMAP_USERS_DB=str(settings.users_db), REDMAP_DATA=str(settings.data), REDMAP_SECRET_KEY="x" * 40
    )
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", *args, "--password-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def export(client, street: str) -> tuple[int, str]:
    """The mediation cases' CSV; 401 stands for "sent to the sign-in page"."""
    response = client.get(f"/staff/export/csv?table=mediation_cases&street={street}")
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return 401, ""
    return response.status_code, response.get_data(as_text=True)


# ---- 1. a change of rights takes effect at once ------------------------------------------------------


def test_a_demoted_admin_loses_the_old_rights_at_the_next_request(app):
    admin = app.test_client()
    client_login(admin, "admin")
    status, text = export(admin, "all")
    assert status == 200 and CANARY in text  # every street's disputants, as an admin may

    out = admin_cli(app, "users", "add", "admin", "--role", "viewer")
    assert "sessions have ended" in out.stdout

    status, text = export(admin, "all")
    assert status == 401 and CANARY not in text
    assert admin.get("/staff/_dash-layout").status_code == 401
    # Signing in again gives the new role: a viewer has the wall, not the workspace.
    client_login(admin, "admin", "Changed-pass-2026")
    assert admin.get("/wall/_dash-layout").status_code == 200
    assert export(admin, "all")[0] == 403


def test_street_staff_moved_to_another_street_no_longer_read_the_old_one(app):
    (street_a, name_a), (street_b, _) = streets()[:2]
    account = demo_account_name(name_a)
    staff = app.test_client()
    client_login(staff, account)
    status, text = export(staff, street_a)
    assert status == 200 and f"{CANARY}-{street_a}" in text

    move = ("users", "add", account, "--role", "street_staff", "--street", street_b)
    admin_cli(app, *move, password=DEMO_PASSWORD)

    assert export(staff, street_a)[0] == 401
    client_login(staff, account)
    status, text = export(staff, street_a)
    assert status == 200 and CANARY not in text  # the old street's people now read masked


def test_a_session_whose_user_row_changed_behind_it_is_refused(app):
    """Even a session row that escaped the clean-up never outranks the user row."""
    auth = app.extensions["redmap"]["auth"]
    admin = app.test_client()
    client_login(admin, "admin")
    with auth.store._connect() as db:  # the user demoted by some other path, sessions kept
        db.execute("UPDATE users SET role = 'viewer' WHERE name = 'admin'")
    assert admin.get("/staff/_dash-layout").status_code == 401


# ---- 3. simultaneous guesses are counted before they are judged --------------------------------------


def guess_at_once(base_url: str, guesses: list[tuple[str, str]]) -> list[int]:
    """Send every (user, password) sign-in at the same moment; the HTTP status of each."""
    import requests

    prepared = []
    for _ in guesses:
        session = requests.Session()
        session.get(base_url + "/login", timeout=30)  # the form's CSRF cookie
        prepared.append(session)
    start = threading.Barrier(len(guesses))
    statuses = [0] * len(guesses)

    def one(i: int) -> None:
        session, (name, password) = prepared[i], guesses[i]
        token = session.cookies.get("_csrf_token")
        start.wait()
        response = session.post(
            base_url + "/login",
            data={"username": name, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        )
        statuses[i] = response.status_code

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(guesses))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def assert_ten_judged_then_locked(base_url: str) -> None:
    statuses = guess_at_once(base_url, [("viewer", f"wrong-guess-{i}") for i in range(40)])
    # Ten wrong passwords are judged (401); the other thirty are refused unjudged (429).
    assert sorted(statuses) == [401] * 10 + [429] * 30, str(Counter(statuses))
    # The right password after them is refused too: the account is locked for the window.
    assert guess_at_once(base_url, [("viewer", DEMO_PASSWORD)]) == [429]


def test_forty_simultaneous_guesses_under_the_threaded_server_judge_only_ten(tmp_path):
    from tests.conftest import LiveServer

    server = LiveServer(make_settings(write_minimal(tmp_path / "race.gpkg")))
    try:
        assert_ten_judged_then_locked(server.url)
    finally:
        server.stop()


def test_forty_simultaneous_guesses_under_gunicorn_judge_only_ten(tmp_path):
    from tests.conftest import gunicorn_server

    with gunicorn_server(write_minimal(tmp_path / "race.gpkg"), workers=2, threads=8) as url:
        assert_ten_judged_then_locked(url)


# ---- 4. one address is slowed down, never locks every account ---------------------------------------


def sign_in_form(client, name: str, password: str):
    client.get("/login")
    token = client.get_cookie("_csrf_token").value
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token})


def test_thirty_failures_from_one_address_slow_it_down_and_lock_no_account(app):
    auth = app.extensions["redmap"]["auth"]
    now = [1_900_000_000.0]
    auth.clock = lambda: now[0]
    office = app.test_client()  # everyone behind the office's one address
    for i in range(30):
        assert sign_in_form(office, f"guess{i}", "wrong-password").status_code == 401
        now[0] += 1
    # A colleague with the right password is asked to wait two seconds, not fifteen minutes.
    refused = sign_in_form(office, "admin", DEMO_PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "1秒后再试" in refused.get_data(as_text=True)
    now[0] += 1
    assert sign_in_form(office, "admin", DEMO_PASSWORD).status_code == 302
    # The guesser goes on: each further failure doubles the wait, up to a minute.
    waits = []
    for _ in range(7):
        assert sign_in_form(app.test_client(), "viewer-typo", "wrong-password").status_code == 401
        too_soon = sign_in_form(app.test_client(), "viewer-typo", "wrong-password")
        assert too_soon.status_code == 429
        waits.append(int(too_soon.headers["Retry-After"]))
        now[0] += waits[-1]
    assert waits == [4, 8, 16, 32, 60, 60, 60]


def test_an_account_locks_after_ten_failures_for_fifteen_minutes(app):
    auth = app.extensions["redmap"]["auth"]
    now = [1_900_000_000.0]
    auth.clock = lambda: now[0]
    client = app.test_client()
    for _ in range(10):
        assert sign_in_form(client, "viewer", "wrong-password").status_code == 401
    now[0] += 14 * 60
    locked = sign_in_form(client, "viewer", DEMO_PASSWORD)
    assert locked.status_code == 429 and "15分钟" in locked.get_data(as_text=True)
    now[0] += 60 + 1  # fifteen minutes after the failures
    assert sign_in_form(client, "viewer", DEMO_PASSWORD).status_code == 302


# ---- 5 and 10. kiosk links ---------------------------------------------------------------------------


def csrf_cookies_set(response) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith("_csrf_token=")]


def test_a_kiosk_link_in_a_fresh_browser_sets_one_csrf_token_the_session_accepts(app):
    _, token = app.extensions["redmap"]["auth"].create_kiosk("command centre")
    fresh = app.test_client()  # no cookie at all, as a kiosk's incognito profile
    entry = fresh.get(f"/wall/?kiosk={token}&live=30")
    assert entry.status_code == 302 and len(csrf_cookies_set(entry)) == 1
    # The wall's callbacks carry that token and are answered.
    from tests.unit.test_access import callback_body, dependencies

    dep = dependencies(app, "/wall/")[0]
    answer = fresh.post("/wall/_dash-update-component", json=callback_body(dep), headers=csrf_headers(fresh))
    assert answer.status_code in (200, 204)


def test_a_kiosk_link_opened_while_signed_in_keeps_the_persons_session(app):
    _, token = app.extensions["redmap"]["auth"].create_kiosk("command centre")
    admin = app.test_client()
    client_login(admin, "admin")
    session = admin.get_cookie("redmap_session").value
    entry = admin.get(f"/wall/?kiosk={token}&tour=20")
    assert entry.status_code == 302 and entry.headers["Location"] == "/wall/?tour=20"
    assert admin.get_cookie("redmap_session").value == session
    assert admin.get("/staff/_dash-layout").status_code == 200  # still an admin


def test_a_principal_cannot_be_changed_once_established():
    """Shared between the checks of one request: nothing may promote it on the way."""
    import dataclasses

    from dashboard.auth.roles import Principal

    viewer = Principal("someone", "viewer")
    with pytest.raises(dataclasses.FrozenInstanceError):
        viewer.role = "admin"  # type: ignore[misc]


def test_a_kiosk_link_carries_192_random_bits(app):
    _, token = app.extensions["redmap"]["auth"].create_kiosk("command centre")
    assert len(token) == 32 and token.replace("-", "").replace("_", "").isalnum()  # 24 bytes, URL-safe


def test_a_guess_whose_clock_reads_before_a_simultaneous_failure_is_still_judged(tmp_path):
    """Found under load: a request that read its clock just before another booked its
    failure was made to wait for it, though the address was far below its limit."""
    from dashboard.auth.service import AuthError, AuthService
    from dashboard.auth.store import Store

    now = [1_900_000_000.0]
    auth = AuthService(Store(tmp_path / "users.sqlite"), clock=lambda: now[0])
    auth.add_user("wang_li", "viewer", "Long-enough-2026")
    with pytest.raises(AuthError) as first:
        auth.login("wang_li", "wrong-password", "10.0.0.1")
    assert not first.value.throttled
    now[0] -= 0.002  # the next request read its clock a moment before the first booked
    with pytest.raises(AuthError) as second:
        auth.login("wang_li", "wrong-password", "10.0.0.1")
    assert not second.value.throttled  # judged (401), not told to wait


def test_a_disabled_account_cannot_sign_in_even_with_its_password(tmp_path):
    from dashboard.auth.service import AuthError, AuthService
    from dashboard.auth.store import Store

    auth = AuthService(Store(tmp_path / "users.sqlite"))
    auth.add_user("wang_li", "street_staff", "Long-enough-2026", street_id="610402004")
    auth.login("wang_li", "Long-enough-2026", "10.0.0.1")  # works while enabled
    auth.disable_user("wang_li")
    with pytest.raises(AuthError) as refused:
        auth.login("wang_li", "Long-enough-2026", "10.0.0.1")
    assert not refused.value.throttled and "wrong user name or password" in refused.value.reason
    with pytest.raises(AuthError):
        auth.login("wang_li", "a-wrong-password", "10.0.0.1")
    failed = [e[4] for e in auth.store.audit_events(10) if e[1] == "login_failed"]
    # The audit says why (newest first), the person is not told.
    assert failed == ["", "disabled"]


@pytest.mark.parametrize("name", ["", "wang li", "wang;li", "../admin", "a\tb"])
def test_user_names_are_letters_digits_dashes_and_underscores(tmp_path, name):
    from dashboard.auth.service import AuthService
    from dashboard.auth.store import Store

    auth = AuthService(Store(tmp_path / "users.sqlite"))
    with pytest.raises(ValueError, match="letters, digits"):
        auth.add_user(name, "viewer", "Long-enough-2026")


def test_session_ids_carry_256_random_bits_and_revoking_a_kiosk_is_audited(tmp_path):
    from dashboard.auth.service import AuthService
    from dashboard.auth.store import Store

    auth = AuthService(Store(tmp_path / "users.sqlite"))
    auth.add_user("wang_li", "viewer", "Long-enough-2026")
    session = auth.login("wang_li", "Long-enough-2026", "10.0.0.1")
    assert len(session.session_id) == 43 and len(session.csrf) == 43  # 32 bytes, URL-safe
    kiosk_id, _ = auth.create_kiosk("command centre")
    def revocations() -> list[str]:
        return [e[2] for e in auth.store.audit_events(10) if e[1] == "kiosk_revoked"]

    assert auth.revoke_kiosk(kiosk_id) and revocations() == [f"kiosk:{kiosk_id}"]
    assert not auth.revoke_kiosk(kiosk_id) and len(revocations()) == 1  # nothing changed the second time
