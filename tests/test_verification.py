"""Proof before privacy: the order forms' checks, attempt limits and one-time codes (real SMTP on loopback)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import yaml

from actions.identity import PROOF_CODE, Attempts, Limits, LoginCodes, customer_slots
from actions.locale import locale_for
from actions.profiles import ProfileStore
from actions.replies import Outcome, Reply, response_texts
from actions.store import SqliteStore
from actions.verification import (
    Turn,
    Verifier,
    check_email,
    check_order_number,
    mask_email,
    parse_order_number,
    verified_order,
)
from support.mail import Mailer, MailSettings
from tests.mailbox import LocalMailbox

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text(encoding="utf-8"))
MAIL_TEXTS = response_texts(DOMAIN, "utter_mail_", "en")
EN = locale_for("en")
MINA: dict[str, Any] = {"customer_id": "C1001", "identity_proof": PROOF_CODE, "email": "mina.kim@example.com"}
NOT_VERIFIED = Outcome((Reply("utter_order_not_verified"),), {"order_number": None, "email": None})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mailbox() -> Iterator[LocalMailbox]:
    with LocalMailbox() as running:
        yield running


def make_verifier(
    store: SqliteStore, redis: fakeredis.FakeAsyncRedis, clock: Clock, mailbox: LocalMailbox | None
) -> Verifier:
    limits = Limits()
    mailer = None
    if mailbox is not None:
        mailer = Mailer(MailSettings("127.0.0.1", mailbox.port, "help@maru.example", starttls=False, timeout_seconds=5))
    return Verifier(store, ProfileStore(redis), Attempts(redis, limits), LoginCodes(redis, limits, clock), mailer)


@pytest.fixture
def with_mail(store: SqliteStore, redis: fakeredis.FakeAsyncRedis, clock: Clock, mailbox: LocalMailbox) -> Verifier:
    return make_verifier(store, redis, clock, mailbox)


def turn(
    changed: tuple[str, ...] = (),
    sender: str = "web-a",
    origin: str = "ip:1",
    typed: tuple[str, ...] = (),
    **slots: Any,
) -> Turn:
    return Turn(sender, origin, slots, frozenset(changed), frozenset(typed))


def code_in(message: Any) -> str:
    return str(message["Subject"]).rsplit(" ", 1)[-1]


@pytest.mark.parametrize(
    ("raw", "number"),
    [("10421", "10421"), ("#10421", "10421"), ("order 10421 please", "10421"), (10421, "10421"), ("1042", None),
     ("104211", None), ("", None), (None, None), ("🙂🙂", None)],
)  # fmt: skip
def test_parse_order_number(raw: object, number: str | None) -> None:
    assert parse_order_number(raw) == number


def test_an_order_number_is_only_checked_for_its_shape() -> None:
    assert check_order_number("#19999") == Outcome((), {"order_number": "19999"})
    assert check_order_number("x" * 20000) == Outcome(
        (Reply("utter_order_number_invalid", {"value": "x" * 40}),), {"order_number": None}
    )


def test_a_code_typed_where_the_number_is_asked_is_taken_as_a_code() -> None:
    assert check_order_number(" 048213 ") == Outcome((), {"order_number": None, "login_code": "048213"})


def test_an_email_is_only_checked_for_its_shape() -> None:
    assert check_email(" Mina.Kim@Example.com ") == Outcome((), {"email": "mina.kim@example.com"})
    assert check_email("mina at example") == Outcome(
        (Reply("utter_email_invalid", {"value": "mina at example"}),), {"email": None}
    )


def test_verified_order_needs_both_and_a_match(store: SqliteStore) -> None:
    assert verified_order("10421", "mina.kim@example.com", store) is not None
    assert verified_order("10421", "joon.park@example.org", store) is None
    assert verified_order("10421", None, store) is None
    assert verified_order(None, "mina.kim@example.com", store) is None


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("mina.kim@example.com", "mi•••@example.com"),
        ("jh.park88@mail.example.co.kr", "jh•••@mail.example.co.kr"),
        ("joon@example.org", "jo•••@example.org"),
        ("ab@example.org", "a•••@example.org"),  # never the whole name
        ("a@example.org", "•••@example.org"),
    ],
)
def test_an_email_is_shown_masked(email: str, masked: str) -> None:
    assert mask_email(email) == masked


async def test_a_matching_pair_proves_that_one_order(verifier: Verifier) -> None:
    outcome = await verifier.after_answers(turn(("email",), order_number="10421", email="mina.kim@example.com"))
    assert outcome == Outcome(
        (), {"identity_proof": "order"}, ({"identity": {"proof": "order", "order_number": "10421"}},)
    )


@pytest.mark.parametrize(
    ("number", "email"),
    [
        ("19999", "mina.kim@example.com"),  # no such order, a customer's email
        ("10421", "joon.park@example.org"),  # an order of another customer
        ("10421", "nobody@example.com"),  # no such account
        ("19999", "nobody@example.com"),  # neither
    ],
)
async def test_every_mismatch_gets_the_same_answer(verifier: Verifier, number: str, email: str) -> None:
    outcome = await verifier.after_answers(turn(("order_number", "email"), order_number=number, email=email))
    assert outcome == NOT_VERIFIED


async def test_nothing_is_checked_until_both_are_known(verifier: Verifier) -> None:
    assert await verifier.after_answers(turn(("order_number",), order_number="10421")) == Outcome()
    assert await verifier.after_answers(turn((), order_number="10421", email="mina.kim@example.com")) == Outcome()


async def test_a_proven_customer_keeps_their_email_after_a_wrong_number(verifier: Verifier) -> None:
    outcome = await verifier.after_answers(turn(("order_number",), order_number="10488", **MINA))
    assert outcome == Outcome((Reply("utter_order_not_verified"),), {"order_number": None})


async def test_a_conversation_gets_five_attempts(verifier: Verifier) -> None:
    wrong = turn(("order_number",), order_number="19999", email="mina.kim@example.com")
    for _ in range(5):
        assert await verifier.after_answers(wrong) == NOT_VERIFIED
    assert await verifier.locked(wrong)
    # Even the right pair is not looked up any more: the form ends and offers a person.
    right = turn(("order_number",), order_number="10421", email="mina.kim@example.com")
    assert await verifier.after_answers(right) == Outcome((), {"order_number": None, "email": None})


async def test_an_origin_gets_twenty_attempts_across_conversations(verifier: Verifier) -> None:
    for attempt in range(20):
        sender = f"web-{attempt // 5}"
        wrong = turn(("order_number",), sender=sender, order_number="19999", email="mina.kim@example.com")
        assert await verifier.after_answers(wrong) == NOT_VERIFIED
    assert await verifier.locked(turn(sender="web-new"))
    assert not await verifier.locked(turn(sender="web-new", origin="ip:2"))


async def test_a_stranger_with_an_email_sees_no_orders_without_mail(verifier: Verifier) -> None:
    outcome = await verifier.ask_order_number(turn(email="mina.kim@example.com"), EN, MAIL_TEXTS)
    assert outcome == Outcome((Reply("utter_ask_order_number"),))


async def test_a_proven_customer_is_offered_their_recent_orders(verifier: Verifier) -> None:
    outcome = await verifier.ask_order_number(turn((), **MINA), EN, MAIL_TEXTS)
    assert outcome == Outcome(
        (
            Reply(
                "utter_ask_order_number_known",
                buttons=(
                    {
                        "title": "#10421 · Stoneware dinner set (12 pieces)",
                        "payload": '/inform{"order_number": "10421"}',
                    },
                    {
                        "title": "#10433 · Electric kettle 1.7 L, Linen tea towels (set of 3)",
                        "payload": '/inform{"order_number": "10433"}',
                    },
                ),
            ),
        )
    )


async def test_a_typed_email_gets_a_code_and_the_right_code_proves_the_customer(
    with_mail: Verifier, mailbox: LocalMailbox
) -> None:
    asked = await with_mail.ask_order_number(turn(email="mina.kim@example.com"), EN, MAIL_TEXTS)
    assert asked == Outcome((Reply("utter_code_sent", {"email": "mi•••@example.com"}),))
    [mail] = mailbox.wait_for(1, seconds=5)
    assert mail["To"] == "mina.kim@example.com"
    code = code_in(mail)
    assert f"is {code}." in mail.get_content()
    again = await with_mail.ask_order_number(turn(email="mina.kim@example.com"), EN, MAIL_TEXTS)
    assert again == Outcome((Reply("utter_ask_order_number_or_code", {"email": "mi•••@example.com"}),))
    assert len(mailbox.messages) == 1
    proven = await with_mail.after_answers(turn(("login_code",), login_code=code, email="mina.kim@example.com"))
    customer = with_mail.store.customer_by_id("C1001")
    assert customer is not None
    assert proven == Outcome(
        (Reply("utter_code_accepted", {"customer_name": "Mina Kim"}),),
        {"login_code": None, **customer_slots(customer, PROOF_CODE), "order_number": None},
        ({"identity": {"proof": "code", "customer_id": "C1001", "name": "Mina Kim"}},),
    )
    profile = await with_mail.profiles.get("web-a")
    assert profile is not None
    assert profile.customer_id == "C1001"
    spent = await with_mail.after_answers(turn(("login_code",), login_code=code))
    assert spent == Outcome((Reply("utter_no_code_sent"),), {"login_code": None})


async def test_an_address_without_an_account_gets_the_same_answer_and_a_mail_that_says_so(
    with_mail: Verifier, mailbox: LocalMailbox
) -> None:
    asked = await with_mail.ask_order_number(turn(email="nobody@example.com"), EN, MAIL_TEXTS)
    assert asked == Outcome((Reply("utter_code_sent", {"email": "no•••@example.com"}),))
    [mail] = mailbox.wait_for(1, seconds=5)
    assert "no Maru account uses it" in mail.get_content()
    typed = await with_mail.after_answers(turn(("login_code",), login_code=code_in(mail)))
    assert typed == Outcome((Reply("utter_code_wrong", {"tries_left": 4}),), {"login_code": None})


async def test_five_tries_at_most(with_mail: Verifier, mailbox: LocalMailbox) -> None:
    await with_mail.ask_order_number(turn(email="mina.kim@example.com"), EN, MAIL_TEXTS)
    code = code_in(mailbox.wait_for(1, seconds=5)[0])
    wrong = "000000" if code != "000000" else "111111"
    replies = [(await with_mail.after_answers(turn(("login_code",), login_code=wrong))).replies for _ in range(5)]
    assert replies == [
        (Reply("utter_code_wrong", {"tries_left": 4}),),
        (Reply("utter_code_wrong", {"tries_left": 3}),),
        (Reply("utter_code_wrong", {"tries_left": 2}),),
        (Reply("utter_code_wrong", {"tries_left": 1}),),
        (Reply("utter_code_locked"),),
    ]
    right = await with_mail.after_answers(turn(("login_code",), login_code=code))
    assert right == Outcome((Reply("utter_code_locked"),), {"login_code": None})
    asked = await with_mail.ask_order_number(turn(email="mina.kim@example.com"), EN, MAIL_TEXTS)
    assert asked == Outcome((Reply("utter_ask_order_number"),))
    assert len(mailbox.messages) == 1


async def test_an_expired_code_is_refused(with_mail: Verifier, mailbox: LocalMailbox, clock: Clock) -> None:
    await with_mail.ask_order_number(turn(email="mina.kim@example.com"), EN, MAIL_TEXTS)
    code = code_in(mailbox.wait_for(1, seconds=5)[0])
    clock.now += 601
    expired = await with_mail.after_answers(turn(("login_code",), login_code=code))
    assert expired == Outcome((Reply("utter_code_expired"),), {"login_code": None})
    # No new code goes out by itself; it does when the customer types the address again.
    asked = await with_mail.ask_order_number(turn(email="mina.kim@example.com"), EN, MAIL_TEXTS)
    assert asked == Outcome((Reply("utter_ask_order_number"),))
    asked = await with_mail.ask_order_number(turn(typed=("email",), email="mina.kim@example.com"), EN, MAIL_TEXTS)
    assert asked == Outcome((Reply("utter_code_sent", {"email": "mi•••@example.com"}),))
    assert len(mailbox.wait_for(2, seconds=5)) == 2


async def test_a_refused_mail_is_said_and_no_code_waits(with_mail: Verifier, mailbox: LocalMailbox) -> None:
    mailbox.refuse_recipients(True)
    asked = await with_mail.ask_order_number(turn(email="mina.kim@example.com"), EN, MAIL_TEXTS)
    assert asked == Outcome(
        (Reply("utter_code_not_sent", {"email": "mi•••@example.com"}), Reply("utter_ask_order_number"))
    )
    typed = await with_mail.after_answers(turn(("login_code",), login_code="123456"))
    assert typed == Outcome((Reply("utter_no_code_sent"),), {"login_code": None})


async def test_codes_count_as_attempts(with_mail: Verifier, mailbox: LocalMailbox) -> None:
    for attempt in range(5):
        await with_mail.ask_order_number(turn(email=f"person{attempt}@example.com"), EN, MAIL_TEXTS)
    assert len(mailbox.wait_for(5, seconds=5)) == 5
    asked = await with_mail.ask_order_number(turn(email="person9@example.com"), EN, MAIL_TEXTS)
    assert asked == Outcome((Reply("utter_ask_order_number"),))
    assert len(mailbox.messages) == 5
