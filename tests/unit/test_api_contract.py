"""The public API does what its OpenAPI document says, as an independent fuzzer sees it.

schemathesis reads the document the live app serves (``python app.py``, on the demo
district) and throws every kind of request it allows and forbids at the server, with
all of its checks: schema-valid requests answered, invalid ones refused, responses
matching the document, no 500, methods the document does not list refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import gunicorn_server


def test_schemathesis_finds_nothing_against_the_live_app(demo_path: Path, tmp_path: Path) -> None:
    data = tmp_path / "contract.gpkg"
    data.write_bytes(demo_path.read_bytes())
    st = str(Path(sys.executable).with_name("st"))
    with gunicorn_server(data, workers=1, threads=4) as url:
        done = subprocess.run(
            [st, "run", f"{url}/api/v1/openapi.json", "--url", url, "--checks", "all",
             "--max-examples", "100", "--seed", "2026", "--no-color"],
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
    assert "No issues found" in done.stdout
