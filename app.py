"""Red Map entry point: ``python app.py`` serves it, ``gunicorn app:server`` too."""

import logging
import sys

from dashboard import create_app
from dashboard.process import settle
from dashboard.settings import Settings, SettingsError
from geodata.validate import DataError

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

try:
    settings = Settings.from_env()
    server = create_app(settings)
except (SettingsError, DataError) as error:
    # Refuse to start on bad settings or data, with every problem listed.
    sys.exit(f"Red Map cannot start:\n{error}")
except OSError as error:  # e.g. the demo district cannot be written into var/
    sys.exit(
        f"Red Map cannot start:\ncannot use {error.filename or 'a file'}: {error.strerror or error}. "
        "Make it (and its folder) writable and readable for this user, or point REDMAP_DATA elsewhere"
    )

settle()  # before gunicorn --preload forks its workers

if __name__ == "__main__":
    from dashboard.serving import serve

    print(f"Red Map: http://{settings.host}:{settings.port}/  (staff: /staff/, wall: /wall/)", flush=True)
    serve(server, settings)
