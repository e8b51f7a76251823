"""Support hours and the queue's wait estimate, from ``data/support/handoff.yml``.

The estimate is deliberately plain so it can be explained to a customer: the
people ahead of you, shared among the agents online, times the median time an
agent has recently needed per chat.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "support" / "handoff.yml"


@dataclass(frozen=True)
class SupportConfig:
    """Opening hours and queue settings."""

    timezone: ZoneInfo
    hours: dict[int, tuple[time, time]]
    holiday_country: str | None
    callback_offer_wait_minutes: float
    unclaimed_offer_minutes: float
    default_handling_minutes: float
    handling_sample_size: int
    presence_timeout_seconds: int

    @classmethod
    def load(cls, path: Path = DEFAULT_FILE) -> SupportConfig:
        """Reads the support file."""
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        queue = raw["queue"]
        return cls(
            timezone=ZoneInfo(raw["timezone"]),
            hours={WEEKDAYS.index(day): (_clock(span[0]), _clock(span[1])) for day, span in raw["hours"].items()},
            holiday_country=raw.get("public_holidays"),
            callback_offer_wait_minutes=float(queue["callback_offer_wait_minutes"]),
            unclaimed_offer_minutes=float(queue["unclaimed_offer_minutes"]),
            default_handling_minutes=float(queue["default_handling_minutes"]),
            handling_sample_size=int(queue["handling_sample_size"]),
            presence_timeout_seconds=int(queue["presence_timeout_seconds"]),
        )

    def is_open(self, moment: datetime) -> bool:
        """True during opening hours on a working day."""
        local = moment.astimezone(self.timezone)
        span = self.hours.get(local.weekday())
        if span is None or self._is_holiday(local):
            return False
        return span[0] <= local.time() < span[1]

    def next_opening(self, moment: datetime) -> datetime:
        """When support opens next (``moment`` itself if open now)."""
        local = moment.astimezone(self.timezone)
        for offset in range(15):
            day = (local + timedelta(days=offset)).date()
            span = self.hours.get(day.weekday())
            if span is None or self._is_holiday(day):
                continue
            opening = datetime.combine(day, span[0], self.timezone)
            closing = datetime.combine(day, span[1], self.timezone)
            if local < closing:
                return max(opening, local)
        raise ValueError("no opening hours in the next two weeks; check data/support/handoff.yml")

    def _is_holiday(self, day: Any) -> bool:
        if not self.holiday_country:
            return False
        return day in holidays.country_holidays(self.holiday_country, years=day.year)


@dataclass(frozen=True)
class WaitEstimate:
    """A queued customer's place and expected wait."""

    position: int
    agents_online: int
    minutes: int | None

    @property
    def known(self) -> bool:
        """False when nobody is online, so no honest number can be given."""
        return self.minutes is not None


def typical_handling_minutes(recent_seconds: list[float], default_minutes: float) -> float:
    """The median of recent handling times, or the configured default before there is data."""
    if len(recent_seconds) < 3:
        return default_minutes
    return statistics.median(recent_seconds) / 60


def estimate_wait(position: int, agents_online: int, handling_minutes: float) -> WaitEstimate:
    """Minutes until an agent is free for the customer at ``position`` (1 is next)."""
    if agents_online <= 0:
        return WaitEstimate(position, 0, None)
    rounds = math.ceil(position / agents_online)
    return WaitEstimate(position, agents_online, max(1, math.ceil(rounds * handling_minutes)))


def callback_reason(config: SupportConfig, estimate: WaitEstimate, now: datetime) -> str | None:
    """Why a callback should be offered right now, or None to just wait."""
    if not config.is_open(now):
        return "closed"
    if not estimate.known:
        return "no_agents"
    if estimate.minutes is not None and estimate.minutes > config.callback_offer_wait_minutes:
        return "long_wait"
    return None


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
