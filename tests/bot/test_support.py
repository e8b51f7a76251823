"""Support hours, wait estimates and when to offer a callback."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.support import SupportConfig, WaitEstimate, callback_reason, estimate_wait, typical_handling_minutes

SEOUL = ZoneInfo("Asia/Seoul")
CONFIG = SupportConfig.load()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-11-23 09:00", True),  # Monday opening
        ("2026-11-23 17:59", True),
        ("2026-11-23 18:00", False),
        ("2026-11-28 13:30", True),  # Saturday short hours
        ("2026-11-28 14:00", False),
        ("2026-11-29 11:00", False),  # Sunday
        ("2026-12-25 11:00", False),  # Christmas, a Korean public holiday
    ],
)
def test_opening_hours(moment: str, open_: bool) -> None:
    assert CONFIG.is_open(at(moment)) is open_


def test_next_opening_skips_the_weekend_and_holidays() -> None:
    assert CONFIG.next_opening(at("2026-11-28 15:00")) == at("2026-11-30 09:00")
    assert CONFIG.next_opening(at("2026-12-24 19:00")) == at("2026-12-26 10:00")
    assert CONFIG.next_opening(at("2026-11-23 10:15")) == at("2026-11-23 10:15")


def test_handling_time_is_the_recent_median_once_there_are_samples() -> None:
    assert typical_handling_minutes([], 6) == 6
    assert typical_handling_minutes([300, 420], 6) == 6
    assert typical_handling_minutes([300, 420, 600, 240], 6) == 6.0
    assert typical_handling_minutes([120, 180, 900], 6) == 3.0


@pytest.mark.parametrize(
    ("position", "agents", "handling", "minutes"),
    [(1, 1, 6.0, 6), (3, 1, 6.0, 18), (3, 2, 6.0, 12), (4, 2, 6.0, 12), (1, 3, 0.2, 1), (2, 0, 6.0, None)],
)
def test_estimate_counts_rounds_of_agents(position: int, agents: int, handling: float, minutes: int | None) -> None:
    assert estimate_wait(position, agents, handling) == WaitEstimate(position, agents, minutes)


@pytest.mark.parametrize(
    ("moment", "estimate", "reason"),
    [
        ("2026-11-23 10:00", WaitEstimate(1, 2, 6), None),
        ("2026-11-23 10:00", WaitEstimate(3, 1, 18), "long_wait"),
        ("2026-11-23 10:00", WaitEstimate(1, 0, None), "no_agents"),
        ("2026-11-23 20:00", WaitEstimate(1, 2, 6), "closed"),
    ],
)
def test_callback_is_offered_for_long_waits_no_agents_and_closed_hours(
    moment: str, estimate: WaitEstimate, reason: str | None
) -> None:
    assert callback_reason(CONFIG, estimate, at(moment)) == reason
