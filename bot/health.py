"""GET /health: whether Redis and Rasa answer."""

from __future__ import annotations

from redis.exceptions import RedisError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json


def health_blueprint() -> Blueprint:
    """The health check route."""
    health = Blueprint("health")

    @health.get("/health")
    async def check(request: Request) -> HTTPResponse:
        ctx = request.app.ctx
        try:
            redis_ok = bool(await ctx.redis.ping())
        except (RedisError, OSError):
            redis_ok = False
        rasa_ok = await ctx.rasa.ready()
        healthy = redis_ok and rasa_ok
        return json(
            {"status": "ok" if healthy else "degraded", "redis": redis_ok, "rasa": rasa_ok},
            status=200 if healthy else 503,
        )

    return health
