"""The feedback dashboard for editors and admins: a page, its JSON summary, SVG charts and CSV exports.

Every request reads Redis afresh (the feedback store's per-day keys, summed inside
Redis: ``bot.dashboard.reads``); nothing is kept in gateway memory, so any instance
answers the same. The page is static HTML whose script inserts customer text with
``textContent`` only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file, raw, text
from sanic.response import json as json_response

from bot.console.auth import guard
from bot.dashboard import charts, metrics, reads, streams
from bot.dashboard.query import CHANNELS, Query, QueryError, parse_query
from bot.store.feedback import RATINGS_STREAM, SESSIONS_STREAM, day_of
from bot.texts import DEFAULT_LANGUAGE
from knowledge import KnowledgeBase

logger = logging.getLogger(__name__)
DASHBOARD_ROLES = ("editor", "admin")
PAGES = Path(__file__).resolve().parent.parent / "static" / "dashboard"
API_PREFIX = "/dashboard/api/"
TOP_UNANSWERED = 20
LATEST_COMMENTS = 20
EXPORTS = {
    "ratings": (RATINGS_STREAM, streams.RATING_COLUMNS),
    "conversations": (SESSIONS_STREAM, streams.SESSION_COLUMNS),
}
# An SVG opened on its own is a document that could run script: forbid everything it doesn't need.
SVG_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
# One drawing thread: matplotlib is not thread-safe, and charts must not block the event loop
# that serves customers' messages.
CHART_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-charts")


def dashboard_blueprint() -> Blueprint:
    """Routes of the feedback dashboard."""
    dashboard = Blueprint("dashboard")

    @dashboard.get("/dashboard")
    @guard(DASHBOARD_ROLES)
    async def page(_: Request) -> HTTPResponse:
        return await file(PAGES / "dashboard.html")

    @dashboard.get("/dashboard/static/<name:[a-z]+\\.(?:js|css)>")
    @guard(DASHBOARD_ROLES)
    async def asset(_: Request, name: str) -> HTTPResponse:
        return await file(PAGES / name)

    @dashboard.get("/dashboard/api/summary")
    @guard(DASHBOARD_ROLES)
    async def summary(request: Request) -> HTTPResponse:
        return json_response(await _summary(request))

    @dashboard.get("/dashboard/charts/<name:[a-z]+\\.svg>")
    @guard(DASHBOARD_ROLES)
    async def chart(request: Request, name: str) -> HTTPResponse:
        draw = charts.CHARTS.get(name.removesuffix(".svg"))
        if draw is None:
            return json_response({"error": f"no chart {name}; there are {', '.join(charts.CHARTS)}"}, status=404)
        query = _query(request)
        counts = await reads.counters(request.app.ctx.redis, query.days)
        totals, daily = _tallies(counts, query)
        svg = await asyncio.get_running_loop().run_in_executor(CHART_RENDERER, draw, totals, daily)
        return raw(svg, content_type="image/svg+xml", headers=SVG_HEADERS)

    @dashboard.get("/dashboard/export/<name:[a-z]+\\.csv>")
    @guard(DASHBOARD_ROLES)
    async def export(request: Request, name: str) -> HTTPResponse | None:
        kind = name.removesuffix(".csv")
        if kind not in EXPORTS:
            return json_response({"error": f"no export {name}; there are ratings.csv and conversations.csv"}, 404)
        query = _query(request)
        await _stream_csv(request, query, kind)
        return None

    @dashboard.middleware("response")
    async def never_cached(_: Request, response: HTTPResponse) -> None:
        # Feedback figures are private and change with every rating.
        response.headers["Cache-Control"] = "no-store"

    @dashboard.exception(QueryError)
    async def bad_query(_: Request, error: QueryError) -> HTTPResponse:
        return json_response({"error": str(error)}, status=400)

    @dashboard.exception(RedisError)
    async def store_down(request: Request, error: RedisError) -> HTTPResponse:
        logger.warning("dashboard request failed, Redis unavailable: %s", error)
        request.app.ctx.metrics.redis_error("dashboard")
        message = "The data store is not reachable; try again in a moment."
        if request.path.startswith(API_PREFIX):
            return json_response({"error": message}, status=503)
        return text(message, status=503)

    return dashboard


def _query(request: Request) -> Query:
    args = {name: request.args.get(name, "") for name in ("from", "to", "channel", "language")}
    today = date.fromisoformat(day_of(time.time()))
    return parse_query(args, today, _languages(request.app.ctx.knowledge.current()))


def _languages(knowledge: KnowledgeBase) -> list[str]:
    """The languages the assistant answers in: those with knowledge files."""
    return sorted({faq.language for faq in knowledge})


async def _summary(request: Request) -> dict[str, Any]:
    query = _query(request)
    redis = request.app.ctx.redis
    knowledge = request.app.ctx.knowledge.current()
    known_languages = _languages(knowledge)
    counts = await reads.counters(redis, query.days)
    channels, languages = _key_scope(query, counts, known_languages)
    waits = await reads.waits(redis, query.days, channels, languages)
    unanswered = await reads.top_unanswered(redis, query.days, channels, languages, TOP_UNANSWERED)
    totals, daily = _tallies(counts, query)
    figures = metrics.figures(totals, daily, waits)
    for row in figures["faqs"]:
        row["question"] = _question(knowledge, row["faq_id"], query.language)
    return {
        "filters": query.describe(),
        "options": {"channels": list(CHANNELS), "languages": known_languages},
        **figures,
        "unanswered": [{"question": question, "count": count} for question, count in unanswered],
        # Sessions count in the figures once closed; these are open now, whatever the filters.
        "open_sessions": await request.app.ctx.analytics.activity.open_count(),
        "comments": await reads.latest_comments(redis, query, LATEST_COMMENTS),
        "chart_texts": {name: describe(totals, daily) for name, describe in charts.TEXTS.items()},
    }


def _tallies(counts: reads.RangeCounters, query: Query) -> tuple[metrics.Tally, dict[str, metrics.Tally]]:
    """The range's totals and its days' tallies, through the query's channel and language filters."""
    return (
        metrics.tally(counts.totals, query.channel, query.language),
        metrics.daily_tallies(counts.daily, query.channel, query.language),
    )


def _key_scope(query: Query, counts: reads.RangeCounters, known: list[str]) -> tuple[list[str], list[str]]:
    """The channels and languages whose wait lists and question sets a query reads.

    For ``all`` that is every known one and every one seen in the range's counters, so
    the waits and questions cover the same traffic as the counters.
    """
    seen_channels, seen_languages = metrics.dimensions(counts.totals)
    channels = sorted({*CHANNELS, *seen_channels}) if query.channel == metrics.ALL else [query.channel]
    languages = sorted({*known, *seen_languages}) if query.language == metrics.ALL else [query.language]
    return channels, languages


def _question(knowledge: KnowledgeBase, faq_id: str, language: str) -> str:
    """The FAQ's question in the filtered language (else the default one), or "" if it no longer exists."""
    faq = knowledge.get(faq_id, language) or knowledge.get(faq_id, DEFAULT_LANGUAGE)
    return faq.question if faq else ""


async def _stream_csv(request: Request, query: Query, kind: str) -> None:
    """Sends the export a page of records at a time, so a long range never sits in memory."""
    stream, columns = EXPORTS[kind]
    filename = f"{kind}-{query.start.isoformat()}-to-{query.end.isoformat()}.csv"
    response = await request.respond(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    await response.send(streams.csv_start(columns))
    page: list[dict[str, str]] = []
    async for record in streams.records(request.app.ctx.redis, stream, query):
        page.append(record)
        if len(page) == streams.PAGE:
            await response.send(streams.csv_text(page, columns, header=False))
            page = []
    await response.send(streams.csv_text(page, columns, header=False))
    await response.eof()
