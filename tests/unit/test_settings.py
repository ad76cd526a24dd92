"""Settings come from REDMAP_* variables; a typo must stop the start, not be ignored."""

from pathlib import Path

import pytest

from dashboard.settings import DEMO_DATA_PATH, Settings, SettingsError


def test_defaults_serve_the_demo_district_on_localhost():
    s = Settings.from_env({})
    assert (s.host, s.port, s.data, s.tile_url, s.lang) == ("127.0.0.1", 8050, DEMO_DATA_PATH, "", "zh")
    assert s.uses_demo_data and len(s.secret_key) >= 32


def test_values_are_read_and_typed():
    s = Settings.from_env(
        {
            "REDMAP_DATA": "/srv/qindu.gpkg",
            "REDMAP_PORT": "9000",
            "REDMAP_DEBUG": "yes",
            "REDMAP_SECRET_KEY": "k" * 40,
        }
    )
    assert s.data == Path("/srv/qindu.gpkg") and s.port == 9000 and s.debug is True
    assert not s.uses_demo_data and s.secret_key == "k" * 40


@pytest.mark.parametrize(
    "env,phrase",
    [
        ({"REDMAP_DTA": "/x.gpkg"}, "unknown setting(s) REDMAP_DTA"),
        ({"REDMAP_PORT": "eighty"}, "REDMAP_PORT='eighty' is not a valid int"),
        ({"REDMAP_PORT": "70000"}, "1–65535"),
        ({"REDMAP_LANG": "fr"}, "'zh' or 'en'"),
        ({"REDMAP_DEBUG": "maybe"}, "REDMAP_DEBUG"),
        ({"REDMAP_TILE_URL": "http://intranet/tiles.png"}, "{z}"),
    ],
    ids=["typo", "port-text", "port-range", "lang", "bool", "tile-template"],
)
def test_bad_settings_are_refused_with_the_variable_named(env, phrase):
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert phrase in str(info.value)


def test_other_environment_variables_are_ignored():
    assert Settings.from_env({"PATH": "/bin", "REDMAPX": "1"}).port == 8050


def start_app(tmp_path: Path, **env: str):
    """``python app.py`` as the README starts it, stopped right after its start-up."""
    import os
    import subprocess
    import sys

    from tests.factories import write_minimal

    environ = {k: v for k, v in os.environ.items() if not k.startswith("REDMAP_")}
    environ.update(
        REDMAP_DATA=str(write_minimal(tmp_path / "small.gpkg")),
        REDMAP_SECRET_KEY="x" * 40,
        REDMAP_DEMO_PASSWORD="demo-pass-2026",
        **env,
    )
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unusable_user_store_stops_the_start_with_the_path_and_the_fix(tmp_path):
    folder = tmp_path / "users-is-a-folder"
    folder.mkdir()
    done = start_app(tmp_path, REDMAP_USERS_DB=str(folder))
    assert done.returncode != 0
    assert "Red Map cannot start" in done.stderr and str(folder) in done.stderr
    assert "REDMAP_USERS_DB" in done.stderr and "Traceback" not in done.stderr


def test_an_unwritable_var_folder_names_the_secret_and_the_setting(monkeypatch):
    import dashboard.settings as settings_module

    monkeypatch.setattr(settings_module, "VAR_DIR", Path("/proc/redmap-cannot-write-here"))
    with pytest.raises(SettingsError) as raised:
        Settings(secret_key="").checked()
    message = str(raised.value)
    assert "/proc/redmap-cannot-write-here/secret_key" in message and "REDMAP_SECRET_KEY" in message
