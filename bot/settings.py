"""Typed gateway settings, read once from the environment.

Secrets are wrapped so they never appear in logs or reprs; a missing required
setting stops the gateway at start-up with a message naming it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from bot.identity.tokens import MIN_SECRET_BYTES
from bot.security.client_ip import Network, parse_networks
from bot.security.origins import parse_origins
from knowledge.base import KNOWLEDGE_DIR
from support.hours import SUPPORT_FILE, support_file
from support.mail import MailSettings

T = TypeVar("T")
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
    knowledge_dir: Path = KNOWLEDGE_DIR
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
    # GET /metrics answers only with this bearer token; without it the route is 404 (docs/operations.md).
    metrics_token: Secret | None = None
    # The action server, whose /health the gateway's /health reports.
    actions_url: str = "http://127.0.0.1:5055"
    # The store's sites that embed the widget (besides the gateway's own pages).
    widget_origins: tuple[str, ...] = ()
    # Proxies whose X-Forwarded-For is believed when finding a customer's address.
    trusted_proxies: tuple[Network, ...] = ()
    # New web conversations per client address and minute (Chatwoot's default is 30).
    new_sessions_per_minute: int = 30
    # Wrong passwords before an account, or an address, is locked out for the lockout time.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_lockout_seconds: int = 900
    # Mail to customers (SMTP_*, read as the action server reads them): None turns email callbacks
    # and emailed check-ins off. The password is kept apart, as a Secret; see mail_settings().
    smtp: MailSettings | None = None
    smtp_password: Secret | None = None

    def mail_settings(self) -> MailSettings | None:
        """The SMTP settings with the password, for the mailer only; None without SMTP_HOST."""
        if self.smtp is None:
            return None
        return replace(self.smtp, password=self.smtp_password.value if self.smtp_password else None)

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
        smtp, smtp_password = _smtp(env)
        rasa_token = Secret(_required(env, "RASA_TOKEN"))
        if len(rasa_token.value.encode()) < MIN_SECRET_BYTES:
            # It signs the JWTs for Rasa's API (HS256): shorter keys are guessable offline.
            raise SettingsError(f"RASA_TOKEN must be at least {MIN_SECRET_BYTES} bytes")
        return cls(
            redis_url=_required(env, "REDIS_URL"),
            rasa_url=_required(env, "RASA_URL").rstrip("/"),
            rasa_token=rasa_token,
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
            metrics_token=_secret(env, "METRICS_TOKEN"),
            actions_url=(env.get("ACTIONS_URL") or "http://127.0.0.1:5055").rstrip("/"),
            smtp=smtp,
            smtp_password=smtp_password,
            widget_origins=_parsed(env, "WIDGET_ORIGINS", parse_origins),
            trusted_proxies=_parsed(env, "TRUSTED_PROXIES", parse_networks),
            new_sessions_per_minute=_integer(env, "NEW_SESSIONS_PER_MINUTE", 30),
            login_failures_per_account=_integer(env, "LOGIN_FAILURES_PER_ACCOUNT", 5),
            login_failures_per_address=_integer(env, "LOGIN_FAILURES_PER_ADDRESS", 20),
            login_lockout_seconds=_integer(env, "LOGIN_LOCKOUT_SECONDS", 900),
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set; see README, 'Configuration'")
    return value


def _smtp(env: Mapping[str, str]) -> tuple[MailSettings | None, Secret | None]:
    """The SMTP settings without their password, and the password as a Secret."""
    try:
        mail = MailSettings.from_env(env)
    except ValueError as error:
        raise SettingsError(str(error)) from error
    if mail is None:
        return None, None
    return replace(mail, password=None), Secret(mail.password) if mail.password else None


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    value = env.get(name, "").strip()
    return Secret(value) if value else None


def _parsed(env: Mapping[str, str], name: str, parse: Callable[[str], tuple[T, ...]]) -> tuple[T, ...]:
    try:
        return parse(env.get(name, ""))
    except ValueError as error:
        raise SettingsError(f"{name}: {error}") from error


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
