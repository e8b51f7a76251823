"""GET /metrics for Prometheus, behind a bearer token (``METRICS_TOKEN``).

Without the setting the route answers 404, so nothing is exposed by accident; a
missing or wrong token gets 401. The queue, presence and callback gauges are read
from Redis on each scrape, before the text is generated.
"""

from __future__ import annotations

import hmac
import logging
import time

from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError
from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, raw, text

from bot.settings import Secret

logger = logging.getLogger(__name__)
BEARER = "bearer "


def token_matches(authorization: str | None, token: Secret) -> bool:
    """True if an ``Authorization`` header is ``Bearer <token>`` (compared in constant time)."""
    if not authorization or authorization[: len(BEARER)].lower() != BEARER:
        return False
    # The header's bytes as sent (the server keeps bytes that are not UTF-8 as surrogate escapes).
    provided = authorization[len(BEARER) :].strip().encode(errors="surrogateescape")
    return hmac.compare_digest(provided, token.value.encode())


def metrics_blueprint() -> Blueprint:
    """The Prometheus scrape route."""
    metrics = Blueprint("metrics")

    @metrics.get("/metrics")
    async def scrape(request: Request) -> HTTPResponse:
        ctx = request.app.ctx
        token: Secret | None = ctx.settings.metrics_token
        if token is None:
            raise NotFound(f"Requested URL {request.path} not found")
        if not token_matches(request.headers.get("authorization"), token):
            return text("a valid bearer token is required", status=401, headers={"WWW-Authenticate": "Bearer"})
        desk = ctx.desk
        try:
            await ctx.metrics.read_desk(desk.handoffs, desk.presence, desk.callbacks, time.time())
        except (RedisError, OSError) as error:
            logger.warning("metrics without the queue figures, Redis unavailable: %s", error)
            ctx.metrics.redis_error("metrics")
            ctx.metrics.desk_unreadable()
        return raw(ctx.metrics.exposition(), content_type=CONTENT_TYPE_LATEST)

    return metrics
