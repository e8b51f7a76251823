"""Callbacks customers asked for instead of waiting, ordered by when they are due."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

RECORD = "callback:{id}"
OPEN = "callbacks:open"
RETENTION_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True)
class Callback:
    """A customer waiting to be called or messaged back."""

    id: str
    conversation: str
    channel: str
    method: str
    window_start: str
    window_end: str
    window_label: str
    due: float
    created_at: float
    phone: str | None = None
    email: str | None = None
    reason: str | None = None
    language: str = "en"
    state: str = "pending"
    agent: str | None = None
    note: str | None = None


class CallbackStore:
    """Creates callbacks and moves them from pending to picked up to done."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def create(self, callback: Callback) -> Callback:
        """Stores a new callback with a fresh id."""
        stored = Callback(**{**asdict(callback), "id": secrets.token_hex(8)})
        await self._save(stored, open_=True)
        return stored

    async def get(self, callback_id: str) -> Callback | None:
        """A callback by id."""
        raw = await self._redis.get(RECORD.format(id=callback_id))
        return Callback(**json.loads(raw)) if raw else None

    async def open(self) -> list[Callback]:
        """Pending and picked-up callbacks, earliest due first."""
        ids = [i.decode() for i in await self._redis.zrange(OPEN, 0, -1)]
        found = [await self.get(i) for i in ids]
        return [callback for callback in found if callback is not None]

    async def pick_up(self, callback_id: str, agent: str) -> Callback | None:
        """Assigns a pending callback to the agent; None if it is not pending any more."""
        callback = await self.get(callback_id)
        if callback is None or callback.state != "pending":
            return None
        claimed = await self._redis.set(f"callback:{callback_id}:agent", agent, nx=True, ex=RETENTION_SECONDS)
        if not claimed:
            return None
        picked = Callback(**{**asdict(callback), "state": "in_progress", "agent": agent})
        await self._save(picked, open_=True)
        return picked

    async def finish(self, callback_id: str, agent: str, note: str) -> Callback | None:
        """Marks the agent's callback done with a note; None unless that agent picked it up."""
        callback = await self.get(callback_id)
        if callback is None or callback.state != "in_progress" or callback.agent != agent:
            return None
        done = Callback(**{**asdict(callback), "state": "done", "note": note})
        await self._save(done, open_=False)
        return done

    async def _save(self, callback: Callback, open_: bool) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(RECORD.format(id=callback.id), json.dumps(asdict(callback)), ex=RETENTION_SECONDS)
            if open_:
                pipe.zadd(OPEN, {callback.id: callback.due})
            else:
                pipe.zrem(OPEN, callback.id)
            await pipe.execute()
