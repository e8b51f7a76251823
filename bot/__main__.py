"""``python -m bot``: runs the gateway with settings from the environment."""

from __future__ import annotations

import os
import sys

from bot.app import create_app
from bot.observability.logs import configure_logging
from bot.settings import Settings, SettingsError


def main() -> int:
    """Starts the server, or explains which setting is missing."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 2
    app = create_app(settings)
    try:
        # After create_app: creating the Sanic app installs Sanic's own log handlers, which this replaces.
        configure_logging(os.environ.get("LOG_FORMAT") or "json")
    except ValueError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 2
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
