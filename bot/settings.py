"""Typed gateway settings, read once from the environment.

Secrets are wrapped so they never appear in logs or reprs; a missing required
setting stops the gateway at start-up with a message naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.identity.tokens import MIN_SECRET_BYTES
from support.hours import SUPPORT_FILE, support_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Secret:
    """A value that must not be printed."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "********"


@dataclass(frozen=True)
class Settings:
    """Everything the gateway is configured with."""

    redis_url: str
    rasa_url: str
    rasa_token: Secret
    session_secret: Secret
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    domain_file: Path = PROJECT_ROOT / "domain.yml"
    support_file: Path = SUPPORT_FILE
    canned_file: Path = PROJECT_ROOT / "data" / "support" / "canned.yml"
    feedback_file: Path = PROJECT_ROOT / "data" / "support" / "feedback.yml"
    person_requests_file: Path = PROJECT_ROOT / "data" / "support" / "person_requests.yml"
    knowledge_dir: Path = PROJECT_ROOT / "data" / "knowledge"
    models_dir: Path = PROJECT_ROOT / "models"
    changelog_file: Path = PROJECT_ROOT / "var" / "knowledge" / "changes.jsonl"
    retrain_accuracy_margin: float = 0.02
    max_message_chars: int = 2000
    rate_limit_messages: int = 20
    rate_limit_window_seconds: int = 60
    rasa_timeout_seconds: float = 4.0
    # A customer whose message has no answer by then gets the technical-trouble message.
    reply_deadline_seconds: float = 2.0
    telegram_token: Secret | None = None
    telegram_webhook_secret: Secret | None = None
    telegram_api_url: str = "https://api.telegram.org"
    # How long a message may wait for its channel before agents are told it never arrived.
    delivery_deadline_seconds: float = 3600.0
    # The store's login (docs/store-login.md): None turns signed identities off.
    store_login_secret: Secret | None = None
    store_login_audience: str = "maru-support"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Reads the settings; raises SettingsError naming what is missing."""
        telegram_token = _secret(env, "TELEGRAM_TOKEN")
        public_url = env.get("PUBLIC_URL") or None
        webhook_secret = _secret(env, "TELEGRAM_WEBHOOK_SECRET")
        if telegram_token and public_url and not webhook_secret:
            raise SettingsError("TELEGRAM_WEBHOOK_SECRET is required when PUBLIC_URL enables the Telegram webhook")
        store_login_secret = _secret(env, "STORE_LOGIN_SECRET")
        if store_login_secret and len(store_login_secret.value.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"STORE_LOGIN_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        return cls(
            redis_url=_required(env, "REDIS_URL"),
            rasa_url=_required(env, "RASA_URL").rstrip("/"),
            rasa_token=Secret(_required(env, "RASA_TOKEN")),
            session_secret=Secret(_required(env, "SESSION_SECRET")),
            host=env.get("GATEWAY_HOST", "127.0.0.1"),
            port=_integer(env, "GATEWAY_PORT", 8000),
            public_url=public_url.rstrip("/") if public_url else None,
            max_message_chars=_integer(env, "MAX_MESSAGE_CHARS", 2000),
            rate_limit_messages=_integer(env, "RATE_LIMIT_MESSAGES", 20),
            rate_limit_window_seconds=_integer(env, "RATE_LIMIT_WINDOW_SECONDS", 60),
            telegram_token=telegram_token,
            telegram_webhook_secret=webhook_secret,
            telegram_api_url=env.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
            delivery_deadline_seconds=_number(env, "DELIVERY_DEADLINE_SECONDS", 3600.0),
            reply_deadline_seconds=_number(env, "REPLY_DEADLINE_SECONDS", 2.0),
            models_dir=Path(env.get("MODEL_DIR") or PROJECT_ROOT / "models"),
            support_file=support_file(env),
            feedback_file=Path(env.get("FEEDBACK_FILE") or PROJECT_ROOT / "data" / "support" / "feedback.yml"),
            changelog_file=Path(env.get("KNOWLEDGE_CHANGELOG") or PROJECT_ROOT / "var" / "knowledge" / "changes.jsonl"),
            retrain_accuracy_margin=_number(env, "RETRAIN_ACCURACY_MARGIN", 0.02),
            store_login_secret=store_login_secret,
            store_login_audience=env.get("STORE_LOGIN_AUDIENCE") or "maru-support",
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set; see README, 'Configuration'")
    return value


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    value = env.get(name, "").strip()
    return Secret(value) if value else None


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from error


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from error
