"""Support hours and the queue's wait estimate, from ``data/support/handoff.yml``.

The estimate is deliberately plain so it can be explained to a customer: the
people ahead of you, shared among the agents online, times the median time an
agent has recently needed per chat.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from support.hours import SUPPORT_FILE, OpeningHours, read_support_file


@dataclass(frozen=True)
class SupportConfig:
    """Opening hours and queue settings."""

    opening: OpeningHours
    callback_offer_wait_minutes: float
    unclaimed_offer_minutes: float
    default_handling_minutes: float
    handling_sample_size: int
    presence_timeout_seconds: int

    @classmethod
    def load(cls, path: Path = SUPPORT_FILE) -> SupportConfig:
        """Reads the support file."""
        raw = read_support_file(path)
        queue = raw["queue"]
        return cls(
            opening=OpeningHours.from_config(raw),
            callback_offer_wait_minutes=float(queue["callback_offer_wait_minutes"]),
            unclaimed_offer_minutes=float(queue["unclaimed_offer_minutes"]),
            default_handling_minutes=float(queue["default_handling_minutes"]),
            handling_sample_size=int(queue["handling_sample_size"]),
            presence_timeout_seconds=int(queue["presence_timeout_seconds"]),
        )

    @property
    def timezone(self) -> ZoneInfo:
        """The support team's time zone."""
        return self.opening.timezone

    def is_open(self, moment: datetime) -> bool:
        """True during opening hours on a working day."""
        return self.opening.is_open(moment)

    def next_opening(self, moment: datetime) -> datetime:
        """When support opens next (``moment`` itself if open now)."""
        return self.opening.next_opening(moment)


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
