import pytest

from actions.locale import locale_for
from actions.replies import Outcome, Reply
from actions.store import SqliteStore
from actions.verification import (
    ask_order_number,
    check_email,
    check_order_number,
    parse_order_number,
    verified_order,
)


@pytest.mark.parametrize(
    ("raw", "number"),
    [("10421", "10421"), ("#10421", "10421"), ("order 10421 please", "10421"), (10421, "10421"), ("1042", None),
     ("104211", None), ("", None), (None, None), ("🙂🙂", None)],
)  # fmt: skip
def test_parse_order_number(raw: object, number: str | None) -> None:
    assert parse_order_number(raw) == number


def test_existing_order_is_accepted(store: SqliteStore) -> None:
    assert check_order_number("#10421", None, 0, store) == Outcome((), {"order_number": "10421"})


def test_unknown_order_is_refused_and_counted(store: SqliteStore) -> None:
    assert check_order_number("19999", None, 0, store) == Outcome(
        (Reply("utter_order_not_found", {"order_number": "19999"}),),
        {"order_number": None, "order_lookup_failures": 1},
    )


def test_second_unknown_order_offers_a_person(store: SqliteStore) -> None:
    outcome = check_order_number("19999", None, 1, store)
    assert [reply.response for reply in outcome.replies] == ["utter_order_not_found", "utter_order_not_found_again"]
    assert outcome.slots["order_lookup_failures"] == 2


def test_garbage_is_echoed_back_shortened(store: SqliteStore) -> None:
    outcome = check_order_number("x" * 20000, None, 0, store)
    assert outcome == Outcome((Reply("utter_order_number_invalid", {"value": "x" * 40}),), {"order_number": None})


def test_known_email_of_another_customer_is_asked_again(store: SqliteStore) -> None:
    outcome = check_order_number("10488", "mina.kim@example.com", 0, store)
    assert outcome == Outcome((), {"order_number": "10488", "email": None})


def test_matching_email_is_accepted_in_lower_case(store: SqliteStore) -> None:
    assert check_email(" Mina.Kim@Example.com ", "10421", store) == Outcome((), {"email": "mina.kim@example.com"})


def test_wrong_email_for_the_order_is_refused(store: SqliteStore) -> None:
    assert check_email("joon.park@example.org", "10421", store) == Outcome(
        (Reply("utter_email_mismatch", {"order_number": "10421"}),), {"email": None}
    )


def test_malformed_email_is_refused(store: SqliteStore) -> None:
    assert check_email("mina at example", "10421", store) == Outcome(
        (Reply("utter_email_invalid", {"value": "mina at example"}),), {"email": None}
    )


def test_verified_order_needs_both_and_a_match(store: SqliteStore) -> None:
    assert verified_order("10421", "mina.kim@example.com", store) is not None
    assert verified_order("10421", "joon.park@example.org", store) is None
    assert verified_order("10421", None, store) is None
    assert verified_order(None, "mina.kim@example.com", store) is None


def test_known_customer_is_offered_recent_orders(store: SqliteStore) -> None:
    reply = ask_order_number("mina.kim@example.com", store, locale_for("en"))
    assert reply == Reply(
        "utter_ask_order_number_known",
        buttons=(
            {"title": "#10421 · Stoneware dinner set (12 pieces)", "payload": '/inform{"order_number": "10421"}'},
            {
                "title": "#10433 · Electric kettle 1.7 L, Linen tea towels (set of 3)",
                "payload": '/inform{"order_number": "10433"}',
            },
        ),
    )


def test_unknown_customer_is_asked_plainly(store: SqliteStore) -> None:
    assert ask_order_number(None, store, locale_for("en")) == Reply("utter_ask_order_number")
