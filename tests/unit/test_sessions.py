"""Sessions and sign-in under attack: rights that change, guesses that race, kiosks.

Each test here is written the way the hole it guards was found: from outside, over
HTTP (or the admin's shell), watching what a user or an attacker would get back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import create_app
from dashboard.auth import demo_account_name
from tests.conftest import DEMO_PASSWORD, client_login, make_settings
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
