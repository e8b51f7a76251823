from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError

REQUIRED = {
    "REDIS_URL": "redis://127.0.0.1:6390/0",
    "RASA_URL": "http://127.0.0.1:5005/",
    "RASA_TOKEN": "token-value",
    "SESSION_SECRET": "session-value",
}


def test_reads_required_and_defaults() -> None:
    settings = Settings.from_env(REQUIRED)
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert (settings.port, settings.max_message_chars, settings.telegram_token) == (8000, 2000, None)
    assert (settings.delivery_deadline_seconds, settings.feedback_file.name) == (3600.0, "feedback.yml")


def test_delivery_deadline_and_feedback_file_are_read() -> None:
    settings = Settings.from_env({**REQUIRED, "DELIVERY_DEADLINE_SECONDS": "90", "FEEDBACK_FILE": "/etc/maru/f.yml"})
    assert (settings.delivery_deadline_seconds, settings.feedback_file) == (90.0, Path("/etc/maru/f.yml"))


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_missing_setting_is_named(missing: str) -> None:
    env = {k: v for k, v in REQUIRED.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(env)


def test_secrets_never_show_in_repr_or_str() -> None:
    settings = Settings.from_env({**REQUIRED, "TELEGRAM_TOKEN": "123:secret-telegram"})
    shown = repr(settings) + str(settings.rasa_token) + str(settings.telegram_token)
    assert "token-value" not in shown
    assert "session-value" not in shown
    assert "secret-telegram" not in shown


def test_webhook_needs_a_secret() -> None:
    env = {**REQUIRED, "TELEGRAM_TOKEN": "123:abc", "PUBLIC_URL": "https://support.maru.example"}
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings.from_env(env)


def test_malformed_number_is_explained() -> None:
    with pytest.raises(SettingsError, match="GATEWAY_PORT must be a whole number"):
        Settings.from_env({**REQUIRED, "GATEWAY_PORT": "eighty"})
