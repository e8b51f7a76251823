"""Store policy: honest delivery and refund dates, and what an order allows.

Dates count Korean business days (weekends and public holidays excluded). The
numbers come from ``data/store/policy.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import holidays
import yaml

from actions.store import Order

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "data" / "store" / "policy.yml"


@dataclass(frozen=True)
class Policy:
    """The numbers behind every promise the assistant makes."""

    return_window_days: int
    dispatch_business_days: int
    transit_business_days: dict[str, dict[str, tuple[int, int]]]
    return_pickup_business_days: int
    return_transit_business_days: int
    refund_processing_business_days: int
    payment_refund_business_days: dict[str, int]
    free_shipping_threshold: int
    return_fee_change_of_mind: int
    return_fee_change_of_mind_free_shipping: int

    @classmethod
    def load(cls, path: Path = DEFAULT_POLICY) -> Policy:
        """Reads the policy file."""
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        raw["transit_business_days"] = {
            shipping: {region: (span[0], span[1]) for region, span in regions.items()}
            for shipping, regions in raw["transit_business_days"].items()
        }
        return cls(**raw)


class Verdict(str, Enum):
    """Why an order can or cannot be changed."""

    OK = "ok"
    NOT_SHIPPED = "not_shipped"
    ALREADY_SHIPPED = "already_shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    WINDOW_CLOSED = "window_closed"
    NOT_RETURNABLE = "not_returnable"


@lru_cache(maxsize=8)
def _korean_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("KR", years=year))


def is_business_day(day: date) -> bool:
    """True on Monday to Friday unless it is a Korean public holiday."""
    return day.weekday() < 5 and day not in _korean_holidays(day.year)


def add_business_days(start: date, count: int) -> date:
    """The business day ``count`` business days after ``start``."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


@dataclass(frozen=True)
class DeliveryEstimate:
    """When a parcel arrives, and whether it is overdue."""

    earliest: date
    latest: date
    late: bool


def delivery_estimate(order: Order, today: date, policy: Policy) -> DeliveryEstimate | None:
    """Estimates delivery for an order that is on its way; None once delivered or cancelled."""
    if order.status not in ("processing", "shipped"):
        return None
    dispatched = order.dispatched_on or add_business_days(today, policy.dispatch_business_days)
    low, high = policy.transit_business_days[order.shipping][order.region]
    latest = add_business_days(dispatched, high)
    return DeliveryEstimate(add_business_days(dispatched, low), latest, latest < today)


def cancel_verdict(order: Order) -> Verdict:
    """Whether the order can still be cancelled."""
    return _before_dispatch_verdict(order)


def address_change_verdict(order: Order) -> Verdict:
    """Whether the delivery address can still be changed."""
    return _before_dispatch_verdict(order)


def _before_dispatch_verdict(order: Order) -> Verdict:
    return {
        "processing": Verdict.OK,
        "shipped": Verdict.ALREADY_SHIPPED,
        "delivered": Verdict.DELIVERED,
    }.get(order.status, Verdict.CANCELLED)


def return_deadline(order: Order, policy: Policy) -> date | None:
    """The last day a return can be booked, once delivered."""
    if order.delivered_on is None:
        return None
    return order.delivered_on + timedelta(days=policy.return_window_days)


def return_verdict(order: Order, today: date, policy: Policy) -> Verdict:
    """Whether a return can be booked today."""
    if order.status == "cancelled":
        return Verdict.CANCELLED
    deadline = return_deadline(order, policy)
    if deadline is None:
        return Verdict.NOT_SHIPPED if order.status == "processing" else Verdict.ALREADY_SHIPPED
    if today > deadline:
        return Verdict.WINDOW_CLOSED
    if not any(item.returnable for item in order.items):
        return Verdict.NOT_RETURNABLE
    return Verdict.OK


def return_fee(order: Order, reason: str, policy: Policy) -> int:
    """What a return costs the customer, in won: only a change of mind is charged."""
    if reason != "changed_mind":
        return 0
    if order.total >= policy.free_shipping_threshold:
        return policy.return_fee_change_of_mind_free_shipping
    return policy.return_fee_change_of_mind


def cancellation_refund_by(order: Order, today: date, policy: Policy) -> date:
    """The latest day the money of a cancelled order shows on the customer's side."""
    return add_business_days(today, policy.payment_refund_business_days[order.payment])


def return_refund_by(order: Order, today: date, policy: Policy) -> date:
    """The latest day the refund of a return booked today shows on the customer's side."""
    steps = (
        policy.return_pickup_business_days
        + policy.return_transit_business_days
        + policy.refund_processing_business_days
        + policy.payment_refund_business_days[order.payment]
    )
    return add_business_days(today, steps)
