"""Support opening hours from ``data/support/handoff.yml``: weekly hours and closed public holidays."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

SUPPORT_FILE = Path(__file__).resolve().parent.parent / "data" / "support" / "handoff.yml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 15


def support_file(env: Mapping[str, str] = os.environ) -> Path:
    """The support file: ``SUPPORT_FILE`` if set, else the one in ``data/support``."""
    return Path(env.get("SUPPORT_FILE") or SUPPORT_FILE)


def read_support_file(path: Path = SUPPORT_FILE) -> dict[str, Any]:
    """The support file as a mapping."""
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return raw


@dataclass(frozen=True)
class OpeningHours:
    """When agents work: hours per weekday, in one time zone, closed on a country's public holidays."""

    timezone: ZoneInfo
    hours: dict[int, tuple[time, time]]
    holiday_country: str | None

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> OpeningHours:
        """Reads the ``timezone``, ``hours`` and ``public_holidays`` keys of the support file."""
        return cls(
            timezone=ZoneInfo(raw["timezone"]),
            hours={WEEKDAYS.index(day): (_clock(span[0]), _clock(span[1])) for day, span in raw["hours"].items()},
            holiday_country=raw.get("public_holidays"),
        )

    def on(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing time on a day, or None when closed (no hours, or a public holiday)."""
        span = self.hours.get(day.weekday())
        if span is None or (self.holiday_country and day in _public_holidays(self.holiday_country, day.year)):
            return None
        return datetime.combine(day, span[0], self.timezone), datetime.combine(day, span[1], self.timezone)

    def is_open(self, moment: datetime) -> bool:
        """True during opening hours on a working day."""
        local = moment.astimezone(self.timezone)
        span = self.on(local.date())
        return span is not None and span[0] <= local < span[1]

    def next_opening(self, moment: datetime) -> datetime:
        """When support opens next (``moment`` itself if open now)."""
        local = moment.astimezone(self.timezone)
        for offset in range(SEARCH_DAYS):
            span = self.on((local + timedelta(days=offset)).date())
            if span is not None and local < span[1]:
                return max(span[0], local)
        raise ValueError("no opening hours in the next two weeks; check data/support/handoff.yml")

    def next_business_day_end(self, moment: datetime) -> datetime:
        """When the first working day after ``moment``'s local day closes, in the team's time zone."""
        local = moment.astimezone(self.timezone)
        for offset in range(1, SEARCH_DAYS):
            span = self.on((local + timedelta(days=offset)).date())
            if span is not None:
                return span[1]
        raise ValueError("no opening hours in the next two weeks; check data/support/handoff.yml")


@lru_cache(maxsize=8)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def _clock(value: str) -> time:
    if value == "24:00":  # closing at midnight: open until the very end of the day
        return time.max
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
