"""GET /health: each dependency the gateway needs, for a load balancer, and how each queued channel delivers.

Every dependency is reported on its own under ``dependencies``, with whether it is up, how
long it took to answer, and why not: Redis (a ping), Rasa (its /status, with the loaded
model's id and file) and the action server (its /health, at ``ACTIONS_URL``). All three are
required: the answer is 200 when they are up and every channel is alive, else 503, with the
same JSON either way. ``redis``, ``rasa`` and ``actions`` at the top say up or not in one word.

The web channel reports whether its dispatcher runs. A Telegram instance reports its
mode, whether it receives (webhook, or a live polling task) and sends (its
dispatcher), when the Bot API last answered, and how often polling was restarted.
Every instance reports each channel's outbox: the messages waiting and the age of
the oldest.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from redis.exceptions import RedisError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.delivery import QUEUED_CHANNELS
from bot.rasa import RasaUnavailable

# An answer slower than this counts as down: a load balancer waits for the whole report.
ACTIONS_TIMEOUT_SECONDS = 1.0


def health_blueprint() -> Blueprint:
    """The health check route."""
    health = Blueprint("health")

    @health.get("/health")
    async def check(request: Request) -> HTTPResponse:
        ctx = request.app.ctx
        redis, rasa, actions = await asyncio.gather(_redis(ctx), _rasa(ctx), _actions(ctx))
        channels: dict[str, dict[str, Any]] = {}
        if redis["up"]:
            with contextlib.suppress(RedisError, OSError):
                channels = {channel: await _outbox(ctx, channel) for channel in sorted(QUEUED_CHANNELS)}
        web_dispatch = getattr(ctx, "web_dispatch", None)
        channels.setdefault("web", {})["alive"] = web_dispatch is not None and not web_dispatch.done()
        telegram = getattr(ctx, "telegram_status", None)
        if telegram is not None:
            channels.setdefault("telegram", {}).update(telegram.report())
        channels_ok = all(report.get("alive", True) for report in channels.values())
        dependencies = {"redis": redis, "rasa": rasa, "actions": actions}
        healthy = all(report["up"] for report in dependencies.values()) and channels_ok
        up = {name: report["up"] for name, report in dependencies.items()}
        return json(
            {"status": "ok" if healthy else "degraded", **up, "dependencies": dependencies, "channels": channels},
            status=200 if healthy else 503,
        )

    return health


async def _redis(ctx: Any) -> dict[str, Any]:
    async def ping() -> dict[str, Any]:
        if not await ctx.redis.ping():
            raise RedisError("no answer to PING")
        return {}

    return await _probe(ping, (RedisError, OSError))


async def _rasa(ctx: Any) -> dict[str, Any]:
    async def model() -> dict[str, Any]:
        status = await ctx.rasa.status()
        return {"model_id": status.get("model_id"), "model_file": status.get("model_file")}

    return await _probe(model, (RasaUnavailable,), {"model_id": None, "model_file": None})


async def _actions(ctx: Any) -> dict[str, Any]:
    async def health() -> dict[str, Any]:
        response = await ctx.http.get(f"{ctx.settings.actions_url}/health", timeout=ACTIONS_TIMEOUT_SECONDS)
        response.raise_for_status()
        return {}

    return await _probe(health, (httpx.HTTPError,))


async def _probe(
    check: Callable[[], Awaitable[dict[str, Any]]],
    failures: tuple[type[Exception], ...],
    details_when_down: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One dependency's report: up, its answer time in ms, why it is down, and its details (same keys when down)."""
    started = time.perf_counter()
    try:
        details = await check()
    except failures as error:
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return {"up": False, "latency_ms": None, "error": reason, **(details_when_down or {})}
    latency = round((time.perf_counter() - started) * 1000, 1)
    return {"up": True, "latency_ms": latency, "error": None, **details}


async def _outbox(ctx: Any, channel: str) -> dict[str, Any]:
    backlog = await ctx.delivery.queue.backlog(channel)
    oldest = None if backlog.oldest_queued_at is None else round(time.time() - backlog.oldest_queued_at, 1)
    return {"outbox": {"waiting": backlog.messages, "conversations": backlog.conversations, "oldest_seconds": oldest}}
