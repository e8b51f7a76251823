from dataclasses import replace
from datetime import date

import pytest

from actions import policy as rules
from actions.policy import Policy, Verdict
from actions.store import SqliteStore
from tests.conftest import TODAY


def test_weekends_and_public_holidays_are_not_business_days() -> None:
    assert rules.is_business_day(date(2026, 11, 18))
    assert not rules.is_business_day(date(2026, 11, 21))  # Saturday
    assert not rules.is_business_day(date(2026, 12, 25))  # Christmas, a public holiday in Korea


def test_add_business_days_skips_weekends_and_holidays() -> None:
    assert rules.add_business_days(date(2026, 11, 20), 1) == date(2026, 11, 23)
    assert rules.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)


def test_shipped_order_estimate(store: SqliteStore, policy: Policy) -> None:
    estimate = rules.delivery_estimate(store.order("10421"), TODAY, policy)  # type: ignore[arg-type]
    assert estimate == rules.DeliveryEstimate(date(2026, 11, 18), date(2026, 11, 19), late=False)


def test_island_order_past_its_window_is_late(store: SqliteStore, policy: Policy) -> None:
    estimate = rules.delivery_estimate(store.order("10517"), TODAY, policy)  # type: ignore[arg-type]
    assert estimate == rules.DeliveryEstimate(date(2026, 11, 11), date(2026, 11, 13), late=True)


def test_unshipped_express_order_counts_from_the_next_dispatch(store: SqliteStore, policy: Policy) -> None:
    estimate = rules.delivery_estimate(store.order("10488"), TODAY, policy)  # type: ignore[arg-type]
    assert estimate == rules.DeliveryEstimate(date(2026, 11, 20), date(2026, 11, 20), late=False)


def test_delivered_order_has_no_estimate(store: SqliteStore, policy: Policy) -> None:
    assert rules.delivery_estimate(store.order("10433"), TODAY, policy) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "verdict"),
    [
        ("10488", Verdict.OK),
        ("10421", Verdict.ALREADY_SHIPPED),
        ("10433", Verdict.DELIVERED),
        ("10555", Verdict.CANCELLED),
    ],
)
def test_cancel_only_before_dispatch(store: SqliteStore, number: str, verdict: Verdict) -> None:
    assert rules.cancel_verdict(store.order(number)) is verdict  # type: ignore[arg-type]
    assert rules.address_change_verdict(store.order(number)) is verdict  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "verdict"),
    [
        ("10433", Verdict.OK),
        ("10502", Verdict.WINDOW_CLOSED),
        ("10540", Verdict.NOT_RETURNABLE),
        ("10563", Verdict.NOT_SHIPPED),
        ("10421", Verdict.ALREADY_SHIPPED),
        ("10555", Verdict.CANCELLED),
    ],
)
def test_return_verdicts(store: SqliteStore, policy: Policy, number: str, verdict: Verdict) -> None:
    assert rules.return_verdict(store.order(number), TODAY, policy) is verdict  # type: ignore[arg-type]


def test_return_window_includes_its_last_day(store: SqliteStore, policy: Policy) -> None:
    order = store.order("10433")
    assert order is not None
    assert rules.return_deadline(order, policy) == date(2026, 12, 9)
    assert rules.return_verdict(order, date(2026, 12, 9), policy) is Verdict.OK
    assert rules.return_verdict(order, date(2026, 12, 10), policy) is Verdict.WINDOW_CLOSED


def test_return_fee_only_for_a_change_of_mind(store: SqliteStore, policy: Policy) -> None:
    kettle = store.order("10433")  # ₩54,000: shipped free, so the fee doubles
    assert kettle is not None
    assert rules.return_fee(kettle, "damaged", policy) == 0
    assert rules.return_fee(kettle, "changed_mind", policy) == 6000
    cheaper = replace(kettle, items=kettle.items[:1])  # ₩39,000: customer paid shipping
    assert rules.return_fee(cheaper, "changed_mind", policy) == 3000


def test_refund_dates_depend_on_the_payment_method(store: SqliteStore, policy: Policy) -> None:
    card_order = store.order("10488")
    kakao_order = store.order("10433")
    assert card_order is not None
    assert kakao_order is not None
    assert rules.cancellation_refund_by(card_order, TODAY, policy) == date(2026, 11, 25)
    assert rules.return_refund_by(kakao_order, TODAY, policy) == date(2026, 11, 27)
