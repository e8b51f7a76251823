"""What the gateway benchmarks share: where the gateway is, a signed-in console user, and a sample FAQ."""

from __future__ import annotations

import os
import secrets
from typing import Any

from redis.asyncio import Redis

from bot.console.client import ConsoleAgent
from bot.store.users import UserStore

# A new FAQ an editor might add; the benchmarks and the editor browser test add it.
SAMPLE_FAQ: dict[str, Any] = {
    "topic": "shipping",
    "id": "parcel_lockers",
    "question": "Can you deliver to a parcel locker?",
    "answer": "Yes: pick a parcel locker at checkout and we deliver there at no extra cost.",
    "phrasings": [
        "can you deliver to a parcel locker",
        "do you ship to parcel lockers",
        "parcel locker delivery",
        "send my order to a locker",
        "is locker delivery possible",
        "can I collect my parcel from a locker",
        "deliver to the locker near my flat",
        "I want my package in a parcel locker",
        "do you support delivery lockers",
        "locker instead of home delivery",
    ],
}
# A wording of SAMPLE_FAQ that is not among its phrasings.
SAMPLE_FAQ_UNSEEN = "could my order go to a parcel locker box"


def gateway_url() -> str:
    """The gateway `make run` started (``GATEWAY_PORT``, 8000 by default)."""
    return f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"


async def signed_in(name: str, role: str, display_name: str) -> ConsoleAgent:
    """A console user created (or reset) with a fresh password in ``REDIS_URL``, logged in."""
    password = secrets.token_urlsafe(16)
    redis = Redis.from_url(os.environ["REDIS_URL"])
    await UserStore(redis).create(name, role, password, display_name)
    await redis.close()
    user = ConsoleAgent(gateway_url())
    await user.login(name, password)
    return user
