"""``python -m bot``: runs the gateway with settings from the environment."""

from __future__ import annotations

import sys

from bot.app import create_app
from bot.settings import Settings, SettingsError


def main() -> int:
    """Starts the server, or explains which setting is missing."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 2
    app = create_app(settings)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
