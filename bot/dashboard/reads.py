"""The dashboard's reads of the feedback store's keys, each answered by Redis as one packed string.

``FeedbackStore``'s reads return every field, value and member as its own reply
element, and parsing those in Python is what costs: 90 days of 100,000 conversations
are some 70,000 elements and over a second. These Lua scripts read the same keys
(``bot.store.feedback`` formats) inside Redis and answer with a single JSON or
space-separated string, summed where the dashboard only needs sums, so a 90-day
summary costs tens of milliseconds (docs/dashboard.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from redis.asyncio import Redis

from bot.dashboard.query import Query
from bot.dashboard.streams import Record, local_time
from bot.store.feedback import RATINGS_STREAM, STATS, UNANSWERED, WAITS

DAILY_PREFIX = "csat|"  # the one metric the dashboard shows per day
# Each script call reads at most a month of days (or one page of ratings), so Redis, which runs a
# script to its end before anything else, serves customers' traffic between calls within milliseconds.
DAYS_PER_CALL = 31
COMMENT_PAGE = 1000
# The latest comments are looked for among this many of the range's newest ratings at most,
# so a filter that matches nothing costs a bounded read, not the whole stream.
COMMENT_SCAN_LIMIT = 10_000

# Sums every field over the days (KEYS: stats hashes) and keeps the fields starting with ARGV[1] per day.
# cjson writes an empty table as {}, so an empty day or range reads back as an empty object.
COUNTERS_SCRIPT = """
local totals, daily, prefix = {}, {}, ARGV[1]
for i, key in ipairs(KEYS) do
  local flat, day = redis.call('HGETALL', key), {}
  for j = 1, #flat, 2 do
    local name, count = flat[j], tonumber(flat[j + 1])
    totals[name] = (totals[name] or 0) + count
    if string.sub(name, 1, #prefix) == prefix then day[name] = count end
  end
  daily[i] = day
end
return cjson.encode({totals, daily})
"""
# Every wait of the lists in KEYS, space-separated (each is a number written by repr()).
WAITS_SCRIPT = """
local values = {}
for _, key in ipairs(KEYS) do
  for _, value in ipairs(redis.call('LRANGE', key, 0, -1)) do values[#values + 1] = value end
end
return table.concat(values, ' ')
"""
# Each question's count summed over the sorted sets in KEYS.
QUESTIONS_SCRIPT = """
local totals = {}
for _, key in ipairs(KEYS) do
  local flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for j = 1, #flat, 2 do totals[flat[j]] = (totals[flat[j]] or 0) + tonumber(flat[j + 1]) end
end
return cjson.encode(totals)
"""
# One page of the ratings stream, newest first: at most ARGV[3] records from id ARGV[1] down to ARGV[2].
# Answers the comments (kind=comment) whose channel and language pass ARGV[4] and ARGV[5] ('all' or a
# value), at most ARGV[6] of them, and the id to continue after ('' when the page reached ARGV[2]).
COMMENTS_SCRIPT = """
local page, limit, channel, language = tonumber(ARGV[3]), tonumber(ARGV[6]), ARGV[4], ARGV[5]
local entries = redis.call('XREVRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', page)
local found = {}
for _, entry in ipairs(entries) do
  local record, flat = {}, entry[2]
  for j = 1, #flat, 2 do record[flat[j]] = flat[j + 1] end
  if #found < limit and record.kind == 'comment' and (channel == 'all' or record.channel == channel)
      and (language == 'all' or record.language == language) then
    found[#found + 1] = record
  end
end
local after = ''
if #entries == page then after = entries[#entries][1] end
return cjson.encode({found, after})
"""


@dataclass(frozen=True)
class RangeCounters:
    """A range's counter fields (``<metric>|<channel>|<language>|<key>``) summed, and CSAT per day."""

    totals: dict[str, int]
    daily: dict[str, dict[str, int]]


async def counters(redis: Redis, days: list[date]) -> RangeCounters:
    """The days' ``stats:<day>`` hashes: every field summed, and each day's CSAT fields."""
    totals: dict[str, int] = {}
    daily: dict[str, dict[str, int]] = {}
    for chunk in _months(days):
        keys = [STATS.format(day=day.isoformat()) for day in chunk]
        chunk_totals, chunk_daily = json.loads(await _run(redis, COUNTERS_SCRIPT, keys, [DAILY_PREFIX]))
        _add(totals, chunk_totals)
        daily |= {day.isoformat(): _add({}, fields) for day, fields in zip(chunk, chunk_daily, strict=True)}
    return RangeCounters(totals, daily)


async def waits(redis: Redis, days: list[date], channels: list[str], languages: list[str]) -> list[float]:
    """Every queue wait of the days, channels and languages, in seconds (as ``FeedbackStore.waits``)."""
    values: list[float] = []
    for chunk in _months(days):
        packed = await _run(redis, WAITS_SCRIPT, _keys(WAITS, chunk, channels, languages), [])
        values += [float(value) for value in packed.split()]
    return values


async def top_unanswered(
    redis: Redis, days: list[date], channels: list[str], languages: list[str], limit: int
) -> list[tuple[str, int]]:
    """The most frequent not-understood or thumbs-down questions (as ``FeedbackStore.top_unanswered``)."""
    totals: dict[str, int] = {}
    for chunk in _months(days):
        _add(totals, json.loads(await _run(redis, QUESTIONS_SCRIPT, _keys(UNANSWERED, chunk, channels, languages), [])))
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]


async def latest_comments(redis: Redis, query: Query, limit: int) -> list[Record]:
    """The range's newest survey comments that pass the filters, newest first."""
    oldest, newest = query.stream_ids()
    comments: list[Record] = []
    for _ in range(COMMENT_SCAN_LIMIT // COMMENT_PAGE):
        args = [newest, oldest, COMMENT_PAGE, query.channel, query.language, limit - len(comments)]
        found, after = json.loads(await _run(redis, COMMENTS_SCRIPT, [RATINGS_STREAM], args))
        comments += [_comment(record) for record in found or []]
        if len(comments) >= limit or not after:
            break
        newest = "(" + after
    return comments


async def _run(redis: Redis, script: str, keys: list[str], args: list[Any]) -> str:
    # register_script sends EVALSHA and loads the script again only if Redis lost it (restart, SCRIPT FLUSH).
    packed: bytes = await redis.register_script(script)(keys=keys, args=args)
    return packed.decode()


def _keys(pattern: str, days: list[date], channels: list[str], languages: list[str]) -> list[str]:
    return [
        pattern.format(day=day.isoformat(), channel=channel, language=language)
        for day in days
        for channel in channels
        for language in languages
    ]


def _months(days: list[date]) -> list[list[date]]:
    return [days[start : start + DAYS_PER_CALL] for start in range(0, len(days), DAYS_PER_CALL)]


def _add(totals: dict[str, int], counts: dict[str, Any]) -> dict[str, int]:
    """Adds a script's counts (JSON numbers) into ``totals``, which it returns."""
    for name, count in counts.items():
        totals[name] = totals.get(name, 0) + int(count)
    return totals


def _comment(record: dict[str, str]) -> Record:
    return {
        "time": local_time(record["ts"]),
        "conversation": record.get("conversation", ""),
        "channel": record.get("channel", ""),
        "language": record.get("language", ""),
        "category": record.get("category", ""),
        "agent": record.get("agent", ""),
        "comment": record.get("comment", ""),
    }
