"""GET /health: whether Redis and Rasa answer, and how each queued channel delivers.

The web channel reports whether its dispatcher runs. A Telegram instance reports its
mode, whether it receives (webhook, or a live polling task) and sends (its
dispatcher), when the Bot API last answered, and how often polling was restarted.
Every instance reports each channel's outbox: the messages waiting and the age of
the oldest.
"""

from __future__ import annotations

import time
from typing import Any

from redis.exceptions import RedisError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.delivery import QUEUED_CHANNELS


def health_blueprint() -> Blueprint:
    """The health check route."""
    health = Blueprint("health")

    @health.get("/health")
    async def check(request: Request) -> HTTPResponse:
        ctx = request.app.ctx
        try:
            redis_ok = bool(await ctx.redis.ping())
            channels = {channel: await _outbox(ctx, channel) for channel in sorted(QUEUED_CHANNELS)}
        except (RedisError, OSError):
            redis_ok, channels = False, {}
        rasa_ok = await ctx.rasa.ready()
        web_dispatch = getattr(ctx, "web_dispatch", None)
        channels.setdefault("web", {})["alive"] = web_dispatch is not None and not web_dispatch.done()
        telegram = getattr(ctx, "telegram_status", None)
        if telegram is not None:
            channels.setdefault("telegram", {}).update(telegram.report())
        channels_ok = all(report.get("alive", True) for report in channels.values())
        healthy = redis_ok and rasa_ok and channels_ok
        return json(
            {"status": "ok" if healthy else "degraded", "redis": redis_ok, "rasa": rasa_ok, "channels": channels},
            status=200 if healthy else 503,
        )

    return health


async def _outbox(ctx: Any, channel: str) -> dict[str, Any]:
    backlog = await ctx.delivery.queue.backlog(channel)
    oldest = None if backlog.oldest_queued_at is None else round(time.time() - backlog.oldest_queued_at, 1)
    return {"outbox": {"waiting": backlog.messages, "conversations": backlog.conversations, "oldest_seconds": oldest}}
