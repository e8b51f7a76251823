"""What a dashboard request asks for: a range of store-local days, a channel and a language."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.dashboard.metrics import ALL
from bot.store.feedback import STORE_TIMEZONE

CHANNELS = ("web", "telegram")
DEFAULT_DAYS = 30
MAX_DAYS = 366
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Days outside these have no feedback, and break the arithmetic: stream ids are milliseconds since
# 1970, and the day after 9999-12-31 (a range's end bound) does not exist.
EARLIEST, LATEST = date(2000, 1, 1), date(9999, 12, 30)
SHOWN_INPUT_CHARS = 40


class QueryError(ValueError):
    """A filter the dashboard can't use; the message says what to send instead."""


@dataclass(frozen=True)
class Query:
    """Inclusive range of store-local days, and the channel and language kept (or ``all``)."""

    start: date
    end: date
    channel: str
    language: str

    @property
    def days(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.start + timedelta(days=offset) for offset in range((self.end - self.start).days + 1)]

    def bounds(self) -> tuple[float, float]:
        """The range as timestamps: the first day's midnight and the midnight after the last day (excluded)."""
        first = datetime.combine(self.start, time(), STORE_TIMEZONE)
        after = datetime.combine(self.end + timedelta(days=1), time(), STORE_TIMEZONE)
        return first.timestamp(), after.timestamp()

    def stream_ids(self) -> tuple[str, str]:
        """The range as stream ids, first and last millisecond (a stream id is the time Redis received a record)."""
        start, end = self.bounds()
        return str(int(start * 1000)), str(int(end * 1000) - 1)

    def keeps(self, record: Mapping[str, str]) -> bool:
        """Whether a stream record's channel and language pass the filters."""
        return self.channel in (ALL, record.get("channel")) and self.language in (ALL, record.get("language"))

    def describe(self) -> dict[str, Any]:
        """The filters as JSON, with defaults filled in."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": len(self.days),
            "channel": self.channel,
            "language": self.language,
        }


def parse_query(args: Mapping[str, str], today: date, languages: Iterable[str]) -> Query:
    """The filters of a request; the last 30 days up to ``today``, every channel and language by default.

    Raises:
        QueryError: a malformed date, a reversed or too long range, an unknown channel or language.
    """
    end = _date(args, "to") or today
    start = _date(args, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise QueryError("'from' is after 'to'")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise QueryError(f"the range has {days} days; at most {MAX_DAYS} are allowed")
    channel = _choice(args, "channel", CHANNELS)
    language = _choice(args, "language", sorted(languages))
    return Query(start, end, channel, language)


def _date(args: Mapping[str, str], name: str) -> date | None:
    value = args.get(name) or ""
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if DATE.match(value) else None
    except ValueError:
        day = None
    if day is None:
        raise QueryError(f"'{name}' must be a date written YYYY-MM-DD, not {_shown(value)}")
    if not EARLIEST <= day <= LATEST:
        raise QueryError(f"'{name}' must be a day from {EARLIEST} to {LATEST}, not {_shown(value)}")
    return day


def _choice(args: Mapping[str, str], name: str, allowed: Iterable[str]) -> str:
    options = (ALL, *allowed)
    value = args.get(name) or ALL
    if value not in options:
        raise QueryError(f"unknown {name} {_shown(value)}; use one of: {', '.join(options)}")
    return value


def _shown(value: str) -> str:
    """The user's input, quoted and cut short, for an error message."""
    return repr(value[:SHOWN_INPUT_CHARS])
