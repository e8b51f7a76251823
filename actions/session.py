"""Recognising customers: the privacy notice on first contact and greeting by name."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from actions.profiles import Profile, ProfileStore
from actions.replies import Outcome, Reply
from actions.store import StoreBackend


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
    slots = {"customer_name": profile.name, "returning_customer": returning, "email": profile.email}
    return Outcome(replies, {k: v for k, v in slots.items() if v is not None})


async def remember_verified_customer(
    profiles: ProfileStore, store: StoreBackend, sender_id: str, email: str, now: datetime
) -> dict[str, Any]:
    """Links the conversation's profile to the customer whose order was just verified."""
    customer = store.customer(email)
    profile = await profiles.get(sender_id) or Profile(sender_id, first_seen=now.isoformat(timespec="seconds"))
    name = profile.name or (customer.name if customer else None)
    await profiles.save(replace(profile, email=email, name=name))
    return {"customer_name": name} if name else {}
