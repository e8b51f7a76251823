"""Order flows' delivery windows, written out with the domain's own responses."""

from pathlib import Path

from actions.locale import locale_for
from actions.order_flows import OrderFlows
from actions.policy import Policy
from actions.store import SqliteStore
from bot.texts import Texts
from tests.conftest import TODAY

TEXTS = Texts.load(Path(__file__).resolve().parent.parent / "domain.yml")
# Express to the mainland: dispatched the next business day, delivered the one after.
ONE_DAY_ORDER = "10488"


def flows(store: SqliteStore, policy: Policy, language: str) -> OrderFlows:
    return OrderFlows(store, policy, locale_for(language), TODAY)


def written(response: str, values: dict[str, object], language: str) -> str:
    return TEXTS.get(response, language).format(**values)


def test_a_one_day_window_is_written_as_one_day_in_english_and_korean(store: SqliteStore, policy: Policy) -> None:
    order = store.order(ONE_DAY_ORDER)
    assert order is not None
    english = flows(store, policy, "en").status(order)
    assert english.response == "utter_order_status_processing_one_day"
    assert written(english.response, english.values, "en") == (
        "Order #10488 (Cast-iron skillet 28 cm) is being packed. "
        "It should leave our warehouse by Thu 19 Nov and arrive on Fri 20 Nov."
    )
    korean = flows(store, policy, "ko").status(order)
    assert written(korean.response, korean.values, "ko") == (
        "#10488 주문(Cast-iron skillet 28 cm)은 지금 포장하고 있어요. "
        "11월 19일 (목)까지 물류센터에서 출고되어 11월 20일 (금)에 도착할 예정이에요."
    )


def test_a_changed_address_with_a_one_day_window_names_the_day(store: SqliteStore, policy: Policy) -> None:
    order = store.order(ONE_DAY_ORDER)
    assert order is not None
    outcome = flows(store, policy, "en").change_address(order, "5 Dongseong-ro, Jung-gu, Daegu", True)
    (reply,) = outcome.replies
    assert written(reply.response, reply.values, "en") == (
        "Done: order #10488 will go to 5 Dongseong-ro, Jung-gu, Daegu. It should arrive on Fri 20 Nov."
    )


def test_a_window_of_several_days_keeps_both_ends(store: SqliteStore, policy: Policy) -> None:
    order = store.order("10421")
    assert order is not None
    reply = flows(store, policy, "en").status(order)
    assert reply.response == "utter_order_status_shipped"
    assert "arrive between Wed 18 Nov and Thu 19 Nov." in written(reply.response, reply.values, "en")
