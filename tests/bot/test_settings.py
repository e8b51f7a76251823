from dataclasses import replace
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from support.mail import MailSettings

REQUIRED = {
    "REDIS_URL": "redis://127.0.0.1:6390/0",
    "RASA_URL": "http://127.0.0.1:5005/",
    "RASA_TOKEN": "token-value-of-at-least-32-bytes-0123",
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


def test_mail_is_off_without_smtp_host() -> None:
    settings = Settings.from_env(REQUIRED)
    assert (settings.smtp, settings.smtp_password, settings.mail_settings()) == (None, None, None)


def test_smtp_settings_keep_the_password_as_a_secret() -> None:
    env = {
        **REQUIRED,
        "SMTP_HOST": "mail.maru.example",
        "SMTP_FROM": "Maru <help@maru.example>",
        "SMTP_USERNAME": "support",
        "SMTP_PASSWORD": "smtp-pa55word",
        "SMTP_SECURITY": "tls",
    }
    settings = Settings.from_env(env)
    server = MailSettings(
        "mail.maru.example", 465, "Maru <help@maru.example>", "support", starttls=False, implicit_tls=True
    )
    assert settings.smtp == server
    assert settings.mail_settings() == replace(server, password="smtp-pa55word")
    assert "smtp-pa55word" not in repr(settings) + str(settings.smtp_password)


def test_malformed_smtp_settings_are_named() -> None:
    with pytest.raises(SettingsError, match="SMTP_FROM is required"):
        Settings.from_env({**REQUIRED, "SMTP_HOST": "mail.maru.example"})
    with pytest.raises(SettingsError, match="SMTP_SECURITY must be one of"):
        Settings.from_env({**REQUIRED, "SMTP_HOST": "h", "SMTP_FROM": "help@maru.example", "SMTP_SECURITY": "ssl"})


def test_widget_sites_and_trusted_proxies_are_read() -> None:
    settings = Settings.from_env(
        {**REQUIRED, "WIDGET_ORIGINS": "https://shop.example,https://m.shop.example/", "TRUSTED_PROXIES": "10.0.0.0/8"}
    )
    assert settings.widget_origins == ("https://shop.example", "https://m.shop.example")
    assert [str(network) for network in settings.trusted_proxies] == ["10.0.0.0/8"]
    assert (settings.new_sessions_per_minute, settings.login_failures_per_account) == (30, 5)


@pytest.mark.parametrize(("name", "value"), [("WIDGET_ORIGINS", "https://shop.example/path"), ("TRUSTED_PROXIES", "x")])
def test_a_malformed_site_or_proxy_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**REQUIRED, name: value})


def test_a_short_rasa_token_is_refused() -> None:
    with pytest.raises(SettingsError, match="RASA_TOKEN must be at least 32 bytes"):
        Settings.from_env({**REQUIRED, "RASA_TOKEN": "short"})
