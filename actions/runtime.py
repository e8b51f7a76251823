"""The services the actions use, built once from the environment on first use."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker

from actions import verification
from actions.identity import Attempts, Limits, LoginCodes, origin_of
from actions.locale import locale_for
from actions.order_flows import OrderFlows
from actions.policy import Policy
from actions.profiles import ProfileStore
from actions.store import Order, SqliteStore, StoreBackend
from actions.verification import Turn, Verifier
from knowledge import KNOWLEDGE_DIR, KnowledgeRepository
from support.language import LANGUAGE_SLOT, languages
from support.mail import Mailer, MailSettings
from support.redis_connection import async_client

STORE_TIMEZONE = ZoneInfo("Asia/Seoul")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Services:
    """Everything an action may need besides the tracker."""

    store: StoreBackend
    profiles: ProfileStore
    verifier: Verifier
    knowledge: KnowledgeRepository
    policy: Policy
    today: Callable[[], date]
    # The current time in Seoul (callback windows); tests replace it like ``today``.
    now: Callable[[], datetime] = field(default=lambda: datetime.now(STORE_TIMEZONE))


_services: Services | None = None


def services() -> Services:
    """Returns the services, creating them from the environment the first time."""
    global _services
    if _services is None:
        store = SqliteStore(Path(_env("STORE_DB_PATH", "var/store.sqlite3")))
        redis = async_client(_env("REDIS_URL", "redis://127.0.0.1:6390/0"), socket_timeout=3, socket_connect_timeout=2)
        mail = MailSettings.from_env()
        limits = Limits()
        profiles = ProfileStore(redis)
        _services = Services(
            store=store,
            profiles=profiles,
            verifier=Verifier(
                store, profiles, Attempts(redis, limits), LoginCodes(redis, limits), Mailer(mail) if mail else None
            ),
            knowledge=KnowledgeRepository(KNOWLEDGE_DIR),
            policy=Policy.load(),
            today=lambda: datetime.now(STORE_TIMEZONE).date(),
        )
    return _services


def use_services(replacement: Services | None) -> None:
    """Replaces the services (tests), or resets them to be rebuilt from the environment."""
    global _services
    _services = replacement


def language_of(tracker: Tracker) -> str:
    """The conversation's language."""
    return tracker.get_slot(LANGUAGE_SLOT) or languages().default


def flows_for(tracker: Tracker) -> OrderFlows:
    """The order flows in the conversation's language, as of today."""
    s = services()
    return OrderFlows(s.store, s.policy, locale_for(language_of(tracker)), s.today())


def turn_of(tracker: Tracker, changed: frozenset[str] = frozenset()) -> Turn:
    """The conversation as the verification sees it, with the slots just answered."""
    message = tracker.latest_message
    typed = frozenset(str(entity.get("entity")) for entity in message.get("entities") or [])
    return Turn(tracker.sender_id, origin_of(message, tracker.sender_id), tracker.current_slot_values(), changed, typed)


def verified_order_of(tracker: Tracker) -> Order | None:
    """The order named in the tracker, once its number and email were both given and match."""
    return verification.verified_order(tracker.get_slot("order_number"), tracker.get_slot("email"), services().store)


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, default)
    path = Path(value)
    if name.endswith(("_PATH", "_DIR")) and not path.is_absolute():
        return str(PROJECT_ROOT / path)
    return value
