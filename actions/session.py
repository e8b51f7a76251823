"""Recognising customers: the privacy notice on first contact, the store's login, greeting by name."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from actions.identity import PROOF_STORE_LOGIN, anonymous_slots, customer_slots, proves_customer
from actions.locale import Locale
from actions.profiles import Profile, ProfileStore
from actions.replies import Outcome, Reply
from actions.store import StoreBackend
from actions.verification import order_buttons


async def start_session(
    profiles: ProfileStore, sender_id: str, metadata: dict[str, Any] | None, now: datetime
) -> Outcome:
    """Loads (or creates) the profile; a first-time customer gets the privacy notice."""
    channel_name = (metadata or {}).get("first_name")
    profile = await profiles.get(sender_id)
    replies: tuple[Reply, ...] = ()
    returning = profile is not None and profile.name is not None
    if profile is None:
        profile = Profile(sender_id=sender_id, first_seen=now.isoformat(timespec="seconds"), name=channel_name)
        await profiles.save(profile)
        replies = (Reply("utter_privacy_notice"),)
    elif profile.name is None and channel_name:
        profile = replace(profile, name=channel_name)
        await profiles.save(profile)
    slots = {"customer_name": profile.name, "returning_customer": returning}
    return Outcome(replies, {k: v for k, v in slots.items() if v is not None})


async def identify(
    metadata: dict[str, Any] | None, slots: dict[str, Any], store: StoreBackend, profiles: ProfileStore, sender_id: str
) -> dict[str, Any]:
    """The slots of the customer the gateway vouches for (the store's signed login), if it changed."""
    identity = (metadata or {}).get("identity") or {}
    customer_id = identity.get("customer_id")
    if identity.get("proof") != PROOF_STORE_LOGIN or not customer_id or customer_id == slots.get("customer_id"):
        return {}
    customer = store.customer_by_id(str(customer_id))
    if customer is None:
        return {}
    await profiles.link(sender_id, customer.id)
    return customer_slots(customer, PROOF_STORE_LOGIN)


def greet_customer(slots: dict[str, Any], store: StoreBackend, locale: Locale) -> Reply:
    """Greets a proven customer by name and offers their recent orders; anyone else gets the usual hello."""
    customer = store.customer_by_id(str(slots["customer_id"])) if proves_customer(slots) else None
    if customer is None:
        return Reply("utter_greet")
    orders = store.recent_orders(customer.email)
    return Reply("utter_greet_customer", {"customer_name": customer.name}, order_buttons(orders, locale))


async def forget_device(profiles: ProfileStore, sender_id: str) -> Outcome:
    """Unlinks this conversation from its customer; their orders and other chats stay."""
    await profiles.unlink(sender_id)
    return Outcome((Reply("utter_device_forgotten"),), anonymous_slots(), ({"forget_device": True},))
