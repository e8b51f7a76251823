"""The dashboard's reads of the feedback store's keys: one round trip each, answered as one packed string.

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
# The latest comments are looked for among this many of the range's newest ratings at most,
# so a filter that matches nothing costs a bounded read, not the whole stream.
COMMENT_SCAN_LIMIT = 10_000
COMMENT_PAGE = 500

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
# The newest comments (kind=comment) of the ratings stream between ARGV[1] and ARGV[2] (ids, newest
# first) whose channel and language pass ARGV[5] and ARGV[6] ('all' or a value): at most ARGV[3] of
# them, looking at ARGV[4] records at most, ARGV[7] at a time.
COMMENTS_SCRIPT = """
local newest, oldest, limit, scan_limit = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local channel, language, page = ARGV[5], ARGV[6], tonumber(ARGV[7])
local found, scanned = {}, 0
while #found < limit and scanned < scan_limit do
  local entries = redis.call('XREVRANGE', KEYS[1], newest, oldest, 'COUNT', page)
  for _, entry in ipairs(entries) do
    local record, flat = {}, entry[2]
    for j = 1, #flat, 2 do record[flat[j]] = flat[j + 1] end
    if record.kind == 'comment' and (channel == 'all' or record.channel == channel)
        and (language == 'all' or record.language == language) and #found < limit then
      found[#found + 1] = record
    end
  end
  scanned = scanned + #entries
  if #entries < page then break end
  newest = '(' .. entries[#entries][1]
end
return cjson.encode(found)
"""


@dataclass(frozen=True)
class RangeCounters:
    """A range's counter fields (``<metric>|<channel>|<language>|<key>``) summed, and CSAT per day."""

    totals: dict[str, int]
    daily: dict[str, dict[str, int]]


async def counters(redis: Redis, days: list[date]) -> RangeCounters:
    """The days' ``stats:<day>`` hashes: every field summed, and each day's CSAT fields."""
    keys = [STATS.format(day=day.isoformat()) for day in days]
    totals, daily = json.loads(await _run(redis, COUNTERS_SCRIPT, keys, [DAILY_PREFIX]))
    per_day = {day.isoformat(): _integers(fields) for day, fields in zip(days, daily, strict=True)}
    return RangeCounters(_integers(totals), per_day)


async def waits(redis: Redis, days: list[date], channels: list[str], languages: list[str]) -> list[float]:
    """Every queue wait of the days, channels and languages, in seconds (as ``FeedbackStore.waits``)."""
    packed = await _run(redis, WAITS_SCRIPT, _keys(WAITS, days, channels, languages), [])
    return [float(value) for value in packed.split()]


async def top_unanswered(
    redis: Redis, days: list[date], channels: list[str], languages: list[str], limit: int
) -> list[tuple[str, int]]:
    """The most frequent not-understood or thumbs-down questions (as ``FeedbackStore.top_unanswered``)."""
    totals = json.loads(await _run(redis, QUESTIONS_SCRIPT, _keys(UNANSWERED, days, channels, languages), []))
    counted = [(question, int(count)) for question, count in totals.items()]
    return sorted(counted, key=lambda item: (-item[1], item[0]))[:limit]


async def latest_comments(redis: Redis, query: Query, limit: int) -> list[Record]:
    """The range's newest survey comments that pass the filters, newest first."""
    oldest, newest = query.stream_ids()
    args = [newest, oldest, limit, COMMENT_SCAN_LIMIT, query.channel, query.language, COMMENT_PAGE]
    found = json.loads(await _run(redis, COMMENTS_SCRIPT, [RATINGS_STREAM], args)) or []
    return [_comment(record) for record in found]


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


def _integers(fields: dict[str, Any]) -> dict[str, int]:
    return {name: int(count) for name, count in fields.items()}


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
