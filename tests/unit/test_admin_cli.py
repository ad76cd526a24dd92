"""User administration from the shell, as an administrator would run it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args, tmp_path, stdin=""):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDMAP_")}
    env.update(
        REDMAP_USERS_DB=str(tmp_path / "users.sqlite"),
        REDMAP_DATA=str(tmp_path / "none.gpkg"),
        REDMAP_SECRET_KEY="x" * 40,
    )
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def test_add_list_disable_a_user(tmp_path):
    added = run(
        ["users", "add", "wang_li", "--role", "street_staff", "--street", "610402004", "--password-stdin"],
        tmp_path,
        "Weiyang-2026\n",
    )
    assert added.returncode == 0, added.stderr
    listed = run(["users", "list"], tmp_path).stdout
    assert "wang_li" in listed and "street_staff" in listed and "610402004" in listed and "active" in listed
    assert run(["users", "disable", "wang_li"], tmp_path).returncode == 0
    assert "disabled" in run(["users", "list"], tmp_path).stdout


def test_bad_requests_are_refused_with_a_reason(tmp_path):
    weak = run(["users", "add", "a", "--role", "admin", "--password-stdin"], tmp_path, "short\n")
    assert weak.returncode == 1 and "at least 10 characters" in weak.stderr
    no_street = run(
        ["users", "add", "b", "--role", "street_staff", "--password-stdin"], tmp_path, "Long-enough-1\n"
    )
    assert no_street.returncode == 1 and "--street" in no_street.stderr
    assert "no user" in run(["users", "disable", "nobody"], tmp_path).stderr


def test_kiosk_link_is_printed_once_and_can_be_revoked(tmp_path):
    out = run(["kiosk", "add", "command centre"], tmp_path).stdout
    assert "/wall/?kiosk=" in out
    assert "active" in run(["kiosk", "list"], tmp_path).stdout
    assert run(["kiosk", "revoke", "1"], tmp_path).returncode == 0
    assert "revoked" in run(["kiosk", "list"], tmp_path).stdout
